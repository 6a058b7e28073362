"""Given fleets: what they serve at the SLOs, what they cost; and sensitivity sweeps.

Compare: per traffic class, one grid over every system of every fleet gives each
system's best cell under the class SLOs (as `recommend` does). A fleet's GPUs are then
given to classes greedily: classes in order of share, each takes replicas on the
fleet's system with the best tok/s/GPU for it until its demand is met (unmet demand is
reported); GPUs left over go to the classes by share, so capacity counts every GPU.

Sweep: see `sweep_tables` / `evaluate_scenarios`. Axes that change the throughput grid
(days_since_release, isl, osl) cost one grid evaluation per distinct value; the SLO floor
one argmax per value; everything else (prices, power, utilisation, concurrency) is
numpy over all scenarios at once.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import numpy as np

from advisor.domain import System
from advisor.domain.fleet import Fleet, FleetsFile
from advisor.domain.results_fleet import FleetClassRow, FleetComparison, FleetRow
from advisor.domain.workload import TrafficClass
from advisor.engine import costs, select
from advisor.engine import recommend as rec

MODE_RANK = rec.MODE_RANK
PARALLEL_MIN_GRIDS = 16
"""Below this many grid evaluations a sweep runs them in one thread (measured faster on 2 cores)."""


# --- allocation (pure python) ------------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    """A class's best operating point on one system: one replica of `gpus_per_replica` GPUs."""

    batch: int
    gpus_per_replica: int
    tok_s_per_user: float
    total_tok_s_per_gpu: float
    output_tok_s_per_gpu: float
    users: float  # the class's demand in concurrent users if served at this point (Little's law for requests/s)


@dataclass
class Allocation:
    replicas: dict[str, dict[str, int]]  # class -> system -> replicas (demand + spare)
    demand_replicas: dict[str, dict[str, int]]
    served_users: dict[str, dict[str, float]]
    unmet_fraction: dict[str, float]
    free_gpus: dict[str, int]  # GPUs no class can use


