"""One model on one system (estimate) or on several (frontier): operating points with their costs."""

from __future__ import annotations

from typing import Any, NoReturn

from collections.abc import Sequence

import numpy as np

import advisor.api.ids as ids
from advisor.api.calibration import factors
from advisor.api.context import DEFAULTS, finance
from advisor.domain import LLM, Catalog, System
from advisor.domain.measured import BenchmarkPoint
from advisor.domain.results import Assumption, OperatingPoint
from advisor.engine import pricing, queueing, select
from advisor.engine.build import grid_for
from advisor.engine.explain import why_no_point
from advisor.engine.factors import Factors
from advisor.engine.grid import BATCHES, Grid
from advisor.engine.types import FloatArray
from advisor.engine.points import operating_points
from advisor.errors import InfeasibleError, UsageError

COMMAND_LINE = "command line"


SERVING_MODES = ("agg", "disagg", "auto")


def _serving(mode: str) -> str:
    if mode not in SERVING_MODES:
        raise UsageError(f"serving must be one of {', '.join(SERVING_MODES)}, not {mode!r}")
    return mode


def _check_workload_shape(isl: int, osl: int) -> None:
    if isl < 1 or osl < 1:
        raise UsageError("--isl and --osl must be positive token counts")


def estimate(
    catalog: Catalog, *, system: str, model: str, isl: int, osl: int, precision: str = "auto",
    min_tok_s_per_user: float = 0.0, max_ttft_s: float | None = None, gpus: int | None = None,
    concurrency: int | None = None, spec_decode: str = "auto", accept: float | None = None,
    days_since_release: float | None = None, price_tier: str | None = None, usd_per_gpu_hour: float | None = None,
    utilisation: float | None = None, usd_per_kwh: float | None = None, pue: float | None = None,
    fac: Factors | None = None, serving: str = "auto", max_ttft_p99_s: float | None = None,
) -> dict[str, Any]:
    """The best operating point of one model on one system, with costs.

    `system` may be a system id or an accelerator id (its default system). `gpus` fixes the replica size
    (tensor parallel). `concurrency` puts that many requests on one replica: the running batch is capped by
    what the KV cache holds at the real context (ISL + OSL), the rest queue for a slot, throughput saturates
    and TTFT grows; the result then has a "concurrency" entry (running_batch, queued_requests, ttft_p50_s,
    ttft_p99_s, ...). Raises InfeasibleError when nothing fits or the SLOs cannot be met.
    """
    _check_workload_shape(isl, osl)
    sysobj = ids.system(catalog, system)
    m = ids.model(catalog, model)
    if spec_decode == "mtp" and not m.mtp_layers:
        raise UsageError(f"{m.name} has no MTP layers, so --spec-decode mtp cannot apply (use none or auto)")
    if (gpus is not None and gpus < 1) or (concurrency is not None and concurrency < 1):
        raise UsageError("--gpus and --concurrency must be at least 1")
    fac = fac or factors(catalog)
    slo: dict[str, Any] = dict(min_tok_s_per_user=min_tok_s_per_user, max_ttft_s=max_ttft_s, max_ttft_p99_s=max_ttft_p99_s)
    kw: dict[str, Any] = dict(isl=isl, osl=osl, precision=precision, spec_decode=spec_decode, accept=accept,
              days_since_release=days_since_release, serving=_serving(serving))
    price: dict[str, Any] = dict(price_tier=price_tier, usd_per_gpu_hour=usd_per_gpu_hour, utilisation=utilisation,
                                 usd_per_kwh=usd_per_kwh, pue=pue)
    if concurrency is not None:
        return _at_concurrency(catalog, sysobj, m, fac, int(concurrency), gpus, kw, slo, price)
    layouts, ep = fixed_layouts(gpus, m) if gpus is not None else (None, None)
    grid, days = grid_for(catalog, [sysobj], m, fac, layouts=layouts, ep=ep, **kw)
    idx, ok = select.best_per_system(grid, select.slo_mask(grid, **slo))
    if not ok[0]:
        _, reason = why_no_point(catalog, grid, 0, sysobj, m, isl=isl, osl=osl, precision=precision, **slo)
        raise InfeasibleError(f"{sysobj.name}: {reason}")
    point, assumptions = _price_point(catalog, sysobj, m, select.cell(grid, 0, int(idx[0])), isl, osl, grid, days,
                                      **price)
    return {"point": point, "assumptions": assumptions}


