"""Prices from the catalog (latest per tier) and $/GPU-hour per system, owned or rented."""

from __future__ import annotations

from dataclasses import dataclass

from advisor.domain import Catalog, Defaults, PricePoint, System
from advisor.engine import tco


@dataclass(frozen=True)
class FinanceInputs:
    """The TCO assumptions actually used, each with where it came from."""

    years: float
    cost_of_capital: float
    residual_fraction: float
    maintenance_fraction_per_year: float
    install_fraction: float
    usd_per_kwh: float
    pue_air: float
    pue_liquid: float
    hosting_usd_per_kw_month: float
    liquid_retrofit_usd_per_kw: float
    utilisation: float
    price_tier: str
    hours_per_year: float

    @classmethod
    def from_defaults(cls, d: Defaults, **overrides) -> "FinanceInputs":
        base = dict(
            years=d.amortisation_years, cost_of_capital=d.cost_of_capital, residual_fraction=d.residual_fraction,
            maintenance_fraction_per_year=d.maintenance_fraction_per_year, install_fraction=d.install_fraction,
            usd_per_kwh=d.usd_per_kwh, pue_air=d.pue_air, pue_liquid=d.pue_liquid,
            hosting_usd_per_kw_month=d.hosting_usd_per_kw_month, liquid_retrofit_usd_per_kw=d.liquid_retrofit_usd_per_kw,
            utilisation=d.utilisation, price_tier=d.price_tier, hours_per_year=d.hours_per_year,
        )
        base.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**base)


def _latest(prices: list[PricePoint]) -> PricePoint | None:
    return max(prices, key=lambda p: (p.as_of, p.system is not None, p.id)) if prices else None


def rental_price(catalog: Catalog, system: System, tier: str) -> PricePoint | None:
    """The newest $/GPU-hour price of `tier` for the system (or its accelerator)."""
    cands = [p for p in catalog.prices_for(system) if p.unit == "per_gpu_hour" and p.tier == tier]
    return _latest(cands)


def any_hourly_price(catalog: Catalog, system: System, preferred: str) -> PricePoint | None:
    """The preferred tier, else the newest hourly price of any tier (TPUs have only rentals)."""
    p = rental_price(catalog, system, preferred)
    if p:
        return p
    order = ["neocloud_tco", "rental_3yr", "on_demand", "hyperscaler_tco"]
    for tier in order:
        p = rental_price(catalog, system, tier)
        if p:
            return p
    return _latest([p for p in catalog.prices_for(system) if p.unit == "per_gpu_hour"])


def purchase_usd_per_gpu(catalog: Catalog, system: System) -> tuple[float, PricePoint] | None:
    """Capex per accelerator from the newest purchase price (per system prices divided out)."""
    cands = [p for p in catalog.prices_for(system) if p.kind == "purchase"]
    exact = [p for p in cands if p.system == system.id]
    p = _latest(exact) or _latest(cands)
    if p is None:
        return None
    usd = p.usd / system.accelerators_per_system if p.unit == "per_system" else p.usd
    return usd, p


def it_watts_per_gpu(system: System) -> float:
    return system.system_kw * 1000.0 / system.accelerators_per_system


def pue_for(system: System, hall_cooling: str, fin: FinanceInputs) -> tuple[float, str]:
    """(PUE, cooling used) for a system in a hall with `hall_cooling` (air | liquid | both)."""
    if system.cooling == "liquid":
        return fin.pue_liquid, "liquid"
    if system.cooling == "air":
        return fin.pue_air, "air"
    if hall_cooling in ("liquid", "both"):
        return fin.pue_liquid, "liquid"
    return fin.pue_air, "air"


def owned_gpu_hour(system: System, capex_usd_per_gpu: float, fin: FinanceInputs, pue: float, retrofit: bool = False) -> dict[str, float]:
    watts = it_watts_per_gpu(system)
    retro = fin.liquid_retrofit_usd_per_kw * watts / 1000.0 if retrofit else 0.0
    parts = tco.owned_usd_per_gpu_hour(
        capex_usd_per_gpu=capex_usd_per_gpu * (1.0 + fin.install_fraction), years=fin.years,
        cost_of_capital=fin.cost_of_capital, residual_fraction=fin.residual_fraction,
        maintenance_fraction_per_year=fin.maintenance_fraction_per_year, it_watts_per_gpu=watts, pue=pue,
        usd_per_kwh=fin.usd_per_kwh, hosting_usd_per_kw_month=fin.hosting_usd_per_kw_month,
        hours_per_year=fin.hours_per_year, retrofit_usd_per_gpu=retro,
    )
    return {k: float(v) for k, v in parts.items()}
