"""Why an option: binding constraint, cost breakdown, operating point per class, explanation, Pareto plot."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static
from textual.worker import get_current_worker

from advisor import api
from advisor.domain.results import Option
from advisor.domain.workload import Workload
from advisor.report.format import money
from advisor.tui.appref import AdvisorAppMixin
from advisor.tui.messages import FrontierReady
from advisor.tui.widgets.footer import FittingFooter
from advisor.tui.widgets.results_table import fill_table

if TYPE_CHECKING:
    from advisor.tui.widgets.pareto_plot import ParetoPlot


def cost_rows(option: Option) -> list[tuple[str, str]]:
    c = option.cost
    return [
        ("capex", f"${money(c.capex_usd)}"),
        ("capital / yr", f"${money(c.annual_capital_usd)}"),
        ("power / yr", f"${money(c.annual_power_usd)}"),
        ("hosting / yr", f"${money(c.annual_hosting_usd)}"),
        ("maintenance / yr", f"${money(c.annual_maintenance_usd)}"),
        ("rental / yr", f"${money(c.annual_rental_usd)}"),
        ("total / yr", f"${money(c.annual_total_usd)}"),
        ("$/GPU-hour", f"{c.usd_per_gpu_hour:.2f}"),
        ("$/Mtok", f"{option.usd_per_mtok:.4f}"),
        ("price source", c.price_source),
    ]


COST_WIDTH = 56
"""The cost table's width before the first layout (the left column's width when wide)."""
TERM_NAMES = {"cost": "cost", "ecosystem_risk": "ecosystem risk", "power": "power", "headroom": "headroom",
              "vendor_diversity": "vendor diversity"}


def _penalties(option: Option, workload: Workload) -> dict[str, float]:
    """weight x term per score term (score = 100 * exp(-sum))."""
    weights = workload.weights
    return {k: float(getattr(weights, k, 1.0)) * v for k, v in option.score_terms.items()}


def why_rank_lines(option: Option, options: list[Option], workload: Workload) -> list[str]:
    """Why this option has its rank: the engine's ranking_reason, p_lowest_cost and tie mark (budget mode: the
    users within the budget), the score's spread; for #1 (no reason) the score terms against the neighbour and
    the binding constraint."""
    lines: list[str] = []
    reason = option.ranking_reason
    if reason:
        lines.append(reason)
    if option.p_lowest_cost is not None:
        lines.append(f"P(lowest cost) {option.p_lowest_cost:.0%}")
    if option.tied and option.rank > 1:
        what = "users within the budget" if option.max_concurrent_users is not None else "score"
        lines.append(f"tied with #{option.rank - 1}: the {what} gap is inside their combined error")
    if option.score_error:
        lines.append(f"score {option.score:.1f} ± {option.score_error:.1f} (p10-p90 of the draws)")
    if reason:
        return lines
    mine = _penalties(option, workload)
    parts = ", ".join(f"{TERM_NAMES.get(k, k)} {v:.2f}" for k, v in mine.items())
    lines.append(f"score {option.score:.1f} = 100·e^−(penalties); weight × term: {parts}")
    index = next((i for i, o in enumerate(options) if o.id == option.id), 0)
    other = options[index - 1] if index > 0 else (options[1] if len(options) > 1 else None)
    if other is not None:
        theirs = _penalties(other, workload)
        diffs = {k: theirs.get(k, 0.0) - v for k, v in mine.items()}
        if index == 0:
            key = max(diffs, key=lambda term: diffs[term])
            lines.append(f"ahead of #{other.rank} (score {other.score:.1f}) mostly on {TERM_NAMES.get(key, key)}: "
                         f"{diffs[key]:.2f} less penalty")
        else:
            key = min(diffs, key=lambda term: diffs[term])
            lines.append(f"behind #{other.rank} (score {other.score:.1f}) mostly on {TERM_NAMES.get(key, key)}: "
                         f"{-diffs[key]:.2f} more penalty")
    lines.append(f"binding constraint: {option.binding_constraint}")
    return lines


def budget_text(option: Option, workload: Workload) -> str:
    """Budget mode: the most concurrent users the budget buys on this option, and what the budget caps."""
    if option.max_concurrent_users is None:
        return ""
    pr = workload.procurement
    basis = "all cost over the horizon" if pr.budget_basis == "tco" else "capex (rent: rent over the horizon)"
    spares = f", {pr.spare_replicas} spare replica(s) per class" if isinstance(pr.spare_replicas, int) and pr.spare_replicas else ""
    return (f"[b]Budget[/b] {option.max_concurrent_users:,.0f} concurrent users at the SLOs within "
            f"${money(pr.budget_usd or 0)} ({basis}), {pr.headroom_target:.0%} headroom{spares}\n")


class DetailScreen(AdvisorAppMixin, Screen):
    """One option explained; the Pareto plot is computed in a worker after the screen shows."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", tooltip="Back to the ranking", id="back"),
        Binding("p", "step(-1)", "Prev", tooltip="The option ranked above", id="detail-prev"),
        Binding("n", "step(1)", "Next", tooltip="The option ranked below", id="detail-next"),
    ]

    def __init__(self, options: list[Option], index: int, workload: Workload) -> None:
        super().__init__()
        self.options = options
        self.index = index
        self.workload = workload

    @property
    def option(self) -> Option:
        return self.options[self.index]

    @property
    def plot(self) -> ParetoPlot:
        from advisor.tui.widgets.pareto_plot import ParetoPlot  # plotext loads with this screen, not at start-up

        return self.query_one("#detail-plot", ParetoPlot)

    def runner_up(self) -> Option | None:
        """The best other option on a different set of systems."""
        for o in self.options:
            if o.id != self.option.id and set(o.systems) != set(self.option.systems):
                return o
        return None

    def compose(self) -> ComposeResult:
        # plotext is imported here, not with the module: the app reads every screen's bindings at start-up
        from advisor.tui.widgets.pareto_plot import ParetoPlot

        yield Header()
        with VerticalScroll(id="detail-body"):
            yield Static(id="detail-title")
            with Horizontal(id="detail-top"):
                with Vertical(id="detail-left"):
                    yield Static(id="detail-binding")
                    yield Static(id="detail-rank")
                    yield DataTable(id="detail-cost", cursor_type="none", show_header=False)
                with Vertical(id="detail-plot-box"):
                    yield ParetoPlot(id="detail-plot")
                    yield Static(id="detail-legend")
            yield DataTable(id="detail-classes", cursor_type="row")
            yield Static(id="detail-explanation")
        yield FittingFooter()

    CLASS_COLUMNS = [(label, label) for label in ("class", "system", "users", "replicas", "GPUs", "prec", "batch",
                                                  "tok/s/user", "tok/s/GPU", "TTFT s", "headroom %", "mode")]

    def on_mount(self) -> None:
        self.show_option()

    def show_option(self) -> None:
        o = self.option
        users = (f"{o.max_concurrent_users:,.0f} users within the budget · "
                 if o.max_concurrent_users is not None else "")
        self.query_one("#detail-title", Static).update(
            f"[b]#{o.rank} {o.label}[/b] · {o.procurement} · {users}{o.gpus} GPUs in {o.racks} rack(s) · "
            f"{o.all_in_mw:.3f} MW all-in · {o.cooling} cooled · score {o.score:.1f}")
        terms = ", ".join(f"{k} {v:.2f}" for k, v in o.score_terms.items())
        self.query_one("#detail-binding", Static).update(
            f"[b]Binding constraint[/b]\n{o.binding_constraint}\n\n"
            + budget_text(o, self.workload)
            + f"[b]Data[/b] {o.mode}, ±{o.error_band_pct:.0f}%\n[b]Score terms[/b] {terms}")
        cost = self.query_one("#detail-cost", DataTable)
        fill_table(cost, [("item", "item"), ("value", "value")], [(list(row), None) for row in cost_rows(o)],
                   flex=1, width=cost.size.width or COST_WIDTH)
        fill_table(self.query_one("#detail-classes", DataTable), self.CLASS_COLUMNS, [
            ([cp.traffic_class, cp.system, f"{cp.concurrent_users:,.0f}",
              f"{cp.replicas} (+{cp.spare_replicas} spare)" if cp.spare_replicas else str(cp.replicas), str(cp.gpus),
              cp.point.precision, str(cp.point.batch), f"{cp.point.tok_s_per_user:.1f}",
              f"{cp.point.total_tok_s_per_gpu:,.0f}", f"{cp.point.ttft_s:.2f}", f"{cp.headroom_pct:.0f}", cp.point.mode],
             None)
            for cp in o.classes])
        from rich.markup import escape

        self.query_one("#detail-rank", Static).update(
            "[b]Why this rank[/b]\n" + "\n".join(f"• {escape(line)}" for line in why_rank_lines(o, self.options,
                                                                                              self.workload)))
        self.query_one("#detail-legend", Static).update("")
        self.query_one("#detail-explanation", Static).update(
            "[b]Why[/b]\n" + "\n".join(f"• {line}" for line in o.explanation))
        self.plot.show_message("computing the Pareto front…")
        self.compute_frontier()

    def action_step(self, delta: int) -> None:
        new = self.index + delta
        if 0 <= new < len(self.options):
            self.index = new
            self.show_option()

    @work(thread=True, exclusive=True, exit_on_error=False, group="frontier", description="Pareto front")
    def compute_frontier(self) -> None:
        o, wl = self.option, self.workload
        cls = wl.classes[0]
        runner_up = self.runner_up()
        systems = list(dict.fromkeys(list(o.systems) + (list(runner_up.systems) if runner_up is not None else [])))
        try:
            data = api.frontier(self.advisor_app.catalog, systems=systems[:3], model=cls.model, isl=cls.isl, osl=cls.osl,
                                precision=cls.precision, spec_decode=cls.spec_decode,
                                days_since_release=wl.procurement.days_since_release,
                                price_tier=wl.procurement.price_tier)
            message = FrontierReady(fronts=data["fronts"])
        except Exception as exc:  # shown on the plot; the rest of the screen stands
            message = FrontierReady(fronts={}, error=f"{type(exc).__name__}: {exc}")
        if not get_current_worker().is_cancelled:
            self.post_message(message)

    @on(FrontierReady)
    def _plot(self, message: FrontierReady) -> None:
        plot = self.plot
        if message.error:
            plot.show_message(f"no Pareto front: {message.error}")
            return
        first = self.option.classes[0]
        chosen = (first.system, first.point.tok_s_per_user, first.point.total_tok_s_per_gpu)
        legend = plot.show(message.fronts, chosen,
                           title=f"{self.workload.classes[0].model} {first.point.isl}/{first.point.osl}")
        from rich.markup import escape

        self.query_one("#detail-legend", Static).update(
            "  ".join(f"[{colour}]{mark}[/] {escape(label)}" for label, colour, mark in legend))
