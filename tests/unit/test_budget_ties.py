"""Budget mode ranks by max_concurrent_users: its ties and ranking reasons compare users, draw by draw."""

from __future__ import annotations

import re

import numpy as np
import pytest

from advisor.engine import ranking

pytestmark = pytest.mark.real_catalog

WL = {"name": "budget", "classes": [{"name": "chat", "model": "deepseek_v4_pro", "isl": 8192, "osl": 1024,
                                     "min_tok_s_per_user": 10, "max_ttft_s": 10}],
      "datacenter": {"region": "us"}, "objective": {"maximise": "users"},
      "procurement": {"budget_usd": 5e8, "days_since_release": 120, "horizon_years": 4}}


def test_users_draws_follow_the_cost_draws():
    samples = np.array([[1.0, 2.0], [2.0, 2.0], [0.5, 4.0]])
    got = ranking.users_draws(samples, [1.0, 2.0], [100.0, 50.0])
    # twice the cost of a token: half the users for the same budget
    assert got.tolist() == [[100.0, 50.0], [50.0, 50.0], [200.0, 25.0]]
    assert ranking.share_above(got) == [0.0, 0.0]
    assert ranking.share_above(np.array([[1.0, 2.0], [2.0, 1.0]])) == [0.0, 0.5]
    assert ranking.users_draws(np.zeros((4, 0)), [], []).shape == (4, 0)


def test_users_reason_words():
    assert ranking.users_reason(80.0, 100.0, 0.12, "x").startswith(
        "20% fewer users within the budget (80 vs 100); more users than it in 12% of the draws")
    assert ranking.users_reason(80.0, 100.0, 0.0, "x") == "20% fewer users within the budget (80 vs 100)"
    assert ranking.users_reason(100.0, 100.0, 0.5, "3% dearer per Mtok") == (
        "as many users within the budget (100), and 3% dearer per Mtok")


@pytest.fixture(scope="module")
def budget_rec(catalog, fac):
    from advisor import api

    return api.recommend(catalog, api.workload_from_dict(WL), fac=fac)


def test_ties_and_reasons_compare_users_in_budget_mode(budget_rec):
    opts = budget_rec.options
    assert budget_rec.objective == "users" and len(opts) > 5
    assert not opts[0].tied and opts[0].ranking_reason == ""
    for above, o in zip(opts, opts[1:]):
        assert o.max_concurrent_users <= above.max_concurrent_users
        if o.max_concurrent_users < above.max_concurrent_users:
            assert "fewer users within the budget" in o.ranking_reason
        else:  # equal users: the score decides, and they are tied
            assert o.ranking_reason.startswith("as many users within the budget") and o.tied
    # tied exactly when the option serves more users than the one above in enough draws (p10-p90 band of the gap)
    shares = []
    for above, o in zip(opts, opts[1:]):
        if o.max_concurrent_users == above.max_concurrent_users:
            continue
        m = re.search(r"more users than it in (\d+)% of the draws", o.ranking_reason)
        share = int(m.group(1)) / 100 if m else 0.0
        shares.append(share)
        if share <= 0.08:
            assert not o.tied, o.ranking_reason
        elif share >= 0.12:
            assert o.tied, o.ranking_reason
    assert min(shares) <= 0.08 and max(shares) >= 0.12  # both kinds occur


def test_budget_mode_ties_come_from_the_users_draws(catalog, fac, budget_rec, monkeypatch):
    """Replace the users draws by ones where every option is far apart: then nothing is tied (scores untouched)."""
    from advisor import api

    def apart(samples, usd, users):
        return np.broadcast_to(10.0 ** -np.arange(samples.shape[1], dtype=float), samples.shape).copy()

    assert any(o.tied for o in budget_rec.options)
    monkeypatch.setattr(ranking, "users_draws", apart)
    rec = api.recommend(catalog, api.workload_from_dict(WL), fac=fac)
    assert [o.id for o in rec.options] == [o.id for o in budget_rec.options]
    assert [o.score for o in rec.options] == [o.score for o in budget_rec.options]
    assert not any(o.tied for o in rec.options)


def test_score_mode_still_ties_on_scores(catalog, fac, monkeypatch):
    from advisor import api

    calls = []
    monkeypatch.setattr(ranking, "users_draws", lambda *a: calls.append(a))
    doc = {**WL, "objective": {"maximise": "score"}, "demand": {"concurrent_users": 4000}}
    rec = api.recommend(catalog, api.workload_from_dict(doc), fac=fac)
    assert rec.options and not calls
    assert all("users within the budget" not in o.ranking_reason for o in rec.options)
