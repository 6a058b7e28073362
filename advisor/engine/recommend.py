"""From a workload to ranked, sized, costed and explained options.

1. Hard constraints remove systems, each removal kept with its reason in words.
2. Per traffic class, one grid pass over the remaining systems finds the best operating
   point meeting the class SLOs; the fleet is sized to the concurrency target.
3. Options (system x buy/rent, plus a mixed fleet where classes prefer different
   systems) are costed, scored with the user's weights and ranked deterministically.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from advisor.domain import Catalog, System
from advisor.domain.results import Assumption, ClassPlan, CostBreakdown, Exclusion, Option, OperatingPoint
from advisor.domain.workload import TrafficClass, Workload
from advisor.engine import costs, select, tco
from advisor.engine.explain import why_no_point
from advisor.engine.factors import Factors
from advisor.engine.grid import Grid

MODE_RANK = {"measured": 0, "calibrated": 1, "roofline": 2}


@dataclass
class ClassResult:
    """One class's grid and per-system best cells."""

    tc: TrafficClass
    grid: Grid
    best: np.ndarray
    ok: np.ndarray
    days: float


@dataclass
class Context:
    catalog: Catalog
    workload: Workload
    factors: Factors
    fin: costs.FinanceInputs
    hall: str


def prefilter(ctx: Context, systems: list[System]) -> tuple[list[System], list[Exclusion]]:
    """Constraints that need no throughput: region, vendor, ecosystem, cooling, rack power."""
    wl, cat = ctx.workload, ctx.catalog
    dc, pr = wl.datacenter, wl.procurement
    keep, out = [], []

    def norm(xs):
        return {x.lower() for x in xs}

    for s in systems:
        acc = cat.accelerator(s.accelerator)
        eco = acc.ecosystem
        why = None
        if not s.available_in(dc.region):
            where = ", ".join(s.regions)
            why = ("region", f"not available in region '{dc.region}' (sold in: {where}"
                   + (f"; blocked in: {', '.join(s.excluded_regions)}" if s.excluded_regions else "") + ")")
        elif pr.allowed_vendors and acc.vendor.lower() not in norm(pr.allowed_vendors):
            why = ("vendor", f"vendor {acc.vendor} is not in allowed_vendors")
        elif acc.vendor.lower() in norm(pr.excluded_vendors):
            why = ("vendor", f"vendor {acc.vendor} is excluded")
        elif pr.allowed_ecosystems and eco not in norm(pr.allowed_ecosystems):
            why = ("ecosystem", f"ecosystem {eco} is not in allowed_ecosystems")
        elif eco in norm(pr.excluded_ecosystems):
            why = ("ecosystem", f"ecosystem {eco} is excluded")
        elif s.cooling == "liquid" and dc.cooling == "air" and not dc.allow_liquid_retrofit:
            why = ("cooling", f"liquid cooling required ({s.rack_kw:.0f} kW/rack), hall is air-only")
        elif s.cooling == "air" and dc.cooling == "liquid":
            why = ("cooling", "air-cooled system, hall offers liquid cooling only")
        elif s.kind != "pod" and s.system_kw > dc.max_rack_kw:
            why = ("rack_power", f"one system draws {s.system_kw:.1f} kW, racks are limited to {dc.max_rack_kw:g} kW")
        if why:
            for mode in modes_for(ctx, s):
                out.append(Exclusion(system=s.id, procurement=mode, constraint=why[0], reason=why[1]))
            if not modes_for(ctx, s):
                out.append(Exclusion(system=s.id, procurement=wl.procurement.mode, constraint=why[0], reason=why[1]))
        else:
            keep.append(s)
    return keep, out


def modes_for(ctx: Context, s: System) -> list[str]:
    want = ["buy", "rent"] if ctx.workload.procurement.mode == "both" else [ctx.workload.procurement.mode]
    return [m for m in want if m in s.procurement]