def fixed_layouts(gpus: int, m: LLM) -> tuple[FloatArray, FloatArray]:
    """The layouts of a replica of `gpus` accelerators (--gpus): tensor parallel, and for a MoE model on more than
    one accelerator also expert parallel with data-parallel attention (the grid masks what the system cannot run)."""
    if m.architecture == "moe" and gpus > 1:
        return np.array([float(gpus), float(gpus)]), np.array([0.0, 1.0])
    return np.array([float(gpus)]), np.zeros(1)


def concurrency_batches(concurrency: int) -> FloatArray:
    """The batch axis of an estimate at `concurrency` requests per replica: every whole batch up to it (the KV
    capacity found to the sequence), then a ~10% ladder beyond, to state the capacity when it is larger."""
    c = float(concurrency)
    low = np.arange(1.0, c + 1.0) if c <= FINE_BATCHES else np.round(np.geomspace(1.0, c, FINE_BATCHES))
    high = np.round(np.geomspace(c, max(c, 1.0) * 1.1 ** 64, 65)) if c < MAX_BATCH else np.array([c])
    return np.unique(np.concatenate([low, [c], high[high <= MAX_BATCH]]))


FINE_BATCHES = 4096
"""Up to this concurrency every whole batch is evaluated; beyond it, this many batches on a geometric ladder."""
MAX_BATCH = 1_048_576.0


def _slo_ok(rows: queueing.Rows, min_tok_s_per_user: float, max_ttft_s: float | None,
            max_ttft_p99_s: float | None) -> np.ndarray:
    """Rows that run at the concurrency and meet the SLOs (TTFT with the wait for a slot)."""
    ok = rows.runs & (rows.tok_s_per_user >= min_tok_s_per_user)
    if max_ttft_s is not None:
        ok &= rows.ttft_p50_s <= max_ttft_s
    if max_ttft_p99_s is not None:
        ok &= rows.ttft_p99_s <= max_ttft_p99_s
    return np.asarray(ok)


def _pick_row(rows: queueing.Rows, min_tok_s_per_user: float, max_ttft_s: float | None,
              max_ttft_p99_s: float | None, *, fewest_queued: bool = False) -> tuple[int, ...] | None:
    """The (layout, precision, MTP) row for the concurrency, among those meeting the SLOs (TTFT with the wait for a
    slot): the most total tok/s/GPU, then the fewest queued requests, then tok/s/user. Each row's throughput only
    grows with the concurrency (it saturates at its KV capacity), so the best of them never falls as the concurrency
    grows; preferring a row that runs every request would (a row with MTP holds a few sequences fewer than one
    without: one user more would switch to the slower row). `fewest_queued` (no --gpus: the layout is chosen too):
    fewest queued requests first, so a replica too small is not chosen for its throughput."""
    ok = _slo_ok(rows, min_tok_s_per_user, max_ttft_s, max_ttft_p99_s)
    if not ok.any():
        return None
    flat = np.flatnonzero(ok.ravel())
    order = np.lexsort(_order_keys(rows, flat, fewest_queued))
    return tuple(int(x) for x in np.unravel_index(int(flat[order[0]]), ok.shape))


def _order_keys(rows: queueing.Rows, flat: np.ndarray, fewest_queued: bool) -> tuple[np.ndarray, ...]:
    """np.lexsort keys (last = primary) of rows `flat`: total tok/s/GPU, then the queue, then tok/s/user
    (`fewest_queued`: the queue first)."""
    queued = rows.queued_requests.ravel()[flat]
    usr, tot = -rows.tok_s_per_user.ravel()[flat], -rows.total_tok_s_per_gpu.ravel()[flat]
    return (usr, tot, queued) if fewest_queued else (usr, queued, tot)


