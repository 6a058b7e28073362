"""Explanations in words: why a system has no operating point, what binds an option, what it is.

`why_no_point` is shared by `estimate` (its infeasible message) and `recommend` / fleets
(their exclusions); `explain_option` writes a recommended option's explanation lines.
"""

from __future__ import annotations

from advisor.domain import LLM, Catalog, System
from advisor.domain.results import ClassPlan, CostBreakdown, OperatingPoint
from advisor.domain.workload import TrafficClass
from advisor.engine import select
from advisor.domain.base import PRECISION_ORDER
from advisor.engine.arch import PREC_INDEX, WEIGHT_BYTES
from advisor.engine.arch import coeffs as arch_coeffs
from advisor.engine.allocation import systems_per_rack
from advisor.engine.constraints import Reason
from advisor.engine.context import ClassResult, Context
from advisor.engine.pricing import needs_retrofit
from advisor.engine.grid import LAYOUTS, Grid


def why_no_point(
    catalog: Catalog, grid: Grid, i: int, system: System, model: LLM, *, isl: int, osl: int, precision: str,
    min_tok_s_per_user: float, max_ttft_s: float | None, label: str | None = None,
) -> tuple[Reason, str]:
    """(constraint, reason) for system row i of `grid`, which has no cell meeting the SLOs."""
    acc = catalog.accelerator(system.accelerator)
    where = f" for class '{label}'" if label else ""
    if not grid.valid[i].any():
        precs = [p for p in acc.precisions if p in catalog.ecosystem(acc.ecosystem).precisions
                 and (precision == "auto" or p == precision)]
        if not precs:
            return Reason.PRECISION, (f"{acc.name} ({acc.ecosystem}) serves {', '.join(acc.precisions)}"
                                      + (f"; asked for {precision}" if precision != "auto" else ""))
        precs.sort(key=lambda p: float(WEIGHT_BYTES[PREC_INDEX[p]]))  # the narrowest first
        if isl + osl > model.max_context:
            return Reason.CONTEXT, f"{isl + osl} tokens{where} exceed {model.name}'s context of {model.max_context}"
        return Reason.MEMORY, memory_message(catalog, grid, i, system, model, precs[0], isl=isl, osl=osl)
    best_user = select.max_tok_s_per_user(grid, i)
    if best_user < min_tok_s_per_user:
        return Reason.SLO, f"cannot reach {min_tok_s_per_user:g} tok/s/user{where} (best {best_user:.1f})"
    return Reason.SLO, f"no point meets TTFT <= {max_ttft_s:g} s at {min_tok_s_per_user:g} tok/s/user{where}"


def _pair(need: float, hold: float) -> tuple[str, str]:
    """need and hold in TB with as many decimals as it takes to show them apart."""
    for d in (2, 3, 4, 5):
        a, b = f"{need:.{d}f}", f"{hold:.{d}f}"
        if a != b:
            return a, b
    return f"{need:.6f}", f"{hold:.6f}"


def memory_message(catalog: Catalog, grid: Grid, i: int, system: System, model: LLM, precision: str, *,
                   isl: int, osl: int) -> str:
    """Why nothing fits, in the engine's own memory model: need = weights + KV cache at the context and the
    smallest batch considered + the runtime reserve; hold = the largest replica considered; then the smallest
    layout that would fit, if any."""
    acc = catalog.accelerator(system.accelerator)
    reserve = catalog.defaults.kv_reserve_fraction
    p = PRECISION_ORDER.index(precision)
    max_gpus = float(grid.hw.max_gpus[i])
    considered = [k for k, g in enumerate(grid.layouts) if g <= max_gpus] or [0]
    g_idx = considered[-1]
    G, B = float(grid.layouts[g_idx]), int(grid.batches[0])
    usable_gb = float(grid.hw.mem_bytes[i]) / 1e9
    total_gb = float(grid.metrics["mem_used_gb"][i, g_idx, p, 0, 0]) * G  # weights + KV over the replica
    weights_gb = arch_coeffs(model).total_params * float(WEIGHT_BYTES[PREC_INDEX[precision]]) / 1e9
    kv_gb = max(total_gb - weights_gb, 0.0)
    hold_gb = G * usable_gb
    need_gb = total_gb + hold_gb * reserve
    need, hold = _pair(need_gb / 1e3, hold_gb / 1e3)
    seqs = f"{B} sequence{'s' if B != 1 else ''}"
    per_gpu = usable_gb * (1 - reserve)
    g_min = total_gb / per_gpu
    fits = [int(g) for g in LAYOUTS if g >= g_min - 1e-9 and g <= max_gpus]
    if fits and fits[0] > G:
        smallest = f"a {fits[0]}-GPU replica would fit"
    elif fits:
        smallest = "it does not fit for another reason (non-finite step time)"
    else:
        smallest = f"no replica up to {int(max_gpus)} GPUs fits (it needs at least {g_min:.0f} of them)"
    return (f"{model.name} {precision} needs {need} TB per replica: weights {weights_gb:,.1f} GB + KV cache "
            f"{kv_gb:,.1f} GB for {seqs} of {isl + osl} tokens + runtime reserve {hold_gb * reserve:,.1f} GB "
            f"({reserve:.0%} of memory); a {int(G)}x {acc.name} replica holds {hold} TB; {smallest}")


