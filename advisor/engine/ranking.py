"""Ranks a person can follow: why each option sits below the one above it, and which ones are tied.

`ranking_reason` is one sentence built from the score terms (engine.scoring): what the option
does better than the one above, then what costs it more score ("3% cheaper, but ROCm ecosystem
risk and 2 racks more"). `tied` marks an option whose score is within the combined error of the
one above it: the gap between the two scores, over the joint Monte Carlo draws of
engine.confidence, has a p10-p90 band that holds 0.

Budget mode ([objective] maximise = "users") ranks by max_concurrent_users, so there the ties and
the reasons compare users: `users_draws` turns the $/Mtok draws into draws of the users each budget
buys, and `users_reason` says how many fewer users an option serves than the one above it.
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


def users_draws(samples: np.ndarray, usd_per_mtok: Sequence[float], users: Sequence[float]) -> np.ndarray:
    """(D, O) draws of the concurrent users each option's budget buys.

    At the SLOs a budget buys capacity in proportion to throughput per dollar, i.e. inversely to the cost of a
    token: users x (usd_per_mtok / drawn usd_per_mtok). The throughput and price errors carry over (shared as
    engine.confidence draws them); the utilisation factor of a draw scales every option alike, so it never
    changes which of two options serves more users in that draw (nor a tie).
    """
    usd = np.asarray(usd_per_mtok, dtype=float)
    n = np.asarray(users, dtype=float)
    if samples.shape[1] == 0:
        return np.zeros_like(samples)
    out: np.ndarray = n * usd / np.where(samples > 0, samples, np.inf)
    return out


def share_above(draws: np.ndarray) -> list[float]:
    """For options in rank order (columns of (D, O) draws): the share of draws in which each one beats the option
    ranked above it (0 for the first)."""
    if draws.ndim != 2 or draws.shape[1] == 0:
        return []
    if draws.shape[0] == 0:
        return [0.0] * draws.shape[1]
    wins = (draws[:, 1:] > draws[:, :-1]).mean(axis=0)
    return [0.0] + [float(w) for w in wins]


def users_reason(this_users: float, above_users: float, p_more: float, score_reason: str) -> str:
    """Budget mode: what puts an option below the one above it, by the users the budget buys (then the score)."""
    fewer = above_users - this_users
    if fewer < 0.5:
        return f"as many users within the budget ({this_users:,.0f}), and {score_reason}"
    head = (f"{-_pct(this_users, above_users):.0f}% fewer users within the budget "
            f"({this_users:,.0f} vs {above_users:,.0f})")
    if p_more >= 0.005:
        head += f"; more users than it in {p_more:.0%} of the draws"
    return head
