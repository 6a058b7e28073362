"""What the engine answers: operating points, costs, options, exclusions, reports."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1.0"

Mode = Literal["measured", "calibrated", "roofline"]


class Result(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OperatingPoint(Result):
    """One point of a system's grid (one replica), with its throughput and cost."""

    system: str
    accelerator: str
    model: str
    isl: int
    osl: int
    precision: str
    gpus_per_replica: int
    batch: int = Field(description="Concurrent sequences per replica.")
    spec_decode: str
    output_tok_s_per_gpu: float
    total_tok_s_per_gpu: float
    tok_s_per_user: float
    ttft_s: float
    mem_used_gb_per_gpu: float
    fits: bool
    bound: Literal["memory", "compute"]
    mode: Mode
    error_band_pct: float
    days_since_release: float | None = None
    measured_id: str | None = Field(default=None, description="Benchmark id when mode is measured.")
    usd_per_gpu_hour: float | None = None
    usd_per_mtok: float | None = None
    usd_per_mtok_input: float | None = None
    usd_per_mtok_output: float | None = None
    tok_s_per_mw: float | None = None
    joules_per_token: float | None = None
    all_in_watts_per_gpu: float | None = None


class Assumption(Result):
    name: str
    value: float | str | None
    unit: str = ""
    source: str = Field(description="catalog defaults | workload | command line | catalog price id")


class CostBreakdown(Result):
    capex_usd: float = 0.0
    annual_capital_usd: float = 0.0
    annual_power_usd: float = 0.0
    annual_hosting_usd: float = 0.0
    annual_maintenance_usd: float = 0.0
    annual_rental_usd: float = 0.0
    annual_total_usd: float = 0.0
    usd_per_gpu_hour: float = 0.0
    price_source: str = ""


class ClassPlan(Result):
    traffic_class: str
    system: str
    concurrent_users: float
    replicas: int
    gpus: int
    point: OperatingPoint
    slo_tok_s_per_user: float
    slo_max_ttft_s: float | None
    headroom_pct: float = Field(description="Capacity above the demand after rounding up to whole replicas, percent.")
    tokens_per_s_at_peak: float


class Exclusion(Result):
    system: str
    procurement: str
    constraint: str = Field(description="cooling | rack_power | site_power | memory | slo | ecosystem | vendor | region | procurement | budget | price | precision | context")
    reason: str


class Option(Result):
    rank: int
    id: str
    label: str
    systems: dict[str, int] = Field(description="System id -> count.")
    procurement: Literal["buy", "rent"]
    vendors: list[str]
    ecosystems: list[str]
    gpus: int
    racks: int
    cooling: str
    it_mw: float
    all_in_mw: float
    capex_usd: float
    annual_opex_usd: float
    usd_per_mtok: float
    tok_s_per_mw: float
    score: float
    score_terms: dict[str, float]
    mode: Mode
    error_band_pct: float
    binding_constraint: str
    cost: CostBreakdown
    classes: list[ClassPlan]
    explanation: list[str]


class Recommendation(Result):
    schema_version: str = SCHEMA_VERSION
    kind: Literal["recommendation"] = "recommendation"
    workload: dict[str, Any]
    assumptions: list[Assumption]
    options: list[Option]
    excluded: list[Exclusion]
    catalog: list[str] = Field(description="Catalog layers used, in order.")
    calibration: dict[str, Any] = Field(default_factory=dict, description="Fit summary behind the figures.")
