"""Given fleets: what they serve at the SLOs, what they cost, side by side.

Per traffic class, one grid over every system of every fleet gives each system's best cell
under the class SLOs (as `recommend` does); the fleet's GPUs are then allocated to the
classes (engine.allocation) and costed member by member (engine.pricing).
"""

from __future__ import annotations

from typing import Any

from dataclasses import dataclass, field

from advisor.domain import System
from advisor.domain.fleet import Fleet, FleetsFile
from advisor.domain.results_fleet import FleetClassRow, FleetComparison, FleetRow
from advisor.domain.workload import TrafficClass
from advisor.engine import pricing, select
from advisor.engine.allocation import Cell, allocate, carried_batch, class_users, racks_for
from advisor.engine.constraints import OWNED, Reason, inefficiency, mode_reason, over_site_power
from advisor.engine.context import ClassResult, Context, class_results
from advisor.engine.explain import class_exclusion
from advisor.engine.points import MODE_RANK


@dataclass
class MemberCost:
    gpus: int
    procurement: str
    per_gpu_hour: dict[str, float]  # capital, maintenance, power, hosting, rental, total
    capex_usd: float
    source: str
    error: str | None = None


@dataclass
class FleetContext:
    ctx: Context
    systems: list[System]  # union of every fleet's systems, grid order
    results: dict[str, ClassResult]  # class name -> grid and best cells
    points: dict[tuple[str, int], tuple[Cell, select.Cell]] = field(default_factory=dict)


def _cell_for(fc: FleetContext, tc: TrafficClass, i: int) -> tuple[Cell, select.Cell] | None:
    cr = fc.results[tc.name]
    if not cr.ok[i]:
        return None
    key = (tc.name, i)
    if key not in fc.points:
        c = select.cell(cr.grid, i, int(cr.best[i]))
        users = class_users(fc.ctx.workload, tc, c)
        # disaggregated: each G-GPU decode replica also needs its share of the prefill pool from the fleet
        batch = carried_batch(c.batch, c.gpus_per_replica, c.prefill_gpus_per_replica if c.serving == "disagg" else 0.0)
        fc.points[key] = (Cell(batch, c.gpus_per_replica, c.tok_s_per_user, c.total_tok_s_per_gpu,
                               c.output_tok_s_per_gpu, users), c)
    return fc.points[key]


def member_cost(ctx: Context, s: System, gpus: int, mode: str, usd_per_gpu: float | None,
                usd_per_gpu_hour: float | None) -> MemberCost:
    """One fleet member's $/GPU-hour parts and capex: the fleets file's price, else the workload's, else the catalog's."""
    if mode not in s.procurement:
        return MemberCost(gpus, mode, {}, 0.0, "", f"{s.id} can only be had by {' or '.join(s.procurement)}")
    given = usd_per_gpu_hour if mode == "rent" else usd_per_gpu
    price = (given, "fleets file") if given is not None else ctx.member_price(s, mode)
    if price is None:
        what = "$/GPU-hour price" if mode == "rent" else "purchase price"
        return MemberCost(gpus, mode, {}, 0.0, "", f"no {what} for {s.id} (give {'usd_per_gpu_hour' if mode == 'rent' else 'usd_per_gpu'})")
    unit = pricing.gpu_hour_cost(s, mode, ctx.fin, ctx.hall, usd_per_gpu=price[0], usd_per_gpu_hour=price[0])
    return MemberCost(gpus, mode, unit.parts(), gpus * float(unit.capex_usd_per_gpu), price[1])


