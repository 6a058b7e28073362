"""What the user asks: traffic classes, demand, datacenter, procurement, score weights."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from advisor.domain.base import (
    Count, Days, Fraction01, Kilowatts, Megawatts, Precision, Pue, RequestsPerS, Seconds, Strict, TokPerSFloor, UsdCost,
    UsdPerKwh, UsdPrice, Utilisation, Weight, Years,
)


class TrafficClass(Strict):
    """One kind of request in the mix, with its service-level objectives."""

    name: str = Field(min_length=1, description="Label used in the output, e.g. 'chat'.")
    model: str = Field(description="Model id (or alias) from the catalog.")
    isl: int = Field(ge=1, le=4_194_304, description="Input tokens per request.")
    osl: int = Field(ge=1, le=1_048_576, description="Output tokens per request.")
    share: Fraction01 = Field(default=1.0, description="Share of concurrent users (requests in flight) in this class.")
    min_tok_s_per_user: TokPerSFloor = Field(default=0.0, description="SLO: minimum decode tokens/s per user (0 = none).")
    max_ttft_s: Seconds | None = Field(default=None, description="SLO: maximum median time to first token, seconds.")
    max_ttft_p99_s: Seconds | None = Field(
        default=None, description="SLO: maximum 99th-percentile time to first token (prefill queueing included), seconds.")
    precision: Literal["auto"] | Precision = "auto"
    spec_decode: Literal["auto", "none", "mtp"] = "auto"
    serving: Literal["agg", "disagg", "auto"] = Field(
        default="auto", description="agg (prefill and decode share GPUs) | disagg (separate pools) | auto (default: per cell, "
                                    "the one with more tokens/s per GPU; the cheapest sized cell is then chosen).")


class Demand(Strict):
    concurrent_users: Count | None = Field(default=None, description="Peak requests in flight across the mix.")
    requests_per_s: RequestsPerS | None = Field(default=None, description="Peak arrival rate; converted to concurrency with Little's law.")
    utilisation: Utilisation | None = Field(default=None, description="Average load as a fraction of the peak (defaults from the catalog).")

    @model_validator(mode="after")
    def _one(self) -> Demand:
        if (self.concurrent_users is None) == (self.requests_per_s is None):
            raise ValueError("give exactly one of concurrent_users or requests_per_s")
        return self


class Datacenter(Strict):
    cooling: Literal["air", "liquid", "both"] = "both"
    max_rack_kw: Kilowatts = Field(default=150.0, description="Power a rack position can draw, kW.")
    site_mw: Megawatts | None = Field(default=None, description="All-in power budget of the site, MW.")
    usd_per_kwh: UsdPerKwh | None = None
    pue_air: Pue | None = None
    pue_liquid: Pue | None = None
    hosting_usd_per_kw_month: UsdCost | None = None
    allow_liquid_retrofit: bool = Field(default=False, description="Let liquid-only systems into an air hall at the retrofit cost.")
    region: str = Field(default="global", description="Where the fleet runs: 'global', 'us', 'eu', 'china', ...")


class Procurement(Strict):
    mode: Literal["buy", "rent", "both"] = "both"
    horizon_years: Years | None = Field(default=None, description="Amortisation / rental horizon (defaults from the catalog).")
    budget_usd: float | None = Field(default=None, gt=0, le=1e15, allow_inf_nan=False, description="Cap on capex (buy) or on rent over the horizon.")
    price_tier: str | None = Field(default=None, description="Rental price tier (defaults from the catalog).")
    usd_per_gpu_hour: dict[str, UsdPrice] = Field(default_factory=dict, description="Own $/GPU-hour by system or accelerator id.")
    usd_per_gpu: dict[str, UsdPrice] = Field(default_factory=dict, description="Own purchase price per GPU by system or accelerator id.")
    cost_of_capital: float | None = Field(default=None, ge=0, le=0.5, allow_inf_nan=False)
    allowed_vendors: list[str] = Field(default_factory=list)
    excluded_vendors: list[str] = Field(default_factory=list)
    allowed_ecosystems: list[str] = Field(default_factory=list)
    excluded_ecosystems: list[str] = Field(default_factory=list)
    systems: list[str] = Field(default_factory=list, description="Only consider these systems (empty = all).")
    days_since_release: Days | None = Field(default=None, description="Software maturity: days since the models' release (default: from today's date).")
    spare_replicas: int | dict[str, int] = Field(default=0, description="Redundancy N+k: spare replicas per class (one integer for every class, or a table by class name).")
    headroom_target: float = Field(default=0.2, ge=0, le=10, allow_inf_nan=False, description="Spare capacity above peak demand every class is sized for (fraction); the score's headroom term counts a shortfall below it.")
    budget_basis: Literal["tco", "capex"] = Field(default="tco", description="What budget_usd caps: 'tco' = all cost over the horizon (buy and rent alike), 'capex' = the purchase (rent: rent over the horizon).")

    def spares_for(self, traffic_class: str) -> int:
        """Spare replicas (N+k) of one class."""
        if isinstance(self.spare_replicas, int):
            return self.spare_replicas
        return self.spare_replicas.get(traffic_class, 0)

    @model_validator(mode="after")
    def _spares(self) -> "Procurement":
        values = [self.spare_replicas] if isinstance(self.spare_replicas, int) else list(self.spare_replicas.values())
        if any(v < 0 for v in values):
            raise ValueError("spare_replicas must be >= 0")
        return self


class Weights(Strict):
    """Weights of the score; each penalty is 0 for the best option."""

    cost: Weight = 1.0
    ecosystem_risk: Weight = 0.5
    power: Weight = 0.2
    headroom: Weight = 0.1
    vendor_diversity: Weight = 0.05


class Objective(Strict):
    """What the ranking maximises: the weighted score (default), or concurrent users within procurement.budget_usd."""

    maximise: Literal["score", "users"] = Field(default="score", description="'score': rank sized options by the weighted score; 'users': the most concurrent users each option serves within the budget at the SLOs.")


class Workload(Strict):
    """A whole scenario: the file `advisor recommend` reads."""

    name: str = "workload"
    description: str = ""
    classes: list[TrafficClass] = Field(min_length=1)
    demand: Demand
    datacenter: Datacenter = Field(default_factory=Datacenter)
    procurement: Procurement = Field(default_factory=Procurement)
    weights: Weights = Field(default_factory=Weights)
    objective: Objective = Field(default_factory=Objective)

    @model_validator(mode="before")
    @classmethod
    def _budget_demand(cls, data: object) -> object:
        """[demand] is optional when maximising users within a budget: the budget sizes the fleet, so a
        placeholder of one concurrent user stands in for the peak (shares still split the classes)."""
        if not isinstance(data, dict):
            return data
        objective = data.get("objective")
        if isinstance(objective, dict) and objective.get("maximise") == "users":
            demand = data.get("demand")
            if demand is None or (isinstance(demand, dict) and "concurrent_users" not in demand and "requests_per_s" not in demand):
                data = {**data, "demand": {**(demand or {}), "concurrent_users": 1}}
        return data

    @model_validator(mode="after")
    def _classes(self) -> Workload:
        names = [c.name for c in self.classes]
        if len(set(names)) != len(names):
            raise ValueError("traffic class names must be unique")
        total = sum(c.share for c in self.classes)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"class shares must add up to 1 (they add up to {total:g})")
        if self.objective.maximise == "users" and self.procurement.budget_usd is None:
            raise ValueError("[objective] maximise = 'users' needs procurement.budget_usd")
        if isinstance(self.procurement.spare_replicas, dict):
            unknown = sorted(set(self.procurement.spare_replicas) - set(names))
            if unknown:
                raise ValueError(f"procurement.spare_replicas names no traffic class: {', '.join(unknown)} (classes: {', '.join(names)})")
        return self
