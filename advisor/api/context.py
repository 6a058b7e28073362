"""The one place finance inputs and the assumptions shown with every answer are built.

Each assumption names where its value came from: "workload" when the workload (or fleets /
sweep file) sets it, "catalog defaults" otherwise; never a guess between the two.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from advisor.domain import Catalog, System
from advisor.engine import pricing
from advisor.engine.build import today
from advisor.domain.results import Assumption
from advisor.domain.workload import Workload
from advisor.engine.context import Context
from advisor.engine.factors import Factors
from advisor.engine.pricing import FinanceInputs

WORKLOAD = "workload"
DEFAULTS = "catalog defaults"


@dataclass(frozen=True)
class Field:
    attr: str  # FinanceInputs attribute
    name: str  # assumption name
    unit: str
    given: Callable[[Workload], object] | None  # the workload's value (None: not set there)


FIELDS: tuple[Field, ...] = (
    Field("years", "amortisation_years", "years", lambda w: w.procurement.horizon_years),
    Field("cost_of_capital", "cost_of_capital", "per year", lambda w: w.procurement.cost_of_capital),
    Field("residual_fraction", "residual_fraction", "fraction", None),
    Field("maintenance_fraction_per_year", "maintenance_fraction_per_year", "fraction", None),
    Field("install_fraction", "install_fraction", "fraction of capex", None),
    Field("usd_per_kwh", "usd_per_kwh", "USD/kWh", lambda w: w.datacenter.usd_per_kwh),
    Field("pue_air", "pue_air", "", lambda w: w.datacenter.pue_air),
    Field("pue_liquid", "pue_liquid", "", lambda w: w.datacenter.pue_liquid),
    Field("hosting_usd_per_kw_month", "hosting_usd_per_kw_month", "USD/kW-month", lambda w: w.datacenter.hosting_usd_per_kw_month),
    Field("liquid_retrofit_usd_per_kw", "liquid_retrofit_usd_per_kw", "USD/kW", None),
    Field("utilisation", "utilisation", "fraction of peak", lambda w: w.demand.utilisation),
    Field("price_tier", "price_tier", "", lambda w: w.procurement.price_tier),
)


def workload_overrides(wl: Workload) -> dict[str, object]:
    return {f.attr: f.given(wl) for f in FIELDS if f.given is not None}


def finance(catalog: Catalog, overrides: Mapping[str, object]) -> FinanceInputs:
    """Catalog defaults with the given (non-None) values over them."""
    return FinanceInputs.from_defaults(catalog.defaults, **overrides)


def job_context(catalog: Catalog, wl: Workload, fac: Factors) -> Context:
    """The engine's context for a workload: its finance inputs and the hall it runs in."""
    return Context(catalog=catalog, workload=wl, factors=fac, fin=finance(catalog, workload_overrides(wl)),
                   hall=wl.datacenter.cooling)


def stale_price_warnings(ctx: Context, used: Sequence[tuple[System, str]]) -> list[str]:
    """One warning per catalog price in `used` ((system, buy | rent) pairs) older than 12 months by its as_of.

    Prices the workload gives (procurement.usd_per_gpu[_hour]) are the user's own and never warned about.
    """
    pr, out, seen = ctx.workload.procurement, [], set()
    now = today()
    for s, mode in used:
        given = pr.usd_per_gpu if mode == "buy" else pr.usd_per_gpu_hour
        if s.id in given or s.accelerator in given:
            continue
        p = pricing.price_point(ctx.catalog, s, mode, ctx.fin.price_tier)
        if p is None or p.id in seen or not pricing.stale(p, now):
            continue
        seen.add(p.id)
        out.append(f"price {p.id} ({p.tier}, as of {p.as_of}) used for {s.id} ({mode}) is more than 12 months old "
                   f"(today {now.isoformat()}); check it or give procurement.{'usd_per_gpu' if mode == 'buy' else 'usd_per_gpu_hour'}")
    return out


def assumptions(ctx: Context, days: Mapping[str, float | None] | None = None) -> list[Assumption]:
    """Every finance assumption with its source, the fitted MTP acceptance, and days since release per class."""
    wl, fin = ctx.workload, ctx.fin
    out = [Assumption(name=f.name, value=getattr(fin, f.attr), unit=f.unit,
                      source=WORKLOAD if f.given is not None and f.given(wl) is not None else DEFAULTS)
           for f in FIELDS]
    out.append(Assumption(name="mtp_acceptance", value=round(ctx.factors.shared["accept"], 3), unit="fraction",
                          source="calibration fit"))
    given = wl.procurement.days_since_release is not None
    for name, value in (days or {}).items():
        out.append(Assumption(name=f"days_since_release.{name}", value=value, unit="days",
                              source=WORKLOAD if given else "today's date"))
    return out