def class_exclusion(ctx: Context, cr: ClassResult, s: System, i: int) -> tuple[Reason, str]:
    """(constraint, reason) why system i has no point for this class."""
    tc = cr.tc
    return why_no_point(ctx.catalog, cr.grid, i, s, ctx.catalog.model(tc.model), isl=tc.isl, osl=tc.osl,
                        precision=tc.precision, min_tok_s_per_user=tc.min_tok_s_per_user, max_ttft_s=tc.max_ttft_s,
                        label=tc.name)


def binding_constraint(tc: TrafficClass, p: OperatingPoint, acc_mem_gb: float, reserve: float) -> str:
    """What holds a class's operating point where it is, in words."""
    if tc.min_tok_s_per_user and p.tok_s_per_user < 1.25 * tc.min_tok_s_per_user:
        return f"SLO {tc.min_tok_s_per_user:g} tok/s/user caps the batch at {p.batch} per {p.gpus_per_replica}-GPU replica"
    if tc.max_ttft_s and p.ttft_s > 0.8 * tc.max_ttft_s:
        return f"TTFT <= {tc.max_ttft_s:g} s caps the batch at {p.batch}"
    if p.mem_used_gb_per_gpu > 0.85 * acc_mem_gb * (1 - reserve):
        return (f"memory: {p.mem_used_gb_per_gpu:.0f} of {acc_mem_gb * (1 - reserve):.0f} GB per GPU "
                f"holds the batch at {p.batch}")
    return f"{p.bound}-bound at the throughput-optimal batch {p.batch}"


def explain_option(ctx: Context, mode: str, label: str, plans: list[ClassPlan], systems: dict[str, System],
                   breakdown: CostBreakdown, usd_per_mtok: float, *, gpus: int, racks: int, all_in_kw: float,
                   cooling: frozenset[str], mode_worst: str, band: float) -> tuple[str, list[str]]:
    """(binding constraint, explanation lines) of one sized and costed option."""
    cat, wl = ctx.catalog, ctx.workload
    dc = wl.datacenter
    binds = []
    for p in plans:
        s = systems[p.system]
        tc = next(t for t in wl.classes if t.name == p.traffic_class)
        binds.append(f"{tc.name}: " + binding_constraint(tc, p.point, cat.accelerator(s.accelerator).usable_memory_gb,
                                                          cat.defaults.kv_reserve_fraction))
    rack_note = []
    owned = mode == "buy"
    for s in systems.values() if owned else ():
        per = systems_per_rack(s, dc.max_rack_kw)
        if s.kind != "pod" and per < s.max_systems_per_rack:
            rack_note.append(f"rack power: {dc.max_rack_kw:g} kW racks hold {per} of {s.max_systems_per_rack} {s.name} systems")
    b = breakdown
    explanation = [
        f"{mode} {label}: {gpus} accelerators in {racks} racks, {all_in_kw / 1000:.2f} MW all-in ({', '.join(sorted(cooling))} cooled)",
        *[f"class '{p.traffic_class}': {p.concurrent_users:g} users on {p.replicas} x {p.point.gpus_per_replica}-GPU replicas of "
          f"{p.point.system} at batch {p.point.batch}, {p.point.precision}, spec {p.point.spec_decode}: "
          f"{p.point.tok_s_per_user:.1f} output tok/s/user, {p.point.total_tok_s_per_gpu:,.0f} total "
          f"({p.point.output_tok_s_per_gpu:,.0f} output) tok/s/GPU, TTFT {p.point.ttft_s:.2f} s, "
          f"headroom {p.headroom_pct:.0f}% (target {wl.procurement.headroom_target:.0%})"
          + (f", {p.spare_replicas} spare replica{'s' if p.spare_replicas != 1 else ''} (N+{p.spare_replicas})"
             if p.spare_replicas else "") for p in plans],
        f"cost: ${b.annual_total_usd / 1e6:,.2f}M/year = ${usd_per_mtok:.3f}/Mtok (input + output tokens) at "
        f"{ctx.fin.utilisation:.0%} utilisation "
        f"(capital {b.annual_capital_usd / 1e6:,.2f}M, power {b.annual_power_usd / 1e6:,.2f}M, "
        f"hosting {b.annual_hosting_usd / 1e6:,.2f}M, maintenance {b.annual_maintenance_usd / 1e6:,.2f}M, "
        f"rental {b.annual_rental_usd / 1e6:,.2f}M)",
        f"data: {mode_worst} figures, error band +/-{band:.0f}%",
        *rack_note,
    ]
    if owned and any(needs_retrofit(s, dc.cooling) for s in systems.values()):
        explanation.append("includes a liquid-cooling retrofit of the air hall (catalog default $/kW), in the option's cost "
                           "and in its operating points' $/GPU-hour and $/Mtok alike")
    return "; ".join(binds + rack_note), explanation
