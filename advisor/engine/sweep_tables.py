"""A sweep's throughput side: the best cell per (throughput key, class, system), as (K, C, S) arrays.

Axes that change the throughput grid (days_since_release, isl, osl) cost one grid evaluation
per distinct value; the SLO floor one argmax per value.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable
from dataclasses import dataclass

from typing import Any

import numpy as np

from advisor.domain import System
from advisor.engine import select
from advisor.engine.build import grid_for
from advisor.engine.constraints import reason_code
from advisor.engine.context import Context, accelerators_per_system
from advisor.engine.distribute import run_map
from advisor.engine.explain import why_no_point
from advisor.engine.grid import Grid

PARALLEL_MIN_GRIDS = 16
"""Below this many grid evaluations a sweep runs them in one thread (measured faster on 2 cores)."""


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
    prefill_gpus_per_replica: np.ndarray | None = None
    """(K, C, S): GPUs of a disaggregated cell's prefill pool per decode replica (0 aggregated), paid in the sizing."""
    fail: np.ndarray | None = None
    """(K, C, S) int8: the constraints.SWEEP_REASONS code of why no cell meets the SLOs (0 where one does),
    named as recommend names it (memory, precision, context or slo)."""


@dataclass(frozen=True)
class GridJob:
    """One grid evaluation, as a picklable callable for a cluster: (grid key, class index) -> Grid."""

    ctx: Context
    systems: list[System]

    def __call__(self, job: tuple[tuple[float | None, float | None, float | None], int]) -> Grid:
        (isl, osl, days), c = job
        wl, cat = self.ctx.workload, self.ctx.catalog
        tc = wl.classes[c]
        return grid_for(cat, self.systems, cat.model(tc.model), self.ctx.factors, isl=int(isl or tc.isl),
                        osl=int(osl or tc.osl), precision=tc.precision, spec_decode=tc.spec_decode, serving=tc.serving,
                        days_since_release=days if days is not None else wl.procurement.days_since_release)[0]


def cell_tables(ctx: Context, systems: list[System], keys: list[tuple[float | None, ...]], *,
                workers: int | None = None, progress: Callable[[int, int], None] | None = None,
                client: Any = None, by_cost: bool = False) -> CellTables:
    """Evaluate one grid per distinct (isl, osl, days) and class, select per SLO floor.

    `keys`: (isl or None, osl or None, days or None, floor or None[, concurrent users or None]) per throughput key; None keeps
    the workload's value. Grids run in a thread pool (numpy releases the GIL for most of the work),
    or on `client` (a dask.distributed Client: one task per grid) with the same results.
    """
    wl, cat = ctx.workload, ctx.catalog
    C, S, K = len(wl.classes), len(systems), len(keys)
    grid_keys = sorted({(k[0], k[1], k[2]) for k in keys}, key=repr)
    jobs = [(gk, c) for gk in grid_keys for c in range(C)]

    evaluate = GridJob(ctx, systems)

    def run(job: tuple[tuple[float | None, float | None, float | None], int]) -> tuple[Any, Grid]:
        return job, evaluate(job)

    grids = {}
    # Threads pay off only with many grids: a grid is ~20 ms of numpy, partly under the GIL.
    n_workers = max(1, min(workers or (os.cpu_count() or 1), len(jobs)))
    if client is not None:
        for done, (job, g) in enumerate(zip(jobs, run_map(evaluate, jobs, client)), 1):
            grids[job] = g
            if progress:
                progress(done, len(jobs))
    elif n_workers > 1 and (workers is not None or len(jobs) >= PARALLEL_MIN_GRIDS):
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
    out = {n: np.zeros(shape) for n in ("batch", "gpus_per_replica", "tok_s_per_user", "total_tok_s_per_gpu", "output_tok_s_per_gpu", "ttft_s",
                                        "prefill_gpus_per_replica")}
    ok = np.zeros(shape, dtype=bool)
    fail = np.zeros(shape, dtype=np.int8)
    ar = np.arange(S)
    why: dict[tuple[tuple[float | None, ...], int, int], int] = {}
    for k, key in enumerate(keys):
        for c, tc in enumerate(wl.classes):
            g = grids[((key[0], key[1], key[2]), c)]
            floor = tc.min_tok_s_per_user if key[3] is None else key[3]
            mask = select.class_mask(g, tc, floor)
            users = key[4] if len(key) > 4 else None  # the cell recommend / compare would pick (context.class_results)
            if by_cost and wl.objective.maximise == "score":
                best, good = select.cheapest_for_class(g, mask, wl, tc, accelerators_per_system(ctx, g), users)
            else:
                best, good = select.most_demand_per_system(g, mask, select.class_users_grid(g, wl, tc, users))
            gi, _, _, bi = np.unravel_index(best, g.shape[1:])
            ok[k, c] = good
            for i in np.flatnonzero(~good):
                gk = ((key[0], key[1], key[2]), c, int(i))
                if gk not in why:
                    why[gk] = _fail_code(ctx, g, int(i), systems[int(i)], c, key)
                fail[k, c, i] = why[gk]
            out["batch"][k, c] = g.batches[bi]
            out["gpus_per_replica"][k, c] = g.layouts[gi]
            for name in ("tok_s_per_user", "total_tok_s_per_gpu", "output_tok_s_per_gpu", "ttft_s", "prefill_gpus_per_replica"):
                out[name][k, c] = np.broadcast_to(g.metrics[name], g.shape).reshape(S, -1)[ar, best]
    return CellTables(ok=ok, grid_evaluations=len(jobs), fail=fail, **out)


def _fail_code(ctx: Context, g: Grid, i: int, s: System, c: int, key: tuple[float | None, ...]) -> int:
    """Why system i has no cell at the SLOs for class c, as recommend says it (one Reason enum)."""
    tc = ctx.workload.classes[c]
    floor = tc.min_tok_s_per_user if key[3] is None else key[3]
    reason, _ = why_no_point(ctx.catalog, g, i, s, ctx.catalog.model(tc.model), isl=int(key[0] or tc.isl),
                             osl=int(key[1] or tc.osl), precision=tc.precision, min_tok_s_per_user=floor,
                             max_ttft_s=tc.max_ttft_s, max_ttft_p99_s=tc.max_ttft_p99_s)
    return reason_code(reason)
