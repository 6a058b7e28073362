"""Hard constraints: what removes an option, and the one `Reason` every job reports it with.

recommend (Exclusion.constraint), compare (fleet notes) and sweep (the `reason` column) share
these checks and their names.
"""

from __future__ import annotations

from enum import Enum

from typing import Any

import numpy as np

from advisor.domain import System
from advisor.domain.results import Exclusion
from advisor.engine.context import Context
from advisor.engine.pricing import needs_retrofit


class Reason(str, Enum):
    """Why an option is out (the string is what every output shows)."""

    NONE = ""
    REGION = "region"
    VENDOR = "vendor"
    ECOSYSTEM = "ecosystem"
    COOLING = "cooling"
    RACK_POWER = "rack_power"
    PROCUREMENT = "procurement"
    PRECISION = "precision"
    CONTEXT = "context"
    MEMORY = "memory"
    SLO = "slo"
    PRICE = "price"
    SITE_POWER = "site_power"
    BUDGET = "budget"
    DEMAND_NOT_MET = "demand_not_met"
    INEFFICIENT = "inefficient"

    def __str__(self) -> str:
        return self.value


def modes_for(ctx: Context, s: System) -> list[str]:
    """The procurement modes (buy, rent) the workload asks for that the system can be had by."""
    mode = ctx.workload.procurement.mode
    want = ["buy", "rent"] if mode == "both" else [mode]
    return [m for m in want if m in s.procurement]


def _norm(xs: list[str]) -> set[str]:
    return {x.lower() for x in xs}


OWNED = "buy"
"""The procurement mode the buyer's own hall binds: cooling, rack kW, site MW and retrofit apply to owned systems only."""


def static_reason(ctx: Context, s: System) -> tuple[Reason, str] | None:
    """The first constraint that binds every procurement mode (region, vendor, ecosystem) s breaks."""
    wl, cat = ctx.workload, ctx.catalog
    dc, pr = wl.datacenter, wl.procurement
    acc = cat.accelerator(s.accelerator)
    eco = acc.ecosystem
    if not s.available_in(dc.region):
        blocked = f"; blocked in: {', '.join(s.excluded_regions)}" if s.excluded_regions else ""
        return Reason.REGION, f"not available in region '{dc.region}' (sold in: {', '.join(s.regions)}{blocked})"
    if pr.allowed_vendors and acc.vendor.lower() not in _norm(pr.allowed_vendors):
        return Reason.VENDOR, f"vendor {acc.vendor} is not in allowed_vendors"
    if acc.vendor.lower() in _norm(pr.excluded_vendors):
        return Reason.VENDOR, f"vendor {acc.vendor} is excluded"
    if pr.allowed_ecosystems and eco not in _norm(pr.allowed_ecosystems):
        return Reason.ECOSYSTEM, f"ecosystem {eco} is not in allowed_ecosystems"
    if eco in _norm(pr.excluded_ecosystems):
        return Reason.ECOSYSTEM, f"ecosystem {eco} is excluded"
    return None


def hall_reason(ctx: Context, s: System) -> tuple[Reason, str] | None:
    """The first constraint of the buyer's own hall (cooling, rack power) an OWNED s breaks.

    Rented or cloud capacity runs in the provider's hall: none of these apply to it.
    """
    dc = ctx.workload.datacenter
    if needs_retrofit(s, dc.cooling) and not dc.allow_liquid_retrofit:
        return Reason.COOLING, f"liquid cooling required ({s.rack_kw:.0f} kW/rack), hall is air-only"
    if s.cooling == "air" and dc.cooling == "liquid":
        return Reason.COOLING, "air-cooled system, hall offers liquid cooling only"
    if s.kind != "pod" and s.system_kw > dc.max_rack_kw:
        return Reason.RACK_POWER, f"one system draws {s.system_kw:.1f} kW, racks are limited to {dc.max_rack_kw:g} kW"
    return None


def mode_reason(ctx: Context, s: System, mode: str) -> tuple[Reason, str] | None:
    """The first constraint needing no throughput that s, had by `mode`, breaks (hall ones only when owned)."""
    return static_reason(ctx, s) or (hall_reason(ctx, s) if mode == OWNED else None)


def open_modes(ctx: Context, s: System) -> list[str]:
    """The modes of `modes_for` that no constraint needing no throughput removes."""
    return [m for m in modes_for(ctx, s) if mode_reason(ctx, s, m) is None]


def prefilter(ctx: Context, systems: list[System]) -> tuple[list[System], list[Exclusion]]:
    """Systems with at least one mode that passes every constraint needing no throughput, and an Exclusion per
    (system, mode) that does not (a rented system is not excluded for the buyer's hall)."""
    keep, out = [], []
    for s in systems:
        modes = modes_for(ctx, s)
        shut = [(m, why) for m in modes if (why := mode_reason(ctx, s, m)) is not None]
        if not modes:  # can not be had at all: recommend reports `procurement` unless another reason binds
            why = static_reason(ctx, s)
            if why is None:
                keep.append(s)
            else:
                out.append(Exclusion(system=s.id, procurement=ctx.workload.procurement.mode, constraint=why[0].value,
                                     reason=why[1]))
            continue
        out += [Exclusion(system=s.id, procurement=m, constraint=why[0].value, reason=why[1]) for m, why in shut]
        if len(shut) < len(modes):
            keep.append(s)
    return keep, out