def allocate(gpus: dict[str, int], classes: list[tuple[str, float]], cells: dict[str, dict[str, Cell | None]]) -> Allocation:
    """Greedy: classes by share (desc), each on the fleet's best tok/s/GPU system first, until met.

    `classes`: (name, share) in workload order; `cells[class][system]`: None when the class cannot run there.
    """
    order = sorted(range(len(classes)), key=lambda i: (-classes[i][1], i))
    names = [classes[i][0] for i in order]
    free = dict(gpus)
    reps = {c: {} for c in names}
    served = {c: {} for c in names}
    remaining = {c: 1.0 for c in names}
    for c in names:
        cands = sorted((s for s in free if cells[c].get(s) is not None),
                       key=lambda s: (-cells[c][s].total_tok_s_per_gpu, s))
        for s in cands:
            if remaining[c] <= 1e-12:
                break
            ce = cells[c][s]
            need = math.ceil(remaining[c] * ce.users / ce.batch - 1e-9)
            take = min(need, free[s] // ce.gpus_per_replica)
            if take <= 0:
                continue
            free[s] -= take * ce.gpus_per_replica
            reps[c][s] = reps[c].get(s, 0) + take
            users = min(take * ce.batch, remaining[c] * ce.users)
            served[c][s] = served[c].get(s, 0.0) + users
            remaining[c] = max(0.0, remaining[c] - users / ce.users) if ce.users > 0 else 0.0
    demand_reps = {c: dict(v) for c, v in reps.items()}
    # spare GPUs: split among the classes that can use them, by share; the rest to the biggest
    share = dict(classes)
    for s in sorted(free):
        able = [c for c in names if cells[c].get(s) is not None]
        if not able or free[s] <= 0:
            continue
        pool, total = free[s], sum(share[c] for c in able)
        for c in able:
            g = cells[c][s].gpus_per_replica
            extra = int(pool * share[c] / total) // g
            if extra:
                reps[c][s] = reps[c].get(s, 0) + extra
                free[s] -= extra * g
        for c in able:
            g = cells[c][s].gpus_per_replica
            if free[s] >= g:
                extra = free[s] // g
                reps[c][s] = reps[c].get(s, 0) + extra
                free[s] -= extra * g
    return Allocation(reps, demand_reps, served, remaining, free)


# --- compare ------------------------------------------------------------------------------

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
    ctx: rec.Context
    systems: list[System]  # union of every fleet's systems, grid order
    results: dict[str, rec.ClassResult]  # class name -> grid and best cells
    points: dict = field(default_factory=dict)


def class_results(ctx: rec.Context, systems: list[System], grids: dict) -> dict[str, rec.ClassResult]:
    out = {}
    for tc in ctx.workload.classes:
        grid, days = grids[tc.name]
        mask = select.slo_mask(grid, tc.min_tok_s_per_user, tc.max_ttft_s)
        best, ok = select.best_per_system(grid, mask)
        out[tc.name] = rec.ClassResult(tc, grid, best, ok, days)
    return out


def _cell_for(fc: FleetContext, tc: TrafficClass, i: int) -> tuple[Cell, dict] | None:
    cr = fc.results[tc.name]
    if not cr.ok[i]:
        return None
    key = (tc.name, i)
    if key not in fc.points:
        c = select.cell(cr.grid, i, int(cr.best[i]))
        users = rec.class_users(fc.ctx.workload, tc, c)
        fc.points[key] = (Cell(c["batch"], c["gpus_per_replica"], c["tok_s_per_user"], c["total_tok_s_per_gpu"],
                               c["output_tok_s_per_gpu"], users), c)
    return fc.points[key]


def member_cost(ctx: rec.Context, s: System, gpus: int, mode: str, usd_per_gpu: float | None,
                usd_per_gpu_hour: float | None) -> MemberCost:
    fin = ctx.fin
    if mode not in s.procurement:
        return MemberCost(gpus, mode, {}, 0.0, "", f"{s.id} can only be had by {' or '.join(s.procurement)}")
    if mode == "rent":
        if usd_per_gpu_hour is not None:
            price, src = usd_per_gpu_hour, "fleets file"
        else:
            rp = rec._rent_price(ctx, s)
            if rp is None:
                return MemberCost(gpus, mode, {}, 0.0, "", f"no $/GPU-hour price for {s.id} (give usd_per_gpu_hour)")
            price, src = rp
        parts = {"capital": 0.0, "maintenance": 0.0, "power": 0.0, "hosting": 0.0, "rental": price, "total": price}
        return MemberCost(gpus, mode, parts, 0.0, src)
    if usd_per_gpu is not None:
        capex, src = usd_per_gpu, "fleets file"
    else:
        own = rec._own_price(ctx, s)
        if own is None:
            return MemberCost(gpus, mode, {}, 0.0, "", f"no purchase price for {s.id} (give usd_per_gpu)")
        capex, src = own
    pue, _ = costs.pue_for(s, ctx.hall, fin)
    retrofit = s.cooling == "liquid" and ctx.workload.datacenter.cooling == "air"
    parts = costs.owned_gpu_hour(s, capex, fin, pue, retrofit=retrofit)
    parts["rental"] = 0.0
    total_capex = gpus * capex * (1 + fin.install_fraction)
    if retrofit:
        total_capex += gpus * costs.it_watts_per_gpu(s) / 1000 * fin.liquid_retrofit_usd_per_kw
    return MemberCost(gpus, mode, parts, total_capex, src)


def evaluate_fleet(fc: FleetContext, fleet: Fleet) -> FleetRow:
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
    kept, excluded = rec.prefilter(ctx, list(sysobj.values()))
    for e in excluded:
        note = f"{e.constraint}: {e.system} {e.reason}"
        if note not in notes:
            notes.append(note)
    # per class, per system: the best cell (or why not)
    cells: dict[str, dict[str, Cell | None]] = {}
    raw: dict[str, dict[str, dict]] = {}
    why_not: dict[str, list[str]] = {}
    for tc in wl.classes:
        cells[tc.name], raw[tc.name], why_not[tc.name] = {}, {}, []
        for sid in gpus:
            got = _cell_for(fc, tc, index[sid])
            if got is None:
                cells[tc.name][sid] = None
                why_not[tc.name].append(f"{sid}: " + rec.class_exclusion(ctx, fc.results[tc.name], sysobj[sid], index[sid])[1])
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
    crow, total_served_tps, used_modes, bands = [], 0.0, [], []
    class_cost: dict[str, float] = {}
    alloc_gpus_total = 0
    for tc in wl.classes:
        c = tc.name
        reps = alloc.replicas[c]
        g_by = {sid: r * cells[c][sid].gpus_per_replica for sid, r in reps.items() if r}
        cap_users = sum(r * cells[c][sid].batch for sid, r in reps.items())
        ratio = (tc.isl + tc.osl) / tc.osl
        cap_tps = sum(r * cells[c][sid].batch * cells[c][sid].tok_s_per_user for sid, r in reps.items()) * ratio
        cap_out = cap_tps / ratio
        served_users = sum(alloc.served_users[c].values())
        served_tps = sum(u * cells[c][sid].tok_s_per_user for sid, u in alloc.served_users[c].items()) * ratio
        usable = [sid for sid in gpus if cells[c][sid] is not None]
        main = max(usable, key=lambda sid: (cells[c][sid].total_tok_s_per_gpu, sid)) if usable else None
        demand_users = cells[c][main].users if main else (wl.demand.concurrent_users or 0) * tc.share
        unmet = alloc.unmet_fraction[c] * demand_users
        met = alloc.unmet_fraction[c] <= 1e-9
        demand_tps = served_tps + (unmet * cells[c][main].tok_s_per_user * ratio if main else 0.0)
        reason = ""
        if not usable:
            reason = "cannot serve: " + "; ".join(why_not[c])
        elif not met:
            reason = f"short of {unmet:,.0f} users: {sum(g_by.values())} usable GPUs serve {served_users:,.0f} at the SLOs"
        for sid in g_by:
            acc = cat.accelerator(sysobj[sid].accelerator)
            prec = raw[c][sid]["precision"]
            used_modes.append(ctx.factors.mode(acc.ecosystem, prec))
            bands.append(round(ctx.factors.band(acc.ecosystem, prec, acc.id), 1))
        cost_c = sum(g * per_gpu_annual[sid] for sid, g in g_by.items())
        class_cost[c] = cost_c
        alloc_gpus_total += sum(g_by.values())
        total_served_tps += served_tps
        crow.append(dict(
            traffic_class=c, demand_users=round(demand_users, 2), capacity_users=float(cap_users),
            served_users=round(served_users, 2), unmet_users=round(unmet, 2), demand_met=met,
            utilisation=(demand_users / cap_users) if cap_users else None, capacity_total_tok_s=cap_tps,
            capacity_output_tok_s=cap_out, demand_total_tok_s=demand_tps, gpus=sum(g_by.values()), gpus_by_system=g_by,
            tok_s_per_user=cells[c][main].tok_s_per_user if main else None, slo_tok_s_per_user=tc.min_tok_s_per_user,
            slo_max_ttft_s=tc.max_ttft_s, reason=reason, _served_tps=served_tps,
        ))
    total = sum(a["total"] for a in annual.values())
    idle_cost = total - sum(class_cost.values())
    spread = sum(class_cost.values())
    classes_out = []
    for r in crow:
        share = class_cost[r["traffic_class"]] / spread if spread > 0 else 0.0
        cost_c = class_cost[r["traffic_class"]] + idle_cost * share
        toks = r.pop("_served_tps") * fin.utilisation * 3600 * hours
        r["usd_per_mtok"] = cost_c / toks * 1e6 if (toks > 0 and cost_ok) else None
        classes_out.append(FleetClassRow(**r))
    annual_tokens = total_served_tps * fin.utilisation * 3600 * hours
    total_gpus = sum(gpus.values())
    # power, racks, cooling
    it_kw = all_in_kw = 0.0
    racks, cooling = 0, set()
    for sid, n in counts.items():
        s = sysobj[sid]
        pue, cool = costs.pue_for(s, ctx.hall, fin)
        cooling.add(cool)
        it_kw += n * s.system_kw
        all_in_kw += n * s.system_kw * pue
        racks += rec.racks_for(s, n, wl.datacenter.max_rack_kw)
    if wl.datacenter.site_mw is not None and all_in_kw / 1000 > wl.datacenter.site_mw:
        notes.append(f"site_power: {all_in_kw / 1000:.2f} MW all-in exceeds the site's {wl.datacenter.site_mw:g} MW")
    vendor, eco = {}, {}
    for sid, g in gpus.items():
        acc = cat.accelerator(sysobj[sid].accelerator)
        vendor[acc.vendor] = vendor.get(acc.vendor, 0) + g
        eco[acc.ecosystem] = eco.get(acc.ecosystem, 0) + g
    top_vendor = max(sorted(vendor), key=lambda v: vendor[v])
    top_eco = max(sorted(eco), key=lambda v: eco[v])
    demand_users = sum(r.demand_users for r in classes_out)
    cap_users = sum(r.capacity_users for r in classes_out)
    can_serve = any(r.capacity_users > 0 for r in classes_out)
    met = all(r.demand_met for r in classes_out)
    if not can_serve:
        status = "cannot serve: " + "; ".join(r.reason.removeprefix("cannot serve: ") for r in classes_out if r.reason)
    elif not met:
        status = "demand not met: " + "; ".join(f"{r.traffic_class} {r.reason}" for r in classes_out if not r.demand_met)
    else:
        status = "meets demand"
    modes = {mc.procurement for _, mc in member_costs}
    mode = max(used_modes, key=lambda m: MODE_RANK[m]) if used_modes else None
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
        mode=mode, error_band_pct=max(bands) if bands else None,
        price_source="; ".join(sorted({mc.source for _, mc in member_costs if mc.source})), notes=notes,
    )


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


