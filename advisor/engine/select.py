"""Pick operating points out of a grid: best under SLOs, the Pareto front, exact replays."""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from advisor.domain.base import PRECISION_ORDER
from advisor.domain.workload import TrafficClass, Workload
from advisor.engine import pricing
from advisor.engine.grid import SPEC, Grid
from advisor.engine.pareto import front_indices


def slo_mask(grid: Grid, min_tok_s_per_user: float = 0.0, max_ttft_s: float | None = None,
             max_ttft_p99_s: float | None = None) -> np.ndarray:
    """Valid cells meeting the SLOs: the tok/s/user floor, TTFT (median: `ttft_s`) and TTFT p99 (`ttft_p99_s`,
    prefill queueing included) ceilings."""
    m = grid.valid & (grid.metrics["tok_s_per_user"] >= min_tok_s_per_user)
    if max_ttft_s is not None:
        m &= grid.metrics["ttft_s"] <= max_ttft_s
    if max_ttft_p99_s is not None:
        m &= np.asarray(grid.metrics["ttft_p99_s"] if "ttft_p99_s" in grid.metrics else grid.metrics["ttft_s"]) <= max_ttft_p99_s
    return m


def class_mask(grid: Grid, tc: TrafficClass, min_tok_s_per_user: float | None = None) -> np.ndarray:
    """slo_mask with every SLO of a traffic class (`min_tok_s_per_user` overrides its floor, as sweeps do)."""
    floor = tc.min_tok_s_per_user if min_tok_s_per_user is None else min_tok_s_per_user
    return slo_mask(grid, floor, tc.max_ttft_s, tc.max_ttft_p99_s)


def best_per_system(grid: Grid, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(flat index of the best cell per system, whether any cell qualified), by total tok/s/GPU.

    Ties go to the higher tok/s/user, so the choice is deterministic.
    """
    S = grid.shape[0]
    thr = np.where(mask, grid.metrics["total_tok_s_per_gpu"], -np.inf).reshape(S, -1)
    usr = grid.metrics["tok_s_per_user"].reshape(S, -1)
    key = thr + 1e-9 * np.where(np.isfinite(thr), usr, 0.0)
    idx = key.argmax(axis=1)
    return idx, np.isfinite(thr[np.arange(S), idx])


def sized_usd_weight(grid: Grid, users: np.ndarray | float, *, headroom: float, spares: int,
                     accelerators_per_system: np.ndarray) -> np.ndarray:
    """Per cell, the GPUs paid for per token/s of output when the class's `users` are served on it, exactly as
    options.size sizes them: whole replicas for users x (1 + headroom), plus `spares`, each with its share of a
    disaggregated prefill pool (whole GPUs), in whole systems. A system's $/GPU-hour is the same in every cell,
    so within a system this orders cells as the option's $/Mtok does (cost / tokens, tokens = users x tok/s/user
    x (ISL + OSL) / OSL)."""
    B = grid.batches.reshape(1, 1, 1, 1, -1)
    G = grid.layouts.reshape(1, -1, 1, 1, 1)
    pf = np.asarray(grid.metrics["prefill_gpus_per_replica"]) if "prefill_gpus_per_replica" in grid.metrics else 0.0
    users = np.asarray(users, dtype=float)
    replicas = np.maximum(1.0, np.ceil(users * (1.0 + headroom) / B - 1e-9)) + spares
    gpus = replicas * G + np.ceil(replicas * pf - 1e-9)
    aps = np.asarray(accelerators_per_system, dtype=float).reshape(-1, 1, 1, 1, 1)
    paid = np.ceil(gpus / aps - 1e-9) * aps
    with np.errstate(divide="ignore", invalid="ignore"):
        out: np.ndarray = paid / (users * np.asarray(grid.metrics["tok_s_per_user"]))
    return out


def cheapest_per_system(grid: Grid, mask: np.ndarray, users: np.ndarray | float, *, headroom: float, spares: int,
                        accelerators_per_system: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(flat index of the cheapest cell per system, whether any cell qualified): the lowest $/Mtok of the class
    served on that system alone at its demand (sized_usd_weight), not the highest tok/s/GPU of one replica; the
    two differ by whole replicas and whole systems, which is what made a stricter SLO look cheaper. Ties go to the
    higher total tok/s/GPU, then the higher tok/s/user, so the choice is deterministic."""
    S = grid.shape[0]
    w = sized_usd_weight(grid, users, headroom=headroom, spares=spares, accelerators_per_system=accelerators_per_system)
    key = np.where(mask & np.isfinite(w), w, np.inf).reshape(S, -1)
    thr = np.broadcast_to(grid.metrics["total_tok_s_per_gpu"], grid.shape).reshape(S, -1)
    usr = np.broadcast_to(grid.metrics["tok_s_per_user"], grid.shape).reshape(S, -1)
    lowest = key.min(axis=1, keepdims=True)
    tied = np.isfinite(key) & (key <= lowest * (1 + 1e-12))
    idx = np.where(tied, thr + 1e-9 * usr, -np.inf).argmax(axis=1)
    return idx, np.isfinite(lowest[:, 0])


