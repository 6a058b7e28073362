"""The score: a registry of penalty terms, one per `Weights` field, and the ranking built on it.

score = 100 * exp(-sum_i weight_i * term_i). Every term is bounded to [0, 1] and is 0 for an
option that is best (or good enough) on its criterion, so with weights >= 0 the score lies in
(0, 100] and 100 means no penalty at all; raising a weight can only lower the scores of the
options that term penalises. Adding a criterion: one `Term` here and one field of
`domain.workload.Weights` (a test checks the two lists agree).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from advisor.domain.workload import Weights

HEADROOM_TARGET = 0.2
"""Default spare capacity above demand (fraction) below which the headroom term counts; an option's own target
(procurement.headroom_target) comes with its Metrics."""
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
    headroom_target: float = HEADROOM_TARGET  # procurement.headroom_target


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
    value: Callable[[Metrics, Best], Any]
    """A float for one option; an array when Metrics hold arrays (a sweep's scenarios x options)."""


def _out(x: Any) -> Any:
    """A 0-d result as a float; arrays (a sweep's scenarios x options) as they are."""
    return float(x) if np.ndim(x) == 0 else x


def _clip(x: Any) -> Any:
    return _out(np.clip(x, 0.0, 1.0))


def _relative_excess(value: Any, best: Any) -> Any:
    """1 - best/value: 0 for the best option, 0.5 at twice the best, towards 1 far above it (broadcasts)."""
    v, b = np.asarray(value, dtype=float), np.asarray(best, dtype=float)
    ok = (v > 0) & (b > 0) & np.isfinite(v)
    return _out(np.where(ok, np.clip(1.0 - b / np.where(ok, v, 1.0), 0.0, 1.0), 0.0))


def _cost(m: Metrics, b: Best) -> Any:
    return _relative_excess(m.usd_per_mtok, b.usd_per_mtok)


def _power(m: Metrics, b: Best) -> Any:
    return _relative_excess(m.all_in_mw, b.all_in_mw)


def _risk(m: Metrics, b: Best) -> Any:
    return _clip(m.ecosystem_risk)


def _headroom(m: Metrics, b: Best) -> Any:
    target = np.asarray(m.headroom_target, dtype=float)
    return _out(np.where(target > 0, np.clip((target - m.headroom) / np.where(target > 0, target, 1.0), 0.0, 1.0), 0.0))


def _vendor(m: Metrics, b: Best) -> Any:
    return _clip((m.top_vendor_share - VENDOR_SHARE_FREE) / (1.0 - VENDOR_SHARE_FREE))


TERMS: tuple[Term, ...] = (
    Term("cost", "1 - cheapest $/Mtok / this option's $/Mtok (0 for the cheapest, 0.5 at twice its cost)", _cost),
    Term("ecosystem_risk", "the catalog's ecosystem risk (0..1), weighted by accelerator share", _risk),
    Term("power", "1 - lowest all-in MW / this option's all-in MW", _power),
    Term("headroom", "shortfall of spare capacity below procurement.headroom_target "
                         f"(default {HEADROOM_TARGET:.0%}), as a fraction of that target", _headroom),
    Term("vendor_diversity", f"the biggest vendor's share of accelerators above {VENDOR_SHARE_FREE:.0%}, "
                             "scaled so one vendor alone is 1", _vendor),
)


def best_of(metrics: Sequence[Metrics]) -> Best:
    return Best(usd_per_mtok=min(m.usd_per_mtok for m in metrics), all_in_mw=min(m.all_in_mw for m in metrics))


def terms(m: Metrics, best: Best) -> dict[str, float]:
    return {t.name: t.value(m, best) for t in TERMS}


def score(term_values: dict[str, float], weights: Weights) -> float:
    """100 * exp(-weighted sum of the terms)."""
    return 100.0 * math.exp(-sum(getattr(weights, t.name) * term_values[t.name] for t in TERMS))


def score_array(term_values: dict[str, Any], weights: Weights) -> np.ndarray:
    """score() over arrays of term values (a sweep's scenarios x options)."""
    out: np.ndarray = 100.0 * np.exp(-sum(getattr(weights, t.name) * np.asarray(term_values[t.name], dtype=float)
                                           for t in TERMS))
    return out


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
