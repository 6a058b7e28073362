"""The ranking: one row per option, the cursor kept on the same option across re-ranks."""

from __future__ import annotations

from textual.widgets import DataTable

from advisor.domain.results import Option, Recommendation
from advisor.report.format import money


def systems_text(option: Option) -> str:
    return " + ".join(sys_id for sys_id in option.systems)


def fill_table(table: DataTable, columns, rows) -> None:
    """Replace a table's content, with column widths computed here.

    DataTable sizes auto-width columns when idle; fixed widths render right at once, so a
    screenshot (or a busy machine) never catches columns sized to their labels only.
    `columns` are (label, key) pairs; `rows` are (cells, row key or None) pairs.
    """
    widths = [len(label) for label, _ in columns]
    for cells, _ in rows:
        widths = [max(w, len(str(c))) for w, c in zip(widths, cells)]
    table.clear(columns=True)
    for (label, key), width in zip(columns, widths):
        table.add_column(label, width=width, key=key)
    for cells, key in rows:
        table.add_row(*cells, key=key)


COLUMNS = (
    ("#", "rank"), ("system(s)", "systems"), ("buy/rent", "procurement"), ("count", "count"), ("racks", "racks"),
    ("MW", "mw"), ("$/Mtok", "usd_per_mtok"), ("capex $", "capex"), ("opex $/yr", "opex"), ("score", "score"),
    ("data", "mode"),
)


class ResultsTable(DataTable):
    """Options of the current Recommendation, best first; row keys are option ids."""

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.options: list[Option] = []

    def on_mount(self) -> None:
        fill_table(self, COLUMNS, [])

    def show(self, rec: Recommendation) -> None:
        selected = self.selected_option()
        self.options = list(rec.options)
        rows = [
            ([str(o.rank), systems_text(o), o.procurement, " + ".join(str(n) for n in o.systems.values()),
              str(o.racks), f"{o.all_in_mw:.3f}", f"{o.usd_per_mtok:.4f}", money(o.capex_usd),
              money(o.annual_opex_usd), f"{o.score:.1f}", o.mode], o.id)
            for o in self.options
        ]
        with self.app.batch_update():
            fill_table(self, COLUMNS, rows)
            if selected is not None:
                for i, o in enumerate(self.options):
                    if o.id == selected.id:
                        self.move_cursor(row=i, animate=False)
                        break

    def selected_option(self) -> Option | None:
        if not self.options or self.cursor_row < 0 or self.cursor_row >= len(self.options):
            return None
        return self.options[self.cursor_row]
