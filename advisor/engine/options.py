"""One option (a system, or a mixed fleet, bought or rented) sized to the demand, costed and described.

Sizing: per class, replicas for the peak users x (1 + procurement.headroom_target), plus
procurement.spare_replicas (N+k); both count in the GPUs and the cost. Costing: the one member-cost
path (engine.pricing), owned options including any liquid retrofit both in the option's cost and in
its operating points' $/Mtok. Cost is split into input and output by the GPU time spent on prefill
and on decode (engine.tco.prefill_fraction).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from advisor.domain import System
from advisor.domain.results import ClassPlan, CostBreakdown, OperatingPoint
from advisor.engine import confidence, pricing, scoring, select
from advisor.engine.allocation import class_users, racks_for, replicas_for
from advisor.engine.constraints import OWNED, Reason, budget_spend, budget_words, over_budget, over_site_power
from advisor.engine.context import ClassResult, Context
from advisor.engine.explain import explain_option
from advisor.engine.points import MODE_RANK, operating_point


@dataclass(frozen=True)
class Served:
    """One class served on one system: the system, the grid cell and its costed point."""

    system: System
    cell: select.Cell
    point: OperatingPoint


@dataclass(frozen=True)
class Sized:
    plans: list[ClassPlan]
    counts: dict[str, int]
    gpus: int
    racks: int
    it_kw: float
    all_in_kw: float
    cooling: frozenset[str]
    tokens_per_s_peak: float
    output_tokens_per_s_peak: float
    prefill_gpu_share: float
    """GPU-weighted share of the fleet's GPU time spent on prefill."""


@dataclass(frozen=True)
class Candidate:
    """A sized, costed option before ranking: the Option's fields, what the score looks at, its cost pieces."""

    fields: dict[str, Any]
    metrics: scoring.Metrics
    parts: list[confidence.Part]
    batch_one_replicas: int
    """Replicas of classes stuck at batch 1 (when more than one: `inefficient`)."""


def point_usd_per_gpu_hour(ctx: Context, s: System, mode: str) -> float | None:
    """$/GPU-hour on an option's operating points: the same cost as the option's (owned: with any retrofit)."""
    price = ctx.member_price(s, mode)
    if price is None:
        return None
    if mode == "rent":
        return price[0]
    return float(pricing.gpu_hour_cost(s, mode, ctx.fin, ctx.hall, usd_per_gpu=price[0]).total)


def served(ctx: Context, cr: ClassResult, s: System, i: int, price: float | None) -> Served:
    cat, tc = ctx.catalog, cr.tc
    c = select.cell(cr.grid, i, int(cr.best[i]))
    pue, _ = pricing.pue_for(s, ctx.hall, ctx.fin)
    p = operating_point(s, cat.accelerator(s.accelerator), cat.model(tc.model), c, isl=tc.isl, osl=tc.osl,
                        factors=ctx.factors, days=cr.days, usd_per_gpu_hour=price, utilisation=ctx.fin.utilisation,
                        all_in_watts_per_gpu=pricing.it_watts_per_gpu(s) * pue)
    return Served(s, c, p)


def prefill_pool_gpus(replicas: int, c: select.Cell) -> int:
    """Whole GPUs of the prefill pool that `replicas` disaggregated decode replicas need (0 when aggregated):
    the grid's per-GPU figures count both pools, so the sizing does too (select.sized_usd_weight alike)."""
    return math.ceil(replicas * c.prefill_gpus_per_replica - 1e-9) if c.serving == "disagg" else 0


