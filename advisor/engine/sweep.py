"""Sensitivity sweeps: every scenario of the axes' full grid x every option, without a recommend() per scenario.

One grid per distinct (isl, osl, days_since_release) and class (engine.sweep_tables), one argmax
per SLO floor, then numpy over all scenarios for prices, power, utilisation and concurrency
(engine.sweep_options); the lowest $/Mtok and the best score per scenario, and where the
lowest-cost option changes (engine.sweep_summary).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from advisor.domain import System
from advisor.domain.fleet import AXIS_UNITS, SweepFile
from advisor.domain.results_fleet import SweepResult
from advisor.engine.constraints import Reason, inefficient_mask, reason_code, reason_strings
from advisor.engine.context import Context
from advisor.engine.sweep_options import fleet_options, workload_options
from advisor.engine.sweep_summary import best_score, lowest_cost, scores, summarise
from advisor.engine.sweep_tables import cell_tables

THROUGHPUT_AXES = ("isl", "osl", "days_since_release", "min_tok_s_per_user", "concurrent_users")
"""Axes that change the best operating point (grid, SLO floor, or the demand the cheapest cell is sized for);
every other axis is only arithmetic."""


@dataclass(frozen=True)
class Scenarios:
    """The full grid of the axes' values, flattened: N scenarios."""

    n: int
    values: dict[str, np.ndarray]  # axis label -> (N,) value per scenario
    keys: list[tuple[float | None, ...]]  # distinct (isl, osl, days, floor, users); None = the workload's value
    key_index: np.ndarray  # (N,) scenario -> its throughput key


def scenarios(sw: SweepFile) -> Scenarios:
    axes = list(sw.axes)
    levels = [np.asarray(a.resolved(), dtype=float) for a in axes]
    shape = tuple(len(v) for v in levels)
    n = int(np.prod(shape))
    idx = np.unravel_index(np.arange(n), shape)
    values = {a.label: levels[i][idx[i]] for i, a in enumerate(axes)}
    present = [a for a in THROUGHPUT_AXES if a in values]
    if not present:
        return Scenarios(n, values, [(None,) * len(THROUGHPUT_AXES)], np.zeros(n, dtype=np.int64))
    uniq, key_index = np.unique(np.stack([values[a] for a in present]), axis=1, return_inverse=True)
    keys = [tuple(float(uniq[present.index(a), k]) if a in present else None for a in THROUGHPUT_AXES)
            for k in range(uniq.shape[1])]
    return Scenarios(n, values, keys, key_index.ravel())


def drop_inefficient(opt: dict[str, Any], weights: Any, budget_mode: bool) -> dict[str, Any]:
    """recommend's rule per scenario (engine.recommend.drop_inefficient, constraints.inefficiency): a feasible option
    stuck at batch 1 on more than one replica, or (not in budget mode) needing over 10x the GPUs of the scenario's
    best-scoring feasible option, becomes infeasible with reason `inefficient`; its costs are dropped like any
    infeasible row's."""
    feasible = np.asarray(opt["feasible"], dtype=bool)
    stuck = np.asarray(opt["batch_one_replicas"])
    gpus = np.asarray(opt["gpus"])
    best_gpus = np.zeros(feasible.shape[0])
    keep = feasible & ~inefficient_mask(gpus, 0, stuck)
    if not budget_mode and feasible.shape[1]:
        top = best_score(scores({**opt, "feasible": keep}, weights))
        best_gpus = np.where(top >= 0, gpus[np.arange(len(top)), np.maximum(top, 0)], 0)
    out = feasible & inefficient_mask(gpus, best_gpus[:, None], stuck)
    if not out.any():
        return opt
    code = np.int8(reason_code(Reason.INEFFICIENT))
    new = {**opt, "feasible": feasible & ~out, "reason": np.where(out, code, opt["reason"]).astype(np.int8)}
    for k in ("capex_usd", "annual_total_usd", "usd_per_mtok"):
        new[k] = np.where(out, np.nan, np.asarray(opt[k], dtype=float))
    return new


