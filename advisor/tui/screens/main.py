"""The main screen: the scenario form on the left, the live ranking and exclusions on the right."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.lazy import Lazy
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

from advisor import api
from advisor.domain.results import Option, Recommendation
from advisor.errors import InputError
from advisor.tui.widgets.excluded_table import ExcludedTable
from advisor.tui.widgets.results_table import ResultsTable
from advisor.tui.widgets.scenario_form import ScenarioForm

DEBOUNCE_S = 0.3
"""Quiet time after the last keystroke before the scenario is validated and re-ranked."""


class MainScreen(Screen):
    """Form edits become a validated Workload on the app; the app's Recommendation comes back here."""

    BINDINGS = [
        Binding("f1", "app.help", "Help", tooltip="List every key (also ?)", id="main-help"),
        Binding("f2", "app.open_detail", "Why?", tooltip="Explain the selected option (also Enter)", id="detail"),
        Binding("f3", "toggle_excluded", "Excluded", tooltip="Show the options that were ruled out, and why",
                id="excluded"),
        Binding("f4", "app.compare", "Compare", tooltip="Compare the top options side by side", id="compare"),
        Binding("f5", "app.catalog", "Catalog", tooltip="Browse accelerators, systems, ecosystems, models",
                id="catalog"),
        Binding("ctrl+s", "app.save", "Save", tooltip="Save the scenario as a workload TOML", id="save"),
        Binding("ctrl+o", "app.load", "Open", tooltip="Open a workload TOML", id="load"),
        Binding("ctrl+e", "app.export", "Export", tooltip="Export the ranking as JSON, CSV or Markdown", id="export",
                priority=True),
        Binding("ctrl+r", "rerank", "Re-rank", show=False, tooltip="Validate the form and rank now", id="rerank"),
        Binding("ctrl+n", "add_class", "Add class", show=False, tooltip="Add a traffic class", id="add-class"),
        Binding("ctrl+l", "focus_ranking", "Ranking", show=False, tooltip="Move to the ranking table",
                id="focus-ranking"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._debounce: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            # The form is ~160 widgets (~0.5-1 s to mount on a slow machine): mount it after the
            # first paint so the ranking shows first.
            yield Lazy(ScenarioForm(self.app.catalog, self.app.workload, id="form"))
            with Vertical(id="results"):
                yield Static("Ranking…", id="status")
                with TabbedContent(id="tabs", initial="tab-ranking"):
                    with TabPane("Ranking", id="tab-ranking"):
                        yield ResultsTable(id="ranking")
                    with TabPane("Excluded", id="tab-excluded"):
                        yield ExcludedTable(id="excluded")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.watch(self.app, "recommendation", self._show_results, init=True)
        self.watch(self.app, "engine_error", self._show_status, init=False)
        self.query_one("#ranking").focus()

    @property
    def form(self) -> ScenarioForm:
        return self.query_one("#form", ScenarioForm)

    @property
    def ranking(self) -> ResultsTable:
        return self.query_one("#ranking", ResultsTable)

    # --- results (attributes down) --------------------------------------------------
    def _show_results(self, rec: Recommendation | None) -> None:
        if rec is None:
            return
        self.ranking.show(rec)
        self.query_one("#excluded", ExcludedTable).show(rec)
        tabs = self.query_one("#tabs", TabbedContent)
        tabs.get_tab("tab-ranking").label = f"Ranking ({len(rec.options)})"
        tabs.get_tab("tab-excluded").label = f"Excluded ({len(rec.excluded)})"
        self._show_status()

    def _show_status(self, *_) -> None:
        rec, status = self.app.recommendation, self.query_one("#status", Static)
        parts = []
        if rec is not None:
            wl = self.app.workload
            users = wl.demand.concurrent_users or f"{wl.demand.requests_per_s:g} req/s"
            parts.append(f"{wl.name}: {len(wl.classes)} class(es), {users} users · "
                         f"{len(rec.options)} options, {len(rec.excluded)} excluded")
            if not rec.options:
                parts.append("no option meets the constraints: see Excluded (F3)")
        problem = self.app.engine_error or self.app.form_error
        if problem:
            parts.append(f"⚠ {problem} (showing the last valid ranking)")
        status.update("\n".join(parts) or "Ranking…")
        status.set_class(bool(problem), "-problem")

    # --- edits (messages up) ------------------------------------------------------------
    @on(ScenarioForm.Edited)
    def _edited(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE_S, self.apply_form)

    def apply_form(self) -> bool:
        """Validate the form; a valid scenario goes to the app (which ranks it). True when valid."""
        self._debounce = None
        data, unreadable = self.form.collect()
        if data is None:
            self.form.mark_problems([])
            self.app.form_error = f"{unreadable} field(s) invalid"
            self._show_status()
            return False
        try:
            workload = api.workload_from_dict(data, origin="<form>")
        except InputError as exc:
            loose = self.form.mark_problems(exc.problems)
            self.app.form_error = "; ".join(loose) or f"{len(exc.problems)} field(s) invalid"
            self._show_status()
            return False
        self.form.mark_problems([])
        self.app.form_error = None
        self.app.workload = workload
        self._show_status()
        return True

    # --- actions ------------------------------------------------------------------------
    def action_rerank(self) -> None:
        if self.apply_form():
            self.app.rank(self.app.workload)

    async def action_add_class(self) -> None:
        await self.form.add_class()

    def action_toggle_excluded(self) -> None:
        tabs = self.query_one("#tabs", TabbedContent)
        tabs.active = "tab-ranking" if tabs.active == "tab-excluded" else "tab-excluded"
        self.query_one("#ranking" if tabs.active == "tab-ranking" else "#excluded").focus()

    def action_focus_ranking(self) -> None:
        self.query_one("#tabs", TabbedContent).active = "tab-ranking"
        self.ranking.focus()

    def selected_option(self) -> Option | None:
        return self.ranking.selected_option()

    @on(DataTable.RowSelected, "#ranking")
    def _open(self, event: DataTable.RowSelected) -> None:
        self.app.action_open_detail()
