"""Prices with dates, and the TCO defaults every assumption starts from."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from advisor.domain.base import Entry, Strict

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
    usd: float = Field(gt=0)
    unit: Literal["per_gpu", "per_system", "per_gpu_hour"]
    provider: str = ""

    @model_validator(mode="after")
    def _target(self):
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
    amortisation_years: float = Field(gt=0, le=15)
    cost_of_capital: float = Field(ge=0, le=0.5, description="Annual rate.")
    residual_fraction: float = Field(ge=0, lt=1, description="Value left at the end of amortisation.")
    maintenance_fraction_per_year: float = Field(ge=0, le=0.5)
    install_fraction: float = Field(ge=0, le=1, description="Network, storage and install, as a fraction of hardware capex.")
    usd_per_kwh: float = Field(gt=0, le=2)
    pue_air: float = Field(ge=1, le=3)
    pue_liquid: float = Field(ge=1, le=3)
    hosting_usd_per_kw_month: float = Field(ge=0)
    liquid_retrofit_usd_per_kw: float = Field(ge=0, description="One-off cost to add liquid cooling per IT kW, where a hall lacks it and it is allowed.")
    utilisation: float = Field(gt=0, le=1, description="Average fraction of peak throughput actually sold.")
    system_overhead: float = Field(ge=1, le=3, description="Server watts per accelerator watt (CPUs, NICs, fans).")
    hours_per_year: float = Field(default=8760, gt=0)
    price_tier: str = Field(description="Default rental tier.")
    spec_decode_acceptance: float = Field(gt=0, lt=1, description="Default MTP acceptance rate of one drafted token.")
    kv_reserve_fraction: float = Field(ge=0, lt=0.5, description="Memory held back for activations and fragmentation.")
    regions: list[str] = Field(default_factory=lambda: ["global"], description="Regions a workload may name (datacenter.region); systems' own regions are accepted too.")
