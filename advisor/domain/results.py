"""What the engine answers: operating points, costs, options, exclusions, reports."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "2.0"
"""2.0 (issue 12): costs on three token bases, output_tok_s_per_mw, spare replicas and headroom, ranking_reason,
tied, p_lowest_cost, max_concurrent_users (budget mode), warnings, token_basis."""

TOKEN_BASIS = {
    "usd_per_mtok": "total (input + output) tokens",
    "usd_per_mtok_input": "input tokens, charged the GPU time spent on prefill",
    "usd_per_mtok_output": "output tokens, charged the GPU time spent on decode",
    "usd_per_mtok_output_all_in": "output tokens, charged all cost",
    "tok_s_per_mw": "total (input + output) tokens",
    "output_tok_s_per_mw": "output tokens",
    "total_tok_s_per_gpu": "total (input + output) tokens",
    "output_tok_s_per_gpu": "output tokens",
    "tok_s_per_user": "output tokens (decode speed one user sees)",
    "tokens_per_s_at_peak": "total (input + output) tokens",
}
"""The token basis of every throughput and cost figure (shown in JSON as `token_basis`)."""

Mode = Literal["measured", "calibrated", "ecosystem-calibrated", "roofline"]


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
    layout: Literal["tp", "ep"] = Field(default="tp", description="How the replica splits the model: tensor parallel (tp), or expert parallel with data-parallel attention (ep, MoE models).")
    spec_decode: str
    output_tok_s_per_gpu: float
    total_tok_s_per_gpu: float
    tok_s_per_user: float
    ttft_s: float = Field(description="Median time to first token, seconds (at a given concurrency: with the wait for a slot).")
    ttft_p99_s: float | None = Field(default=None, description="99th-percentile time to first token, seconds (prefill queueing, and any wait for a slot, included).")
    mem_used_gb_per_gpu: float
    fits: bool
    bound: Literal["memory", "compute"]
    mode: Mode
    error_band_pct: float
    serving: Literal["agg", "disagg"] = Field(default="agg", description="agg: prefill and decode share GPUs; disagg: separate pools.")
    prefill_gpus_per_replica: float | None = Field(default=None, description="GPUs of the prefill pool per replica when disaggregated.")
    days_since_release: float | None = None
    measured_id: str | None = Field(default=None, description="Benchmark id when mode is measured.")
    usd_per_gpu_hour: float | None = None
    usd_per_mtok: float | None = None
    usd_per_mtok_input: float | None = None
    usd_per_mtok_output: float | None = None
    usd_per_mtok_output_all_in: float | None = Field(default=None, description="All cost per million output tokens.")
    prefill_gpu_time_fraction: float | None = Field(default=None, description="Share of GPU time spent on prefill (splits cost into input and output).")
    tok_s_per_mw: float | None = None
    output_tok_s_per_mw: float | None = None
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
    slo_max_ttft_p99_s: float | None = None
    headroom_pct: float = Field(description="Capacity above the demand after rounding up to whole replicas, percent.")
    tokens_per_s_at_peak: float
    spare_replicas: int = Field(default=0, description="Replicas beyond demand and headroom (N+k redundancy), included in replicas.")
    output_tokens_per_s_at_peak: float = 0.0


class Exclusion(Result):
    system: str
    procurement: str
    constraint: str = Field(description="cooling | rack_power | site_power | memory | slo | ecosystem | vendor | region | procurement | budget | price | precision | context | inefficient")
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
    usd_per_mtok: float = Field(description="Annual cost per million tokens served, input + output (blended).")
    usd_per_mtok_input: float = Field(description="Cost of the GPU time spent on prefill per million input tokens.")
    usd_per_mtok_output: float = Field(description="Cost of the GPU time spent on decode per million output tokens.")
    usd_per_mtok_output_all_in: float = Field(description="All cost per million output tokens.")
    tok_s_per_mw: float = Field(description="Input + output tokens/s at peak demand per all-in MW.")
    output_tok_s_per_mw: float = Field(description="Output tokens/s at peak demand per all-in MW.")
    score: float
    score_terms: dict[str, float]
    score_error: float = Field(default=0.0, description="Half the p10-p90 spread of the score over the Monte Carlo draws.")
    tied: bool = Field(default=False, description="The score (budget mode: max_concurrent_users) is within the combined error of the option ranked above.")
    ranking_reason: str = Field(default="", description="What puts this option below the one above it (empty for #1).")
    p_lowest_cost: float | None = Field(default=None, description="Probability of the lowest $/Mtok among all feasible options (Monte Carlo).")
    max_concurrent_users: float | None = Field(default=None, description="Budget mode: the most concurrent users served within the budget at the SLOs.")
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
    objective: Literal["score", "users"] = Field(default="score", description="Ranked by best score, or by the most users within the budget.")
    lowest_cost: str | None = Field(default=None, description="Id of the option with the lowest $/Mtok among all feasible options.")
    best_score: str | None = Field(default=None, description="Id of the option with the best score.")
    warnings: list[str] = Field(default_factory=list, description="Things to know: stale prices, ...")
    token_basis: dict[str, str] = Field(default_factory=lambda: dict(TOKEN_BASIS), description="The token basis of every throughput and cost figure.")
    monte_carlo: dict[str, Any] = Field(default_factory=dict, description="How p_lowest_cost and the ties were drawn.")