def _slo_words(rows: queueing.Rows, concurrency: int, cap: float, min_tok_s_per_user: float,
               max_ttft_s: float | None, max_ttft_p99_s: float | None) -> str:
    """Why no row meets the SLOs at this concurrency: each SLO against the best any row reaches."""
    r = rows.runs
    parts = []
    best_user = float(rows.tok_s_per_user[r].max())
    if best_user < min_tok_s_per_user:
        parts.append(f"{min_tok_s_per_user:g} tok/s/user (best {best_user:.1f})")
    for limit, q, name in ((max_ttft_s, rows.ttft_p50_s, "median TTFT"), (max_ttft_p99_s, rows.ttft_p99_s, "TTFT p99")):
        if limit is not None:
            parts.append(f"{name} <= {limit:g} s (best {float(q[r].min()):.3g} s)")
    return (f"at {concurrency} concurrent requests per replica no layout meets " + " and ".join(parts)
            + (" together" if len(parts) > 1 else "")
            + f" (the KV cache holds at most {int(cap)} of them running on the replicas considered; the rest queue)")


def _at_concurrency(catalog: Catalog, sysobj: System, m: LLM, fac: Factors, concurrency: int, gpus: int | None,
                    kw: dict[str, Any], slo: dict[str, Any], price: dict[str, Any]) -> dict[str, Any]:
    """estimate at `concurrency` requests per replica (queueing.rows_at_concurrency)."""
    fewest = gpus is None
    if gpus is not None:
        candidates = list(zip(*(a.tolist() for a in fixed_layouts(gpus, m))))
    else:  # layouts from the grid's batch ladder plus the concurrency itself, then each refined to the sequence
        beyond = np.round(np.geomspace(BATCHES[-1], concurrency, 32)) if concurrency > BATCHES[-1] else np.zeros(0)
        coarse = np.unique(np.concatenate([BATCHES[BATCHES < concurrency], beyond, [float(concurrency)]]))
        grid, _ = grid_for(catalog, [sysobj], m, fac, batches=coarse, **kw)
        rows = queueing.rows_at_concurrency(grid, grid.valid, 0, concurrency)
        ok = _slo_ok(rows, **slo)
        if not ok.any():
            _raise_infeasible(catalog, grid, rows, sysobj, m, concurrency, kw, slo, fac)
        if (rows.queued_requests[ok] == 0).any():  # exact on this axis (the concurrency is on it): the best of them
            keep = ok & (rows.queued_requests == 0)
            flat = np.flatnonzero(keep.ravel())
            best = int(flat[np.lexsort(_order_keys(rows, flat, True))[0]])
            layouts = {int(np.unravel_index(best, keep.shape)[0])}
        else:  # every layout queues: each whose capacity is within a rung of the largest, refined below
            top = float(rows.running_batch[ok].max())
            lower = coarse[coarse < top]
            keep = ok & (rows.running_batch >= (lower[-1] if lower.size else top))
            layouts = {int(g) for g in np.nonzero(keep)[0]}
        candidates = [(float(grid.layouts[g]), 1.0 if grid.layout_kinds[g] == "ep" else 0.0) for g in sorted(layouts)]
    axis = concurrency_batches(concurrency)
    chosen: tuple[tuple[float, ...], Grid, float, queueing.Rows, tuple[int, ...], tuple[float, float]] | None = None
    for layout, ep in candidates:
        grid, days = grid_for(catalog, [sysobj], m, fac, layouts=np.array([layout]), ep=np.array([ep]), batches=axis,
                              **kw)
        rows = queueing.rows_at_concurrency(grid, grid.valid, 0, concurrency)
        row = _pick_row(rows, **slo, fewest_queued=fewest) if rows.runs.any() else None
        if row is None:
            continue
        q = float(rows.queued_requests[row])
        tot, usr = -float(rows.total_tok_s_per_gpu[row]), -float(rows.tok_s_per_user[row])
        key = (q, tot, usr) if fewest else (tot, q, usr)
        if chosen is None or key < chosen[0]:
            chosen = (key, grid, days, rows, row, (layout, ep))
    if chosen is None:
        _raise_infeasible(catalog, grid, rows, sysobj, m, concurrency, kw, slo, fac)
    _, grid, days, rows, row, (layout, ep) = chosen
    cap = _exact_capacity(catalog, sysobj, m, fac, grid, row, float(rows.kv_batch_cap[row]), kw)
    if cap < concurrency and cap not in grid.batches:  # beyond FINE_BATCHES: put the capacity itself on the axis
        grid, days = grid_for(catalog, [sysobj], m, fac, layouts=np.array([layout]), ep=np.array([ep]),
                              batches=np.union1d(axis, [cap]), **kw)
        rows = queueing.rows_at_concurrency(grid, grid.valid, 0, concurrency)
    b = int(rows.index[row])
    queued = float(rows.queued_requests[row])
    c = select.cell(grid, 0, int(np.ravel_multi_index((*row, b), grid.shape[1:])))
    point, assumptions = _price_point(catalog, sysobj, m, c, kw["isl"], kw["osl"], grid, days, exact=queued == 0,
                                      **price)
    p50, p99 = float(rows.ttft_p50_s[row]), float(rows.ttft_p99_s[row])
    if queued > 0:  # the users waiting for a slot see the wait in their first token
        point = point.model_copy(update={"ttft_s": p50, "ttft_p99_s": p99})
    else:
        p50, p99 = point.ttft_s, float(point.ttft_p99_s if point.ttft_p99_s is not None else p99)
    return {"point": point, "assumptions": assumptions, "concurrency": {
        "concurrency_per_replica": concurrency,
        "kv_capacity_sequences_per_replica": int(cap),
        "running_batch": int(rows.running_batch[row]),
        "queued_requests": int(round(queued)),
        "saturated": queued > 0,
        "ttft_p50_s": p50,
        "ttft_p99_s": p99,
    }}


