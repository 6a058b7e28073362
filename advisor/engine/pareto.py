"""The Pareto front of (tok/s/user, tok/s/GPU): what every serving benchmark plots."""

from __future__ import annotations

import numpy as np


def front_indices(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Indices of the non-dominated points (maximise both x and y), sorted by x ascending."""
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    if x.size == 0:
        return np.zeros(0, dtype=int)
    order = np.lexsort((-y, -x))  # x descending, ties: larger y first
    ys = y[order]
    best_before = np.concatenate(([-np.inf], np.maximum.accumulate(ys)[:-1]))
    keep = order[ys > best_before]
    return keep[::-1]
