"""A sweep's answer in words: the winner per scenario, and where along each axis it changes."""

from __future__ import annotations

import numpy as np


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
    def name(w: int) -> str:
        return labels[w] if w >= 0 else "no option"

    if win.size == 0:
        return ["no scenarios"]
    if np.all(win < 0):
        return ["no option is feasible in any scenario"]
    uniq, counts = np.unique(win, return_counts=True)
    lines: list[str] = []
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