def _exact_capacity(catalog: Catalog, sysobj: System, m: LLM, fac: Factors, grid: Grid, row: tuple[int, ...],
                    cap: float, kw: dict[str, Any]) -> float:
    """The KV capacity of `row` to the sequence: above the concurrency the batch axis is a ~10% ladder, so the
    whole batches between the capacity found and the next rung are evaluated too."""
    higher = grid.batches[grid.batches > cap]
    if higher.size == 0 or higher[0] - cap <= 1:
        return cap
    ep = np.array([1.0 if grid.layout_kinds and grid.layout_kinds[0] == "ep" else 0.0])
    fine, _ = grid_for(catalog, [sysobj], m, fac, layouts=grid.layouts[:1], ep=ep,
                       batches=np.arange(cap, float(higher[0])), **kw)
    ok = np.asarray(fine.valid[(0, *row)], dtype=bool)
    return float(fine.batches[ok].max()) if ok.any() else cap


def _raise_infeasible(catalog: Catalog, grid: Grid, rows: queueing.Rows, sysobj: System, m: LLM, concurrency: int,
                      kw: dict[str, Any], slo: dict[str, Any], fac: Factors) -> NoReturn:
    if not rows.runs.any():
        _, reason = why_no_point(catalog, grid, 0, sysobj, m, isl=kw["isl"], osl=kw["osl"], precision=kw["precision"],
                                 **slo)
    else:
        best = np.unravel_index(int(np.argmax(rows.kv_batch_cap)), rows.kv_batch_cap.shape)
        cap = float(rows.kv_batch_cap[best])
        if len(grid.layouts) == 1:  # one layout: the capacity to the sequence
            cap = _exact_capacity(catalog, sysobj, m, fac, grid, tuple(int(x) for x in best), cap, kw)
        reason = _slo_words(rows, concurrency, cap, **slo)
    raise InfeasibleError(f"{sysobj.name}: {reason}")


def _price_point(catalog: Catalog, sysobj: System, m: LLM, c: select.Cell, isl: int, osl: int, grid: Grid, days: float,
                 *, exact: bool = False, **price: Any) -> tuple[OperatingPoint, list[Assumption]]:
    """One cell as a priced OperatingPoint (`exact`: a benchmark measured at this very setup replaces it)."""
    acc = catalog.accelerator(sysobj.accelerator)
    measured = _measured_match(catalog, acc.id, m.id, c, isl, osl) if exact else None
    points, assumptions = _price_points(catalog, sysobj, m, select.Columns.of([c]), isl, osl, grid, days,
                                        measured=measured, **price)
    return points[0], assumptions