def compare(ctx: rec.Context, ff: FleetsFile, systems: list[System], grids: dict, assumptions: list, layers: list[str]) -> FleetComparison:
    fc = FleetContext(ctx=ctx, systems=systems, results=class_results(ctx, systems, grids))
    rows = with_baseline([evaluate_fleet(fc, f) for f in ff.fleets], ff.baseline)
    return FleetComparison(
        name=ff.name, workload=ff.workload.model_dump(mode="json"), baseline=ff.baseline, fleets=rows,
        any_meets_demand=any(r.demand_met for r in rows), assumptions=assumptions, catalog=layers,
    )


# --- sweeps ---------------------------------------------------------------------------------

@dataclass
class CellTables:
    """Best cell per (throughput key, class, system) as arrays of shape (K, C, S)."""

    ok: np.ndarray
    batch: np.ndarray
    gpus_per_replica: np.ndarray
    tok_s_per_user: np.ndarray
    total_tok_s_per_gpu: np.ndarray
    output_tok_s_per_gpu: np.ndarray
    ttft_s: np.ndarray
    grid_evaluations: int


def cell_tables(ctx: rec.Context, systems: list[System], keys: list[tuple], *, workers: int | None = None,
                progress=None) -> CellTables:
    """Evaluate one grid per distinct (isl, osl, days) and class, select per SLO floor.

    `keys`: (isl or None, osl or None, days or None, floor or None) per throughput key; None keeps
    the workload's value. Grids run in a thread pool (numpy releases the GIL for most of the work).
    """
    from concurrent.futures import ThreadPoolExecutor

    from advisor.engine.build import grid_for

    wl, cat = ctx.workload, ctx.catalog
    C, S, K = len(wl.classes), len(systems), len(keys)
    grid_keys = sorted({(k[0], k[1], k[2]) for k in keys}, key=repr)
    jobs = [(gk, c) for gk in grid_keys for c in range(C)]

    def run(job):
        (isl, osl, days), c = job
        tc = wl.classes[c]
        return job, grid_for(cat, systems, cat.model(tc.model), ctx.factors, isl=int(isl or tc.isl), osl=int(osl or tc.osl),
                             precision=tc.precision, spec_decode=tc.spec_decode,
                             days_since_release=days if days is not None else wl.procurement.days_since_release)[0]

    grids = {}
    # Threads pay off only with many grids: a grid is ~20 ms of numpy, partly under the GIL.
    n_workers = max(1, min(workers or (os.cpu_count() or 1), len(jobs)))
    if n_workers > 1 and (workers is not None or len(jobs) >= PARALLEL_MIN_GRIDS):
        with ThreadPoolExecutor(max_workers=n_workers) as pool:
            for done, (job, g) in enumerate(pool.map(run, jobs), 1):
                grids[job] = g
                if progress:
                    progress(done, len(jobs))
    else:
        for done, job in enumerate(jobs, 1):
            grids[job] = run(job)[1]
            if progress:
                progress(done, len(jobs))
    shape = (K, C, S)
    out = {n: np.zeros(shape) for n in ("batch", "gpus_per_replica", "tok_s_per_user", "total_tok_s_per_gpu", "output_tok_s_per_gpu", "ttft_s")}
    ok = np.zeros(shape, dtype=bool)
    ar = np.arange(S)
    for k, key in enumerate(keys):
        for c, tc in enumerate(wl.classes):
            g = grids[((key[0], key[1], key[2]), c)]
            floor = tc.min_tok_s_per_user if key[3] is None else key[3]
            best, good = select.best_per_system(g, select.slo_mask(g, floor, tc.max_ttft_s))
            gi, _, _, bi = np.unravel_index(best, g.shape[1:])
            ok[k, c] = good
            out["batch"][k, c] = g.batches[bi]
            out["gpus_per_replica"][k, c] = g.layouts[gi]
            for name in ("tok_s_per_user", "total_tok_s_per_gpu", "output_tok_s_per_gpu", "ttft_s"):
                out[name][k, c] = g.metrics[name].reshape(S, -1)[ar, best]
    return CellTables(ok=ok, grid_evaluations=len(jobs), **out)


