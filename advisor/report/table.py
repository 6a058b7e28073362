"""Rich tables rendered to text, fitted to the terminal; never wrapped when piped.

Numbers are never split across lines: numeric columns do not wrap and keep their width
while text columns give way, ending in an ellipsis (prose columns such as reasons wrap
at word boundaries instead).
"""

from __future__ import annotations

import io
import os
import re
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
    texts = [["" if cell is None else str(cell) for cell in row] for row in rows]
    widths = fit_widths(columns, texts, right, prose, width)
    for index, name in enumerate(columns):
        table.add_column(Text(name, no_wrap=True, overflow="ellipsis"), justify="right" if right[index] else "left",
                         no_wrap=not prose[index], overflow="fold" if prose[index] else "ellipsis",
                         width=widths[index] if widths else None)
    for row in texts:
        table.add_row(*(Text(cell, no_wrap=not prose[i], overflow="fold" if prose[i] else "ellipsis")
                        for i, cell in enumerate(row)))
    buffer = io.StringIO()
    if tty:
        console = Console(file=buffer, force_terminal=True, width=width, highlight=False)
    else:
        console = Console(file=buffer, width=width, color_system=None, force_terminal=False,
                          highlight=False, emoji=False, markup=False)
    console.print(table)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


FIGURE = re.compile(r"[-+±$]?[0-9][0-9.,]*(e[-+]?[0-9]+)?[%kMBx]?")
"""A cell that is a figure (12,109 / -0.0123 / ±21 / 4.6k / 1e-05): always shown whole."""
GAP = 3
"""Characters between two columns: padding, divider, padding."""


def fit_widths(columns: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[bool],
               prose: Sequence[bool], width: int) -> list[int] | None:
    """Column widths that fit `width`, or None when the natural widths already fit.

    The widest column gives way first, never below its floor: a numeric column keeps its
    longest figure whole, a prose column keeps 20 characters (it wraps), any other text 6
    (it ends in an ellipsis); text in a numeric column may be cut too. Headers are cut to
    their column.
    """
    natural = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(columns)]
    room = width - GAP * (len(columns) - 1)
    if sum(natural) <= room:
        return None
    floor = []
    for i, n in enumerate(natural):
        if numeric[i]:
            figures = [len(r[i]) for r in rows if FIGURE.fullmatch(r[i])]
            floor.append(min(n, max([4, *figures])))
        else:
            floor.append(min(n, 20 if prose[i] else 6))
    widths = list(natural)
    excess = sum(widths) - room
    while excess > 0:
        give = [i for i in range(len(widths)) if widths[i] > floor[i]]
        if not give:
            break  # wider than the terminal: figures stay whole
        top = max(widths[i] for i in give)
        widest = [i for i in give if widths[i] == top]
        rest = [widths[i] for i in give if widths[i] < top]
        step = max(1, min(top - max([*rest, *(floor[i] for i in widest)]), -(-excess // len(widest))))
        for i in widest:
            cut = min(step, widths[i] - floor[i], excess)
            widths[i] -= cut
            excess -= cut
    return widths
