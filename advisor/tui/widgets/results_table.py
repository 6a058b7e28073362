"""The ranking: one row per option, the cursor kept on the same option across re-ranks."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from advisor.domain.results import Option, Recommendation
from advisor.report.format import money


def systems_text(option: Option) -> str:
    return " + ".join(sys_id for sys_id in option.systems)


def ellipsize(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 1)] + "…"


def _cell_len(cell) -> int:
    return cell.cell_len if isinstance(cell, Text) else len(str(cell))


SCROLLBAR = 2
"""Cells a vertical scrollbar may take."""
MIN_WIDTHS = {"rank": 5}
"""Room kept for "12▲10" (a moved option), so a move does not resize the table."""


def fill_table(table: DataTable, columns, rows, *, flex: int | None = None, width: int = 0) -> None:
    """Replace a table's content, with column widths computed here.

    DataTable sizes auto-width columns when idle; fixed widths render right at once, so a
    screenshot (or a busy machine) never catches columns sized to their labels only.
    `columns` are (label, key) pairs; `rows` are (cells, row key or None) pairs. With `flex` (a
    column index) and `width` (the table's width), that column takes the width the others leave,
    and longer texts in it end in "…", so no column is pushed off screen.

    When the table already has these columns (same widths) and row keys,
    the cells are updated in place: no re-layout, so a re-rank repaints in one frame.
    """
    widths = [len(label) for label, _ in columns]
    for i, (_, key) in enumerate(columns):
        widths[i] = max(widths[i], MIN_WIDTHS.get(key, 0))
    for cells, _ in rows:
        widths = [max(w, _cell_len(c)) for w, c in zip(widths, cells)]
    if flex is not None and width > 0:
        room = width - SCROLLBAR - sum(w for i, w in enumerate(widths) if i != flex) - 2 * table.cell_padding * len(widths)
        widths[flex] = max(min(widths[flex], room), len(columns[flex][0]), 8)
        rows = [([ellipsize(c, widths[flex]) if i == flex and isinstance(c, str) else c for i, c in enumerate(cells)], key)
                for cells, key in rows]
    existing = table.ordered_columns
    if (rows and all(key is not None for _, key in rows) and len(existing) == len(columns)
            and table.row_count == len(rows)
            and all(c.key.value == key and str(c.label) == label and c.width == w
                    for c, (label, key), w in zip(existing, columns, widths))
            and [r.key.value for r in table.ordered_rows] == [key for _, key in rows]):
        for cells, key in rows:
            for (_, column), cell in zip(columns, cells):
                table.update_cell(key, column, cell)
        return
    table.clear(columns=True)
    for (label, key), width in zip(columns, widths):
        table.add_column(label, width=width, key=key)
    for cells, key in rows:
        table.add_row(*cells, key=key)


def p_lowest_cost(option: Option) -> float | None:
    """The probability this option is the cheapest, when the engine provides it (a later issue)."""
    value = getattr(option, "p_lowest_cost", None)
    return None if value is None else float(value)


WIDE_COLUMNS = (
    ("#", "rank"), ("system(s)", "systems"), ("buy/rent", "procurement"), ("$/Mtok", "usd_per_mtok"),
    ("score", "score"), ("count", "count"), ("racks", "racks"), ("MW", "mw"), ("capex $", "capex"),
    ("opex $/yr", "opex"), ("data", "mode"),
)
"""$/Mtok, score and p low side by side (issue 12: the two answers and how sure the cheaper one is)."""
NARROW_COLUMNS = (("#", "rank"), ("option", "option"), ("$/Mtok", "usd_per_mtok"), ("score", "score"))
USERS = ("max users", "max_concurrent_users")
"""Budget mode ([objective] maximise = "users"): the most concurrent users each option serves within the budget,
the figure it is ranked by; right after the option (and kept at every width)."""
P_LOW = ("p low", "p_lowest_cost")
"""Shown after score when the options carry p_lowest_cost."""
DROP_FIRST = ("mode", "count", "racks", "mw", "opex", "capex", "procurement")
"""Wide columns given up, in this order, when the system column would get under MIN_OPTION_WIDTH."""
MIN_OPTION_WIDTH = 24


def table_columns(narrow: bool, with_p: bool, with_users: bool) -> tuple[tuple[str, str], ...]:
    """The columns before fitting: narrow or wide, with p low and (budget mode) max users."""
    p = (P_LOW,) if with_p else ()
    users = (USERS,) if with_users else ()
    if narrow:
        return NARROW_COLUMNS[:2] + users + NARROW_COLUMNS[2:] + p
    return WIDE_COLUMNS[:3] + users + WIDE_COLUMNS[3:5] + p + WIDE_COLUMNS[5:]


def users_text(option: Option) -> str:
    users = option.max_concurrent_users
    return "–" if users is None else f"{users:,.0f}"


class ResultsTable(DataTable):
    """Options of the current Recommendation, best first (`options[i]` is row i).

    Narrow (set by the screen): option, $/Mtok, score (and p low) only; in budget mode max users
    follows the option at every width. After a re-rank the
    cursor stays on the option it was on (by id); when that option changed rank its rank cell
    shows the move (`moved` holds (old rank, new rank)).
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.options: list[Option] = []
        self.narrow = False
        self.moved: tuple[int, int] | None = None
        self._ranks: dict[str, int] = {}
        self._rec: Recommendation | None = None

    def on_mount(self) -> None:
        fill_table(self, WIDE_COLUMNS, [])

    def set_narrow(self, narrow: bool) -> None:
        if narrow != self.narrow:
            self.narrow = narrow
            if self._rec is not None:
                self.show(self._rec, keep_moves=True)

    def _rank_cell(self, o: Option, selected_id: str | None) -> str | Text:
        if self.moved and o.id == selected_id:
            old, new = self.moved
            arrow = "▲" if new < old else "▼"
            return Text(f"{o.rank}{arrow}{abs(old - new)}", style="bold reverse")
        return str(o.rank)

    def _rows(self, columns: tuple[tuple[str, str], ...], selected_id: str | None) -> list[tuple[list[str | Text], str]]:
        rows: list[tuple[list[str | Text], str]] = []
        for o in self.options:
            p = p_lowest_cost(o)
            cell: dict[str, str | Text] = {
                "rank": self._rank_cell(o, selected_id), "option": f"{systems_text(o)} · {o.procurement}",
                "systems": systems_text(o), "procurement": o.procurement, "max_concurrent_users": users_text(o),
                "count": " + ".join(str(n) for n in o.systems.values()), "racks": str(o.racks),
                "mw": f"{o.all_in_mw:.3f}", "usd_per_mtok": f"{o.usd_per_mtok:.4f}", "capex": money(o.capex_usd),
                "opex": money(o.annual_opex_usd), "score": f"{o.score:.1f}",
                "p_lowest_cost": f"{p:.2f}" if p is not None else "–", "mode": o.mode,
            }
            rows.append(([cell[key] for _, key in columns], f"row-{len(rows)}"))  # by position: re-ranks update in place
        return rows

    def show(self, rec: Recommendation, *, keep_moves: bool = False) -> None:
        selected = self.selected_option()
        selected_id = selected.id if selected is not None else None
        self._rec = rec
        self.options = list(rec.options)
        new_ranks = {o.id: o.rank for o in self.options}
        if not keep_moves:
            old = self._ranks.get(selected_id) if selected_id else None
            new = new_ranks.get(selected_id) if selected_id else None
            self.moved = (old, new) if old is not None and new is not None and old != new else None
        self._ranks = new_ranks
        with_p = any(p_lowest_cost(o) is not None for o in self.options)
        with_users = rec.objective == "users"
        columns = table_columns(self.narrow, with_p, with_users)
        fitted_columns, rows = self._fit(list(columns), self._rows(columns, selected_id))
        with self.app.batch_update():
            fill_table(self, fitted_columns, rows, flex=1, width=self._width())
            row = next((i for i, o in enumerate(self.options) if o.id == selected_id), 0)
            if self.options:
                self.move_cursor(row=row, animate=False)

    def _fit(self, columns: list, rows: list) -> tuple[list, list]:
        """Drop the least useful columns until the option column keeps MIN_OPTION_WIDTH cells."""
        width = self._width()
        keys = [key for _, key in columns]

        def needed() -> int:
            others = [max([len(label)] + [len(c.plain) if isinstance(c, Text) else len(str(c)) for c in
                                          (cells[i] for cells, _ in rows)])
                      for i, (label, key) in enumerate(columns) if i != 1]
            return sum(others) + 2 * self.cell_padding * len(columns) + SCROLLBAR + MIN_OPTION_WIDTH

        for key in DROP_FIRST:
            if not width or needed() <= width:
                break
            if key in keys:
                i = keys.index(key)
                columns.pop(i)
                keys.pop(i)
                rows = [(cells[:i] + cells[i + 1:], row_key) for cells, row_key in rows]
        return columns, rows

    def _width(self) -> int:
        """The table's width; before the first layout, what the screen will give it."""
        if self.size.width:
            return self.size.width
        app_width = self.app.size.width
        return app_width if self.narrow else app_width - min(50, max(34, int(app_width * 0.38)))

    def on_resize(self) -> None:
        if self._rec is not None and self.size.width != getattr(self, "_shown_width", None):
            self._shown_width = self.size.width
            self.show(self._rec, keep_moves=True)

    def selected_option(self) -> Option | None:
        if not self.options or self.cursor_row < 0 or self.cursor_row >= len(self.options):
            return None
        return self.options[self.cursor_row]