@dataclass
class SweepInputs:
    """Per scenario values of every axis (None = the workload's own value), and option prices."""

    n: int
    values: dict[str, np.ndarray]  # axis label -> (N,)


def price_arrays(axes: list, values: dict[str, np.ndarray], base: np.ndarray, sys_ids: list[tuple[str, str]],
                 kind: str) -> np.ndarray:
    """(N, O) prices: the base per option, set by `usd_per_gpu[_hour]` axes, scaled by their multipliers.

    `sys_ids`: (system id, accelerator id) per option; an axis without `system` applies to all.
    """
    n = next(iter(values.values())).shape[0] if values else 1
    out = np.broadcast_to(base, (n, len(base))).copy()
    for suffix in ("", "_multiplier"):
        for ax in axes:
            if ax.name != kind + suffix:
                continue
            cols = [o for o, ids in enumerate(sys_ids) if ax.system is None or ax.system in ids]
            v = values[ax.label][:, None]
            out[:, cols] = v if not suffix else out[:, cols] * v
    return out


REASONS = ("", "slo", "price", "site_power", "budget", "demand_not_met", "procurement")


def workload_options(ctx: rec.Context, systems: list[System], tables: CellTables, key_index: np.ndarray,
                     axes: list, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every (system x buy/rent) option in every scenario at once: (N, O) arrays.

    Each option serves every class on its one system, sized as `recommend` sizes it.
    """
    from advisor.engine import tco

    wl, fin, hours = ctx.workload, ctx.fin, ctx.fin.hours_per_year
    opts = [(i, s, m) for i, s in enumerate(systems) for m in rec.modes_for(ctx, s)]
    N, O, C = key_index.shape[0], len(opts), len(wl.classes)
    so = np.array([i for i, _, _ in opts], dtype=int)
    sys_ids = [(s.id, s.accelerator) for _, s, _ in opts]
    buy = np.array([m == "buy" for _, _, m in opts])
    capex0 = np.array([(rec._own_price(ctx, s) or (np.nan,))[0] if m == "buy" else np.nan for _, s, m in opts], dtype=float)
    rent0 = np.array([(rec._rent_price(ctx, s) or (np.nan,))[0] if m == "rent" else np.nan for _, s, m in opts], dtype=float)
    capex = price_arrays(axes, values, capex0, sys_ids, "usd_per_gpu")
    rent = price_arrays(axes, values, rent0, sys_ids, "usd_per_gpu_hour")
    capex = np.where(buy, capex, np.nan)
    rent = np.where(buy, np.nan, rent)
    aps = np.array([s.accelerators_per_system for _, s, _ in opts], dtype=float)
    pue = np.array([costs.pue_for(s, ctx.hall, fin)[0] for _, s, _ in opts])
    watts = np.array([costs.it_watts_per_gpu(s) for _, s, _ in opts])
    sys_kw = np.array([s.system_kw for _, s, _ in opts])
    retro = np.array([s.cooling == "liquid" and wl.datacenter.cooling == "air" for _, s, _ in opts])
    retro_usd = np.where(retro, fin.liquid_retrofit_usd_per_kw * watts / 1000.0, 0.0)

    def axis(name, default):
        v = values.get(name)
        return np.full(N, float(default)) if v is None else v

    kwh = axis("usd_per_kwh", fin.usd_per_kwh)[:, None]
    util = axis("utilisation", fin.utilisation)[:, None]
    conc = values.get("concurrent_users")
    ok = np.ones((N, O), dtype=bool)
    gpus_needed = np.zeros((N, O))
    tokens = np.zeros((N, O))
    usr0 = None
    for c, tc in enumerate(wl.classes):
        t = lambda a: a[key_index][:, c, :][:, so]  # noqa: E731  (N, O)
        okc, b, g, usr, ttft = t(tables.ok), t(tables.batch), t(tables.gpus_per_replica), t(tables.tok_s_per_user), t(tables.ttft_s)
        isl = axis("isl", tc.isl)[:, None]
        osl = axis("osl", tc.osl)[:, None]
        if conc is not None or wl.demand.concurrent_users is not None:
            users = np.broadcast_to((conc if conc is not None else np.full(N, float(wl.demand.concurrent_users)))[:, None] * tc.share, (N, O))
        else:
            safe = np.where(usr > 0, usr, 1.0)
            users = wl.demand.requests_per_s * tc.share * (ttft + osl / safe)
        bb = np.where(okc, b, 1.0)
        replicas = np.maximum(1.0, np.ceil(users / bb - 1e-9))
        gpus_needed += replicas * np.where(okc, g, 0.0)
        tokens += users * np.where(okc, usr, 0.0) * (isl + osl) / osl
        ok &= okc
        if usr0 is None:
            usr0 = np.where(okc, usr, np.nan)
    n_sys = np.ceil(gpus_needed / aps - 1e-9)
    gpus = n_sys * aps
    owned = tco.owned_usd_per_gpu_hour(
        capex_usd_per_gpu=np.nan_to_num(capex) * (1 + fin.install_fraction), years=fin.years, cost_of_capital=fin.cost_of_capital,
        residual_fraction=fin.residual_fraction, maintenance_fraction_per_year=fin.maintenance_fraction_per_year,
        it_watts_per_gpu=watts, pue=pue, usd_per_kwh=kwh, hosting_usd_per_kw_month=fin.hosting_usd_per_kw_month,
        hours_per_year=hours, retrofit_usd_per_gpu=retro_usd,
    )["total"]
    per_gpu_hour = np.where(buy, owned, rent)
    annual = gpus * hours * per_gpu_hour
    annual_tokens = tokens * util * 3600 * hours
    priced = np.isfinite(np.where(buy, capex, rent))
    capex_total = np.where(buy, gpus * (np.nan_to_num(capex) * (1 + fin.install_fraction) + retro_usd), 0.0)
    all_in_mw = n_sys * sys_kw * pue / 1000.0
    reason = np.where(~ok, 1, np.where(~priced, 2, 0))
    dc, pr = wl.datacenter, wl.procurement
    if dc.site_mw is not None:
        reason = np.where((reason == 0) & (all_in_mw > dc.site_mw), 3, reason)
    if pr.budget_usd is not None:
        spend = np.where(buy, capex_total, annual * fin.years)
        reason = np.where((reason == 0) & (spend > pr.budget_usd), 4, reason)
    feasible = reason == 0
    usd_per_mtok = np.where(feasible & (annual_tokens > 0), annual / np.where(annual_tokens > 0, annual_tokens, 1.0) * 1e6, np.nan)
    return dict(
        labels=[f"{m}:{s.id}" for _, s, m in opts], systems=[s.id for _, s, _ in opts], procurement=[m for _, _, m in opts],
        feasible=feasible, reason=reason, gpus=np.where(ok, gpus, 0).astype(np.int64),
        capex_usd=np.where(feasible, capex_total, np.nan), annual_total_usd=np.where(feasible, annual, np.nan),
        usd_per_mtok=usd_per_mtok, all_in_mw=np.where(ok, all_in_mw, np.nan), tok_s_per_user=usr0,
    )


def fleet_options(ctx: rec.Context, ff: FleetsFile, systems: list[System], tables: CellTables, key_index: np.ndarray,
                  axes: list, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every fleet of a fleets file in every scenario: allocation per distinct (throughput key, concurrency)."""
    from advisor.engine import tco

    wl, fin, hours, cat = ctx.workload, ctx.fin, ctx.fin.hours_per_year, ctx.catalog
    N, F = key_index.shape[0], len(ff.fleets)
    index = {s.id: i for i, s in enumerate(systems)}
    conc = values.get("concurrent_users")
    base_conc = wl.demand.concurrent_users
    conc_n = conc if conc is not None else np.full(N, float(base_conc or 0))
    group_keys, group_of = np.unique(np.stack([key_index.astype(float), conc_n]), axis=1, return_inverse=True)
    group_of = group_of.ravel()
    G = group_keys.shape[1]
    served_tps = np.zeros((G, F))
    met = np.zeros((G, F), dtype=bool)
    usr0 = np.full((G, F), np.nan)
    fleet_gpus = []
    for f in ff.fleets:
        g = {}
        for m in f.members:
            s = cat.system_or_accelerator(m.system)
            g[s.id] = g.get(s.id, 0) + m.count * s.accelerators_per_system
        fleet_gpus.append(g)
    for gi in range(G):
        k, users_total = int(group_keys[0, gi]), float(group_keys[1, gi])
        cells: dict[str, dict[str, Cell | None]] = {}
        for c, tc in enumerate(wl.classes):
            cells[tc.name] = {}
            for sid, i in index.items():
                if not tables.ok[k, c, i]:
                    cells[tc.name][sid] = None
                    continue
                usr, ttft = tables.tok_s_per_user[k, c, i], tables.ttft_s[k, c, i]
                if conc is not None or base_conc is not None:
                    users = users_total * tc.share
                else:
                    users = wl.demand.requests_per_s * tc.share * (ttft + tc.osl / usr)
                cells[tc.name][sid] = Cell(int(tables.batch[k, c, i]), int(tables.gpus_per_replica[k, c, i]), float(usr),
                                           float(tables.total_tok_s_per_gpu[k, c, i]), float(tables.output_tok_s_per_gpu[k, c, i]), users)
        for fi, gpus in enumerate(fleet_gpus):
            sub = {tc.name: {sid: cells[tc.name][sid] for sid in gpus} for tc in wl.classes}
            a = allocate(gpus, [(tc.name, tc.share) for tc in wl.classes], sub)
            met[gi, fi] = all(v <= 1e-9 for v in a.unmet_fraction.values()) and any(
                any(r for r in a.replicas[c].values()) for c in a.replicas)
            tps = 0.0
            for tc in wl.classes:
                ratio = (tc.isl + tc.osl) / tc.osl  # isl/osl axes do not apply per class here: see sweep docs
                tps += sum(u * sub[tc.name][sid].tok_s_per_user for sid, u in a.served_users[tc.name].items()) * ratio
            served_tps[gi, fi] = tps
            main = [sub[wl.classes[0].name][sid] for sid in gpus if sub[wl.classes[0].name][sid] is not None]
            if main:
                usr0[gi, fi] = max(main, key=lambda ce: ce.total_tok_s_per_gpu).tok_s_per_user
    # costs: per fleet member, vectorised over scenarios
    kwh = values.get("usd_per_kwh", np.full(N, fin.usd_per_kwh))
    util = values.get("utilisation", np.full(N, fin.utilisation))
    annual = np.zeros((N, F))
    capex_total = np.zeros((N, F))
    priced = np.ones(F, dtype=bool)
    all_in = np.zeros(F)
    for fi, f in enumerate(ff.fleets):
        for m in f.members:
            s = cat.system_or_accelerator(m.system)
            mode = m.procurement or f.procurement
            n_gpu = m.count * s.accelerators_per_system
            pue, _ = costs.pue_for(s, ctx.hall, fin)
            all_in[fi] += m.count * s.system_kw * pue / 1000.0
            ids = [(s.id, s.accelerator)]
            if mode == "buy":
                base = m.usd_per_gpu if m.usd_per_gpu is not None else (rec._own_price(ctx, s) or (np.nan,))[0]
                capex = price_arrays(axes, values, np.array([base], dtype=float), ids, "usd_per_gpu")[:, 0] if values else np.full(N, base)
                watts = costs.it_watts_per_gpu(s)
                retro = fin.liquid_retrofit_usd_per_kw * watts / 1000.0 if (s.cooling == "liquid" and wl.datacenter.cooling == "air") else 0.0
                per_h = tco.owned_usd_per_gpu_hour(
                    capex_usd_per_gpu=capex * (1 + fin.install_fraction), years=fin.years, cost_of_capital=fin.cost_of_capital,
                    residual_fraction=fin.residual_fraction, maintenance_fraction_per_year=fin.maintenance_fraction_per_year,
                    it_watts_per_gpu=watts, pue=pue, usd_per_kwh=kwh, hosting_usd_per_kw_month=fin.hosting_usd_per_kw_month,
                    hours_per_year=hours, retrofit_usd_per_gpu=retro)["total"]
                capex_total[:, fi] += n_gpu * (capex * (1 + fin.install_fraction) + retro)
            else:
                base = m.usd_per_gpu_hour if m.usd_per_gpu_hour is not None else (rec._rent_price(ctx, s) or (np.nan,))[0]
                per_h = price_arrays(axes, values, np.array([base], dtype=float), ids, "usd_per_gpu_hour")[:, 0] if values else np.full(N, base)
            if mode not in s.procurement:
                per_h = np.full(N, np.nan)
            annual[:, fi] += n_gpu * hours * per_h
        priced[fi] = bool(np.all(np.isfinite(annual[:, fi])))
    toks = served_tps[group_of] * util[:, None] * 3600 * hours
    met_n = met[group_of]
    reason = np.where(~met_n, 5, np.where(~np.isfinite(annual), 2, 0))
    feasible = reason == 0
    return dict(
        labels=[f.name for f in ff.fleets], systems=["+".join(sorted(g)) for g in fleet_gpus],
        procurement=[("mixed" if len({m.procurement or f.procurement for m in f.members}) > 1 else (f.members[0].procurement or f.procurement)) for f in ff.fleets],
        feasible=feasible, reason=reason, gpus=np.broadcast_to(np.array([sum(g.values()) for g in fleet_gpus]), (N, F)).astype(np.int64),
        capex_usd=capex_total, annual_total_usd=annual,
        usd_per_mtok=np.where(feasible & (toks > 0), annual / np.where(toks > 0, toks, 1.0) * 1e6, np.nan),
        all_in_mw=np.broadcast_to(all_in, (N, F)).astype(float), tok_s_per_user=usr0[group_of],
    )


def winners(feasible: np.ndarray, usd_per_mtok: np.ndarray) -> np.ndarray:
    """Index of the cheapest feasible option per scenario, -1 when none (ties: the first option)."""
    if feasible.shape[1] == 0:
        return np.full(feasible.shape[0], -1)
    cost = np.where(feasible & np.isfinite(usd_per_mtok), usd_per_mtok, np.inf)
    best = cost.argmin(axis=1)
    return np.where(np.isfinite(cost[np.arange(len(best)), best]), best, -1)


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.6g}"


