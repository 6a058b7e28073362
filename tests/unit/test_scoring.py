"""The score: every term bounded to [0, 1], the score in (0, 100], and each weight able to change the order."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from advisor.domain.workload import Weights
from advisor.engine import scoring
from advisor.engine.scoring import Metrics

BASE = Metrics(usd_per_mtok=1.0, all_in_mw=1.0, ecosystem_risk=0.0, headroom=0.5, top_vendor_share=0.5)


def _order(options: dict[str, Metrics], weights: Weights) -> list[str]:
    names = list(options)
    scored = scoring.scores([options[n] for n in names], weights)
    return [n for _, n in sorted(zip((-s for s, _ in scored), names))]


def test_terms_and_weights_are_one_list():
    assert [t.name for t in scoring.TERMS] == list(Weights.model_fields)
    assert all(t.doc for t in scoring.TERMS)


# Each case: two options that differ on the weighed criterion (A worse) and on cost (B worse).
# With that weight at 0, A (cheaper) ranks first; raising it puts B first.
CASES = {
    "cost": ({"usd_per_mtok": 1.0, "ecosystem_risk": 0.4}, {"usd_per_mtok": 1.5, "ecosystem_risk": 0.0}, "ecosystem_risk"),
    "ecosystem_risk": ({"ecosystem_risk": 0.9}, {"usd_per_mtok": 1.3}, "cost"),
    "power": ({"all_in_mw": 3.0}, {"usd_per_mtok": 1.3}, "cost"),
    "headroom": ({"headroom": 0.0}, {"usd_per_mtok": 1.3}, "cost"),
    "vendor_diversity": ({"top_vendor_share": 1.0}, {"usd_per_mtok": 1.3}, "cost"),
}


@pytest.mark.parametrize("weight", list(CASES))
def test_raising_each_weight_can_change_the_order(weight):
    a_patch, b_patch, other = CASES[weight]
    a = Metrics(**{**BASE.__dict__, **a_patch})
    b = Metrics(**{**BASE.__dict__, **b_patch})
    zero = {f: 0.0 for f in Weights.model_fields}
    low = Weights(**{**zero, other: 1.0, weight: 0.0})
    high = Weights(**{**zero, other: 1.0, weight: 5.0})
    if weight == "cost":  # cost itself: low cost weight lets the safer, dearer B win; a high one picks cheap A
        assert _order({"A": a, "B": b}, low) == ["B", "A"]
        assert _order({"A": a, "B": b}, high) == ["A", "B"]
    else:
        assert _order({"A": a, "B": b}, low) == ["A", "B"]
        assert _order({"A": a, "B": b}, high) == ["B", "A"]


metrics = st.builds(
    Metrics,
    usd_per_mtok=st.floats(1e-6, 1e6), all_in_mw=st.floats(1e-6, 1e4), ecosystem_risk=st.floats(0, 1),
    headroom=st.floats(0, 50), top_vendor_share=st.floats(0, 1),
)
weights = st.builds(Weights, **{f: st.floats(0, 100) for f in Weights.model_fields})


@given(st.lists(metrics, min_size=1, max_size=6), weights)
def test_terms_in_unit_interval_and_score_in_0_100(ms, w):
    for sc, terms in scoring.scores(ms, w):
        assert set(terms) == set(Weights.model_fields)
        assert all(0.0 <= v <= 1.0 for v in terms.values()), terms
        assert 0.0 <= sc <= 100.0 and math.isfinite(sc)


def test_best_option_without_penalties_scores_100_and_terms_are_zero():
    (sc, terms), = scoring.scores([BASE], Weights())
    assert sc == pytest.approx(100.0) and all(v == 0.0 for v in terms.values())


def test_named_thresholds():
    # headroom at or above the target costs nothing; none at all costs the whole term
    assert scoring.terms(Metrics(**{**BASE.__dict__, "headroom": scoring.HEADROOM_TARGET}), scoring.best_of([BASE]))["headroom"] == 0
    assert scoring.terms(Metrics(**{**BASE.__dict__, "headroom": 0.0}), scoring.best_of([BASE]))["headroom"] == 1
    # a vendor share at the free threshold costs nothing; one vendor alone costs the whole term
    assert scoring.terms(Metrics(**{**BASE.__dict__, "top_vendor_share": scoring.VENDOR_SHARE_FREE}), scoring.best_of([BASE]))["vendor_diversity"] == 0
    assert scoring.terms(Metrics(**{**BASE.__dict__, "top_vendor_share": 1.0}), scoring.best_of([BASE]))["vendor_diversity"] == 1
    # twice the cheapest costs half the cost term
    two = Metrics(**{**BASE.__dict__, "usd_per_mtok": 2.0})
    assert scoring.terms(two, scoring.best_of([BASE, two]))["cost"] == pytest.approx(0.5)
