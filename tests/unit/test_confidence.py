"""engine.confidence and engine.ranking on hand-made inputs: shared errors, determinism, p_lowest_cost, ties."""

from __future__ import annotations

import math

import numpy as np
import pytest

from advisor.engine import confidence, ranking
from advisor.engine.confidence import Part


def part(o, acc="b200", model="m", eco="cuda", band=20.0, mode="rent", system=None, weight=1.0, price_share=1.0):
    return Part(option=o, weight=weight, price_share=price_share, accelerator=acc, model=model, ecosystem=eco,
                band_pct=band, price_key=(system or acc, mode))


def test_sigma_from_a_p80_band():
    assert confidence.sigma_from_band(21.0) == pytest.approx(math.log(1.21) / 1.2816, rel=1e-4)
    assert confidence.sigma_from_band(0.0) == 0.0


def test_draws_are_seeded_and_deterministic():
    parts = [part(0), part(1, acc="mi355x", eco="rocm")]
    a = confidence.draws([1.0, 1.1], parts, utilisation=0.6, n_draws=2500)
    b = confidence.draws([1.0, 1.1], parts, utilisation=0.6, n_draws=2500)
    assert a.shape == (2500, 2) and np.array_equal(a, b)
    assert not np.array_equal(a, confidence.draws([1.0, 1.1], parts, utilisation=0.6, n_draws=2500, seed=7))


def test_buy_and_rent_of_one_system_share_the_throughput_error():
    # same (accelerator, model): with the price held (price_share 0) the two move together exactly
    shared = [part(0, mode="buy", price_share=0.0), part(1, mode="rent", price_share=0.0)]
    d = confidence.draws([1.0, 1.2], shared, utilisation=0.6, n_draws=2000)
    assert np.allclose(d[:, 1] / d[:, 0], 1.2)
    # two accelerators draw their own errors (correlated within an ecosystem, not equal)
    apart = [part(0, price_share=0.0), part(1, acc="h100", price_share=0.0)]
    r = confidence.draws([1.0, 1.2], apart, utilisation=0.6, n_draws=2000)
    ratio = r[:, 1] / r[:, 0]
    assert ratio.std() > 0.01
    other_eco = [part(0, price_share=0.0), part(1, acc="mi355x", eco="rocm", price_share=0.0)]
    r2 = confidence.draws([1.0, 1.2], other_eco, utilisation=0.6, n_draws=2000)
    assert np.corrcoef(np.log(r[:, 0]), np.log(r[:, 1]))[0, 1] > np.corrcoef(np.log(r2[:, 0]), np.log(r2[:, 1]))[0, 1] + 0.2


def test_p_lowest_sums_to_one_and_favours_the_cheaper():
    parts = [part(0), part(1, acc="h100"), part(2, acc="mi355x", eco="rocm")]
    d = confidence.draws([1.0, 1.05, 3.0], parts, utilisation=0.6)
    p = confidence.p_lowest(d)
    assert p.sum() == pytest.approx(1.0) and p[0] > p[1] > p[2]
    assert 0.3 < p[1] < 0.5  # 5% apart under ~15% errors: close to a coin toss
    assert p[2] < 0.01


def test_local_run_equals_a_mapped_run():
    class Mapper:  # anything with .map/.gather, as a dask Client
        def map(self, fn, items, pure=False):
            return [fn(x) for x in reversed(items)][::-1]

        def gather(self, futures):
            return futures

    parts = [part(0), part(1, acc="h100")]
    a = confidence.draws([1.0, 1.1], parts, utilisation=0.6)
    b = confidence.draws([1.0, 1.1], parts, utilisation=0.6, client=Mapper())
    assert np.array_equal(a, b)


def test_ties_follow_the_joint_spread_of_the_gap():
    rng = np.random.default_rng(0)
    common = rng.normal(0, 10, 4000)
    s = np.stack([70 + common, 69 + common + rng.normal(0, 0.1, 4000), 50 + rng.normal(0, 1, 4000)], axis=1)
    assert ranking.tied(s) == [False, False, False]  # 1 point apart, but the errors are shared: not tied
    s2 = np.stack([70 + rng.normal(0, 5, 4000), 69 + rng.normal(0, 5, 4000)], axis=1)
    assert ranking.tied(s2) == [False, True]