def summarise(axes: dict[str, np.ndarray], units: dict[str, str], win: np.ndarray, labels: list[str], *, limit: int = 8) -> list[str]:
    """Where the winner changes, in words: per axis, the transitions between neighbouring values."""
    name = lambda w: labels[w] if w >= 0 else "no option"  # noqa: E731
    if win.size == 0:
        return ["no scenarios"]
    if np.all(win < 0):
        return ["no option is feasible in any scenario"]
    uniq, counts = np.unique(win, return_counts=True)
    lines = []
    if len(uniq) == 1:
        return [f"{name(int(uniq[0]))} wins in all {win.size} scenarios"]
    share = ", ".join(f"{name(int(u))} {c}" for u, c in sorted(zip(uniq, counts), key=lambda t: -t[1]))
    lines.append(f"winners over {win.size} scenarios: {share}")
    # place winners on the full grid of distinct axis values (works for merged chunks too)
    names = list(axes)
    levels = [np.unique(axes[a]) for a in names]
    shape = tuple(len(v) for v in levels)
    full = np.full(shape, -2, dtype=np.int64)
    pos = tuple(np.searchsorted(levels[i], axes[a]) for i, a in enumerate(names))
    full[pos] = win
    for i, a in enumerate(names):
        if shape[i] < 2:
            continue
        moved = np.moveaxis(full, i, -1).reshape(-1, shape[i])
        lo, hi = moved[:, :-1], moved[:, 1:]
        change = (lo != hi) & (lo != -2) & (hi != -2)
        if not change.any():
            continue
        rows, cols = np.nonzero(change)
        code = (lo[rows, cols] + 2) * (len(labels) + 3) ** 2 + (hi[rows, cols] + 2) * (len(labels) + 3) + 0
        keys = np.stack([code, cols])
        kinds, kc = np.unique(keys, axis=1, return_counts=True)
        settings = moved.shape[0]
        unit = units.get(a, "")
        other = f" (in {{n}} of {settings} settings of the other axes)" if settings > 1 else ""
        order = np.argsort(-kc, kind="stable")[:limit]
        vals = levels[i]
        if settings == 1 and kinds.shape[1] == 1:
            j = int(kinds[1, 0])
            w_lo, w_hi = int(lo[rows[0], cols[0]]), int(hi[rows[0], cols[0]])
            lines.append(f"{name(w_lo)} wins up to {_fmt(vals[j])} {a} and {name(w_hi)} from {_fmt(vals[j + 1])} {a}"
                         + (f" ({unit})" if unit else ""))
            continue
        for o in order:
            code_o, j = int(kinds[0, o]), int(kinds[1, o])
            w_lo = code_o // (len(labels) + 3) ** 2 - 2
            w_hi = (code_o // (len(labels) + 3)) % (len(labels) + 3) - 2
            lines.append(f"winner changes from {name(w_lo)} to {name(w_hi)} between {_fmt(vals[j])} and {_fmt(vals[j + 1])}"
                         f" of {a}" + (f" ({unit})" if unit else "") + other.format(n=int(kc[o])))
        if kinds.shape[1] > limit:
            lines.append(f"... and {kinds.shape[1] - limit} more kinds of change along {a}")
    return lines
