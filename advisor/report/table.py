"""Rich tables rendered to text: terminal width on a tty, never wrapped when piped."""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence

PIPE_WIDTH = 10_000  # wide enough that no row wraps; lines are right-stripped


def render_table(
    columns: Sequence[str], rows: Sequence[Sequence[object]], *, title: str | None = None,
    caption: str | None = None, numeric: Sequence[bool] | None = None, tty: bool | None = None,
) -> str:
    """A table as text. On a terminal: its width and colour; otherwise plain, one row per line."""
    from rich import box  # deferred: rich costs ~30 ms and only table output needs it
    from rich.console import Console
    from rich.table import Table

    tty = sys.stdout.isatty() if tty is None else tty
    table = Table(
        title=title, caption=caption, box=box.SIMPLE_HEAD if tty else box.ASCII2,
        title_justify="left", caption_justify="left", show_edge=False, pad_edge=False,
    )
    for index, name in enumerate(columns):
        right = bool(numeric and numeric[index])
        table.add_column(name, justify="right" if right else "left", no_wrap=not tty, overflow="fold")
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    buffer = io.StringIO()
    if tty:
        console = Console(file=buffer, force_terminal=True, width=Console().width, highlight=False)
    else:
        console = Console(file=buffer, width=PIPE_WIDTH, color_system=None, force_terminal=False,
                          highlight=False, emoji=False, markup=False)
    console.print(table)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"

