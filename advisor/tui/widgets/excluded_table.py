"""Every exclusion of the current Recommendation, with its constraint and reason."""

from __future__ import annotations

from textual.widgets import DataTable

from advisor.domain.results import Exclusion, Recommendation
from advisor.tui.widgets.results_table import fill_table


class ExcludedTable(DataTable):
    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.exclusions: list[Exclusion] = []

    COLUMNS = (("system", "system"), ("constraint", "constraint"), ("reason", "reason"), ("buy/rent", "procurement"))

    def on_mount(self) -> None:
        fill_table(self, self.COLUMNS, [])

    def show(self, rec: Recommendation) -> None:
        self.exclusions = list(rec.excluded)
        with self.app.batch_update():
            fill_table(self, self.COLUMNS, [([e.system, e.constraint, e.reason, e.procurement], None)
                                            for e in self.exclusions])
