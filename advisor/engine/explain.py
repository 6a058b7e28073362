"""Explanations in words: why a system has no operating point, what binds an option, what it is.

`why_no_point` is shared by `estimate` (its infeasible message) and `recommend` / fleets
(their exclusions); `explain_option` writes a recommended option's explanation lines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from advisor.domain import LLM, Catalog, System
from advisor.domain.results import ClassPlan, CostBreakdown, OperatingPoint
from advisor.domain.workload import TrafficClass
from advisor.engine import select
from advisor.domain.base import PRECISION_ORDER
from advisor.engine.arch import PREC_INDEX, WEIGHT_BYTES
from advisor.engine.arch import coeffs as arch_coeffs, kv_stored_bytes
from advisor.engine.allocation import systems_per_rack
from advisor.engine.constraints import Reason
from advisor.engine.context import ClassResult, Context
from advisor.engine.pricing import needs_retrofit
from advisor.engine.grid import Grid
from advisor.engine.hardware import GIB
from advisor.engine.layouts import TP_GPUS
from advisor.engine.precision import kv_element_bytes


def why_no_point(
    catalog: Catalog, grid: Grid, i: int, system: System, model: LLM, *, isl: int, osl: int, precision: str,
    min_tok_s_per_user: float, max_ttft_s: float | None, label: str | None = None, max_ttft_p99_s: float | None = None,
) -> tuple[Reason, str]:
    """(constraint, reason) for system row i of `grid`, which has no cell meeting the SLOs."""
    acc = catalog.accelerator(system.accelerator)
    where = f" for class '{label}'" if label else ""
    if not grid.valid[i].any():
        # what the grid runs on this system (hardware.HwArrays: the chip computes it, the ecosystem serves it here)
        runs = np.asarray(grid.hw.peak[i]) > 0
        runs &= np.asarray(grid.hw.eco_prec_ok[i])
        served = [p for k, p in enumerate(PRECISION_ORDER) if runs[k]]
        precs = [p for p in served if precision == "auto" or p == precision]
        if not precs:
            return Reason.PRECISION, (f"{acc.name} ({acc.ecosystem}) serves {', '.join(served) or 'none'}"
                                      + (f"; asked for {precision}" if precision != "auto" else ""))
        precs.sort(key=lambda p: float(WEIGHT_BYTES[PREC_INDEX[p]]))  # the narrowest first
        if isl + osl > model.max_context:
            return Reason.CONTEXT, f"{isl + osl} tokens{where} exceed {model.name}'s context of {model.max_context}"
        if grid.setup is not None and grid.setup.serving == "disagg" and not bool(grid.hw.disagg_ok[i]):
            return Reason.SLO, (f"{system.name} cannot serve disaggregated{where}: no scale-out network for a separate "
                                "prefill pool (use serving agg or auto)")
        return Reason.MEMORY, memory_message(catalog, grid, i, system, model, precs[0], isl=isl, osl=osl)
    best_user = select.max_tok_s_per_user(grid, i)
    if best_user < min_tok_s_per_user:
        return Reason.SLO, f"cannot reach {min_tok_s_per_user:g} tok/s/user{where} (best {best_user:.1f})"
    at_floor = select.slo_mask(grid, min_tok_s_per_user)[i]
    parts = []
    for limit, key, name in ((max_ttft_s, "ttft_s", "TTFT"), (max_ttft_p99_s, "ttft_p99_s", "TTFT p99")):
        if limit is not None:
            best = float(np.min(np.asarray(grid.metrics[key][i])[at_floor])) if key in grid.metrics else float("nan")
            parts.append(f"{name} <= {limit:g} s (best {best:.3g} s)")
    return Reason.SLO, f"no point meets {' and '.join(parts) or 'the SLOs'} at {min_tok_s_per_user:g} tok/s/user{where}"


def _pair(need: float, hold: float) -> tuple[str, str]:
    """need and hold in TB with as many decimals as it takes to show them apart."""
    for d in (2, 3, 4, 5):
        a, b = f"{need:.{d}f}", f"{hold:.{d}f}"
        if a != b:
            return a, b
    return f"{need:.6f}", f"{hold:.6f}"


@dataclass(frozen=True)
class MemoryNeed:
    """One replica's memory as the fit mask counts it (throughput.simulate: mem_used <= mem_bytes per GPU),
    in decimal GB over the whole replica: weights + KV cache x (1 + kv_reserve_fraction) + runtime reserve."""

    gpus: int
    batch: int
    weights_gb: float
    kv_gb: float  # KV cache of `batch` sequences at the real context, with its paging reserve
    reserve_gb: float  # runtime_reserve_gb x gpus
    hold_gb: float  # usable memory of the replica (capacities are GiB in the catalog: hw.mem_bytes is bytes)

    @property
    def need_gb(self) -> float:
        return self.weights_gb + self.kv_gb + self.reserve_gb

    def smallest_fit(self, layouts: list[int]) -> int | None:
        """The fewest GPUs (tensor parallel: weights and KV split, the reserve per GPU) among `layouts` that hold it."""
        per_gpu = self.hold_gb / self.gpus - self.reserve_gb / self.gpus
        split = self.weights_gb + self.kv_gb
        return next((g for g in sorted(layouts) if per_gpu > 0 and split / g <= per_gpu), None)


def memory_need(catalog: Catalog, grid: Grid, i: int, model: LLM, precision: str, g_idx: int, b_idx: int = 0) -> MemoryNeed:
    """The need of system i's layout g_idx at batch b_idx, from the grid's own `mem_used_gb` (what the fit mask
    compares with the memory, so need > hold exactly where the mask says it does not fit): the KV cache and the
    runtime reserve computed by the engine's functions, the weights the rest."""
    p = PRECISION_ORDER.index(precision)
    m = 1 if grid.setup is not None and grid.setup.spec_decode == "mtp" else 0
    G, B = float(grid.layouts[g_idx]), float(grid.batches[b_idx])
    need_gb = float(grid.metrics["mem_used_gb"][i, g_idx, p, m, b_idx]) * G
    arch = arch_coeffs(model)
    isl, osl = (grid.setup.isl, grid.setup.osl) if grid.setup is not None else (0, 0)
    held_ctx = isl + osl * (B + 1.0) / (2.0 * B)  # throughput.simulate: sequences staggered through their OSL
    kvb = kv_element_bytes(p, bool(grid.hw.kv_fp8[i]), arch.kv_fixed_bytes)
    kv_gb = float(B * kv_stored_bytes(arch, held_ctx, kvb)) * (1.0 + catalog.defaults.kv_reserve_fraction) / 1e9
    reserve_gb = catalog.defaults.runtime_reserve_gb * G
    return MemoryNeed(gpus=int(G), batch=int(B), weights_gb=max(need_gb - kv_gb - reserve_gb, 0.0), kv_gb=kv_gb,
                      reserve_gb=reserve_gb, hold_gb=float(grid.hw.mem_bytes[i]) / 1e9 * G)


