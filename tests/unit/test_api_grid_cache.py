"""api.recommend(grid_cache=...) reuses throughput grids across cost-only edits, and only those."""

from __future__ import annotations

import pytest

from tests.conftest import real_catalog_present

pytestmark = pytest.mark.skipif(not real_catalog_present(), reason="needs the built-in catalog")

DOC = {
    "classes": [{"name": "chat", "model": "llama_3_3_70b", "isl": 1024, "osl": 512, "min_tok_s_per_user": 20}],
    "demand": {"concurrent_users": 500},
    "datacenter": {"cooling": "both", "max_rack_kw": 150},
    "procurement": {"mode": "both", "systems": ["nvidia_hgx_b200", "amd_mi355x_8x"], "days_since_release": 400},
}


def test_cost_only_edits_reuse_the_grid_and_give_the_same_answer(monkeypatch):
    import copy

    from advisor import api
    from advisor.api import recommendations

    catalog, _ = api.load_catalog()
    fac = api.factors(catalog)
    calls = []
    real = recommendations.grid_for
    monkeypatch.setattr(recommendations, "grid_for", lambda *a, **k: calls.append(k) or real(*a, **k))
    cache: dict = {}
    first = api.recommend(catalog, api.workload_from_dict(DOC), fac=fac, grid_cache=cache)
    assert len(calls) == 1
    cheaper = copy.deepcopy(DOC)
    cheaper["datacenter"]["usd_per_kwh"] = 0.02
    cheaper["weights"] = {"cost": 2.0}
    cached = api.recommend(catalog, api.workload_from_dict(cheaper), fac=fac, grid_cache=cache)
    assert len(calls) == 1  # no engine pass for prices and weights
    fresh = api.recommend(catalog, api.workload_from_dict(cheaper), fac=fac)  # no cache: its own engine pass
    assert len(calls) == 2
    assert [o.model_dump() for o in cached.options] == [o.model_dump() for o in fresh.options]
    owned = lambda rec: {o.id: o.usd_per_mtok for o in rec.options if o.procurement == "buy"}  # noqa: E731
    assert owned(first) != owned(cached)  # the cheaper power did reach the costs
    longer = copy.deepcopy(DOC)
    longer["classes"][0]["isl"] = 2048
    api.recommend(catalog, api.workload_from_dict(longer), fac=fac, grid_cache=cache)
    assert len(calls) == 3  # a grid-changing edit runs the engine
