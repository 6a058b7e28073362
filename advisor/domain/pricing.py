"""Prices with dates, and the TCO defaults every assumption starts from."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from advisor.domain.base import (
    Entry, FractionOrZero, Hours, Multiplier, Pue, Strict, UsdCost, UsdPerKwh, UsdPrice, Utilisation, Years,
)

PriceKind = Literal["purchase", "rental", "tco"]


class PricePoint(Entry):
    """A dated price for a system or an accelerator. Kind name in files: [[price]].

    kind: purchase (capex, usd per GPU or per system), rental (market $/GPU-hour),
    tco (modelled all-in $/GPU-hour, e.g. InferenceX tiers).
    """

    name: str = ""
    system: str | None = None
    accelerator: str | None = None
    kind: PriceKind
    tier: str = Field(min_length=1, description="Price tier, e.g. street, on_demand, hyperscaler_tco, neocloud_tco, rental_3yr.")
    usd: UsdPrice
    unit: Literal["per_gpu", "per_system", "per_gpu_hour"]
    provider: str = ""

    @model_validator(mode="after")
    def _target(self) -> PricePoint:
        if (self.system is None) == (self.accelerator is None):
            raise ValueError("a price names exactly one of system or accelerator")
        if self.kind == "purchase" and self.unit == "per_gpu_hour":
            raise ValueError("a purchase price is per_gpu or per_system, not per_gpu_hour")
        if self.kind != "purchase" and self.unit != "per_gpu_hour":
            raise ValueError(f"a {self.kind} price is per_gpu_hour")
        return self


class Defaults(Entry):
    """Facility and finance defaults for TCO; every one can be overridden. Kind: [defaults]."""

    name: str = "TCO and engine defaults"
    amortisation_years: Years
    cost_of_capital: float = Field(ge=0, le=0.5, allow_inf_nan=False, description="Annual rate.")
    residual_fraction: float = Field(ge=0, lt=1, allow_inf_nan=False, description="Value left at the end of amortisation.")
    maintenance_fraction_per_year: float = Field(ge=0, le=0.5, allow_inf_nan=False)
    install_fraction: FractionOrZero = Field( description="Network, storage and install, as a fraction of hardware capex.")
    usd_per_kwh: UsdPerKwh
    pue_air: Pue
    pue_liquid: Pue
    hosting_usd_per_kw_month: UsdCost
    liquid_retrofit_usd_per_kw: UsdCost = Field( description="One-off cost to add liquid cooling per IT kW, where a hall lacks it and it is allowed.")
    utilisation: Utilisation = Field( description="Average fraction of peak throughput actually sold.")
    system_overhead: Multiplier = Field( description="Server watts per accelerator watt (CPUs, NICs, fans).")
    hours_per_year: Hours = 8760.0
    price_tier: str = Field(description="Default rental tier.")
    spec_decode_acceptance: float = Field(gt=0, lt=1, allow_inf_nan=False, description="Default MTP acceptance rate of one drafted token.")
    kv_reserve_fraction: float = Field(ge=0, lt=0.5, allow_inf_nan=False, description="Share of the KV cache held back: paging fragmentation and the scheduler's free-block watermark.")
    runtime_reserve_gb: float = Field(default=4.0, ge=0, le=64, allow_inf_nan=False, description="Memory per accelerator the serving runtime holds besides weights and KV, GB: CUDA/HIP context, activations, CUDA graphs, communication buffers.")
    regions: list[str] = Field(default_factory=lambda: ["global"], description="Regions a workload may name (datacenter.region); systems' own regions are accepted too.")
