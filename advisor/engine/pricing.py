"""One costing path: own/rent price lookup, retrofit, $/GPU-hour parts, annual tokens, Little's law.

Every job (recommend, compare, sweep, estimate/frontier) prices through these functions;
the array forms broadcast over scenarios (numpy), the scalar forms are the same code on floats.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from advisor.domain import Catalog, Defaults, PricePoint, System
from advisor.engine import tco

SECONDS_PER_HOUR = tco.SECONDS_PER_HOUR
TIER_FALLBACK = ("neocloud_tco", "rental_3yr", "on_demand", "hyperscaler_tco")
"""Rental tiers tried, in order, when the preferred tier has no price (TPUs have only rentals)."""


@dataclass(frozen=True)
class FinanceInputs:
    """The TCO assumptions actually used (workload values over catalog defaults)."""

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
    def from_defaults(cls, d: Defaults, **overrides: object) -> FinanceInputs:
        base: dict[str, object] = dict(
            years=d.amortisation_years, cost_of_capital=d.cost_of_capital, residual_fraction=d.residual_fraction,
            maintenance_fraction_per_year=d.maintenance_fraction_per_year, install_fraction=d.install_fraction,
            usd_per_kwh=d.usd_per_kwh, pue_air=d.pue_air, pue_liquid=d.pue_liquid,
            hosting_usd_per_kw_month=d.hosting_usd_per_kw_month, liquid_retrofit_usd_per_kw=d.liquid_retrofit_usd_per_kw,
            utilisation=d.utilisation, price_tier=d.price_tier, hours_per_year=d.hours_per_year,
        )
        base.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**base)  # type: ignore[arg-type]


# --- catalog prices ---------------------------------------------------------------------------

def _latest(prices: list[PricePoint]) -> PricePoint | None:
    return max(prices, key=lambda p: (p.as_of, p.system is not None, p.id)) if prices else None


def rental_price(catalog: Catalog, system: System, tier: str) -> PricePoint | None:
    """The newest $/GPU-hour price of `tier` for the system (or its accelerator)."""
    return _latest([p for p in catalog.prices_for(system) if p.unit == "per_gpu_hour" and p.tier == tier])


def any_hourly_price(catalog: Catalog, system: System, preferred: str) -> PricePoint | None:
    """The preferred tier, else the first tier of TIER_FALLBACK with a price, else the newest hourly price."""
    for tier in (preferred, *TIER_FALLBACK):
        p = rental_price(catalog, system, tier)
        if p:
            return p
    return _latest([p for p in catalog.prices_for(system) if p.unit == "per_gpu_hour"])


def purchase_usd_per_gpu(catalog: Catalog, system: System) -> tuple[float, PricePoint] | None:
    """Capex per accelerator from the newest purchase price (per system prices divided out)."""
    cands = [p for p in catalog.prices_for(system) if p.kind == "purchase"]
    p = _latest([p for p in cands if p.system == system.id]) or _latest(cands)
    if p is None:
        return None
    return (p.usd / system.accelerators_per_system if p.unit == "per_system" else p.usd), p


def _override(overrides: Mapping[str, float], s: System) -> float | None:
    for key in (s.id, s.accelerator):
        if key in overrides:
            return overrides[key]
    return None


def price_point(catalog: Catalog, s: System, mode: str, tier: str) -> PricePoint | None:
    """The catalog price a system is costed with when bought (newest purchase) or rented (tier, then fallbacks)."""
    if mode == "buy":
        got = purchase_usd_per_gpu(catalog, s)
        return got[1] if got else None
    return any_hourly_price(catalog, s, tier)


def as_of_end(as_of: str) -> date:
    """The last day an as_of date (YYYY, YYYY-MM or YYYY-MM-DD) may mean: a price is stale only for certain."""
    parts = [int(x) for x in as_of.split("-")]
    if len(parts) == 3:
        return date(*parts)
    if len(parts) == 2:
        y, m = parts
        return date(y + (m == 12), m % 12 + 1, 1) - timedelta(days=1)
    return date(parts[0], 12, 31)


STALE_DAYS = 365
"""A price older than this (by its as_of) draws a warning."""


def stale(price: PricePoint, today_: date) -> bool:
    return (today_ - as_of_end(price.as_of)).days > STALE_DAYS


def own_price(catalog: Catalog, s: System, overrides: Mapping[str, float]) -> tuple[float, str] | None:
    """(USD per accelerator, source): the workload's procurement.usd_per_gpu, else the catalog's purchase price."""
    got = _override(overrides, s)
    if got is not None:
        return got, "workload procurement.usd_per_gpu"
    p = purchase_usd_per_gpu(catalog, s)
    return (p[0], f"catalog price {p[1].id} ({p[1].as_of})") if p else None


def rent_price(catalog: Catalog, s: System, tier: str, overrides: Mapping[str, float]) -> tuple[float, str] | None:
    """(USD per GPU-hour, source): the workload's procurement.usd_per_gpu_hour, else the tier, else the fallback tiers."""
    got = _override(overrides, s)
    if got is not None:
        return got, "workload procurement.usd_per_gpu_hour"
    p = any_hourly_price(catalog, s, tier)
    return (p.usd, f"catalog price {p.id} ({p.tier}, {p.as_of})") if p else None


