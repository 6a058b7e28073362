"""A sweep's answer in words: the lowest $/Mtok and the best score per scenario, and where along each axis
the lowest-cost option changes. One vocabulary with recommend: "lowest $/Mtok" vs "best score", never "winner"."""

from __future__ import annotations

from typing import Any

import numpy as np

from advisor.domain.workload import Weights
from advisor.engine import scoring


def lowest_cost(feasible: np.ndarray, usd_per_mtok: np.ndarray, k: int = 1) -> np.ndarray:
    """Index of the k-th cheapest feasible option per scenario (k=1: the lowest $/Mtok), -1 when none
    (ties: the first option)."""
    if feasible.shape[1] < k:
        return np.full(feasible.shape[0], -1)
    cost = np.where(feasible & np.isfinite(usd_per_mtok), usd_per_mtok, np.inf)
    order = np.argsort(cost, axis=1, kind="stable")[:, k - 1]
    return np.where(np.isfinite(cost[np.arange(len(order)), order]), order, -1)


def scores(opt: dict[str, Any], weights: Weights) -> np.ndarray:
    """(N, O) score of every feasible option in every scenario (NaN where infeasible), relative to that
    scenario's feasible options, by the same terms as recommend's (engine.scoring)."""
    feasible = np.asarray(opt["feasible"], dtype=bool)
    usd = np.where(feasible, np.asarray(opt["usd_per_mtok"], dtype=float), np.inf)
    mw = np.where(feasible, np.asarray(opt["all_in_mw"], dtype=float), np.inf)
    if feasible.shape[1] == 0:
        return np.zeros(feasible.shape)
    best = scoring.Best(usd_per_mtok=usd.min(axis=1, keepdims=True), all_in_mw=mw.min(axis=1, keepdims=True))
    m = scoring.Metrics(usd_per_mtok=usd, all_in_mw=mw, ecosystem_risk=opt["ecosystem_risk"][None, :],  # type: ignore[arg-type]
                        headroom=opt["headroom"][None, :], top_vendor_share=opt["top_vendor_share"][None, :],
                        headroom_target=opt["headroom"][None, :])
    out: np.ndarray = np.where(feasible, scoring.score_array(scoring.terms(m, best), weights), np.nan)
    return out


def best_score(score: np.ndarray) -> np.ndarray:
    """Index of the best-scoring feasible option per scenario, -1 when none."""
    if score.shape[1] == 0:
        return np.full(score.shape[0], -1)
    s = np.where(np.isfinite(score), score, -np.inf)
    idx = s.argmax(axis=1)
    return np.where(np.isfinite(s[np.arange(len(idx)), idx]), idx, -1)


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.6g}"


def summarise(axes: dict[str, np.ndarray], units: dict[str, str], win: np.ndarray, labels: list[str], *, limit: int = 8) -> list[str]:
    """Where the lowest-$/Mtok option changes, in words: per axis, the transitions between neighbouring values."""
    def name(w: int) -> str:
        return labels[w] if w >= 0 else "no option"

    if win.size == 0:
        return ["no scenarios"]
    if np.all(win < 0):
        return ["no option is feasible in any scenario"]
    uniq, counts = np.unique(win, return_counts=True)
    lines: list[str] = []
    if len(uniq) == 1:
        return [f"{name(int(uniq[0]))} has the lowest $/Mtok in all {win.size} scenarios"]
    share = ", ".join(f"{name(int(u))} {c}" for u, c in sorted(zip(uniq, counts), key=lambda t: -t[1]))
    lines.append(f"lowest $/Mtok over {win.size} scenarios: {share}")
    # place the lowest-cost options on the full grid of distinct axis values (works for merged chunks too)
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
            lines.append(f"{name(w_lo)} has the lowest $/Mtok up to {_fmt(vals[j])} {a} and {name(w_hi)} from "
                         f"{_fmt(vals[j + 1])} {a}"
                         + (f" ({unit})" if unit else ""))
            continue
        for o in order:
            code_o, j = int(kinds[0, o]), int(kinds[1, o])
            w_lo = code_o // (len(labels) + 3) ** 2 - 2
            w_hi = (code_o // (len(labels) + 3)) % (len(labels) + 3) - 2
            lines.append(f"lowest $/Mtok changes from {name(w_lo)} to {name(w_hi)} between {_fmt(vals[j])} and {_fmt(vals[j + 1])}"
                         f" of {a}" + (f" ({unit})" if unit else "") + other.format(n=int(kc[o])))
        if kinds.shape[1] > limit:
            lines.append(f"... and {kinds.shape[1] - limit} more kinds of change along {a}")
    return lines