def size(ctx: Context, assignment: dict[str, Served], mode: str, users_total: float | None = None) -> Sized:
    """Replicas per class for its peak users with headroom and spares; `users_total` overrides the demand."""
    wl = ctx.workload
    pr = wl.procurement
    plans: list[ClassPlan] = []
    gpus_by_sys: dict[str, int] = {}
    tokens = out_tokens = prefill_gpus = 0.0
    for tc in wl.classes:
        sv = assignment[tc.name]
        s, c, point = sv.system, sv.cell, sv.point
        users = users_total * tc.share if users_total is not None else class_users(wl, tc, c)
        spares = pr.spares_for(tc.name)
        replicas = replicas_for(users * (1.0 + pr.headroom_target), c.batch) + spares
        g = replicas * c.gpus_per_replica + prefill_pool_gpus(replicas, c)
        gpus_by_sys[s.id] = gpus_by_sys.get(s.id, 0) + g
        out_tps = users * point.tok_s_per_user
        tps = out_tps * (tc.isl + tc.osl) / tc.osl
        tokens += tps
        out_tokens += out_tps
        prefill_gpus += g * (point.prefill_gpu_time_fraction or 0.0)
        plans.append(ClassPlan(
            traffic_class=tc.name, system=s.id, concurrent_users=round(users, 2), replicas=replicas, gpus=g, point=point,
            slo_tok_s_per_user=tc.min_tok_s_per_user, slo_max_ttft_s=tc.max_ttft_s, slo_max_ttft_p99_s=tc.max_ttft_p99_s,
            headroom_pct=round(100.0 * (replicas * c.batch / users - 1.0), 1) if users > 0 else 0.0,
            tokens_per_s_at_peak=tps, spare_replicas=spares, output_tokens_per_s_at_peak=out_tps,
        ))
    systems = {sv.system.id: sv.system for sv in assignment.values()}
    counts, racks, it_kw, all_in, cooling = {}, 0, 0.0, 0.0, set()
    for sid, g in gpus_by_sys.items():
        s = systems[sid]
        n = -(-g // s.accelerators_per_system)
        counts[sid] = n
        racks += racks_for(s, n, wl.datacenter.max_rack_kw, mode == OWNED)
        pue, cool = pricing.pue_for(s, ctx.hall, ctx.fin)
        cooling.add(cool)
        it_kw += n * s.system_kw
        all_in += n * s.system_kw * pue
    total_gpus = sum(counts[s] * systems[s].accelerators_per_system for s in counts)
    used = sum(gpus_by_sys.values())
    return Sized(plans, counts, total_gpus, racks, it_kw, all_in, frozenset(cooling), tokens, out_tokens,
                 prefill_gpus / used if used else 0.0)


def cost(ctx: Context, sized: Sized, mode: str, systems: dict[str, System]) -> tuple[CostBreakdown, str | None]:
    """Annual cost of the sized fleet; (breakdown, reason it cannot be costed or None)."""
    fin = ctx.fin
    capex, annual = 0.0, dict.fromkeys(pricing.PARTS, 0.0)
    sources, gpu_hours = [], 0.0
    for sid, n in sized.counts.items():
        s = systems[sid]
        gpus = n * s.accelerators_per_system
        price = ctx.member_price(s, mode)
        if price is None:
            if mode == "buy":
                return CostBreakdown(), f"no purchase price for {s.id} in the catalog (give procurement.usd_per_gpu)"
            return CostBreakdown(), f"no $/GPU-hour price for {s.id} (tier {fin.price_tier}) in the catalog"
        unit = pricing.gpu_hour_cost(s, mode, fin, ctx.hall, usd_per_gpu=price[0], usd_per_gpu_hour=price[0])
        gpu_hours += gpus * fin.hours_per_year
        capex += gpus * float(unit.capex_usd_per_gpu)
        for k in pricing.PARTS:
            annual[k] += float(getattr(unit, k)) * gpus * fin.hours_per_year
        sources.append(price[1])
    total = sum(annual.values())
    return CostBreakdown(
        capex_usd=capex, annual_capital_usd=annual["capital"], annual_power_usd=annual["power"],
        annual_hosting_usd=annual["hosting"], annual_maintenance_usd=annual["maintenance"],
        annual_rental_usd=annual["rental"], annual_total_usd=total,
        usd_per_gpu_hour=total / gpu_hours if gpu_hours else 0.0, price_source="; ".join(sources),
    ), None


def spend(ctx: Context, mode: str, cells: dict[str, Served], users_total: float) -> float:
    """What the budget is compared with for this option sized to `users_total` (inf when it cannot be priced)."""
    sized = size(ctx, cells, mode, users_total)
    breakdown, err = cost(ctx, sized, mode, {sv.system.id: sv.system for sv in cells.values()})
    if err:
        return float("inf")
    return float(budget_spend(ctx, mode == OWNED, breakdown.capex_usd, breakdown.annual_total_usd))


def _parts(ctx: Context, option: int, mode: str, sized: Sized, systems: dict[str, System]) -> list[confidence.Part]:
    """The option's cost pieces per (class, system), for the Monte Carlo: weights (shares of the GPU cost the
    classes use, whole systems included) add up to 1."""
    cat, out, pieces = ctx.catalog, [], []
    for p in sized.plans:
        s = systems[p.system]
        price = ctx.member_price(s, mode)
        unit = pricing.gpu_hour_cost(s, mode, ctx.fin, ctx.hall, usd_per_gpu=price[0] if price else 0.0,
                                     usd_per_gpu_hour=price[0] if price else 0.0)
        t = float(unit.total)
        price_share = 1.0 if mode == "rent" else (float(unit.capital) + float(unit.maintenance)) / t if t > 0 else 0.0
        pieces.append((p, s, p.gpus * t, price_share))
    total = sum(w for _, _, w, _ in pieces)
    for p, s, w, price_share in pieces:
        acc = cat.accelerator(s.accelerator)
        out.append(confidence.Part(option=option, weight=w / total if total > 0 else 1.0 / len(pieces),
                                   price_share=price_share, accelerator=acc.id, model=p.point.model,
                                   ecosystem=acc.ecosystem, band_pct=p.point.error_band_pct, price_key=(s.id, mode)))
    return out


def build_candidate(ctx: Context, mode: str, cells: dict[str, Served], users_total: float | None = None,
                    ) -> tuple[Candidate | None, tuple[Reason, str] | None]:
    """Size and cost one option; (None, (reason, why)) when a site, budget or price constraint removes it."""
    cat, dc = ctx.catalog, ctx.workload.datacenter
    sized = size(ctx, cells, mode, users_total)
    systems = {sv.system.id: sv.system for sv in cells.values()}
    breakdown, err = cost(ctx, sized, mode, systems)
    label = " + ".join(f"{n}x {systems[sid].name}" for sid, n in sorted(sized.counts.items()))
    if err:
        return None, (Reason.PRICE, err)
    if over_site_power(ctx, sized.all_in_kw / 1000, mode == OWNED):
        return None, (Reason.SITE_POWER, f"{label} needs {sized.all_in_kw / 1000:.2f} MW all-in, the site has {dc.site_mw:g} MW")
    budget = ctx.workload.procurement.budget_usd
    if over_budget(ctx, mode == OWNED, breakdown.capex_usd, breakdown.annual_total_usd):
        used = float(budget_spend(ctx, mode == OWNED, breakdown.capex_usd, breakdown.annual_total_usd))
        assert budget is not None
        return None, (Reason.BUDGET, f"{label}: {budget_words(ctx, mode == OWNED)} ${used / 1e6:,.1f}M exceeds the budget "
                                     f"of ${budget / 1e6:,.1f}M")
    years_tokens = pricing.annual_tokens(sized.tokens_per_s_peak, ctx.fin.utilisation, ctx.fin.hours_per_year)
    out_tokens = pricing.annual_tokens(sized.output_tokens_per_s_peak, ctx.fin.utilisation, ctx.fin.hours_per_year)
    in_tokens = years_tokens - out_tokens
    total = breakdown.annual_total_usd
    f = sized.prefill_gpu_share
    usd_per_mtok = total / years_tokens * 1e6 if years_tokens > 0 else float("inf")
    accs = {sid: cat.accelerator(s.accelerator) for sid, s in systems.items()}
    gpu_share = {sid: sized.counts[sid] * systems[sid].accelerators_per_system / max(sized.gpus, 1) for sid in systems}
    vendor_share: dict[str, float] = {}
    for sid, sh in gpu_share.items():
        vendor_share[accs[sid].vendor] = vendor_share.get(accs[sid].vendor, 0.0) + sh
    mode_worst = max((p.point.mode for p in sized.plans), key=lambda m: MODE_RANK[m])
    band = max(p.point.error_band_pct for p in sized.plans)
    binding, explanation = explain_option(ctx, mode, label, sized.plans, systems, breakdown, usd_per_mtok,
                                          gpus=sized.gpus, racks=sized.racks, all_in_kw=sized.all_in_kw,
                                          cooling=sized.cooling, mode_worst=mode_worst, band=band)
    mw = max(sized.all_in_kw / 1000, 1e-9)
    fields = dict(
        id=f"{mode}:" + "+".join(sorted(sized.counts)), label=label, systems=dict(sorted(sized.counts.items())),
        procurement=mode, vendors=sorted({a.vendor for a in accs.values()}),
        ecosystems=sorted({a.ecosystem for a in accs.values()}), gpus=sized.gpus, racks=sized.racks,
        cooling="+".join(sorted(sized.cooling)), it_mw=sized.it_kw / 1000, all_in_mw=sized.all_in_kw / 1000,
        capex_usd=breakdown.capex_usd, annual_opex_usd=breakdown.annual_total_usd - breakdown.annual_capital_usd,
        usd_per_mtok=usd_per_mtok,
        usd_per_mtok_input=total * f / in_tokens * 1e6 if in_tokens > 0 else 0.0,
        usd_per_mtok_output=total * (1 - f) / out_tokens * 1e6 if out_tokens > 0 else float("inf"),
        usd_per_mtok_output_all_in=total / out_tokens * 1e6 if out_tokens > 0 else float("inf"),
        tok_s_per_mw=sized.tokens_per_s_peak / mw, output_tok_s_per_mw=sized.output_tokens_per_s_peak / mw,
        mode=mode_worst, error_band_pct=band, binding_constraint=binding, cost=breakdown,
        classes=sized.plans, explanation=explanation,
    )
    metrics = scoring.Metrics(
        usd_per_mtok=usd_per_mtok, all_in_mw=sized.all_in_kw / 1000,
        ecosystem_risk=sum(gpu_share[sid] * cat.ecosystem(accs[sid].ecosystem).risk for sid in systems),
        headroom=min(p.headroom_pct for p in sized.plans) / 100, top_vendor_share=max(vendor_share.values()),
        headroom_target=ctx.workload.procurement.headroom_target,
    )
    stuck = sum(p.replicas for p in sized.plans if p.point.batch == 1)
    return Candidate(fields, metrics, _parts(ctx, 0, mode, sized, systems), stuck), None
