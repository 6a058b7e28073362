"""The top options side by side (or api.compare_fleets when the API has it)."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from advisor.domain.results import Option
from advisor.report.format import money
from advisor.tui.appref import AdvisorAppMixin
from advisor.tui.widgets.footer import FittingFooter

ROWS: list[tuple[str, Callable[[Option], str]]] = [
    ("systems", lambda o: " + ".join(f"{n}x {s}" for s, n in o.systems.items())),
    ("buy / rent", lambda o: o.procurement),
    ("GPUs", lambda o: str(o.gpus)),
    ("racks", lambda o: str(o.racks)),
    ("cooling", lambda o: o.cooling),
    ("all-in MW", lambda o: f"{o.all_in_mw:.3f}"),
    ("$/Mtok", lambda o: f"{o.usd_per_mtok:.4f}"),
    ("capex $", lambda o: money(o.capex_usd)),
    ("opex $/yr", lambda o: money(o.annual_opex_usd)),
    ("tok/s per MW", lambda o: f"{o.tok_s_per_mw:,.0f}"),
    ("score", lambda o: f"{o.score:.1f}"),
    ("vendors", lambda o: ", ".join(o.vendors)),
    ("ecosystems", lambda o: ", ".join(o.ecosystems)),
    ("data", lambda o: f"{o.mode} ±{o.error_band_pct:.0f}%"),
    ("binding", lambda o: o.binding_constraint),
]
P_LOW_ROW: tuple[str, Callable[[Option], str]] = (
    "p lowest cost", lambda o: "–" if o.p_lowest_cost is None else f"{o.p_lowest_cost:.0%}")
USERS_ROW: tuple[str, Callable[[Option], str]] = (
    "max users", lambda o: "–" if o.max_concurrent_users is None else f"{o.max_concurrent_users:,.0f}")


def rows_for(options: list[Option]) -> list[tuple[str, Callable[[Option], str]]]:
    """ROWS, with p lowest cost after the score, and (budget mode) the users within the budget first."""
    rows = list(ROWS)
    at = next(i for i, (label, _) in enumerate(rows) if label == "score") + 1
    if any(o.p_lowest_cost is not None for o in options):
        rows.insert(at, P_LOW_ROW)
    if any(o.max_concurrent_users is not None for o in options):
        rows.insert(0, USERS_ROW)
    return rows


def card(option: Option, rows: list[tuple[str, Callable[[Option], str]]] | None = None):
    """One option as a two-column table under its title (the stacked, narrow layout)."""
    from rich.table import Table

    table = Table(title=f"#{option.rank} {option.label}", title_justify="left", title_style="bold",
                  box=None, show_header=False, padding=(0, 2, 0, 0), expand=True)
    table.add_column(style="dim", no_wrap=True)
    table.add_column(ratio=1)
    for label, get in rows or ROWS:
        table.add_row(label, get(option))
    return table


class CompareScreen(AdvisorAppMixin, Screen):
    """Side by side when wide; one card under another below 100 columns (CSS picks one)."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back", tooltip="Back to the ranking", id="back")]

    def __init__(self, options: list[Option], note: str = "") -> None:
        super().__init__()
        self.options = options
        self.note = note

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self.note or f"Top {len(self.options)} options side by side", id="compare-note")
        yield DataTable(id="compare-table", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="compare-stack"):
            for o in self.options:
                yield Static(card(o, rows_for(self.options)), classes="compare-card")
        yield FittingFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("", key="metric")
        for o in self.options:
            table.add_column(f"#{o.rank}", key=o.id)
        for label, get in rows_for(self.options):
            table.add_row(label, *(get(o) for o in self.options))
        self.focus_visible()

    def on_resize(self) -> None:
        self.focus_visible()

    def focus_visible(self) -> None:
        self.query_one("#compare-stack" if self.advisor_app.narrow else "#compare-table").focus()
