"""Issue 12 item 11: sweeps and the Monte Carlo on dask.distributed give the local answer exactly."""

from __future__ import annotations


import numpy as np
import pytest


distributed = pytest.importorskip("dask.distributed")
pytestmark = pytest.mark.real_catalog

WL = {
    "classes": [{"name": "chat", "model": "llama_3_3_70b", "isl": 2048, "osl": 512, "min_tok_s_per_user": 20}],
    "demand": {"concurrent_users": 1000},
    "procurement": {"mode": "both", "systems": ["nvidia_hgx_b200", "amd_mi355x_8x", "nvidia_hgx_h100"],
                    "days_since_release": 400},
}


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def test_sweep_on_a_local_cluster_equals_the_local_run(catalog, fac, client):
    from advisor import api

    sw = {"workload": WL, "axes": [{"name": "isl", "values": [1024, 4096]}, {"name": "usd_per_kwh", "values": [0.05, 0.2]}]}
    here = api.sweep(catalog, sw, fac=fac, workers=1)
    there = api.sweep(catalog, sw, fac=fac, client=client)
    assert there.grid_evaluations == here.grid_evaluations == 2
    assert list(there.lowest_cost) == list(here.lowest_cost) and list(there.best_score) == list(here.best_score)
    for col in here.rows:
        a, b = np.asarray(here.rows[col]), np.asarray(there.rows[col])
        if a.dtype.kind == "f":
            assert np.array_equal(a, b, equal_nan=True), col
        else:
            assert list(a) == list(b), col


def test_monte_carlo_on_a_local_cluster_equals_the_local_run(catalog, fac, client):
    from advisor import api

    wl = api.workload_from_dict(WL)
    here = api.recommend(catalog, wl, fac=fac)
    there = api.recommend(catalog, wl, fac=fac, client=client)
    assert [(o.id, o.p_lowest_cost, o.tied, o.score_error) for o in there.options] == \
           [(o.id, o.p_lowest_cost, o.tied, o.score_error) for o in here.options]
    assert sum(o.p_lowest_cost for o in there.options) == pytest.approx(1.0)
