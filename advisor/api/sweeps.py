"""Sensitivity sweeps: the API behind `advisor sweep`, and splitting one for Dask or Ray.

`sweep()` runs everything in this process (numpy over all scenarios at once, plus a thread
pool over the distinct grid-changing values). To spread a very large sweep over a cluster
without the core depending on Dask or Ray, use `sweep_chunks(sweep_obj, n)`: it splits the
scenario grid along its grid-changing axes (days_since_release, isl, osl, then
min_tok_s_per_user; else the longest axis) into up to `n` independent SweepFile objects whose
scenario grids partition the original. Each chunk is a plain pydantic object (picklable), so:

    chunks = api.sweep_chunks(sweep_obj, 64)
    futures = client.map(lambda ch: api.sweep(catalog, ch), chunks)      # Dask
    # or: ray.get([ray.remote(api.sweep).remote(catalog, ch) for ch in chunks])
    merged = api.merge_sweeps([f.result() for f in futures])

Each worker evaluates only the grids its chunk needs, so no grid is computed twice.
`merge_sweeps` concatenates the rows, renumbers scenarios, and recomputes the summary.
"""

from __future__ import annotations

from typing import Any

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

import advisor.api.context as context
import advisor.api.ids as ids
from advisor.api.calibration import factors
from advisor.api.fleets import fleet_systems
from advisor.api.loading import Loaded, as_sweep
from advisor.domain import Catalog, System
from advisor.domain.fleet import SweepFile
from advisor.domain.results_fleet import SweepResult
from advisor.engine import sweep as sweep_engine
from advisor.engine.constraints import prefilter
from advisor.engine.factors import Factors
from advisor.errors import InputError, Problem, UsageError

SweepInput = SweepFile | Loaded[SweepFile] | str | Path | dict[str, Any]
SPLIT_ORDER = ("days_since_release", "isl", "osl", "min_tok_s_per_user")


def check_sweep_size(sw: SweepInput, *, max_scenarios: int | None = None, force: bool = False) -> int:
    """The number of scenarios; InputError (exit 2) above the maximum unless forced."""
    doc = as_sweep(sw)
    s = doc.value
    n = s.scenario_count
    cap = max_scenarios if max_scenarios is not None else s.max_scenarios
    if n > cap and not force:
        sizes = " x ".join(f"{a.count()} {a.label}" for a in s.axes)
        raise InputError([Problem(doc.origin, "axes", f"{n:,} scenarios ({sizes}) exceed the maximum of {cap:,}; "
                                                      "use --force, --max-scenarios N, or fewer values")])
    return n


def sweep(catalog: Catalog, sweep_obj: SweepInput, *, progress: Callable[[int, int], None] | None = None,
          workers: int | None = None, max_scenarios: int | None = None, force: bool = False,
          fac: Factors | None = None, client: Any = None, keep_inefficient: bool = False) -> SweepResult:
    """Every scenario of the sweep's axes x every option; returns domain.results_fleet.SweepResult.

    Options: each system of the catalog (or procurement.systems) x buy/rent, each serving the
    whole workload on its own (no mixed fleets), or the fleets of a fleets file. Grids are
    evaluated in a thread pool of `workers` (default: all cores); `progress(done, total)` is
    called as grids finish. isl/osl axes set every class's lengths. `client`: evaluate the grids
    on a cluster (a dask.distributed Client, see dask_client(); anything with .map/.gather), one
    task per grid: the result equals the local run. `keep_inefficient`: as recommend's, keep options needing
    over 10x the GPUs of a scenario's best-scoring option, or stuck at batch 1 (else: reason `inefficient`).
    """
    doc = as_sweep(sweep_obj)
    check_sweep_size(doc, max_scenarios=max_scenarios, force=force)
    sw = ids.check_sweep(catalog, doc)
    wl = sw.base_workload
    fac = fac or factors(catalog)
    ctx = context.job_context(catalog, wl, fac)
    if sw.fleets is not None:
        systems = fleet_systems(catalog, sw.fleets)
    else:
        pr = wl.procurement
        cands = [ids.system(catalog, s) for s in pr.systems] if pr.systems else list(catalog.systems.values())
        systems, _ = prefilter(ctx, cands)
    assumptions = [a.model_dump(mode="json") for a in context.assumptions(ctx)]
    res = sweep_engine.run(ctx, sw, systems, assumptions=assumptions, progress=progress, workers=workers, client=client,
                           keep_inefficient=keep_inefficient)
    res.warnings = context.stale_price_warnings(ctx, used_prices(catalog, sw, res))
    return res


