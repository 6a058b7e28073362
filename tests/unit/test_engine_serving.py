"""Layouts (TP vs EP + DP attention), aggregated vs disaggregated serving, and queueing on the grid."""

from __future__ import annotations

import numpy as np
import pytest

from advisor.domain.base import PRECISION_ORDER
from advisor.engine import queueing
from advisor.engine.build import grid_for
from advisor.engine.factors import Factors
from advisor.engine.layouts import decode_is_ep
from tests.conftest import real_catalog_present

pytestmark = pytest.mark.skipif(not real_catalog_present(), reason="needs the built-in catalog")
FACTORS = Factors()


@pytest.fixture(scope="module")
def catalog():
    from advisor import api

    return api.load_catalog()[0]


def _grid(catalog, systems, model, serving="agg", isl=8192, osl=1024, **kw):
    return grid_for(catalog, [catalog.system(s) for s in systems], catalog.model(model), FACTORS, isl=isl, osl=osl,
                    serving=serving, days_since_release=365.0, **kw)[0]


def test_layout_axis_holds_tp_and_ep_and_ep_needs_experts_and_a_sequence_per_gpu(catalog):
    moe = _grid(catalog, ["nvidia_gb200_nvl72_rack"], "deepseek_v3")
    kinds = np.array(moe.layout_kinds)
    assert set(kinds) == {"tp", "ep"} and len(kinds) == len(moe.layouts)
    ep = kinds == "ep"
    B = moe.batches.reshape(1, 1, 1, 1, -1)
    G = moe.layouts.reshape(1, -1, 1, 1, 1)
    assert not (moe.valid & ep.reshape(1, -1, 1, 1, 1) & (B < G)).any()  # DP attention: >= 1 sequence per GPU
    assert (moe.valid[:, ep]).any()  # wide EP is a real option on NVL72
    dense = _grid(catalog, ["nvidia_gb200_nvl72_rack"], "llama_2_70b", isl=1024, osl=1024)
    assert not dense.valid[:, np.array(dense.layout_kinds) == "ep"].any()  # no experts, no expert parallelism


def test_wide_ep_beats_wide_tp_on_nvl72(catalog):
    """At 72 GPUs, all-to-all to k experts moves far less than two all-reduces per layer: EP is faster."""
    g = _grid(catalog, ["nvidia_gb200_nvl72_rack"], "deepseek_v3")
    tp72 = [i for i, (G, k) in enumerate(zip(g.layouts, g.layout_kinds)) if G == 72 and k == "tp"][0]
    ep72 = [i for i, (G, k) in enumerate(zip(g.layouts, g.layout_kinds)) if G == 72 and k == "ep"][0]
    p = PRECISION_ORDER.index("fp4")
    b = list(g.batches).index(512.0) if 512.0 in g.batches else int(np.searchsorted(g.batches, 512))
    thr = g.metrics["total_tok_s_per_gpu"]
    assert thr[0, ep72, p, 0, b] > thr[0, tp72, p, 0, b]


def test_auto_serving_takes_the_better_mode_per_cell(catalog):
    systems = ["nvidia_hgx_b200", "nvidia_gb200_nvl72_rack", "nvidia_rtx_pro_6000_workstation"]
    agg = _grid(catalog, systems, "deepseek_v3")
    dis = _grid(catalog, systems, "deepseek_v3", serving="disagg")
    auto = _grid(catalog, systems, "deepseek_v3", serving="auto")
    a, d, u = (x.metrics["total_tok_s_per_gpu"] for x in (agg, dis, auto))
    v = agg.valid & dis.valid
    assert np.allclose(u[v], np.maximum(a[v], d[v]))
    used = np.asarray(auto.metrics["disaggregated"], dtype=bool)
    assert used[v].any() and (~used[v]).any()  # both modes win somewhere
    # disaggregated decode is never interrupted by prefill: never less interactive than aggregated
    assert (dis.metrics["tok_s_per_user"][v] >= agg.metrics["tok_s_per_user"][v] * (1 - 1e-12)).all()
    assert (np.asarray(dis.metrics["prefill_gpus_per_replica"])[dis.valid] > 0).all()
    # a workstation has no separate prefill pool: never disaggregated
    assert not used[2].any() and not dis.valid[2].any()
    with pytest.raises(ValueError):
        _grid(catalog, systems[:1], "deepseek_v3", serving="both")


def test_kv_cache_caps_the_running_batch_and_extra_users_queue(catalog):
    g = _grid(catalog, ["nvidia_hgx_h200"], "deepseek_v3", isl=8192, osl=1024)
    gi = [i for i, (G, k) in enumerate(zip(g.layouts, g.layout_kinds)) if G == 8 and k == "tp"][0]
    flat = int(np.ravel_multi_index((gi, PRECISION_ORDER.index("fp8"), 0, 0), g.shape[1:]))
    low = queueing.at_concurrency(g, 0, flat, 32)
    assert low.running_batch == 32 and low.queued_requests == 0
    cap = low.kv_batch_cap
    assert 32 < cap < g.batches.max()  # the KV cache at 9K tokens binds before the grid's largest batch
    high = queueing.at_concurrency(g, 0, flat, 4 * cap)
    assert high.running_batch == cap and high.queued_requests == pytest.approx(3 * cap)
    more = queueing.at_concurrency(g, 0, flat, 8 * cap)
    # throughput saturates, TTFT grows with the queue
    assert more.output_tok_s_per_gpu == pytest.approx(high.output_tok_s_per_gpu)
    assert more.ttft_p50_s > high.ttft_p50_s > low.ttft_p50_s
    assert low.ttft_p99_s >= low.ttft_p50_s and high.ttft_p99_s >= high.ttft_p50_s
    two = queueing.at_concurrency(g, 0, flat, 4 * cap, replicas=4)
    assert two.queued_requests == 0 and two.running_batch == cap  # four replicas hold them all


def test_ttft_p99_is_never_below_the_median(catalog):
    g = _grid(catalog, ["nvidia_hgx_b200", "amd_mi355x_8x"], "deepseek_v3", serving="auto")
    p99, p50 = g.metrics["ttft_p99_s"][g.valid], g.metrics["ttft_s"][g.valid]
    assert (p99 >= p50).all() and (p99 > p50).any()


@pytest.mark.parametrize("text,expected", [
    ("disagg: prefill TP8 EP8 dpattn=True workers=1 (8 GPU); decode TP8 EP8 dpattn=False workers=9 (72 GPU)", False),
    ("disagg: prefill TP4 EP4 dpattn=True workers=1 (4 GPU); decode TP32 EP32 dpattn=True workers=1 (32 GPU)", True),
    ("agg: TP8 EP8 dpattn=True (API num_decode_gpu=64)", True),
    ("agg: TP8 EP1 dpattn=False (API num_decode_gpu=8)", False),
    ("prefill: 24 GPU, TP=8; decode: 8 GPU, EP=8", True),
    ("", False),
])
def test_decode_layout_of_a_measured_run(text, expected):
    assert decode_is_ep(text) is expected
