"""The layout and scheduling physics that carries the engine to models it never saw measured.

- tensor parallelism replicates a KV cache it cannot split by head (MLA, shared-KV MQA: one KV head);
- prompts shorter than a prefill chunk share one weight pass (chunked prefill), a lone prompt pays it in full;
- routed-expert GEMMs run at moe_eff of the dense rate, and expert-parallel replicas wait for their hottest GPU;
- the maturity curve is smooth, monotone and reaches maturity within months.
Made-up models and hardware (tests/unit/test_engine_step_anchor.py), so each effect is isolated.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from advisor.engine.arch import coeffs, kv_copies
from advisor.engine.factors import PREFILL_CHUNK_TOKENS, maturity_curve
from advisor.engine.precision import PREC_INDEX
from advisor.engine.throughput import ServingPoint, StepFactors, simulate
from tests.unit.test_engine_step_anchor import DENSE, HW, MOE

f = np.asarray


def _factors(**kw: float) -> StepFactors:
    base = dict(bw_eff=0.8, fl_eff=0.5, t_layer_s=50e-6, prec_mult=1.0, alpha_s=10e-6, attn_eff=0.5, pf_eff=0.4,
                accept=0.6, imbalance=1.0, overlap=2.0, speed=1.0, moe_eff=1.0)
    base.update(kw)
    return StepFactors(**{k: f(v) for k, v in base.items()})


def _run(model, *, gpus=8.0, batch=64.0, isl=1000.0, osl=1000.0, ep=0.0, prec="bf16", **kw: float):
    pt = ServingPoint(gpus=f(gpus), prec=f(PREC_INDEX[prec]), spec=f(0.0), batch=f(batch), isl=f(isl), osl=f(osl),
                      ep=f(ep))
    return simulate(coeffs(model), HW.at(np.array(0), np.array(PREC_INDEX[prec])), _factors(**kw), pt)


def test_kv_copies_follow_the_kv_heads():
    mla, gqa = coeffs(MOE), coeffs(DENSE)  # MLA: one latent KV head; GQA: 8 KV heads
    assert mla.kv_heads == 1.0 and gqa.kv_heads == 8.0
    g = f([1.0, 2.0, 8.0, 16.0])
    assert list(kv_copies(mla, g, False)) == [1.0, 2.0, 8.0, 16.0]  # every TP rank holds all of it
    assert list(kv_copies(gqa, g, False)) == [1.0, 1.0, 1.0, 2.0]  # split up to 8 heads, replicated beyond
    assert list(kv_copies(mla, g, True)) == [1.0, 1.0, 1.0, 1.0]  # data-parallel attention: one copy


def test_tensor_parallel_mla_reads_and_holds_its_kv_on_every_rank():
    """MLA on TP8 reads 8x the KV bytes of the same batch on EP8 with DP attention, and holds 8x the KV."""
    tp = _run(MOE, gpus=8.0, ep=0.0, prec="fp8")
    ep = _run(MOE, gpus=8.0, ep=1.0, prec="fp8")
    a = coeffs(MOE)
    kv_one = 64 * a.kv_full * (1000 + 500) * 1.0  # one copy of the batch's KV read, fp8 (1 B)
    # t_mem: TP splits all weights by 8; EP replicates the non-expert ones; the KV term differs by 7 copies
    extra = (float(tp.t_mem_s) - float(ep.t_mem_s)) * 8 * 4e12 * 0.8
    replicated = a.nonexpert_params * 1.0 * 7  # EP's extra weight bytes (non-expert weights on every GPU)
    assert extra == pytest.approx(7 * kv_one / 0.5 - replicated, rel=1e-9)
    assert float(tp.mem_used_gb) > float(ep.mem_used_gb) - replicated / 8 / 1e9


def test_prompts_share_a_prefill_pass_up_to_one_chunk():
    lone = _run(DENSE, gpus=2.0, batch=1.0, isl=1000.0)
    many = _run(DENSE, gpus=2.0, batch=16.0, isl=1000.0)
    long = _run(DENSE, gpus=2.0, batch=16.0, isl=PREFILL_CHUNK_TOKENS)
    # a lone prompt pays the whole pass; in a batch, 8.192 prompts of 1000 tokens share one
    assert float(many.t_prefill_s) < float(lone.t_prefill_s)
    pass_s = 10e9 * 2.0 / (2 * 4e12 * 0.8) + 2 * 40 * 10e-6 + 40 * 50e-6
    assert float(lone.t_prefill_s) - float(many.t_prefill_s) == pytest.approx(pass_s * (1 - 1 / 8.192), rel=1e-9)
    # TTFT is a lone prompt's: the same at any batch
    assert float(many.ttft_s) - float(many.t_step_s) == pytest.approx(float(lone.t_prefill_s), rel=1e-9)
    # a prompt as long as a chunk shares nothing
    long_lone = _run(DENSE, gpus=2.0, batch=1.0, isl=PREFILL_CHUNK_TOKENS)
    assert float(long.t_prefill_s) == pytest.approx(float(long_lone.t_prefill_s), rel=1e-12)


def test_grouped_expert_gemms_and_the_hot_gpu():
    """moe_eff slows the routed experts' GEMMs only (a dense model is unchanged); expert parallelism waits for the
    GPU with the most routed tokens (imbalance), tensor parallelism splits every expert evenly."""
    d1, d2 = _run(DENSE, moe_eff=1.0), _run(DENSE, moe_eff=0.4)
    assert float(d1.t_compute_s) == float(d2.t_compute_s)
    m1, m2 = _run(MOE, prec="fp8", moe_eff=1.0), _run(MOE, prec="fp8", moe_eff=0.5)
    routed = 20 * 4 * 75e6  # 6e9 routed-expert params per token
    gemm = 2 * 64 * routed / (8 * 2000e12 * 0.5 * 1.0)  # their FLOPs at moe_eff 1
    assert float(m2.t_compute_s) - float(m1.t_compute_s) == pytest.approx(gemm, rel=1e-9)  # twice as long at 0.5
    tp_even, tp_hot = _run(MOE, prec="fp8"), _run(MOE, prec="fp8", imbalance=1.5)
    ep_even, ep_hot = _run(MOE, prec="fp8", ep=1.0), _run(MOE, prec="fp8", ep=1.0, imbalance=1.5)
    assert float(ep_hot.t_compute_s) - float(ep_even.t_compute_s) == pytest.approx(0.5 * gemm, rel=1e-9)
    assert float(tp_hot.t_compute_s) == float(tp_even.t_compute_s)


def test_maturity_curve_is_smooth_monotone_and_reaches_maturity():
    days = np.arange(0.0, 400.0)
    s = maturity_curve(0.01, 8.0, days)
    assert s[0] == pytest.approx(0.01) and np.all(np.diff(s) > 0) and s[-1] > 0.98
    # stretched: the log gap is 1/e after tau days and 5% after 9 tau
    assert math.log(float(maturity_curve(0.01, 8.0, 8.0))) == pytest.approx(math.log(0.01) / math.e)
    assert math.log(float(maturity_curve(0.01, 8.0, 72.0))) == pytest.approx(math.log(0.01) * math.exp(-3))
    # its pace slows: the log gap's e-folding time grows from week one to week four
    gap = -np.log(maturity_curve(0.01, 8.0, np.array([1.0, 8.0, 20.0, 27.0])))
    early = 7 / math.log(gap[0] / gap[1])
    late = 7 / math.log(gap[2] / gap[3])
    assert late > 2 * early