def memory_message(catalog: Catalog, grid: Grid, i: int, system: System, model: LLM, precision: str, *,
                   isl: int, osl: int) -> str:
    """Why nothing fits, in the engine's own memory model (memory_need): need = weights + KV cache at the context
    and the smallest batch considered (with its paging reserve) + the runtime reserve per GPU; hold = the replica
    considered that comes closest (tensor parallel, the leanest layout: the only one when --gpus fixes it); then
    the smallest layout that would fit, if any."""
    acc = catalog.accelerator(system.accelerator)
    max_gpus = float(grid.hw.max_gpus[i])
    tp = [k for k, g in enumerate(grid.layouts) if g <= max_gpus
          and not (grid.layout_kinds and grid.layout_kinds[k] == "ep")] or [0]
    needs = [memory_need(catalog, grid, i, model, precision, k) for k in tp]
    n = min(needs, key=lambda x: (x.need_gb / x.hold_gb, x.gpus))
    need, hold = _pair(n.need_gb / 1e3, n.hold_gb / 1e3)
    seqs = f"{n.batch} sequence{'s' if n.batch != 1 else ''}"
    fit = n.smallest_fit([g for g in TP_GPUS if g <= max_gpus])
    if fit is not None and fit > n.gpus:
        smallest = f"a {fit}-GPU replica would fit"
    elif fit is not None:
        smallest = "it does not fit for another reason (non-finite step time)"
    else:
        per_gpu = (n.hold_gb - n.reserve_gb) / n.gpus
        g_min = (n.weights_gb + n.kv_gb) / per_gpu if per_gpu > 0 else float("inf")
        smallest = (f"no replica up to {int(max_gpus)} GPUs fits (it needs at least "
                    f"{math.ceil(g_min - 1e-9) if math.isfinite(g_min) else 'more'} of them)")
    return (f"{model.name} {precision} needs {need} TB per replica: weights {n.weights_gb:,.1f} GB + KV cache "
            f"{n.kv_gb:,.1f} GB for {seqs} of {isl + osl} tokens (with its {catalog.defaults.kv_reserve_fraction:.0%} "
            f"paging reserve) + runtime reserve {n.reserve_gb:,.1f} GB ({catalog.defaults.runtime_reserve_gb:g} GB "
            f"per GPU); a {n.gpus}x {acc.name} replica holds {hold} TB ({n.hold_gb / n.gpus:,.1f} GB usable per GPU); "
            f"{smallest}")