def procurement_exclusion(ctx: Context, s: System) -> Exclusion | None:
    """The system cannot be had by any mode the workload asks for."""
    if modes_for(ctx, s):
        return None
    return Exclusion(system=s.id, procurement=ctx.workload.procurement.mode, constraint=Reason.PROCUREMENT.value,
                     reason=f"can only be had by {' or '.join(s.procurement)}")


def over_site_power(ctx: Context, all_in_mw: Any, owned: Any = True) -> Any:
    """True where an owned fleet's all-in draw exceeds datacenter.site_mw (broadcasts; False without a site
    limit, and for rented capacity, which the site does not power)."""
    site = ctx.workload.datacenter.site_mw
    if site is None:
        return np.zeros(np.broadcast_shapes(np.shape(all_in_mw), np.shape(owned)), dtype=bool)
    return (np.asarray(all_in_mw) > site) & np.asarray(owned, dtype=bool)


def budget_spend(ctx: Context, buy: Any, capex_usd: Any, annual_total_usd: Any) -> np.ndarray:
    """What procurement.budget_usd is compared with (broadcasts).

    budget_basis "tco" (default): all cost over the horizon, buy and rent alike (annual total x years);
    "capex": the purchase when buying, rent over the horizon when renting.
    """
    horizon = np.asarray(annual_total_usd, dtype=float) * ctx.fin.years
    if ctx.workload.procurement.budget_basis == "tco":
        return horizon
    return np.where(buy, capex_usd, horizon)


def budget_words(ctx: Context, buy: bool) -> str:
    """What the budget caps, in words (for messages)."""
    if ctx.workload.procurement.budget_basis == "tco":
        return f"all cost over {ctx.fin.years:g} years"
    return "capex" if buy else f"rent over {ctx.fin.years:g} years"


def over_budget(ctx: Context, buy: Any, capex_usd: Any, annual_total_usd: Any) -> Any:
    budget = ctx.workload.procurement.budget_usd
    spend = budget_spend(ctx, buy, capex_usd, annual_total_usd)
    return spend > budget if budget is not None else np.zeros(np.shape(spend), dtype=bool)


INEFFICIENT_GPU_RATIO = 10.0
"""An option needing more than this many times the GPUs of the best feasible one is `inefficient`."""


def inefficiency(gpus: int, best_gpus: int, batch_one_replicas: int) -> str | None:
    """Why an option is inefficient, or None: more than INEFFICIENT_GPU_RATIO x the GPUs of the best feasible
    option, or a class stuck at batch 1 per replica on more than one replica (`batch_one_replicas`)."""
    if batch_one_replicas > 1:
        return (f"stuck at batch 1 per replica: {batch_one_replicas} replicas of one user each "
                "(use --keep-inefficient to rank it anyway)")
    if best_gpus > 0 and gpus > INEFFICIENT_GPU_RATIO * best_gpus:
        return (f"needs {gpus:,} GPUs, {gpus / best_gpus:.0f}x the {best_gpus:,} of the best feasible option "
                "(use --keep-inefficient to rank it anyway)")
    return None


def inefficient_mask(gpus: Any, best_gpus: Any, batch_one_replicas: Any) -> np.ndarray:
    """`inefficiency` over arrays (broadcasts): True where an option is stuck at batch 1 on more than one replica,
    or needs more than INEFFICIENT_GPU_RATIO x the GPUs of the best feasible option (best_gpus 0: no such rule)."""
    best = np.asarray(best_gpus, dtype=float)
    out: np.ndarray = (np.asarray(batch_one_replicas) > 1) | (
        (best > 0) & (np.asarray(gpus, dtype=float) > INEFFICIENT_GPU_RATIO * best))
    return out


SWEEP_REASONS: tuple[Reason, ...] = (Reason.NONE, Reason.SLO, Reason.PRICE, Reason.SITE_POWER, Reason.BUDGET,
                                     Reason.DEMAND_NOT_MET, Reason.MEMORY, Reason.PRECISION, Reason.CONTEXT,
                                     Reason.INEFFICIENT)
"""The reasons a sweep row can carry; arrays hold their index here (int8) until `reason_strings`."""


def reason_code(reason: Reason) -> int:
    return SWEEP_REASONS.index(reason)


def sweep_reasons(fail: Any, priced: Any, over_site: Any, over_budget_: Any) -> np.ndarray:
    """Per row, the code of the first constraint broken: the throughput one (`fail`: a reason code, 0 when the
    option has a point at the SLOs: memory, precision, context or slo, as recommend names it), then price,
    site_power, budget (0: none)."""
    conds = [(priced, Reason.PRICE, True), (over_site, Reason.SITE_POWER, False), (over_budget_, Reason.BUDGET, False)]
    fail = np.asarray(fail, dtype=np.int8)
    shape = np.broadcast_shapes(fail.shape, *(np.shape(c) for c, _, _ in conds))
    out = np.zeros(shape, dtype=np.int8)
    for cond, reason, negate in reversed(conds):
        broken = ~np.asarray(cond, dtype=bool) if negate else np.asarray(cond, dtype=bool)
        out = np.where(broken, np.int8(reason_code(reason)), out)
    return np.where(fail != 0, fail, out)


def reason_strings(codes: np.ndarray) -> np.ndarray:
    """The reason column as the strings every output shows ('' when feasible)."""
    out: np.ndarray = np.array([r.value for r in SWEEP_REASONS], dtype=object)[codes]
    return out
