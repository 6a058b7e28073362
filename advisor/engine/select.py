"""Pick operating points out of a grid: best under SLOs, the Pareto front, exact replays."""

from __future__ import annotations

import numpy as np

from advisor.domain.base import PRECISION_ORDER
from advisor.engine.grid import SPEC, Grid
from advisor.engine.pareto import front_indices


def slo_mask(grid: Grid, min_tok_s_per_user: float = 0.0, max_ttft_s: float | None = None) -> np.ndarray:
    m = grid.valid & (grid.metrics["tok_s_per_user"] >= min_tok_s_per_user)
    if max_ttft_s is not None:
        m &= grid.metrics["ttft_s"] <= max_ttft_s
    return m


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


def cell(grid: Grid, s: int, flat: int) -> dict:
    """Everything about one cell of system s, as plain Python values."""
    g, p, m, b = np.unravel_index(flat, grid.shape[1:])
    get = {k: float(v[s, g, p, m, b]) for k, v in grid.metrics.items() if k not in ("fits", "compute_bound")}
    return {
        **get,
        "fits": bool(grid.metrics["fits"][s, g, p, m, b]),
        "bound": "compute" if bool(grid.metrics["compute_bound"][s, g, p, m, b]) else "memory",
        "gpus_per_replica": int(grid.layouts[g]),
        "layout": grid.layout_kinds[g] if grid.layout_kinds else "tp",
        "serving": "disagg" if bool(grid.metrics["disaggregated"][s, g, p, m, b]) else "agg",
        "batch": int(grid.batches[b]),
        "precision": PRECISION_ORDER[p],
        "spec_decode": "mtp" if SPEC[m] > 0 else "none",
    }


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
