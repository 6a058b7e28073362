"""Every exclusion of the current Recommendation, with its constraint and reason."""

from __future__ import annotations

from textual.widgets import DataTable

from advisor.domain.results import Exclusion, Recommendation


class ExcludedTable(DataTable):
    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.exclusions: list[Exclusion] = []

    def on_mount(self) -> None:
        self.add_column("system", key="system")
        self.add_column("constraint", key="constraint")
        self.add_column("reason", key="reason")
        self.add_column("buy/rent", key="procurement")

    def show(self, rec: Recommendation) -> None:
        self.exclusions = list(rec.excluded)
        with self.app.batch_update():
            self.clear()
            for e in self.exclusions:
                self.add_row(e.system, e.constraint, e.reason, e.procurement)