def systems_per_rack(s: System, max_rack_kw: float) -> int:
    return max(1, min(s.max_systems_per_rack, int(max_rack_kw // s.system_kw))) if s.kind != "pod" else 1


def racks_for(s: System, n_systems: int, max_rack_kw: float) -> int:
    if s.kind == "pod":  # a pod spans racks by itself
        return n_systems * max(1, math.ceil(s.system_kw / max_rack_kw))
    return math.ceil(n_systems / systems_per_rack(s, max_rack_kw))


def class_users(wl: Workload, tc: TrafficClass, point: dict) -> float:
    """Concurrent users of a class at peak; from requests/s via Little's law when given."""
    if wl.demand.concurrent_users is not None:
        return wl.demand.concurrent_users * tc.share
    e2e_s = point["ttft_s"] + tc.osl / point["tok_s_per_user"]
    return wl.demand.requests_per_s * tc.share * e2e_s


@dataclass
class Sized:
    plans: list[ClassPlan]
    counts: dict[str, int]
    gpus: int
    racks: int
    it_kw: float
    all_in_kw: float
    cooling: set
    tokens_per_s_peak: float


def size(ctx: Context, assignment: dict[str, tuple[System, dict, OperatingPoint]]) -> Sized:
    wl = ctx.workload
    plans, gpus_by_sys = [], {}
    tokens = 0.0
    for tc in wl.classes:
        s, c, point = assignment[tc.name]
        users = class_users(wl, tc, c)
        replicas = max(1, math.ceil(users / c["batch"] - 1e-9))
        g = replicas * c["gpus_per_replica"]
        gpus_by_sys[s.id] = gpus_by_sys.get(s.id, 0) + g
        tps = users * point.tok_s_per_user * (tc.isl + tc.osl) / tc.osl
        tokens += tps
        plans.append(ClassPlan(
            traffic_class=tc.name, system=s.id, concurrent_users=round(users, 2), replicas=replicas, gpus=g, point=point,
            slo_tok_s_per_user=tc.min_tok_s_per_user, slo_max_ttft_s=tc.max_ttft_s,
            headroom_pct=round(100.0 * (replicas * c["batch"] / users - 1.0), 1) if users > 0 else 0.0,
            tokens_per_s_at_peak=tps,
        ))
    systems = {s.id: s for s, _, _ in assignment.values()}
    counts, racks, it_kw, all_in, cooling = {}, 0, 0.0, 0.0, set()
    for sid, g in gpus_by_sys.items():
        s = systems[sid]
        n = math.ceil(g / s.accelerators_per_system)
        counts[sid] = n
        racks += racks_for(s, n, wl.datacenter.max_rack_kw)
        pue, cool = costs.pue_for(s, ctx.hall, ctx.fin)
        cooling.add(cool)
        it_kw += n * s.system_kw
        all_in += n * s.system_kw * pue
    total_gpus = sum(counts[s] * systems[s].accelerators_per_system for s in counts)
    return Sized(plans, counts, total_gpus, racks, it_kw, all_in, cooling, tokens)


def cost(ctx: Context, sized: Sized, mode: str, systems: dict[str, System]) -> tuple[CostBreakdown, str | None]:
    """Annual cost of the sized fleet; (breakdown, reason it cannot be costed or None)."""
    fin, wl = ctx.fin, ctx.workload
    capex = cap = pwr = host = maint = rent = 0.0
    sources, gpu_hours = [], 0.0
    for sid, n in sized.counts.items():
        s = systems[sid]
        gpus = n * s.accelerators_per_system
        pue, cool = costs.pue_for(s, ctx.hall, fin)
        hours = fin.hours_per_year
        gpu_hours += gpus * hours
        if mode == "buy":
            own = _own_price(ctx, s)
            if own is None:
                return CostBreakdown(), f"no purchase price for {s.id} in the catalog (give procurement.usd_per_gpu)"
            usd_per_gpu, src = own
            retrofit = s.cooling == "liquid" and wl.datacenter.cooling == "air"
            parts = costs.owned_gpu_hour(s, usd_per_gpu, fin, pue, retrofit=retrofit)
            capex += gpus * usd_per_gpu * (1 + fin.install_fraction)
            if retrofit:
                capex += gpus * costs.it_watts_per_gpu(s) / 1000 * fin.liquid_retrofit_usd_per_kw
            cap += parts["capital"] * gpus * hours
            maint += parts["maintenance"] * gpus * hours
            pwr += parts["power"] * gpus * hours
            host += parts["hosting"] * gpus * hours
            sources.append(src)
        else:
            price = _rent_price(ctx, s)
            if price is None:
                return CostBreakdown(), f"no $/GPU-hour price for {s.id} (tier {fin.price_tier}) in the catalog"
            usd_h, src = price
            rent += usd_h * gpus * hours
            sources.append(src)
    total = cap + pwr + host + maint + rent
    return CostBreakdown(
        capex_usd=capex, annual_capital_usd=cap, annual_power_usd=pwr, annual_hosting_usd=host,
        annual_maintenance_usd=maint, annual_rental_usd=rent, annual_total_usd=total,
        usd_per_gpu_hour=total / gpu_hours if gpu_hours else 0.0, price_source="; ".join(sources),
    ), None


def _own_price(ctx: Context, s: System) -> tuple[float, str] | None:
    own = ctx.workload.procurement.usd_per_gpu
    for key in (s.id, s.accelerator):
        if key in own:
            return own[key], "workload procurement.usd_per_gpu"
    p = costs.purchase_usd_per_gpu(ctx.catalog, s)
    return (p[0], f"catalog price {p[1].id} ({p[1].as_of})") if p else None


def _rent_price(ctx: Context, s: System) -> tuple[float, str] | None:
    own = ctx.workload.procurement.usd_per_gpu_hour
    for key in (s.id, s.accelerator):
        if key in own:
            return own[key], "workload procurement.usd_per_gpu_hour"
    p = costs.rental_price(ctx.catalog, s, ctx.fin.price_tier) or costs.any_hourly_price(ctx.catalog, s, ctx.fin.price_tier)
    return (p.usd, f"catalog price {p.id} ({p.tier}, {p.as_of})") if p else None


def binding_constraint(tc: TrafficClass, c: dict, s: System, acc_mem_gb: float, reserve: float) -> str:
    if tc.min_tok_s_per_user and c["tok_s_per_user"] < 1.25 * tc.min_tok_s_per_user:
        return f"SLO {tc.min_tok_s_per_user:g} tok/s/user caps the batch at {c['batch']} per {c['gpus_per_replica']}-GPU replica"
    if tc.max_ttft_s and c["ttft_s"] > 0.8 * tc.max_ttft_s:
        return f"TTFT <= {tc.max_ttft_s:g} s caps the batch at {c['batch']}"
    if c["mem_used_gb"] > 0.85 * acc_mem_gb * (1 - reserve):
        return f"memory: {c['mem_used_gb']:.0f} of {acc_mem_gb * (1 - reserve):.0f} GB per GPU holds the batch at {c['batch']}"
    return f"{c['bound']}-bound at the throughput-optimal batch {c['batch']}"


def _point(ctx: Context, cr: ClassResult, s: System, i: int, flat: int, price: float | None) -> tuple[dict, OperatingPoint]:
    cat, tc = ctx.catalog, cr.tc
    c = select.cell(cr.grid, i, flat)
    acc = cat.accelerator(s.accelerator)
    pue, _ = costs.pue_for(s, ctx.hall, ctx.fin)
    watts = costs.it_watts_per_gpu(s) * pue
    tot, out = c["total_tok_s_per_gpu"], c["output_tok_s_per_gpu"]
    extra = {}
    if price is not None:
        i_cost, o_cost = tco.split_usd_per_mtok(price, out, tot - out, ctx.fin.utilisation)
        extra = dict(usd_per_gpu_hour=price, usd_per_mtok=float(tco.usd_per_mtok(price, tot, ctx.fin.utilisation)),
                     usd_per_mtok_input=float(i_cost), usd_per_mtok_output=float(o_cost))
    p = OperatingPoint(
        system=s.id, accelerator=acc.id, model=cat.model(tc.model).id, isl=tc.isl, osl=tc.osl, precision=c["precision"],
        gpus_per_replica=c["gpus_per_replica"], batch=c["batch"], spec_decode=c["spec_decode"],
        output_tok_s_per_gpu=out, total_tok_s_per_gpu=tot, tok_s_per_user=c["tok_s_per_user"], ttft_s=c["ttft_s"],
        mem_used_gb_per_gpu=c["mem_used_gb"], fits=c["fits"], bound=c["bound"],
        mode=ctx.factors.mode(acc.ecosystem, c["precision"]),
        error_band_pct=round(ctx.factors.band(acc.ecosystem, c["precision"], acc.id, cat.model(tc.model).id), 1), days_since_release=cr.days,
        tok_s_per_mw=float(tco.tok_s_per_mw(tot, watts)), joules_per_token=float(tco.joules_per_token(tot, watts)),
        all_in_watts_per_gpu=watts, **extra,
    )
    return c, p


def class_exclusion(ctx: Context, cr: ClassResult, s: System, i: int) -> tuple[str, str]:
    """(constraint, reason) why system i has no point for this class."""
    tc = cr.tc
    return why_no_point(ctx.catalog, cr.grid, i, s, ctx.catalog.model(tc.model), isl=tc.isl, osl=tc.osl,
                        precision=tc.precision, min_tok_s_per_user=tc.min_tok_s_per_user, max_ttft_s=tc.max_ttft_s,
                        label=tc.name)


def recommend(ctx: Context, systems: list[System], grids: dict[str, tuple[Grid, float]], top: int | None = None):
    """Options ranked by score, and every exclusion. `grids`: class name -> (grid over `systems`, days)."""
    wl, cat = ctx.workload, ctx.catalog
    results = {}
    for tc in wl.classes:
        grid, days = grids[tc.name]
        mask = select.slo_mask(grid, tc.min_tok_s_per_user, tc.max_ttft_s)
        best, ok = select.best_per_system(grid, mask)
        results[tc.name] = ClassResult(tc, grid, best, ok, days)
    excluded: list[Exclusion] = []
    candidates = []  # (option fields)
    per_class_best: dict[str, list] = {tc.name: [] for tc in wl.classes}
    for i, s in enumerate(systems):
        modes = modes_for(ctx, s)
        if not modes:
            excluded.append(Exclusion(system=s.id, procurement=wl.procurement.mode, constraint="procurement",
                                      reason=f"can only be had by {' or '.join(s.procurement)}"))
            continue
        failed = [(tc, class_exclusion(ctx, results[tc.name], s, i)) for tc in wl.classes if not results[tc.name].ok[i]]
        for mode in modes:
            price = None
            if mode == "rent":
                rp = _rent_price(ctx, s)
                price = rp[0] if rp else None
            else:
                own = _own_price(ctx, s)
                if own:
                    pue, _ = costs.pue_for(s, ctx.hall, ctx.fin)
                    price = costs.owned_gpu_hour(s, own[0], ctx.fin, pue)["total"]
            cells = {}
            for tc in wl.classes:
                cr = results[tc.name]
                if cr.ok[i]:
                    cells[tc.name] = (s, *_point(ctx, cr, s, i, int(cr.best[i]), price))
                    per_class_best[tc.name].append((mode, cells[tc.name]))
            if failed:
                for tc, (constraint, reason) in failed:
                    excluded.append(Exclusion(system=s.id, procurement=mode, constraint=constraint, reason=reason))
                continue
            candidates.append((mode, {k: v for k, v in cells.items()}))
    # a mixed fleet: each class on its own cheapest system, when they differ
    if len(wl.classes) > 1:
        for mode in ("buy", "rent"):
            choice = {}
            for tc in wl.classes:
                opts = [c for m_, c in per_class_best[tc.name] if m_ == mode and c[2].usd_per_mtok is not None]
                if opts:
                    choice[tc.name] = min(opts, key=lambda c: (c[2].usd_per_mtok, c[0].id))
            if len(choice) == len(wl.classes) and len({c[0].id for c in choice.values()}) > 1:
                candidates.append((mode, choice))
    options = []
    for mode, cells in candidates:
        opt, why = _build_option(ctx, mode, cells)
        if opt is None:
            for sid in {c[0].id for c in cells.values()}:
                excluded.append(Exclusion(system=sid, procurement=mode, constraint=why[0], reason=why[1]))
        else:
            options.append(opt)
    ranked = _rank(ctx, options)
    return (ranked[:top] if top else ranked), _dedupe(excluded)


def _dedupe(ex: list[Exclusion]) -> list[Exclusion]:
    seen, out = set(), []
    for e in ex:
        k = (e.system, e.procurement, e.reason)
        if k not in seen:
            seen.add(k)
            out.append(e)
    return sorted(out, key=lambda e: (e.constraint, e.system, e.procurement))


def _build_option(ctx: Context, mode: str, cells: dict) -> tuple[dict | None, tuple[str, str] | None]:
    wl, cat = ctx.workload, ctx.catalog
    assignment = {name: (s, c, p) for name, (s, c, p) in cells.items()}
    sized = size(ctx, assignment)
    systems = {s.id: s for s, _, _ in assignment.values()}
    breakdown, err = cost(ctx, sized, mode, systems)
    label = " + ".join(f"{n}x {systems[sid].name}" for sid, n in sorted(sized.counts.items()))
    if err:
        return None, ("price", err)
    dc, pr = wl.datacenter, wl.procurement
    if dc.site_mw is not None and sized.all_in_kw / 1000 > dc.site_mw:
        return None, ("site_power", f"{label} needs {sized.all_in_kw / 1000:.2f} MW all-in, the site has {dc.site_mw:g} MW")
    if pr.budget_usd is not None:
        spend = breakdown.capex_usd if mode == "buy" else breakdown.annual_rental_usd * ctx.fin.years
        if spend > pr.budget_usd:
            what = "capex" if mode == "buy" else f"rent over {ctx.fin.years:g} years"
            return None, ("budget", f"{label}: {what} ${spend / 1e6:,.1f}M exceeds the budget of ${pr.budget_usd / 1e6:,.1f}M")
    annual_tokens = sized.tokens_per_s_peak * ctx.fin.utilisation * 3600 * ctx.fin.hours_per_year
    usd_per_mtok = breakdown.annual_total_usd / annual_tokens * 1e6 if annual_tokens > 0 else float("inf")
    accs = {sid: cat.accelerator(s.accelerator) for sid, s in systems.items()}
    vendors = sorted({a.vendor for a in accs.values()})
    ecos = sorted({a.ecosystem for a in accs.values()})
    gpu_share = {sid: sized.counts[sid] * systems[sid].accelerators_per_system / max(sized.gpus, 1) for sid in systems}
    risk = sum(gpu_share[sid] * cat.ecosystem(accs[sid].ecosystem).risk for sid in systems)
    vendor_share: dict[str, float] = {}
    for sid, sh in gpu_share.items():
        vendor_share[accs[sid].vendor] = vendor_share.get(accs[sid].vendor, 0.0) + sh
    modes = [p.point.mode for p in sized.plans]
    mode_worst = max(modes, key=lambda m: MODE_RANK[m])
    band = max(p.point.error_band_pct for p in sized.plans)
    binds = []
    for p in sized.plans:
        s = systems[p.system]
        tc = next(t for t in wl.classes if t.name == p.traffic_class)
        c = {"tok_s_per_user": p.point.tok_s_per_user, "ttft_s": p.point.ttft_s, "batch": p.point.batch,
             "gpus_per_replica": p.point.gpus_per_replica, "mem_used_gb": p.point.mem_used_gb_per_gpu, "bound": p.point.bound}
        binds.append(f"{tc.name}: " + binding_constraint(tc, c, s, cat.accelerator(s.accelerator).usable_memory_gb,
                                                          cat.defaults.kv_reserve_fraction))
    rack_note = []
    for sid, s in systems.items():
        per = systems_per_rack(s, dc.max_rack_kw)
        if s.kind != "pod" and per < s.max_systems_per_rack:
            rack_note.append(f"rack power: {dc.max_rack_kw:g} kW racks hold {per} of {s.max_systems_per_rack} {s.name} systems")
    explanation = [
        f"{mode} {label}: {sized.gpus} accelerators in {sized.racks} racks, {sized.all_in_kw / 1000:.2f} MW all-in ({', '.join(sorted(sized.cooling))} cooled)",
        *[f"class '{p.traffic_class}': {p.concurrent_users:g} users on {p.replicas} x {p.point.gpus_per_replica}-GPU replicas of "
          f"{p.point.system} at batch {p.point.batch}, {p.point.precision}, spec {p.point.spec_decode}: "
          f"{p.point.tok_s_per_user:.1f} tok/s/user, {p.point.total_tok_s_per_gpu:,.0f} tok/s/GPU, TTFT {p.point.ttft_s:.2f} s, "
          f"headroom {p.headroom_pct:.0f}%" for p in sized.plans],
        f"cost: ${breakdown.annual_total_usd / 1e6:,.2f}M/year = ${usd_per_mtok:.3f}/Mtok at {ctx.fin.utilisation:.0%} utilisation "
        f"(capital {breakdown.annual_capital_usd / 1e6:,.2f}M, power {breakdown.annual_power_usd / 1e6:,.2f}M, "
        f"hosting {breakdown.annual_hosting_usd / 1e6:,.2f}M, maintenance {breakdown.annual_maintenance_usd / 1e6:,.2f}M, "
        f"rental {breakdown.annual_rental_usd / 1e6:,.2f}M)",
        f"data: {mode_worst} figures, error band +/-{band:.0f}%",
        *rack_note,
    ]
    if any(s.cooling == "liquid" for s in systems.values()) and dc.cooling == "air":
        explanation.append("includes a liquid-cooling retrofit of the air hall (catalog default $/kW)")
    opt = dict(
        id=f"{mode}:" + "+".join(sorted(sized.counts)), label=label, systems=dict(sorted(sized.counts.items())),
        procurement=mode, vendors=vendors, ecosystems=ecos, gpus=sized.gpus, racks=sized.racks,
        cooling="+".join(sorted(sized.cooling)), it_mw=sized.it_kw / 1000, all_in_mw=sized.all_in_kw / 1000,
        capex_usd=breakdown.capex_usd, annual_opex_usd=breakdown.annual_total_usd - breakdown.annual_capital_usd,
        usd_per_mtok=usd_per_mtok, tok_s_per_mw=sized.tokens_per_s_peak / max(sized.all_in_kw / 1000, 1e-9),
        mode=mode_worst, error_band_pct=band, binding_constraint="; ".join(binds + rack_note), cost=breakdown,
        classes=sized.plans, explanation=explanation,
        _risk=risk, _concentration=max(vendor_share.values()), _headroom=min(p.headroom_pct for p in sized.plans) / 100,
    )
    return opt, None


def _rank(ctx: Context, options: list[dict]) -> list[Option]:
    if not options:
        return []
    w = ctx.workload.weights
    best_cost = min(o["usd_per_mtok"] for o in options)
    best_mw = min(o["all_in_mw"] for o in options)
    scored = []
    for o in options:
        terms = {
            "cost": math.log(o["usd_per_mtok"] / best_cost) if best_cost > 0 else 0.0,
            "ecosystem_risk": o.pop("_risk"),
            "power": math.log(o["all_in_mw"] / best_mw) if best_mw > 0 else 0.0,
            "headroom": max(0.0, 0.2 - o.pop("_headroom")),
            "vendor_diversity": o.pop("_concentration") - 0.5,
        }
        penalty = (w.cost * terms["cost"] + w.ecosystem_risk * terms["ecosystem_risk"] + w.power * terms["power"]
                   + w.headroom * terms["headroom"] + w.vendor_diversity * terms["vendor_diversity"])
        scored.append((100.0 * math.exp(-penalty), o, {k: round(v, 4) for k, v in terms.items()}))
    scored.sort(key=lambda t: (-round(t[0], 9), t[1]["usd_per_mtok"], t[1]["id"]))
    return [Option(rank=i + 1, score=round(sc, 3), score_terms=terms, **o) for i, (sc, o, terms) in enumerate(scored)]