def used_prices(catalog: Catalog, sw: SweepFile, res: SweepResult) -> list[tuple[System, str]]:
    """(system, buy | rent) of every catalog price an option feasible in at least one scenario was costed with.

    Not those a fleets file gives a member, nor those a `usd_per_gpu` / `usd_per_gpu_hour` axis sets outright
    (a `_multiplier` axis scales the catalog price, which is then still used).
    """
    n_opt = len(res.options)
    if not n_opt or not res.n_scenarios:
        return []
    grid = np.asarray(res.rows["feasible"], dtype=bool).reshape(res.n_scenarios, n_opt)
    feasible = [bool(grid[:, o].any()) for o in range(n_opt)]
    members: list[tuple[System, str]] = []
    if sw.fleets is not None:
        for f, ok in zip(sw.fleets.fleets, feasible):
            for m in f.members if ok else ():
                mode = m.procurement or f.procurement
                if (m.usd_per_gpu if mode == "buy" else m.usd_per_gpu_hour) is None:
                    members.append((catalog.system_or_accelerator(m.system), mode))
    else:
        for sid, mode, ok in zip(res.rows["system"][:n_opt], res.rows["procurement"][:n_opt], feasible):
            if ok:
                members.append((catalog.systems[str(sid)], str(mode)))
    setters = [(a.system, "buy" if a.name == "usd_per_gpu" else "rent") for a in sw.axes
               if a.name in ("usd_per_gpu", "usd_per_gpu_hour")]
    return [(s, mode) for s, mode in members
            if not any(m == mode and (target is None or target in (s.id, s.accelerator)) for target, m in setters)]


def dask_client(address: str) -> Any:
    """A dask.distributed Client: "local" starts an in-process LocalCluster, else a scheduler address
    (tcp://HOST:PORT). Needs the optional extra: pip install 'advisor[dask]'. Dask is imported here only."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise UsageError("--dask needs dask.distributed: pip install 'advisor[dask]'") from None
    if address == "local":
        return Client(LocalCluster(processes=False, n_workers=1, threads_per_worker=os.cpu_count() or 1,
                                   dashboard_address=None))
    if not address.startswith(("tcp://", "tls://", "ucx://", "inproc://")):
        raise UsageError(f"--dask takes 'local' or a scheduler address such as tcp://HOST:8786, not {address!r}")
    try:
        return Client(address, timeout=10)
    except OSError as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {address}: {exc}") from None


def sweep_chunks(sweep_obj: SweepInput, n_chunks: int) -> list[SweepFile]:
    """Split a sweep into up to `n_chunks` independent SweepFile objects that partition its scenarios.

    Splits the values of one axis into contiguous groups: the first grid-changing axis with
    more than one value (SPLIT_ORDER), else the longest axis. Run each chunk with sweep()
    anywhere and join the results with merge_sweeps(). Never more chunks than that axis has values.
    """
    sw = as_sweep(sweep_obj).value
    if n_chunks < 1:
        raise UsageError("n_chunks must be at least 1")
    pick = next((i for name in SPLIT_ORDER for i, a in enumerate(sw.axes) if a.name == name and a.count() > 1), None)
    if pick is None:
        pick = max(range(len(sw.axes)), key=lambda i: sw.axes[i].count())
    vals = sw.axes[pick].resolved()
    k = max(1, min(n_chunks, len(vals)))
    bounds = [round(i * len(vals) / k) for i in range(k + 1)]
    out = []
    for i in range(k):
        part = vals[bounds[i]:bounds[i + 1]]
        ax = sw.axes[pick].model_copy(update={"values": part, "start": None, "stop": None, "steps": None, "step": None})
        axes = list(sw.axes)
        axes[pick] = ax
        out.append(sw.model_copy(update={"axes": axes, "name": f"{sw.name}#{i + 1}of{k}"}))
    return out


def merge_sweeps(results: Sequence[SweepResult]) -> SweepResult:
    """Join the results of sweep_chunks() chunks (same options and axes) into one SweepResult."""
    return sweep_engine.merge(results)


def sweep_schema() -> dict[str, Any]:
    return SweepFile.model_json_schema()
