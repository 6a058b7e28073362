"""From a workload to ranked, sized, costed and explained options.

1. Hard constraints remove systems (engine.constraints), each removal kept with its reason.
2. Per traffic class, one grid pass over the remaining systems finds the best operating
   point meeting the class SLOs; the fleet is sized to the concurrency target.
3. Options (system x buy/rent, plus a mixed fleet where classes prefer different
   systems) are costed (engine.pricing), scored (engine.scoring) and ranked deterministically.
"""

from __future__ import annotations

from typing import Any

from dataclasses import dataclass

from advisor.domain import System
from advisor.domain.results import ClassPlan, CostBreakdown, Exclusion, OperatingPoint, Option
from advisor.engine import pricing, scoring, select
from advisor.engine.allocation import class_users, racks_for, replicas_for
from advisor.engine.constraints import OWNED, Reason, open_modes, over_budget, over_site_power, procurement_exclusion
from advisor.engine.context import ClassResult, Context, class_results
from advisor.engine.explain import class_exclusion, explain_option
from advisor.engine.grid import Grid
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


@dataclass(frozen=True)
class Candidate:
    """A sized, costed option before ranking: the Option's fields and what the score looks at."""

    fields: dict[str, Any]
    metrics: scoring.Metrics


def size(ctx: Context, assignment: dict[str, Served], mode: str) -> Sized:
    wl = ctx.workload
    plans: list[ClassPlan] = []
    gpus_by_sys: dict[str, int] = {}
    tokens = 0.0
    for tc in wl.classes:
        sv = assignment[tc.name]
        s, c, point = sv.system, sv.cell, sv.point
        users = class_users(wl, tc, c)
        replicas = replicas_for(users, c.batch)
        g = replicas * c.gpus_per_replica
        gpus_by_sys[s.id] = gpus_by_sys.get(s.id, 0) + g
        tps = users * point.tok_s_per_user * (tc.isl + tc.osl) / tc.osl
        tokens += tps
        plans.append(ClassPlan(
            traffic_class=tc.name, system=s.id, concurrent_users=round(users, 2), replicas=replicas, gpus=g, point=point,
            slo_tok_s_per_user=tc.min_tok_s_per_user, slo_max_ttft_s=tc.max_ttft_s,
            headroom_pct=round(100.0 * (replicas * c.batch / users - 1.0), 1) if users > 0 else 0.0,
            tokens_per_s_at_peak=tps,
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
    return Sized(plans, counts, total_gpus, racks, it_kw, all_in, frozenset(cooling), tokens)


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


def point_usd_per_gpu_hour(ctx: Context, s: System, mode: str) -> float | None:
    """$/GPU-hour shown on an option's operating points (owned: without the hall retrofit)."""
    price = ctx.member_price(s, mode)
    if price is None:
        return None
    if mode == "rent":
        return price[0]
    return float(pricing.gpu_hour_cost(s, mode, ctx.fin, ctx.hall, usd_per_gpu=price[0], retrofit=False).total)


def served(ctx: Context, cr: ClassResult, s: System, i: int, price: float | None) -> Served:
    cat, tc = ctx.catalog, cr.tc
    c = select.cell(cr.grid, i, int(cr.best[i]))
    pue, _ = pricing.pue_for(s, ctx.hall, ctx.fin)
    p = operating_point(s, cat.accelerator(s.accelerator), cat.model(tc.model), c, isl=tc.isl, osl=tc.osl,
                        factors=ctx.factors, days=cr.days, usd_per_gpu_hour=price, utilisation=ctx.fin.utilisation,
                        all_in_watts_per_gpu=pricing.it_watts_per_gpu(s) * pue)
    return Served(s, c, p)


def recommend(ctx: Context, systems: list[System], grids: dict[str, tuple[Grid, float]],
              top: int | None = None) -> tuple[list[Option], list[Exclusion]]:
    """Options ranked by score, and every exclusion. `grids`: class name -> (grid over `systems`, days)."""
    wl = ctx.workload
    results = class_results(ctx, grids)
    excluded: list[Exclusion] = []
    candidates: list[tuple[str, dict[str, Served]]] = []
    per_class_best: dict[str, list[tuple[str, Served]]] = {tc.name: [] for tc in wl.classes}
    for i, s in enumerate(systems):
        no_mode = procurement_exclusion(ctx, s)
        if no_mode is not None:
            excluded.append(no_mode)
            continue
        failed = [(tc, class_exclusion(ctx, results[tc.name], s, i)) for tc in wl.classes if not results[tc.name].ok[i]]
        for mode in open_modes(ctx, s):
            price = point_usd_per_gpu_hour(ctx, s, mode)
            cells = {}
            for tc in wl.classes:
                cr = results[tc.name]
                if cr.ok[i]:
                    cells[tc.name] = served(ctx, cr, s, i, price)
                    per_class_best[tc.name].append((mode, cells[tc.name]))
            if failed:
                excluded += [Exclusion(system=s.id, procurement=mode, constraint=r.value, reason=why) for _, (r, why) in failed]
                continue
            candidates.append((mode, cells))
    if len(wl.classes) > 1:  # a mixed fleet: each class on its own cheapest system, when they differ
        for mode in ("buy", "rent"):
            choice = {}
            for tc in wl.classes:
                opts = [sv for m_, sv in per_class_best[tc.name] if m_ == mode and sv.point.usd_per_mtok is not None]
                if opts:
                    choice[tc.name] = min(opts, key=lambda sv: (sv.point.usd_per_mtok, sv.system.id))
            if len(choice) == len(wl.classes) and len({sv.system.id for sv in choice.values()}) > 1:
                candidates.append((mode, choice))
    options = []
    for mode, cells in candidates:
        cand, why = build_candidate(ctx, mode, cells)
        if cand is None:
            assert why is not None
            excluded += [Exclusion(system=sid, procurement=mode, constraint=why[0].value, reason=why[1])
                         for sid in {sv.system.id for sv in cells.values()}]
        else:
            options.append(cand)
    ranked = rank(ctx, options)
    return (ranked[:top] if top else ranked), _dedupe(excluded)


def _dedupe(ex: list[Exclusion]) -> list[Exclusion]:
    seen, out = set(), []
    for e in ex:
        k = (e.system, e.procurement, e.reason)
        if k not in seen:
            seen.add(k)
            out.append(e)
    return sorted(out, key=lambda e: (e.constraint, e.system, e.procurement))


def build_candidate(ctx: Context, mode: str, cells: dict[str, Served]) -> tuple[Candidate | None, tuple[Reason, str] | None]:
    """Size and cost one option; (None, (reason, why)) when a site, budget or price constraint removes it."""
    cat, dc = ctx.catalog, ctx.workload.datacenter
    sized = size(ctx, cells, mode)
    systems = {sv.system.id: sv.system for sv in cells.values()}
    breakdown, err = cost(ctx, sized, mode, systems)
    label = " + ".join(f"{n}x {systems[sid].name}" for sid, n in sorted(sized.counts.items()))
    if err:
        return None, (Reason.PRICE, err)
    if over_site_power(ctx, sized.all_in_kw / 1000, mode == OWNED):
        return None, (Reason.SITE_POWER, f"{label} needs {sized.all_in_kw / 1000:.2f} MW all-in, the site has {dc.site_mw:g} MW")
    budget = ctx.workload.procurement.budget_usd
    if over_budget(ctx, mode == "buy", breakdown.capex_usd, breakdown.annual_rental_usd):
        spend = breakdown.capex_usd if mode == "buy" else breakdown.annual_rental_usd * ctx.fin.years
        assert budget is not None
        what = "capex" if mode == "buy" else f"rent over {ctx.fin.years:g} years"
        return None, (Reason.BUDGET, f"{label}: {what} ${spend / 1e6:,.1f}M exceeds the budget of ${budget / 1e6:,.1f}M")
    tokens = pricing.annual_tokens(sized.tokens_per_s_peak, ctx.fin.utilisation, ctx.fin.hours_per_year)
    usd_per_mtok = breakdown.annual_total_usd / tokens * 1e6 if tokens > 0 else float("inf")
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
    fields = dict(
        id=f"{mode}:" + "+".join(sorted(sized.counts)), label=label, systems=dict(sorted(sized.counts.items())),
        procurement=mode, vendors=sorted({a.vendor for a in accs.values()}),
        ecosystems=sorted({a.ecosystem for a in accs.values()}), gpus=sized.gpus, racks=sized.racks,
        cooling="+".join(sorted(sized.cooling)), it_mw=sized.it_kw / 1000, all_in_mw=sized.all_in_kw / 1000,
        capex_usd=breakdown.capex_usd, annual_opex_usd=breakdown.annual_total_usd - breakdown.annual_capital_usd,
        usd_per_mtok=usd_per_mtok, tok_s_per_mw=sized.tokens_per_s_peak / max(sized.all_in_kw / 1000, 1e-9),
        mode=mode_worst, error_band_pct=band, binding_constraint=binding, cost=breakdown,
        classes=sized.plans, explanation=explanation,
    )
    metrics = scoring.Metrics(
        usd_per_mtok=usd_per_mtok, all_in_mw=sized.all_in_kw / 1000,
        ecosystem_risk=sum(gpu_share[sid] * cat.ecosystem(accs[sid].ecosystem).risk for sid in systems),
        headroom=min(p.headroom_pct for p in sized.plans) / 100, top_vendor_share=max(vendor_share.values()),
    )
    return Candidate(fields, metrics), None


def rank(ctx: Context, candidates: list[Candidate]) -> list[Option]:
    """Options by score (ties: cheaper, then id), numbered from 1."""
    scored = [(sc, c, {k: round(v, 4) for k, v in t.items()})
              for (sc, t), c in zip(scoring.scores([c.metrics for c in candidates], ctx.workload.weights), candidates)]
    scored.sort(key=lambda t: (-round(t[0], 9), t[1].fields["usd_per_mtok"], t[1].fields["id"]))
    return [Option(rank=i + 1, score=round(sc, 3), score_terms=terms, **c.fields) for i, (sc, c, terms) in enumerate(scored)]