def evaluate_fleet(fc: FleetContext, fleet: Fleet) -> tuple[FleetRow, int]:
    """The fleet's row, and the replicas it runs at batch 1 (constraints.inefficiency)."""
    ctx, cat, wl = fc.ctx, fc.ctx.catalog, fc.ctx.workload
    fin, hours = ctx.fin, ctx.fin.hours_per_year
    index = {s.id: i for i, s in enumerate(fc.systems)}
    sysobj: dict[str, System] = {}
    gpus: dict[str, int] = {}
    counts: dict[str, int] = {}
    notes: list[str] = []
    member_costs: list[tuple[System, MemberCost]] = []
    for m in fleet.members:
        s = cat.system_or_accelerator(m.system)
        sysobj[s.id] = s
        counts[s.id] = counts.get(s.id, 0) + m.count
        g = m.count * s.accelerators_per_system
        gpus[s.id] = gpus.get(s.id, 0) + g
        mode = m.procurement or fleet.procurement
        mc = member_cost(ctx, s, g, mode, m.usd_per_gpu, m.usd_per_gpu_hour)
        if mc.error:
            notes.append(f"cost: {mc.error}")
        member_costs.append((s, mc))
    for s, mc in member_costs:  # the hall binds owned members only
        why = mode_reason(ctx, s, mc.procurement)
        note = f"{why[0]}: {s.id} {why[1]}" if why else None
        if note and note not in notes:
            notes.append(note)
    # per class, per system: the best cell (or why not)
    cells: dict[str, dict[str, Cell | None]] = {}
    raw: dict[str, dict[str, select.Cell]] = {}
    why_not: dict[str, list[str]] = {}
    for tc in wl.classes:
        cells[tc.name], raw[tc.name], why_not[tc.name] = {}, {}, []
        for sid in gpus:
            got = _cell_for(fc, tc, index[sid])
            if got is None:
                cells[tc.name][sid] = None
                why_not[tc.name].append(f"{sid}: " + class_exclusion(ctx, fc.results[tc.name], sysobj[sid], index[sid])[1])
            else:
                cells[tc.name][sid], raw[tc.name][sid] = got
    alloc = allocate(gpus, [(tc.name, tc.share) for tc in wl.classes], cells)
    # annual cost per GPU of each system (averaged when one system appears with two procurements)
    annual: dict[str, dict[str, float]] = {}
    capex = 0.0
    for s, mc in member_costs:
        parts = annual.setdefault(s.id, {k: 0.0 for k in ("capital", "maintenance", "power", "hosting", "rental", "total")})
        for k in parts:
            parts[k] += mc.per_gpu_hour.get(k, 0.0) * mc.gpus * hours
        capex += mc.capex_usd
    cost_ok = not any(mc.error for _, mc in member_costs)
    per_gpu_annual = {sid: annual[sid]["total"] / gpus[sid] for sid in gpus}
    # rows per class
    crow: list[tuple[dict[str, object], float]] = []
    total_served_tps = 0.0
    used_modes: list[str] = []
    bands: list[float] = []
    class_cost: dict[str, float] = {}
    alloc_gpus_total = 0
    stuck = 0
    for tc in wl.classes:
        c = tc.name
        reps = alloc.replicas[c]
        ok = {sid: ce for sid, ce in cells[c].items() if ce is not None}  # replicas only ever go to these
        stuck += sum(r for sid, r in reps.items() if r and ok[sid].batch == 1)
        g_by = {sid: r * ok[sid].gpus_per_replica for sid, r in reps.items() if r}
        cap_users = float(sum(r * ok[sid].batch for sid, r in reps.items()))
        ratio = (tc.isl + tc.osl) / tc.osl
        cap_tps = sum(r * ok[sid].batch * ok[sid].tok_s_per_user for sid, r in reps.items()) * ratio
        cap_out = cap_tps / ratio
        served_users = sum(alloc.served_users[c].values())
        served_tps = sum(u * ok[sid].tok_s_per_user for sid, u in alloc.served_users[c].items()) * ratio
        usable = [sid for sid in gpus if sid in ok]
        main = ok[max(usable, key=lambda sid: (ok[sid].total_tok_s_per_gpu, sid))] if usable else None
        demand_users = main.users if main else (wl.demand.concurrent_users or 0) * tc.share
        unmet = alloc.unmet_fraction[c] * demand_users
        met = alloc.unmet_fraction[c] <= 1e-9
        demand_tps = served_tps + (unmet * main.tok_s_per_user * ratio if main else 0.0)
        reason = ""
        if not usable:
            reason = "cannot serve: " + "; ".join(why_not[c])
        elif not met:
            reason = f"short of {unmet:,.0f} users: {sum(g_by.values())} usable GPUs serve {served_users:,.0f} at the SLOs"
        for sid in g_by:
            acc = cat.accelerator(sysobj[sid].accelerator)
            prec = raw[c][sid].precision
            used_modes.append(ctx.factors.mode_for(acc.id, acc.ecosystem))
            bands.append(round(ctx.factors.band(acc.ecosystem, prec, accelerator=acc.id), 1))
        cost_c = sum(g * per_gpu_annual[sid] for sid, g in g_by.items())
        class_cost[c] = cost_c
        alloc_gpus_total += sum(g_by.values())
        total_served_tps += served_tps
        crow.append((dict(
            traffic_class=c, demand_users=round(demand_users, 2), capacity_users=float(cap_users),
            served_users=round(served_users, 2), unmet_users=round(unmet, 2), demand_met=met,
            utilisation=(demand_users / cap_users) if cap_users else None, capacity_total_tok_s=cap_tps,
            capacity_output_tok_s=cap_out, demand_total_tok_s=demand_tps, gpus=sum(g_by.values()), gpus_by_system=g_by,
            tok_s_per_user=main.tok_s_per_user if main else None, slo_tok_s_per_user=tc.min_tok_s_per_user,
            slo_max_ttft_s=tc.max_ttft_s, slo_max_ttft_p99_s=tc.max_ttft_p99_s, reason=reason,
        ), served_tps))
    total = sum(a["total"] for a in annual.values())
    idle_cost = total - sum(class_cost.values())
    spread = sum(class_cost.values())
    classes_out = []
    for tc, (r, served_tps) in zip(wl.classes, crow):
        share = class_cost[tc.name] / spread if spread > 0 else 0.0
        cost_c = class_cost[tc.name] + idle_cost * share
        toks = pricing.annual_tokens(served_tps, fin.utilisation, hours)
        classes_out.append(FleetClassRow.model_validate(
            {**r, "usd_per_mtok": cost_c / toks * 1e6 if (toks > 0 and cost_ok) else None}))
    annual_tokens = pricing.annual_tokens(total_served_tps, fin.utilisation, hours)
    total_gpus = sum(gpus.values())
    # power, racks, cooling
    it_kw = all_in_kw = owned_kw = 0.0
    racks, cooling = 0, set[str]()
    for m in fleet.members:
        s = sysobj[cat.system_or_accelerator(m.system).id]
        pue, cool = pricing.pue_for(s, ctx.hall, fin)
        cooling.add(cool)
        it_kw += m.count * s.system_kw
        all_in_kw += m.count * s.system_kw * pue
        owned = (m.procurement or fleet.procurement) == OWNED
        owned_kw += m.count * s.system_kw * pue if owned else 0.0
        racks += racks_for(s, m.count, wl.datacenter.max_rack_kw, owned)
    if over_site_power(ctx, owned_kw / 1000):
        notes.append(f"{Reason.SITE_POWER}: {owned_kw / 1000:.2f} MW all-in of owned systems exceeds the site's "
                     f"{wl.datacenter.site_mw:g} MW")
    vendor: dict[str, int] = {}
    eco: dict[str, int] = {}
    for sid, g in gpus.items():
        acc = cat.accelerator(sysobj[sid].accelerator)
        vendor[acc.vendor] = vendor.get(acc.vendor, 0) + g
        eco[acc.ecosystem] = eco.get(acc.ecosystem, 0) + g
    top_vendor = max(sorted(vendor), key=lambda v: vendor[v])
    top_eco = max(sorted(eco), key=lambda v: eco[v])
    demand_users = sum((r.demand_users for r in classes_out), 0.0)
    cap_users = sum((r.capacity_users for r in classes_out), 0.0)
    can_serve = any(r.capacity_users > 0 for r in classes_out)
    met = all(r.demand_met for r in classes_out)
    if not can_serve:
        status = "cannot serve: " + "; ".join(r.reason.removeprefix("cannot serve: ") for r in classes_out if r.reason)
    elif not met:
        status = "demand not met: " + "; ".join(f"{r.traffic_class} {r.reason}" for r in classes_out if not r.demand_met)
    else:
        status = "meets demand"
    modes = {mc.procurement for _, mc in member_costs}
    data_mode = max(used_modes, key=lambda m: MODE_RANK[m]) if used_modes else None
    opex = sum(a[k] for a in annual.values() for k in ("power", "hosting", "maintenance", "rental"))
    unused = total_gpus - alloc_gpus_total
    if unused and can_serve:
        notes.append(f"{unused} GPUs cannot be used by any class (replica size or fit)")
    return FleetRow(
        name=fleet.name, description=fleet.description, procurement=modes.pop() if len(modes) == 1 else "mixed",
        systems=dict(sorted(counts.items())), gpus=total_gpus, gpus_unused=unused, can_serve=can_serve, demand_met=met and can_serve,
        status=status, classes=classes_out, demand_users=round(demand_users, 2), capacity_users=cap_users,
        utilisation=(demand_users / cap_users) if cap_users else None, capex_usd=capex,
        annual_capital_usd=sum(a["capital"] for a in annual.values()),
        annual_power_usd=sum(a["power"] for a in annual.values()),
        annual_hosting_usd=sum(a["hosting"] for a in annual.values()),
        annual_maintenance_usd=sum(a["maintenance"] for a in annual.values()),
        annual_rental_usd=sum(a["rental"] for a in annual.values()), annual_opex_usd=opex, annual_total_usd=total,
        usd_per_mtok=(total / annual_tokens * 1e6) if (annual_tokens > 0 and cost_ok) else None,
        it_mw=it_kw / 1000, all_in_mw=all_in_kw / 1000, racks=racks, cooling="+".join(sorted(cooling)),
        top_vendor=top_vendor, vendor_concentration=vendor[top_vendor] / total_gpus,
        top_ecosystem=top_eco, ecosystem_concentration=eco[top_eco] / total_gpus,
        mode=data_mode, error_band_pct=max(bands) if bands else None,
        price_source="; ".join(sorted({mc.source for _, mc in member_costs if mc.source})), notes=notes,
    ), stuck


