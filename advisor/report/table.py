"""Rich tables rendered to text, fitted to the terminal; never wrapped when piped.

Numbers are never split across lines: numeric columns do not wrap and keep their width
while text columns give way, ending in an ellipsis (prose columns such as reasons wrap
at word boundaries instead).
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Sequence

PIPE_WIDTH = 10_000  # wide enough that no row wraps; lines are right-stripped
COMPACT_BELOW = 100
"""Below this many columns, tables with a compact column set show only it (unless --wide)."""


def output_width(tty: bool | None = None) -> int:
    """Columns a table may use: the terminal's (rich reads COLUMNS) on a tty; COLUMNS when set
    while piped; otherwise PIPE_WIDTH (no limit)."""
    tty = sys.stdout.isatty() if tty is None else tty
    if tty:
        from rich.console import Console

        return Console().width
    try:
        return max(20, int(os.environ["COLUMNS"]))
    except (KeyError, ValueError):
        return PIPE_WIDTH


def render_table(
    columns: Sequence[str], rows: Sequence[Sequence[object]], *, title: str | None = None,
    caption: str | None = None, numeric: Sequence[bool] | None = None, wrap: Sequence[bool] | None = None,
    tty: bool | None = None, width: int | None = None,
) -> str:
    """A table as text, at most `width` columns (default: output_width). On a terminal: its colours
    (unless NO_COLOR); otherwise plain. `wrap` marks prose columns that wrap rather than end in '…'."""
    from rich import box  # deferred: rich costs ~30 ms and only table output needs it
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    tty = sys.stdout.isatty() if tty is None else tty
    width = output_width(tty) if width is None else width
    table = Table(
        title=title, caption=caption, box=box.SIMPLE_HEAD if tty else box.ASCII2,
        title_justify="left", caption_justify="left", show_edge=False, pad_edge=False,
    )
    prose = [bool(wrap and wrap[i]) for i in range(len(columns))]
    right = [bool(numeric and numeric[i]) for i in range(len(columns))]
    for index, name in enumerate(columns):
        # a numeric column keeps its width; text columns may shrink (their cells end in an ellipsis)
        table.add_column(name, justify="right" if right[index] else "left", no_wrap=right[index],
                         overflow="fold" if prose[index] else "ellipsis")
    for row in rows:
        table.add_row(*(_cell(cell, prose[i]) for i, cell in enumerate(row)))
    buffer = io.StringIO()
    if tty:
        console = Console(file=buffer, force_terminal=True, width=width, highlight=False)
    else:
        console = Console(file=buffer, width=width, color_system=None, force_terminal=False,
                          highlight=False, emoji=False, markup=False)
    console.print(table)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def _cell(value: object, prose: bool):
    from rich.text import Text

    return Text("" if value is None else str(value), no_wrap=not prose, overflow="fold" if prose else "ellipsis")