# --- power and cooling ----------------------------------------------------------------------

def it_watts_per_gpu(system: System) -> float:
    return system.system_kw * 1000.0 / system.accelerators_per_system


def pue_for(system: System, hall_cooling: str, fin: FinanceInputs) -> tuple[float, str]:
    """(PUE, cooling used) for a system in a hall with `hall_cooling` (air | liquid | both)."""
    if system.cooling == "liquid" or (system.cooling != "air" and hall_cooling in ("liquid", "both")):
        return fin.pue_liquid, "liquid"
    return fin.pue_air, "air"


def needs_retrofit(system: System, hall_cooling: str) -> bool:
    """A liquid-cooled system in an air-only hall (allowed only with datacenter.allow_liquid_retrofit)."""
    return system.cooling == "liquid" and hall_cooling == "air"


def retrofit_usd_per_gpu(system: System, hall_cooling: str, fin: FinanceInputs) -> float:
    """One-off cost of liquid cooling an air hall, per accelerator (0 when not needed)."""
    if not needs_retrofit(system, hall_cooling):
        return 0.0
    return fin.liquid_retrofit_usd_per_kw * it_watts_per_gpu(system) / 1000.0


# --- member cost ------------------------------------------------------------------------------

PARTS = ("capital", "maintenance", "power", "hosting", "rental")


@dataclass(frozen=True)
class GpuHourCost:
    """$/GPU-hour of one kind of accelerator, owned or rented, by part; arrays broadcast over scenarios."""

    capital: np.ndarray | float
    maintenance: np.ndarray | float
    power: np.ndarray | float
    hosting: np.ndarray | float
    rental: np.ndarray | float
    total: np.ndarray | float
    capex_usd_per_gpu: np.ndarray | float
    """One-off spend per accelerator: price x (1 + install) + retrofit (0 when rented)."""

    def parts(self) -> dict[str, float]:
        return {k: float(getattr(self, k)) for k in (*PARTS, "total")}


def gpu_hour_cost(system: System, mode: str, fin: FinanceInputs, hall_cooling: str, *,
                  usd_per_gpu: np.ndarray | float | None = None, usd_per_gpu_hour: np.ndarray | float | None = None,
                  usd_per_kwh: np.ndarray | float | None = None, retrofit: bool = True) -> GpuHourCost:
    """The one member-cost function: $/GPU-hour parts and one-off capex per GPU of `system` bought or rented.

    `usd_per_gpu` (buy) / `usd_per_gpu_hour` (rent) may be arrays over scenarios, as may `usd_per_kwh`
    (default: the finance inputs'). NaN prices give NaN costs (unpriced).
    """
    if mode == "rent":
        rent = np.asarray(usd_per_gpu_hour, dtype=float)
        zero = np.zeros_like(rent)
        return GpuHourCost(zero, zero, zero, zero, rent, rent, zero)
    pue, _ = pue_for(system, hall_cooling, fin)
    watts = it_watts_per_gpu(system)
    retro = retrofit_usd_per_gpu(system, hall_cooling, fin) if retrofit else 0.0
    capex = np.asarray(usd_per_gpu, dtype=float) * (1.0 + fin.install_fraction)
    parts = tco.owned_usd_per_gpu_hour(
        capex_usd_per_gpu=capex, years=fin.years, cost_of_capital=fin.cost_of_capital,
        residual_fraction=fin.residual_fraction, maintenance_fraction_per_year=fin.maintenance_fraction_per_year,
        it_watts_per_gpu=watts, pue=pue, usd_per_kwh=fin.usd_per_kwh if usd_per_kwh is None else usd_per_kwh,
        hosting_usd_per_kw_month=fin.hosting_usd_per_kw_month, hours_per_year=fin.hours_per_year,
        retrofit_usd_per_gpu=retro,
    )
    return GpuHourCost(parts["capital"], parts["maintenance"], parts["power"], parts["hosting"],
                       np.zeros_like(parts["total"]), parts["total"], capex + retro)


# --- demand and tokens ------------------------------------------------------------------------

def littles_law_users(requests_per_s: float | None, share: float, ttft_s: Any, osl: Any, tok_s_per_user: Any) -> Any:
    """Concurrent users = arrival rate x time in system (TTFT + OSL / tok/s/user); broadcasts."""
    usr = np.asarray(tok_s_per_user, dtype=float)
    safe = np.where(usr > 0, usr, 1.0)
    return (requests_per_s or 0.0) * share * (ttft_s + osl / safe)


def annual_tokens(tok_s: Any, utilisation: Any, hours_per_year: float) -> Any:
    """Tokens a year from peak tok/s at an average utilisation of peak."""
    return tok_s * utilisation * SECONDS_PER_HOUR * hours_per_year
