"""Every exclusion of the current Recommendation, grouped by constraint, with the full reason below.

Rows that differ only in buy/rent (same system, constraint and reason) are one row ("buy, rent").
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.markup import escape
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Static

from advisor.domain.results import Recommendation
from advisor.tui.widgets.results_table import fill_table


@dataclass(frozen=True)
class ExcludedRow:
    constraint: str
    system: str
    procurement: str
    """"buy", "rent" or "buy, rent"."""
    reason: str


def group_exclusions(rec: Recommendation) -> dict[str, list[ExcludedRow]]:
    """constraint -> rows (buy and rent merged when the reason is the same), constraints by size."""
    merged: dict[tuple[str, str, str], list[str]] = {}
    for e in rec.excluded:
        modes = merged.setdefault((e.constraint, e.system, e.reason), [])
        if e.procurement not in modes:
            modes.append(e.procurement)
    groups: dict[str, list[ExcludedRow]] = {}
    for (constraint, system, reason), modes in merged.items():
        order = sorted(modes, key=lambda m: (m != "buy", m))
        groups.setdefault(constraint, []).append(ExcludedRow(constraint, system, ", ".join(order), reason))
    return dict(sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])))


class ExcludedTable(DataTable):
    """Group header rows ("cooling · 12") followed by their systems; row keys name the row."""

    COLUMNS = (("system", "system"), ("buy/rent", "procurement"), ("reason", "reason"))

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.rows_by_key: dict[str, ExcludedRow | str] = {}
        """Row key -> the row, or the constraint name for a group header."""
        self.exclusions: list = []

    def on_mount(self) -> None:
        fill_table(self, self.COLUMNS, [])

    def on_resize(self) -> None:
        rec = getattr(self, "_rec", None)
        if rec is not None and self.size.width != getattr(self, "_shown_width", None):
            self._shown_width = self.size.width
            self.show(rec)

    def show(self, rec: Recommendation) -> None:
        self._rec = rec
        self.exclusions = list(rec.excluded)
        groups = group_exclusions(rec)
        rows, self.rows_by_key = [], {}
        for constraint, items in groups.items():
            key = f"group:{constraint}"
            self.rows_by_key[key] = constraint
            rows.append(([Text(f"{constraint} · {len(items)}", style="bold"), "", ""], key))
            for i, row in enumerate(items):
                key = f"{constraint}:{i}"
                self.rows_by_key[key] = row
                rows.append(([f"  {row.system}", row.procurement, row.reason], key))
        with self.app.batch_update():
            fill_table(self, self.COLUMNS, rows, flex=2, width=self.size.width or self.app.size.width)

    def row_at_cursor(self) -> ExcludedRow | str | None:
        if not self.row_count or self.cursor_row < 0:
            return None
        key = self.coordinate_to_cell_key(Coordinate(self.cursor_row, 0)).row_key.value
        return self.rows_by_key.get(key or "")


class ExcludedView(Vertical):
    """The grouped table and, under it, the whole reason of the highlighted row (wrapped)."""

    def compose(self) -> ComposeResult:
        yield ExcludedTable(id="excluded")
        yield Static(id="excluded-reason")

    @property
    def table(self) -> ExcludedTable:
        return self.query_one(ExcludedTable)

    def show(self, rec: Recommendation) -> None:
        self.table.show(rec)
        self._show_reason()

    @on(DataTable.RowHighlighted, "#excluded")
    def _highlighted(self) -> None:
        self._show_reason()

    def _show_reason(self) -> None:
        row = self.table.row_at_cursor()
        pane = self.query_one("#excluded-reason", Static)
        if row is None:
            pane.update("Nothing was excluded." if not self.table.exclusions else "")
        elif isinstance(row, str):
            pane.update(f"[b]{escape(row)}[/b]: {len([r for r in self.table.rows_by_key.values() if isinstance(r, ExcludedRow) and r.constraint == row])} system(s) ruled out by this constraint. Move down for each reason.")
        else:
            pane.update(f"[b]{escape(row.system)}[/b] ({escape(row.procurement)}) · {escape(row.constraint)}\n"
                        f"{escape(row.reason)}")