DIFF_FIELDS = ("capacity_users", "capex_usd", "annual_opex_usd", "annual_total_usd", "usd_per_mtok", "all_in_mw", "racks", "gpus")


def with_baseline(rows: list[FleetRow], baseline: str | None) -> list[FleetRow]:
    if baseline is None:
        return rows
    base = next(r for r in rows if r.name == baseline)
    out = []
    for r in rows:
        diff: dict[str, float | None] = {}
        for f in DIFF_FIELDS:
            a, b = getattr(r, f), getattr(base, f)
            if a is None or b is None:
                diff[f"delta_{f}"] = None
                diff[f"delta_{f}_pct"] = None
                continue
            diff[f"delta_{f}"] = float(a - b)
            diff[f"delta_{f}_pct"] = (100.0 * (a - b) / b) if b else None
        out.append(r.model_copy(update={"vs_baseline": diff}))
    return out


def _lowest_cost(rows: list[FleetRow], inefficient: frozenset[str] | set[str] = frozenset()) -> str | None:
    """The fleet meeting demand with the lowest $/Mtok (compare ranks nothing by score), inefficient ones aside."""
    priced = [(r.usd_per_mtok, r.name) for r in rows
              if r.demand_met and r.usd_per_mtok is not None and r.name not in inefficient]
    return min(priced)[1] if priced else None


