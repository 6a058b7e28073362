"""The main screen: the scenario form on the left, the live ranking and exclusions on the right."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.lazy import Lazy
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Header, Static, TabbedContent, TabPane

from advisor import api
from advisor.domain.results import Option, Recommendation
from advisor.errors import InputError
from advisor.report.format import money
from advisor.tui.appref import AdvisorAppMixin
from advisor.tui.widgets.excluded_table import ExcludedView
from advisor.tui.widgets.footer import FittingFooter
from advisor.tui.widgets.results_table import ResultsTable
from advisor.tui.widgets.scenario_form import ScenarioForm

DEBOUNCE_S = 0.06
"""Quiet time after the last keystroke before the scenario is validated and re-ranked.

Short (60 ms: shorter than the gap between two keys typed by hand, longer than key auto-repeat): a ranking
costs ~30-100 ms in a worker, a newer edit cancels the older one, and an
identical scenario comes from the app's memo. Keys are never lost to it (see tui/keyorder.py).
"""


class MainScreen(AdvisorAppMixin, Screen):
    """Form edits become a validated Workload on the app; the app's Recommendation comes back here."""

    # In the order the footer keeps them when the terminal is narrow (FittingFooter)
    BINDINGS = [
        Binding("f1", "app.help", "Help", tooltip="List every key (also ?)", id="main-help"),
        Binding("f2", "app.open_detail", "Why?", tooltip="Explain the selected option (also Enter)", id="detail"),
        Binding("f3", "toggle_excluded", "Excluded", tooltip="Show the options that were ruled out, and why",
                id="excluded"),
        Binding("f6", "toggle_form", "Form", tooltip="Show or hide the scenario form (a drawer when narrow)",
                id="form"),
        Binding("f4", "app.compare", "Compare", tooltip="Compare the top options side by side", id="compare"),
        Binding("ctrl+s", "app.save", "Save", tooltip="Save the scenario as a workload TOML", id="save"),
        Binding("f5", "app.catalog", "Catalog", tooltip="Browse accelerators, systems, ecosystems, models",
                id="catalog"),
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
        self._excluded_stale = False
        # the breakpoint class the first resize would set: set now, so the screen is styled once, not twice
        self.add_class("-narrow" if self.advisor_app.narrow else "-wide")

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            # The form is ~160 widgets (~0.5-1 s to mount on a slow machine): mount it after the
            # first paint so the ranking shows first.
            yield Lazy(ScenarioForm(self.advisor_app.catalog, self.advisor_app.workload,
                                    keep_inefficient=self.advisor_app.keep_inefficient, id="form"))
            with Vertical(id="results"):
                yield Static("Ranking…", id="status")
                with TabbedContent(id="tabs", initial="tab-ranking"):
                    with TabPane("Ranking", id="tab-ranking"):
                        yield ResultsTable(id="ranking")
                    with TabPane("Excluded", id="tab-excluded"):
                        yield ExcludedView(id="excluded-view")
        yield FittingFooter()

    def on_mount(self) -> None:
        self.ranking.narrow = self.advisor_app.narrow
        self.watch(self.app, "recommendation", self._show_results, init=True)
        self.watch(self.app, "engine_error", self._show_status, init=False)
        self.query_one("#ranking").focus()

    def on_resize(self) -> None:
        self.ranking.set_narrow(self.advisor_app.narrow)
        if not self.advisor_app.narrow:
            self.remove_class("-form-open")

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
        tabs = self.query_one("#tabs", TabbedContent)
        # the hidden Excluded tab is filled when shown: one table less to lay out per re-rank
        self._excluded_stale = True
        if tabs.active == "tab-excluded":
            self._fill_excluded()
        for tab_id, label in (("tab-ranking", f"Ranking ({len(rec.options)})"),
                              ("tab-excluded", f"Excluded ({len(rec.excluded)})")):
            tab = tabs.get_tab(tab_id)
            if str(tab.label) != label:  # a new label re-lays the tab bar out
                tab.label = label
        self._show_status()

    def _show_status(self, *_) -> None:
        rec, status = self.advisor_app.recommendation, self.query_one("#status", Static)
        parts = []
        if rec is not None:
            wl = self.advisor_app.workload
            if wl.objective.maximise == "users":
                basis = "all cost" if wl.procurement.budget_basis == "tco" else "capex"
                target = f"most users for ${money(wl.procurement.budget_usd or 0)} ({basis})"
            else:
                target = f"{wl.demand.concurrent_users or f'{wl.demand.requests_per_s:g} req/s'} users"
            inefficient = sum(e.constraint == "inefficient" for e in rec.excluded)
            kept = " (inefficient kept)" if self.advisor_app.keep_inefficient else (
                f" ({inefficient} inefficient)" if inefficient else "")
            parts.append(f"{wl.name}: {len(wl.classes)} class(es), {target} · "
                         f"{len(rec.options)} options, {len(rec.excluded)} excluded{kept}")
            if not rec.options:
                parts.append("no option meets the constraints: see Excluded (F3)")
            moved = self.ranking.moved
            selected = self.ranking.selected_option()
            if moved and selected is not None:
                parts.append(f"{selected.label}: #{moved[0]} → #{moved[1]} after the edit (cursor kept on it)")
        problem = self.advisor_app.engine_error or self.advisor_app.form_error
        if problem:
            parts.append(f"⚠ {problem} (showing the last valid ranking)")
        text = "\n".join(parts) or "Ranking…"
        if text != getattr(self, "_status_text", None):
            lines = text.count("\n")
            # the same number of lines: repaint only (a layout pass over the whole screen is the slow part)
            status.update(text, layout=lines != getattr(self, "_status_lines", None))
            self._status_text, self._status_lines = text, lines
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
        self.advisor_app.keep_inefficient = self.form.keep_inefficient  # a run option: applies even to an invalid form
        if data is None:
            self.form.mark_problems([])
            self.advisor_app.form_error = f"{unreadable} field(s) invalid"
            self._show_status()
            return False
        try:
            workload = api.workload_from_dict(data, origin="<form>")
        except InputError as exc:
            loose = self.form.mark_problems(exc.problems)
            self.advisor_app.form_error = "; ".join(loose) or f"{len(exc.problems)} field(s) invalid"
            self._show_status()
            return False
        self.form.mark_problems([])
        self.advisor_app.form_error = None
        self.advisor_app.workload = workload
        self._show_status()
        return True

    # --- actions ------------------------------------------------------------------------
    def action_rerank(self) -> None:
        if self.apply_form():
            self.advisor_app.rank(self.advisor_app.workload)

    async def action_add_class(self) -> None:
        await self.form.add_traffic_class()

    def _fill_excluded(self) -> None:
        rec = self.advisor_app.recommendation
        if self._excluded_stale and rec is not None:
            self._excluded_stale = False
            self.query_one("#excluded-view", ExcludedView).show(rec)

    @on(TabbedContent.TabActivated, "#tabs")
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "tab-excluded":
            self._fill_excluded()

    def action_toggle_excluded(self) -> None:
        tabs = self.query_one("#tabs", TabbedContent)
        tabs.active = "tab-ranking" if tabs.active == "tab-excluded" else "tab-excluded"
        if tabs.active == "tab-excluded":
            self._fill_excluded()
        self._show_results_pane()
        self.query_one("#ranking" if tabs.active == "tab-ranking" else "#excluded").focus()

    def action_focus_ranking(self) -> None:
        self.query_one("#tabs", TabbedContent).active = "tab-ranking"
        self._show_results_pane()
        self.ranking.focus()

    def _show_results_pane(self) -> None:
        """Narrow: close the form drawer so the results are visible."""
        self.remove_class("-form-open")

    def action_toggle_form(self) -> None:
        """Wide: move into the form (or back to the ranking). Narrow: open or close the form drawer."""
        forms = self.query("#form")
        if not forms:
            return
        form = forms.first()
        if self.advisor_app.narrow:
            opening = not self.has_class("-form-open")
            self.set_class(opening, "-form-open")
        else:
            opening = not form.has_focus_within
        if opening:
            first = form.query("Input, Select, Checkbox")
            if first:
                first.first().focus()
        else:
            self.ranking.focus()

    def selected_option(self) -> Option | None:
        return self.ranking.selected_option()

    @on(DataTable.RowSelected, "#ranking")
    def _open(self, event: DataTable.RowSelected) -> None:
        self.advisor_app.action_open_detail()