def run(ctx: Context, sw: SweepFile, systems: list[System], *, assumptions: list[dict[str, Any]],
        progress: Callable[[int, int], None] | None = None, workers: int | None = None,
        client: Any = None, keep_inefficient: bool = False) -> SweepResult:
    """The sweep over `systems` (the fleets' systems, or the prefiltered catalog systems); grids on `client`
    (a dask.distributed Client) when given. Options recommend would call inefficient are infeasible (reason
    `inefficient`) in each scenario unless `keep_inefficient`."""
    t0 = time.perf_counter()
    sc = scenarios(sw)
    axes = list(sw.axes)
    tables = cell_tables(ctx, systems, sc.keys, workers=workers, progress=progress, client=client,
                         by_cost=sw.fleets is None)
    if sw.fleets is not None:
        opt = fleet_options(ctx, sw.fleets, systems, tables, sc.key_index, axes, sc.values)
    else:
        opt = workload_options(ctx, systems, tables, sc.key_index, axes, sc.values)
    if not keep_inefficient:
        opt = drop_inefficient(opt, ctx.workload.weights, ctx.workload.objective.maximise == "users")
    labels = opt["labels"]
    N, O = sc.n, len(labels)
    win = lowest_cost(opt["feasible"], opt["usd_per_mtok"])
    second = lowest_cost(opt["feasible"], opt["usd_per_mtok"], 2)
    score = scores(opt, ctx.workload.weights)
    top = best_score(score)

    def names(idx: np.ndarray) -> list[str]:
        return list(np.array(labels + [""], dtype=object)[np.where(idx >= 0, idx, O)]) if O else [""] * N
    units = {a.label: AXIS_UNITS[a.name] for a in axes}
    rows = {
        "scenario": np.repeat(np.arange(N), O),
        "option": np.tile(np.array(labels, dtype=object), N),
        "system": np.tile(np.array(opt["systems"], dtype=object), N),
        "procurement": np.tile(np.array(opt["procurement"], dtype=object), N),
        "feasible": opt["feasible"].ravel(),
        "reason": reason_strings(np.asarray(opt["reason"]).ravel()),
        "gpus": np.asarray(opt["gpus"]).ravel(),
        **{k: np.asarray(opt[k], dtype=float).ravel()
           for k in ("capex_usd", "annual_total_usd", "usd_per_mtok", "all_in_mw", "tok_s_per_user")},
        "score": score.ravel(),
        "is_lowest_cost": (np.arange(O)[None, :] == win[:, None]).ravel() if O else np.zeros(0, bool),
        "is_best_score": (np.arange(O)[None, :] == top[:, None]).ravel() if O else np.zeros(0, bool),
    }
    return SweepResult(
        name=sw.name, axes=sc.values, axis_units=units, options=labels, rows=rows, lowest_cost=names(win),
        second_lowest_cost=names(second), best_score=names(top),
        summary=summarise(sc.values, units, win, labels), n_scenarios=N, grid_evaluations=tables.grid_evaluations,
        seconds=time.perf_counter() - t0, assumptions=assumptions,
    )


def merge(results: Sequence[SweepResult]) -> SweepResult:
    """Join the results of chunks of one sweep (same options and axes) into one SweepResult."""
    if not results:
        raise ValueError("nothing to merge")
    first = results[0]
    labels = list(first.options)
    offsets = np.cumsum([0] + [r.n_scenarios for r in results[:-1]])
    axes = {a: np.concatenate([np.asarray(r.axes[a]) for r in results]) for a in first.axes}
    rows = {}
    for c in first.rows:
        parts = [np.asarray(r.rows[c]) + off if c == "scenario" else np.asarray(r.rows[c]) for r, off in zip(results, offsets)]
        rows[c] = np.concatenate(parts)
    won = [w for r in results for w in r.lowest_cost]
    lookup = {lab: i for i, lab in enumerate(labels)}
    win = np.array([lookup.get(w, -1) for w in won])
    return SweepResult(
        name=first.name.split("#")[0], axes=axes, axis_units=dict(first.axis_units), options=labels, rows=rows,
        lowest_cost=won, second_lowest_cost=[w for r in results for w in r.second_lowest_cost],
        best_score=[w for r in results for w in r.best_score],
        summary=summarise(axes, first.axis_units, win, labels), n_scenarios=len(won),
        grid_evaluations=sum(r.grid_evaluations for r in results), seconds=sum(r.seconds for r in results),
        assumptions=list(first.assumptions), warnings=list(dict.fromkeys(w for r in results for w in r.warnings)),
    )