def mark_inefficient(ctx: Context, evaluated: list[tuple[FleetRow, int]]) -> tuple[list[FleetRow], set[str]]:
    """recommend's rule on the fleets that meet demand: stuck at batch 1 on more than one replica, or (not in budget
    mode) more than 10x the GPUs of the lowest-$/Mtok fleet among the others. The fleet stays in the comparison
    (it was asked about) with status and a note `inefficient: ...`, and is never the lowest cost."""
    stuck_names = {r.name for r, stuck in evaluated if inefficiency(r.gpus, 0, stuck)}
    best = None
    if ctx.workload.objective.maximise != "users":
        name = _lowest_cost([r for r, _ in evaluated], stuck_names)
        best = next((r for r, _ in evaluated if r.name == name), None)
    rows, out = [], set()
    for r, stuck in evaluated:
        why = inefficiency(r.gpus, best.gpus if best is not None else 0, stuck) if r.demand_met else None
        if why is None:
            rows.append(r)
            continue
        out.add(r.name)
        rows.append(r.model_copy(update={"status": f"{Reason.INEFFICIENT}: {why}",
                                         "notes": [*r.notes, f"{Reason.INEFFICIENT}: {why}"]}))
    return rows, out


def compare(ctx: Context, ff: FleetsFile, systems: list[System], grids: dict[str, Any], assumptions: list[Any],
            layers: list[str], *, keep_inefficient: bool = False) -> FleetComparison:
    """Every fleet of `ff` evaluated; fleets recommend would call inefficient are marked so (and are never the lowest
    cost) unless `keep_inefficient`."""
    fc = FleetContext(ctx=ctx, systems=systems, results=class_results(ctx, grids))
    evaluated = [evaluate_fleet(fc, f) for f in ff.fleets]
    inefficient: set[str] = set()
    if keep_inefficient:
        rows = [r for r, _ in evaluated]
    else:
        rows, inefficient = mark_inefficient(ctx, evaluated)
    rows = with_baseline(rows, ff.baseline)
    return FleetComparison(
        name=ff.name, workload=ff.workload.model_dump(mode="json"), baseline=ff.baseline, fleets=rows,
        any_meets_demand=any(r.demand_met for r in rows), assumptions=assumptions, catalog=layers,
        lowest_cost=_lowest_cost(rows, inefficient),
    )