def most_demand_per_system(grid: Grid, mask: np.ndarray, users: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """(flat index per system, whether any cell qualified): the cell carrying the largest share of the class's
    demand per GPU, batch / (G + prefill pool) / users (users: the class's concurrent users, per cell when from
    Little's law). For GPUs already fixed (a fleet) or bought within a budget: the most tok/s/GPU can be a cell
    far above the tok/s/user floor that carries fewer users. Ties go to the higher total tok/s/GPU, then tok/s/user."""
    S = grid.shape[0]
    B = grid.batches.reshape(1, 1, 1, 1, -1)
    G = grid.layouts.reshape(1, -1, 1, 1, 1)
    pf = np.asarray(grid.metrics["prefill_gpus_per_replica"]) if "prefill_gpus_per_replica" in grid.metrics else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        carried = np.broadcast_to(B / (G + pf) / np.asarray(users, dtype=float), grid.shape)
    key = np.where(mask & np.isfinite(carried), carried, -np.inf).reshape(S, -1)
    thr = np.broadcast_to(grid.metrics["total_tok_s_per_gpu"], grid.shape).reshape(S, -1)
    usr = np.broadcast_to(grid.metrics["tok_s_per_user"], grid.shape).reshape(S, -1)
    top = key.max(axis=1, keepdims=True)
    tied = np.isfinite(key) & (key >= top * (1 - 1e-12))
    idx = np.where(tied, thr + 1e-9 * usr, -np.inf).argmax(axis=1)
    return idx, np.isfinite(top[:, 0])


def class_users_grid(grid: Grid, wl: Workload, tc: TrafficClass, concurrent_users: float | None = None) -> np.ndarray | float:
    """The class's concurrent users: its share of `concurrent_users` (a sweep's value) or of the workload's, else
    Little's law per cell from requests/s (allocation.class_users, over the grid)."""
    total = concurrent_users if concurrent_users is not None else wl.demand.concurrent_users
    if total is not None:
        return total * tc.share
    return np.asarray(pricing.littles_law_users(wl.demand.requests_per_s, tc.share, grid.metrics["ttft_s"], tc.osl,
                                                grid.metrics["tok_s_per_user"]))


def cheapest_for_class(grid: Grid, mask: np.ndarray, wl: Workload, tc: TrafficClass, accelerators_per_system: np.ndarray,
                       concurrent_users: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """cheapest_per_system at the class's demand: its share of `concurrent_users` (a sweep's value) or of the
    workload's, or Little's law per cell from requests/s; the workload's headroom target and spares."""
    users = class_users_grid(grid, wl, tc, concurrent_users)
    pr = wl.procurement
    return cheapest_per_system(grid, mask, users, headroom=pr.headroom_target, spares=pr.spares_for(tc.name),
                               accelerators_per_system=accelerators_per_system)


@dataclass(frozen=True)
class Cell:
    """One cell of a grid (one replica of one system at one layout, precision, spec mode and batch)."""

    tok_s_per_user: float
    output_tok_s_per_gpu: float
    total_tok_s_per_gpu: float
    ttft_s: float
    mem_used_gb: float
    t_step_s: float
    fits: bool
    bound: Literal["compute", "memory"]
    gpus_per_replica: int
    batch: int
    precision: str
    spec_decode: str  # "mtp" | "none"
    public_checkpoint: bool = True
    """Whether a public checkpoint of the model exists in this precision (the engine runs it either way)."""
    layout: Literal["tp", "ep"] = "tp"
    """Tensor parallel, or expert parallel with data-parallel attention (layouts.py)."""
    serving: Literal["agg", "disagg"] = "agg"
    """Aggregated, or disaggregated prefill and decode pools (serving.py)."""
    ttft_p99_s: float = 0.0
    """Time to first token at the 99th percentile, prefill queueing included (queueing.py)."""
    prefill_gpus_per_replica: float = 0.0
    """Disaggregated: GPUs of the prefill pool per decode replica (0 when aggregated)."""


def cell(grid: Grid, s: int, flat: int) -> Cell:
    """Everything about one cell of system s, as plain Python values."""
    return columns(grid, s, [flat]).cells()[0]


def cells(grid: Grid, s: int, flats: Sequence[int] | np.ndarray) -> list[Cell]:
    """Cells `flats` (flat indices within system s) of the grid."""
    return columns(grid, s, flats).cells()


@dataclass(frozen=True)
class Columns:
    """Cells of one system as arrays, one entry a cell (what Cell holds, gathered in one pass per metric)."""

    tok_s_per_user: np.ndarray
    output_tok_s_per_gpu: np.ndarray
    total_tok_s_per_gpu: np.ndarray
    ttft_s: np.ndarray
    ttft_p99_s: np.ndarray
    mem_used_gb: np.ndarray
    t_step_s: np.ndarray
    fits: np.ndarray
    compute_bound: np.ndarray
    gpus_per_replica: np.ndarray
    batch: np.ndarray
    precision: list[str]
    mtp: np.ndarray
    public_checkpoint: np.ndarray
    ep: np.ndarray
    disaggregated: np.ndarray
    prefill_gpus_per_replica: np.ndarray

    def __len__(self) -> int:
        return len(self.precision)

    @classmethod
    def of(cls, cells: Sequence[Cell]) -> Columns:
        """Columns of Cell objects (the inverse of cells())."""
        def col(name: str, dtype: type = float) -> np.ndarray:
            return np.array([getattr(c, name) for c in cells], dtype=dtype)

        return cls(
            tok_s_per_user=col("tok_s_per_user"), output_tok_s_per_gpu=col("output_tok_s_per_gpu"),
            total_tok_s_per_gpu=col("total_tok_s_per_gpu"), ttft_s=col("ttft_s"), ttft_p99_s=col("ttft_p99_s"),
            mem_used_gb=col("mem_used_gb"), t_step_s=col("t_step_s"), fits=col("fits", bool),
            compute_bound=np.array([c.bound == "compute" for c in cells]), gpus_per_replica=col("gpus_per_replica"),
            batch=col("batch"), precision=[c.precision for c in cells],
            mtp=np.array([c.spec_decode == "mtp" for c in cells]), public_checkpoint=col("public_checkpoint", bool),
            ep=np.array([c.layout == "ep" for c in cells]), disaggregated=np.array([c.serving == "disagg" for c in cells]),
            prefill_gpus_per_replica=col("prefill_gpus_per_replica"),
        )

    def cells(self) -> list[Cell]:
        cols = {f: (v.tolist() if isinstance(v, np.ndarray) else v) for f, v in self.__dict__.items()}
        return [
            Cell(tok_s_per_user=cols["tok_s_per_user"][k], output_tok_s_per_gpu=cols["output_tok_s_per_gpu"][k],
                 total_tok_s_per_gpu=cols["total_tok_s_per_gpu"][k], ttft_s=cols["ttft_s"][k],
                 mem_used_gb=cols["mem_used_gb"][k], t_step_s=cols["t_step_s"][k], fits=bool(cols["fits"][k]),
                 bound="compute" if cols["compute_bound"][k] else "memory",
                 gpus_per_replica=int(cols["gpus_per_replica"][k]), batch=int(cols["batch"][k]),
                 precision=cols["precision"][k], spec_decode="mtp" if cols["mtp"][k] else "none",
                 public_checkpoint=bool(cols["public_checkpoint"][k]), layout="ep" if cols["ep"][k] else "tp",
                 serving="disagg" if cols["disaggregated"][k] else "agg", ttft_p99_s=float(cols["ttft_p99_s"][k]),
                 prefill_gpus_per_replica=float(cols["prefill_gpus_per_replica"][k]))
            for k in range(len(self))
        ]


def columns(grid: Grid, s: int, flats: Sequence[int] | np.ndarray) -> Columns:
    """Cells `flats` (flat indices within system s) of the grid as Columns."""
    g, p, m, b = np.unravel_index(np.asarray(flats, dtype=np.intp), grid.shape[1:])
    at = (np.full_like(g, s), g, p, m, b)
    met = grid.metrics

    def col(key: str, fallback: str | None = None, dtype: type = float) -> np.ndarray:
        if key not in met:
            return col(fallback) if fallback is not None else np.zeros(len(g), dtype=dtype)
        return np.asarray(np.broadcast_to(met[key], grid.shape)[at], dtype=dtype)

    kinds = grid.layout_kinds
    return Columns(
        tok_s_per_user=col("tok_s_per_user"), output_tok_s_per_gpu=col("output_tok_s_per_gpu"),
        total_tok_s_per_gpu=col("total_tok_s_per_gpu"), ttft_s=col("ttft_s"), ttft_p99_s=col("ttft_p99_s", "ttft_s"),
        mem_used_gb=col("mem_used_gb"), t_step_s=col("t_step_s"), fits=col("fits", dtype=bool),
        compute_bound=col("compute_bound", dtype=bool), gpus_per_replica=grid.layouts[g], batch=grid.batches[b],
        precision=[PRECISION_ORDER[k] for k in p.tolist()], mtp=SPEC[m] > 0, public_checkpoint=grid.public_checkpoint[p],
        ep=np.array([bool(kinds) and kinds[k] == "ep" for k in g.tolist()], dtype=bool),
        disaggregated=col("disaggregated", dtype=bool), prefill_gpus_per_replica=col("prefill_gpus_per_replica"),
    )


def front(grid: Grid, s: int, mask: np.ndarray | None = None) -> list[int]:
    """Flat indices (within system s) of its Pareto front, by tok/s/user ascending."""
    m = (grid.valid if mask is None else mask)[s].ravel()
    flat = np.flatnonzero(m)
    if flat.size == 0:
        return []
    x = grid.metrics["tok_s_per_user"][s].ravel()[flat]
    y = grid.metrics["total_tok_s_per_gpu"][s].ravel()[flat]
    return [int(i) for i in flat[front_indices(x, y)]]


def max_tok_s_per_user(grid: Grid, s: int) -> float:
    v = np.where(grid.valid[s], grid.metrics["tok_s_per_user"][s], 0.0)
    return float(v.max()) if v.size else 0.0