def _price_points(catalog: Catalog, sysobj: System, m: LLM, cells: select.Columns, isl: int, osl: int, grid: Grid,
                  days: float, *, price_tier: str | None = None, usd_per_gpu_hour: float | None = None,
                  utilisation: float | None = None, usd_per_kwh: float | None = None, pue: float | None = None,
                  measured: BenchmarkPoint | None = None) -> tuple[list[OperatingPoint], list[Assumption]]:
    """Cells of one system as priced OperatingPoints (engine.points.operating_points: one array pass), and the
    assumptions they rest on."""
    fin = finance(catalog, {"price_tier": price_tier, "utilisation": utilisation, "usd_per_kwh": usd_per_kwh})
    used_pue, cooling = pricing.pue_for(sysobj, "both", fin)
    if pue is not None:
        used_pue = pue
    assumptions = [
        Assumption(name="utilisation", value=fin.utilisation, unit="fraction", source=COMMAND_LINE if utilisation else DEFAULTS),
        Assumption(name="pue", value=used_pue, unit="", source=COMMAND_LINE if pue else f"{DEFAULTS} ({cooling})"),
        Assumption(name="usd_per_kwh", value=fin.usd_per_kwh, unit="USD/kWh", source=COMMAND_LINE if usd_per_kwh else DEFAULTS),
        Assumption(name="days_since_release", value=days, unit="days", source="computed from today's date"),
    ]
    if usd_per_gpu_hour is not None:
        price: float | None = usd_per_gpu_hour
        assumptions.append(Assumption(name="usd_per_gpu_hour", value=price, unit="USD/GPU-hour", source=COMMAND_LINE))
    else:
        pp = pricing.any_hourly_price(catalog, sysobj, fin.price_tier)
        price = pp.usd if pp else None
        assumptions.append(Assumption(name="usd_per_gpu_hour", value=price, unit="USD/GPU-hour",
                                      source=f"catalog price {pp.id} ({pp.tier}, {pp.as_of})" if pp else "no price in catalog"))
    acc = catalog.accelerator(sysobj.accelerator)
    points = operating_points(sysobj, acc, m, cells, isl=isl, osl=osl, factors=grid.factors, days=days,
                              usd_per_gpu_hour=price, utilisation=fin.utilisation,
                              all_in_watts_per_gpu=pricing.it_watts_per_gpu(sysobj) * used_pue, measured=measured)
    return points, assumptions


def _measured_match(catalog: Catalog, acc_id: str, model_id: str, c: select.Cell, isl: int, osl: int) -> BenchmarkPoint | None:
    """A calibration point measured at this very setup (same chip, model, precision, lengths, layout, batch)."""
    for b in catalog.benchmarks.values():
        if (b.accelerator == acc_id and catalog.model(b.model).id == model_id and b.precision == c.precision
                and b.isl == isl and b.osl == osl and not b.disaggregated and b.calibrate
                and b.n_accelerators == c.gpus_per_replica and b.concurrency == c.batch
                and b.spec_decode == c.spec_decode):
            return b
    return None


def frontier(
    catalog: Catalog, *, systems: Sequence[str], model: str, isl: int, osl: int, precision: str = "auto",
    spec_decode: str = "auto", days_since_release: float | None = None, price_tier: str | None = None,
    usd_per_gpu_hour: float | None = None, utilisation: float | None = None, accept: float | None = None,
    fac: Factors | None = None, serving: str = "auto",
) -> dict[str, Any]:
    """The Pareto front of (tok/s/user, tok/s/GPU) for each system, in one grid pass."""
    _check_workload_shape(isl, osl)
    m = ids.model(catalog, model)
    sys_objs = [ids.system(catalog, s) for s in systems] if systems else list(catalog.systems.values())
    grid, days = grid_for(catalog, sys_objs, m, fac or factors(catalog), isl=isl, osl=osl, precision=precision,
                          spec_decode=spec_decode, accept=accept, days_since_release=days_since_release,
                          serving=_serving(serving))
    fronts: dict[str, list[OperatingPoint]] = {}
    assumptions: list[Assumption] = []
    for i, s in enumerate(sys_objs):
        flats = select.front(grid, i)
        if not flats:
            fronts[s.id] = []
            continue
        pts, assumptions = _price_points(catalog, s, m, select.columns(grid, i, flats), isl, osl, grid, days,
                                         price_tier=price_tier, usd_per_gpu_hour=usd_per_gpu_hour, utilisation=utilisation)
        fronts[s.id] = pts
    return {"model": m.id, "isl": isl, "osl": osl, "fronts": fronts, "assumptions": assumptions,
            "grid_points": grid.size}
