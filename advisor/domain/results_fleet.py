"""What `compare` and `sweep` answer. Schema-versioned like every result.

A comparison is small and fully typed (pydantic). A sweep can hold millions of rows, so
SweepResult keeps its rows as columns (sequences, numpy arrays in practice) and turns
them into dicts only when asked.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field

from advisor.domain.results import Assumption, Result

FLEET_SCHEMA_VERSION = "2.0"
"""2.0 (issue 12): sweep `winners`/`is_winner`/`winner_usd_per_mtok`/`runner_up` renamed `lowest_cost`/`is_lowest_cost`/
`lowest_usd_per_mtok`/`second_lowest_cost`; `best_score` and `score` added; comparison gains `lowest_cost`; both gain
`warnings` (stale prices)."""


class FleetClassRow(Result):
    """One traffic class on one fleet: demand, what the fleet can serve at the SLOs, cost."""

    traffic_class: str
    demand_users: float = Field(description="Concurrent users of the class at peak.")
    capacity_users: float = Field(description="Concurrent users the GPUs given to the class serve at the SLOs.")
    served_users: float
    unmet_users: float
    demand_met: bool
    utilisation: float | None = Field(description="demand_users / capacity_users.")
    capacity_total_tok_s: float = Field(description="Input + output tokens/s at capacity.")
    capacity_output_tok_s: float
    demand_total_tok_s: float
    gpus: int = Field(description="GPUs given to the class (demand first, then the spare ones by share).")
    gpus_by_system: dict[str, int]
    tok_s_per_user: float | None = Field(description="Decode speed per user on the class's main system.")
    usd_per_mtok: float | None
    slo_tok_s_per_user: float
    slo_max_ttft_s: float | None
    slo_max_ttft_p99_s: float | None = None
    reason: str = Field(default="", description="Why the demand is not met, when it is not.")


class FleetRow(Result):
    name: str
    description: str = ""
    procurement: str = Field(description="buy | rent | mixed")
    systems: dict[str, int] = Field(description="System id -> count.")
    gpus: int
    gpus_unused: int = Field(description="GPUs no class can use (model does not fit, SLO out of reach).")
    can_serve: bool = Field(description="At least one class can run on the fleet at its SLOs.")
    demand_met: bool
    status: str
    classes: list[FleetClassRow]
    demand_users: float
    capacity_users: float
    utilisation: float | None = Field(description="Demand / capacity over all classes (concurrent users).")
    capex_usd: float
    annual_capital_usd: float
    annual_power_usd: float
    annual_hosting_usd: float
    annual_maintenance_usd: float
    annual_rental_usd: float
    annual_opex_usd: float = Field(description="Power + hosting + maintenance + rental, per year.")
    annual_total_usd: float
    usd_per_mtok: float | None = Field(description="Annual total / tokens served per year (blended over classes).")
    it_mw: float
    all_in_mw: float
    racks: int
    cooling: str = Field(description="Cooling the fleet needs: air, liquid or air+liquid.")
    top_vendor: str
    vendor_concentration: float = Field(description="Largest vendor's share of the GPUs (1 = single vendor).")
    top_ecosystem: str
    ecosystem_concentration: float
    mode: str | None = Field(description="Worst data mode of the points used: measured | calibrated | ecosystem-calibrated | roofline.")
    error_band_pct: float | None
    price_source: str = ""
    notes: list[str] = Field(default_factory=list)
    vs_baseline: dict[str, float | None] | None = Field(default=None, description="This fleet minus the baseline (and percent).")


class FleetComparison(Result):
    schema_version: str = FLEET_SCHEMA_VERSION
    kind: Literal["fleet_comparison"] = "fleet_comparison"
    name: str
    workload: dict[str, Any]
    baseline: str | None
    fleets: list[FleetRow]
    any_meets_demand: bool
    lowest_cost: str | None = Field(default=None, description="The fleet meeting demand with the lowest $/Mtok.")
    assumptions: list[Assumption]
    catalog: list[str]
    warnings: list[str] = Field(default_factory=list, description="Things to know: catalog prices older than 12 months, ...")


@dataclass
class SweepResult:
    """A sweep: one row per scenario x option (columns), each scenario's lowest-$/Mtok and best-score options,
    and a summary in words.

    `axes`: axis label -> the value of each scenario (len = n_scenarios).
    `rows`: column -> values (len = n_scenarios * n_options, scenario-major).
    `lowest_cost` / `second_lowest_cost`: per scenario, the label of the cheapest / second cheapest feasible option
    ('' when none); `best_score`: the feasible option with the best score (recommend's terms and weights).
    """

    name: str
    axes: dict[str, Any]  # axis label -> a sequence of floats (numpy array in practice)
    axis_units: dict[str, str]
    options: list[str]
    rows: dict[str, Any]  # column -> a sequence (numpy array in practice)
    lowest_cost: Sequence[str]
    summary: list[str]
    n_scenarios: int
    grid_evaluations: int
    seconds: float
    assumptions: list[dict[str, Any]] = field(default_factory=list)
    second_lowest_cost: Sequence[str] = ()
    best_score: Sequence[str] = ()
    warnings: list[str] = field(default_factory=list)
    """Things to know: catalog prices older than 12 months used by an option feasible in some scenario, ..."""
    schema_version: str = FLEET_SCHEMA_VERSION
    kind: str = "sweep"

    ROW_COLUMNS: tuple[str, ...] = (
        "scenario", "option", "system", "procurement", "feasible", "reason", "gpus", "capex_usd", "annual_total_usd",
        "usd_per_mtok", "all_in_mw", "tok_s_per_user", "score", "is_lowest_cost", "is_best_score",
    )

    def __len__(self) -> int:
        return len(self.rows["scenario"])

    def iter_rows(self) -> Iterator[dict[str, Any]]:
        cols = list(self.rows)
        axis_cols = list(self.axes)
        for i in range(len(self)):
            sc = int(self.rows["scenario"][i])
            row = {"scenario": sc}
            for a in axis_cols:
                row[a] = _py(self.axes[a][sc])
            for c in cols:
                if c != "scenario":
                    row[c] = _py(self.rows[c][i])
            yield row

    def scenario_rows(self) -> Iterator[dict[str, Any]]:
        """One dict per scenario: its axis values, the lowest and second lowest $/Mtok options and the best score."""
        n_opt = len(self.options)
        cost = self.rows.get("usd_per_mtok")
        index = {lab: i for i, lab in enumerate(self.options)}

        def usd(sc: int, label: str) -> Any:
            return _py(cost[sc * n_opt + index[label]]) if label and cost is not None else None

        for sc in range(self.n_scenarios):
            low = self.lowest_cost[sc]
            second = self.second_lowest_cost[sc] if self.second_lowest_cost else ""
            yield {"scenario": sc, **{a: _py(v[sc]) for a, v in self.axes.items()}, "lowest_cost": low,
                   "lowest_usd_per_mtok": usd(sc, low), "second_lowest_cost": second,
                   "second_lowest_usd_per_mtok": usd(sc, second),
                   "best_score": self.best_score[sc] if self.best_score else ""}

    def to_dict(self, *, rows: bool = True) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version, "kind": self.kind, "name": self.name,
            "n_scenarios": self.n_scenarios, "options": list(self.options),
            "axes": {a: {"unit": self.axis_units.get(a, ""), "values": sorted({_py(v) for v in vals})} for a, vals in self.axes.items()},
            "summary": list(self.summary), "warnings": list(self.warnings), "assumptions": list(self.assumptions),
            "scenarios": list(self.scenario_rows()),
            **({"rows": list(self.iter_rows())} if rows else {}),
            "grid_evaluations": self.grid_evaluations,
        }


def _py(v: Any) -> Any:
    """numpy scalars -> plain Python (JSON-safe: NaN/inf -> None)."""
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
        return None
    return v
