"""The score: a registry of penalty terms, one per `Weights` field, and the ranking built on it.

score = 100 * exp(-sum_i weight_i * term_i), so 100 means no penalty at all. Every term is
0 for an option that is best on its criterion. Adding a criterion: one `Term` here and one
field of `domain.workload.Weights` (a test checks the two lists agree).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from advisor.domain.workload import Weights

HEADROOM_TARGET = 0.2
"""Spare capacity above demand (fraction) below which the headroom term starts to count."""
VENDOR_SHARE_FREE = 0.5
"""Largest share of the accelerators one vendor may hold before the vendor-diversity term counts."""


@dataclass(frozen=True)
class Metrics:
    """What the score looks at, for one option."""

    usd_per_mtok: float
    all_in_mw: float
    ecosystem_risk: float  # GPU-weighted catalog ecosystem risk, 0..1
    headroom: float  # smallest spare capacity over the classes, fraction of demand
    top_vendor_share: float  # share of the accelerators from the biggest vendor, 0..1


@dataclass(frozen=True)
class Best:
    """The best value of each relative criterion over the options being ranked."""

    usd_per_mtok: float
    all_in_mw: float


@dataclass(frozen=True)
class Term:
    name: str
    """The `Weights` field that weighs it."""
    doc: str
    value: Callable[[Metrics, Best], float]


def _cost(m: Metrics, b: Best) -> float:
    return math.log(m.usd_per_mtok / b.usd_per_mtok) if b.usd_per_mtok > 0 else 0.0


def _power(m: Metrics, b: Best) -> float:
    return math.log(m.all_in_mw / b.all_in_mw) if b.all_in_mw > 0 else 0.0


def _risk(m: Metrics, b: Best) -> float:
    return m.ecosystem_risk


def _headroom(m: Metrics, b: Best) -> float:
    return max(0.0, HEADROOM_TARGET - m.headroom)


def _vendor(m: Metrics, b: Best) -> float:
    return m.top_vendor_share - VENDOR_SHARE_FREE


TERMS: tuple[Term, ...] = (
    Term("cost", "log of $/Mtok over the cheapest option's", _cost),
    Term("ecosystem_risk", "the catalog's ecosystem risk, weighted by accelerator share", _risk),
    Term("power", "log of all-in MW over the least power-hungry option's", _power),
    Term("headroom", f"how far the spare capacity falls short of {HEADROOM_TARGET:.0%}", _headroom),
    Term("vendor_diversity", f"the biggest vendor's share of accelerators above {VENDOR_SHARE_FREE:.0%}", _vendor),
)


def best_of(metrics: Sequence[Metrics]) -> Best:
    return Best(usd_per_mtok=min(m.usd_per_mtok for m in metrics), all_in_mw=min(m.all_in_mw for m in metrics))


def terms(m: Metrics, best: Best) -> dict[str, float]:
    return {t.name: t.value(m, best) for t in TERMS}


def score(term_values: dict[str, float], weights: Weights) -> float:
    """100 * exp(-weighted sum of the terms)."""
    return 100.0 * math.exp(-sum(getattr(weights, t.name) * term_values[t.name] for t in TERMS))


def scores(metrics: Sequence[Metrics], weights: Weights) -> list[tuple[float, dict[str, float]]]:
    """(score, terms) per option, relative to the best of `metrics`."""
    if not metrics:
        return []
    best = best_of(metrics)
    out = []
    for m in metrics:
        t = terms(m, best)
        out.append((score(t, weights), t))
    return out
