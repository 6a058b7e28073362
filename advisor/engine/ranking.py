"""Ranks a person can follow: why each option sits below the one above it, and which ones are tied.

`ranking_reason` is one sentence built from the score terms (engine.scoring): what the option
does better than the one above, then what costs it more score ("3% cheaper, but ROCm ecosystem
risk and 2 racks more"). `tied` marks an option whose score is within the combined error of the
one above it: the gap between the two scores, over the joint Monte Carlo draws of
engine.confidence, has a p10-p90 band that holds 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from advisor.domain.workload import Weights

TIE_QUANTILES = (10.0, 90.0)
"""A score's error: half the spread between these percentiles of its draws (the p80 band)."""


@dataclass(frozen=True)
class Facts:
    """What a ranking reason compares between two neighbouring options."""

    usd_per_mtok: float
    all_in_mw: float
    racks: int
    ecosystems: list[str]
    ecosystem_risk: float
    headroom_pct: float
    top_vendor_share: float
    terms: dict[str, float]
    score: float


def _pct(a: float, b: float) -> float:
    return 100.0 * (a - b) / b if b else 0.0


def reason(this: Facts, above: Facts, weights: Weights) -> str:
    """One sentence: what puts `this` below `above` (the option ranked just before it)."""
    good: list[str] = []
    bad: list[str] = []
    d_cost = _pct(this.usd_per_mtok, above.usd_per_mtok)
    if abs(d_cost) >= 0.5:
        (good if d_cost < 0 else bad).append(f"{abs(d_cost):.0f}% {'cheaper' if d_cost < 0 else 'dearer'} per Mtok")
    else:
        good.append("the same $/Mtok")
    weighted = {name: getattr(weights, name) * (this.terms.get(name, 0.0) - above.terms.get(name, 0.0))
                for name in this.terms}
    eco = "/".join(this.ecosystems)
    if weighted.get("ecosystem_risk", 0.0) > 1e-9:
        bad.append(f"{eco} ecosystem risk ({this.ecosystem_risk:.2f} vs {above.ecosystem_risk:.2f})")
    elif weighted.get("ecosystem_risk", 0.0) < -1e-9:
        good.append(f"lower ecosystem risk ({eco})")
    d_mw = this.all_in_mw - above.all_in_mw
    if abs(d_mw) >= 0.005:
        (bad if d_mw > 0 else good).append(f"{abs(d_mw):.2f} MW {'more' if d_mw > 0 else 'less'} power")
    if weighted.get("headroom", 0.0) > 1e-9:
        bad.append(f"less headroom ({this.headroom_pct:.0f}% vs {above.headroom_pct:.0f}%)")
    if weighted.get("vendor_diversity", 0.0) > 1e-9:
        bad.append("less vendor diversity")
    elif weighted.get("vendor_diversity", 0.0) < -1e-9:
        good.append("more vendor diversity")
    d_racks = this.racks - above.racks
    if d_racks:
        (bad if d_racks > 0 else good).append(f"{abs(d_racks)} rack{'s' if abs(d_racks) != 1 else ''} "
                                              f"{'more' if d_racks > 0 else 'fewer'}")
    if not bad:
        bad.append(f"a score {above.score - this.score:.1f} lower" if above.score > this.score
                   else "an equal score (listed after it by $/Mtok, then id)")
    if good:
        return f"{_join(good)}, but {_join(bad)}"
    return _join(bad)


def _join(xs: list[str]) -> str:
    return xs[0] if len(xs) == 1 else ", ".join(xs[:-1]) + " and " + xs[-1]


def score_errors(score_samples: np.ndarray) -> np.ndarray:
    """Per option, half the p10-p90 spread of its score over the draws."""
    if score_samples.size == 0:
        return np.zeros(score_samples.shape[1] if score_samples.ndim == 2 else 0)
    lo, hi = np.percentile(score_samples, TIE_QUANTILES, axis=0)
    out: np.ndarray = (hi - lo) / 2.0
    return out


def tied(score_samples: np.ndarray) -> list[bool]:
    """For options in rank order (columns of the (D, O) score draws): True where the score gap to the option
    above is within their combined error, i.e. the p10-p90 band of the gap, drawn jointly (shared errors
    cancel), holds 0."""
    D, O = score_samples.shape if score_samples.ndim == 2 else (0, 0)
    if O == 0:
        return []
    gap = score_samples[:, :-1] - score_samples[:, 1:]
    lo, hi = np.percentile(gap, TIE_QUANTILES, axis=0) if D else (np.zeros(O - 1), np.zeros(O - 1))
    return [False] + [bool(lo[k] <= 0.0 <= hi[k]) for k in range(O - 1)]