def class_exclusion(ctx: Context, cr: ClassResult, s: System, i: int) -> tuple[Reason, str]:
    """(constraint, reason) why system i has no point for this class."""
    tc = cr.tc
    return why_no_point(ctx.catalog, cr.grid, i, s, ctx.catalog.model(tc.model), isl=tc.isl, osl=tc.osl,
                        precision=tc.precision, min_tok_s_per_user=tc.min_tok_s_per_user, max_ttft_s=tc.max_ttft_s,
                        label=tc.name, max_ttft_p99_s=tc.max_ttft_p99_s)


def binding_constraint(tc: TrafficClass, p: OperatingPoint, usable_gb_per_gpu: float) -> str:
    """What holds a class's operating point where it is, in words. `usable_gb_per_gpu`: decimal GB (hw.mem_bytes
    / 1e9), the unit of `mem_used_gb_per_gpu` (weights + KV with its reserve + runtime reserve)."""
    if tc.min_tok_s_per_user and p.tok_s_per_user < 1.25 * tc.min_tok_s_per_user:
        return f"SLO {tc.min_tok_s_per_user:g} tok/s/user caps the batch at {p.batch} per {p.gpus_per_replica}-GPU replica"
    if tc.max_ttft_s and p.ttft_s > 0.8 * tc.max_ttft_s:
        return f"TTFT <= {tc.max_ttft_s:g} s caps the batch at {p.batch}"
    if tc.max_ttft_p99_s and p.ttft_p99_s is not None and p.ttft_p99_s > 0.8 * tc.max_ttft_p99_s:
        return f"TTFT p99 <= {tc.max_ttft_p99_s:g} s caps the batch at {p.batch}"
    if p.mem_used_gb_per_gpu > 0.85 * usable_gb_per_gpu:
        return (f"memory: {p.mem_used_gb_per_gpu:.0f} of {usable_gb_per_gpu:.0f} GB per GPU "
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
        binds.append(f"{tc.name}: " + binding_constraint(tc, p.point, cat.accelerator(s.accelerator).usable_memory_gb * GIB / 1e9))
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
          f"({p.point.output_tok_s_per_gpu:,.0f} output) tok/s/GPU, TTFT {p.point.ttft_s:.2f} s"
          + (f" (p99 {p.point.ttft_p99_s:.2f} s)" if p.point.ttft_p99_s is not None else "") + ", "
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
