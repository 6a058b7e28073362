"""Hand-computed anchors for the step-time model (docs/engine.md), one dense and one MoE case.

Every term is written out from the documented formula with the numbers in comments, then
compared with the engine at rel 1e-9. Models and hardware are made up with round numbers
(not read from the catalog), so the anchor moves only when the formula does.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from advisor.domain import LLM, Accelerator, Ecosystem, System
from advisor.engine.arch import coeffs
from advisor.engine.factors import Factors
from advisor.engine.grid import BATCHES, LAYOUTS, SPEC, GridSetup, evaluate_grid
from advisor.engine.hardware import HwArrays, HwRow
from advisor.engine.precision import PREC_INDEX
from advisor.engine.throughput import ServingPoint, StepFactors, simulate

REL = 1e-9
SRC = {"sources": ["test"], "as_of": "2026-01-01"}

DENSE = LLM(id="dense_10b", name="Dense 10B", release_date="2026-01-01", architecture="dense",
            total_params_b=10.0, active_params_b=10.0, layers=40, hidden_size=5120, max_context=32768,
            attention="gqa", num_heads=40, num_kv_heads=8, head_dim=128, precisions=["fp8", "bf16"],
            native_precision="bf16", **SRC)
MOE = LLM(id="moe_100b", name="MoE 100B-A10B", release_date="2026-01-01", architecture="moe",
          total_params_b=100.0, active_params_b=10.0, layers=20, hidden_size=4096, max_context=32768,
          attention="mla", num_heads=32, kv_lora_rank=512, qk_rope_head_dim=64, n_routed_experts=64,
          experts_per_token=4, moe_intermediate_size=1024, mtp_layers=1, precisions=["fp8", "bf16"],
          native_precision="fp8", **SRC)
ACC = Accelerator(id="chip", name="Chip", vendor="x", ecosystem="eco", memory_gb=100.0, memory_usable_gb=90.0,
                  mem_bw_tb_s=4.0, dense_tflops={"fp8": 2000.0, "bf16": 1000.0}, tdp_watts=1000.0,
                  scale_up_domain=8, scale_up_gb_s=400.0, scale_out_gb_s=50.0, launch_year=2026, **SRC)
SYSTEM = System(id="chip_8x", name="Chip x8", accelerator="chip", accelerators_per_system=8, cooling="air",
                system_kw=10.0, **SRC)
ECO = Ecosystem(id="eco", name="Eco", vendor="x", frameworks=["f"], precisions=["fp8", "bf16"],
                maturity={"day0_fraction": 0.25, "days_to_mature": 20.0}, risk=0.1, **SRC)
HW = HwArrays.from_rows([HwRow(system=SYSTEM, accelerator=ACC, ecosystem=ECO)])


def test_hardware_columns_by_name():
    assert HW.mem_bw[0] == 4e12 and HW.mem_bytes[0] == 90 * 2**30 and HW.domain[0] == 8.0  # capacities are GiB
    # fp4, fp8, int8, bf16, then the weight-only int4, q4, q3 at the 16-bit peak
    assert list(HW.peak[0]) == [0.0, 2000e12, 0.0, 1000e12, 1000e12, 1000e12, 1000e12]
    assert HW.attn_peak[0] == 1000e12 and HW.up_bw[0] == 400e9 and HW.out_bw[0] == 50e9
    assert list(HW.eco_prec_ok[0]) == [False, True, False, True, False, False, False] and HW.max_gpus[0] == 16.0
    assert bool(HW.kv_fp8[0])  # the chip has fp8 units: fp8 KV cache for fp8 weights


def test_dense_step_by_hand():
    """Dense 10B GQA, bf16, G = 2 accelerators, B = 16 sequences, ISL 1000, OSL 1000, no MTP."""
    f = np.asarray
    fac = StepFactors(bw_eff=f(0.8), fl_eff=f(0.5), t_layer_s=f(50e-6), prec_mult=f(1.0), alpha_s=f(10e-6),
                      attn_eff=f(0.5), pf_eff=f(0.4), accept=f(0.6), imbalance=f(1.25), overlap=f(2.0), speed=f(1.0))
    pt = ServingPoint(gpus=f(2.0), prec=f(PREC_INDEX["bf16"]), spec=f(0.0), batch=f(16.0), isl=f(1000.0), osl=f(1000.0))
    out = simulate(coeffs(DENSE), HW.at(np.array(0), np.array(PREC_INDEX["bf16"])), fac, pt)

    # bytes per decode step: all 10e9 weights at 2 bytes = 20e9 B
    weight_bytes = 10e9 * 2.0
    # KV read: GQA 2 * 8 kv heads * 128 head_dim * 40 layers = 81,920 elements/token; context = ISL + OSL/2 = 1500
    kv_bytes = 16 * (2 * 8 * 128 * 40) * 1500 * 2.0  # 16 seqs * 81,920 * 1500 * 2 B = 3.93216e9 B
    t_mem = (weight_bytes + kv_bytes / 0.5) / (2 * 4e12 * 0.8)  # 27.86432e9 B / 6.4e12 B/s = 4.3538e-3 s
    assert float(out.t_mem_s) == pytest.approx(t_mem, rel=REL)
    # FLOPs: GEMMs 2 * 10e9 * 16 tokens = 3.2e11 at 1000e12 * fl_eff 0.5 * prec_mult 1 per GPU;
    # attention 2 * 40 heads * 2 * 128 * 40 layers = 819,200 FLOP per context token, * 1500 * 16 = 1.96608e10
    # at the 16-bit peak * fl_eff
    t_cmp = 3.2e11 / (2 * 1000e12 * 0.5 * 1.0) + 16 * 819_200 * 1500 / (2 * 1000e12 * 0.5)  # 3.2e-4 + 1.966e-5 s
    assert float(out.t_compute_s) == pytest.approx(t_cmp, rel=REL)
    # collectives: 2 per layer, each alpha + T * hidden * 2 B * (G-1)/G / link, inside the domain (400 GB/s)
    t_comm = 2 * 40 * (10e-6 + 16 * 5120 * 2 * 0.5 / 400e9)  # 80 * 1.02048e-5 = 8.16384e-4 s
    assert float(out.t_comm_s) == pytest.approx(t_comm, rel=REL)
    t_fixed = 50e-6 * 40  # 2e-3 s
    t_step = math.sqrt(t_mem**2 + t_cmp**2) + t_comm + t_fixed  # overlap p = 2; speed 1: ~7.17e-3 s
    assert float(out.t_step_s) == pytest.approx(t_step, rel=REL)
    # prefill of 1000 tokens: GEMMs 2e13 FLOP at pf_eff 0.4, attention 1000 * 819,200 * 500 (mean context),
    # collectives' bytes with 1000 tokens; then a pass's fixed costs (one weight pass, the collectives' latency,
    # the per-layer time), shared by the prompts of one 8,192-token chunk: 8.192 prompts of 1000 (at most B = 16)
    pf_work = (2e13 / (2 * 1000e12 * 1.0 * 0.4)  # 0.025 s
               + 1000 * 819_200 * 500 / (2 * 1000e12 * 0.4)  # 5.12e-4 s
               + 2 * 40 * 1000 * 5120 * 2 * 0.5 / 400e9)  # 1.024e-3 s
    pf_pass = (10e9 * 2.0 / (2 * 4e12 * 0.8)  # 3.125e-3 s
               + 2 * 40 * 10e-6  # 8e-4 s
               + t_fixed)  # 2e-3 s
    t_pf = pf_work + pf_pass / 8.192  # ~0.0273 s per prompt in a batch
    assert float(out.t_prefill_s) == pytest.approx(t_pf, rel=REL)
    # a request's life: 1000 steps plus the prefills of the 16 sequences that share the replica
    t_life = 1000 * t_step + 16 * t_pf
    assert float(out.tok_s_per_user) == pytest.approx(1000 / t_life, rel=REL)
    assert float(out.output_tok_s_per_gpu) == pytest.approx(16 * 1000 / (t_life * 2), rel=REL)
    assert float(out.total_tok_s_per_gpu) == pytest.approx(16 * 1000 / (t_life * 2) * 2000 / 1000, rel=REL)
    assert float(out.ttft_s) == pytest.approx(pf_work + pf_pass + t_step, rel=REL)  # a lone prompt pays the pass
    # memory per GPU: weights 20e9 B / 2; KV the 16 sequences hold, staggered through their OSL:
    # 16 * 1000 + 1000 * 17 / 2 = 24,500 tokens (1531.25 each) * 81,920 * 2 B, plus 10% KV headroom, / 2 GPUs;
    # plus the 4 GB runtime reserve
    mem = 10e9 * 2.0 / 2 + 16 * 81_920 * 1531.25 * 2.0 * 1.1 / 2 + 4e9  # 1e10 + 2.2077e9 + 4e9 B
    assert float(out.mem_used_gb) == pytest.approx(mem / 1e9, rel=REL)
    assert bool(out.fits) and not bool(out.compute_bound)  # 16.2 GB <= 90 GiB; memory bound


def test_moe_step_by_hand_through_the_grid():
    """MoE 100B-A10B MLA, fp8, G = 8, B = 64, MTP (one draft), ISL 2000, OSL 500, day 10 of a 20-day ramp."""
    factors = Factors(per_ecosystem={"eco": {"bw_eff": 0.7, "fl_eff": 0.4, "t_layer_s": 30e-6}},
                      shared={"alpha_s": 8e-6, "attn_eff": 0.6, "pf_eff": 0.5, "accept": 0.75, "beta": 0.5,
                              "imbalance": 1.5, "overlap": 3.0},
                      prec_mult={"fp4": 0.6, "fp8": 0.9, "int8": 0.9, "bf16": 1.0})
    grid = evaluate_grid(coeffs(MOE), HW, GridSetup(isl=2000, osl=500, days_since_release=10.0), factors,
                         layouts=LAYOUTS, batches=BATCHES)
    cell = (0, list(LAYOUTS).index(8.0), PREC_INDEX["fp8"], list(SPEC).index(1.0), list(BATCHES).index(64.0))
    got = {k: float(v[cell]) for k, v in grid.metrics.items()}

    # parameter split from the totals: routed R = (100e9 - 10e9) / (1 - 4/64) = 96e9, non-expert 4e9,
    # one expert in one layer 96e9 / (20 layers * 64) = 75e6 parameters
    nonexpert, per_expert = 4e9, 75e6
    T = 64 * 2  # tokens per step: 64 sequences * (1 + 1 draft)
    experts = 64 * (1 - (1 - 4 / 64) ** T)  # experts touched per layer: 64 * (1 - 0.9375^128) = 63.9835
    # fp8 1 B; the hottest GPU reads imbalance 1.5 x the mean when G > 1, capped at all 64 experts: 64 here
    expert_bytes = 20 * min(experts * 1.5, 64) * per_expert * 1.0  # 9.6e10 B
    mtp_bytes = 1 * (nonexpert / 20 + experts * per_expert) * 1.0  # the MTP layer: ~4.999e9 B
    weight_bytes = nonexpert * 1.0 + expert_bytes + mtp_bytes
    # KV read: MLA (512 + 64) * 20 layers = 11,520 elements/token at fp8 (1 B); context 2000 + 250 = 2250;
    # MLA has one KV head, so each of the 8 tensor-parallel ranks reads all of it (8 copies)
    kv_bytes = 64 * 11_520 * 2250 * 1.0 * 8  # 1.327104e10 B
    t_mem = (weight_bytes + kv_bytes / 0.6) / (8 * 4e12 * 0.7)  # ~1.23e11 B / 2.24e13 B/s = ~5.5e-3 s
    # FLOPs: active 10e9 of which routed experts 20 layers * 4 * 75e6 = 6e9 run at moe_eff 0.7 (the prior) of the
    # dense rate: 4e9 + 6e9 / 0.7 = 12.571e9 dense-equivalent params; 2 * that * 128 tokens at 2000e12 fp8 * 0.4 * 0.9;
    # absorbed MLA attention 2 * 32 heads * (576 + 512) * 20 layers = 1,392,640 FLOP per context token (16-bit peak)
    dense_equiv = 4e9 + 6e9 / 0.7
    t_cmp = 2 * dense_equiv * T / (8 * 2000e12 * 0.4 * 0.9) + T * 1_392_640 * 2250 / (8 * 1000e12 * 0.4)
    t_comm = 2 * 20 * (8e-6 + T * 4096 * 2 * (7 / 8) / 400e9)  # 40 * (8e-6 + 2.2938e-6)
    t_fixed = 30e-6 * (20 + 1)  # 20 layers + 1 MTP layer
    speed = 0.25 ** math.exp(-math.sqrt(10 / (20 / 9)))  # maturity day0 ** exp(-sqrt(days / tau)), tau = 20 days / 9
    t_step = ((t_mem**3 + t_cmp**3) ** (1 / 3) + t_comm + t_fixed) / speed
    assert got["t_step_s"] == pytest.approx(t_step, rel=REL)
    pf_work = (2000 * 2 * dense_equiv / (8 * 2000e12 * 0.9 * 0.5)  # prefill GEMMs at pf_eff
               + 2000 * 1_392_640 * 1000 / (8 * 1000e12 * 0.5)  # attention at mean context 1000
               + 2 * 20 * 2000 * 4096 * 2 * (7 / 8) / 400e9)  # collectives' bytes
    pf_pass = (100e9 * 1.0 / (8 * 4e12 * 0.7)  # one pass over all weights (fp8)
               + 2 * 20 * 8e-6 + t_fixed)  # collectives' latency, per-layer time
    t_pf = (pf_work + pf_pass / 4.096) / speed  # 8,192-token chunks: 4.096 prompts of 2000 share a pass
    assert got["ttft_s"] == pytest.approx((pf_work + pf_pass) / speed + t_step, rel=REL)
    steps = 500 / (1 + 1 * 0.75)  # 1.75 tokens per step with acceptance 0.75
    t_life = steps * t_step + 64 * t_pf
    assert got["tok_s_per_user"] == pytest.approx(500 / t_life, rel=REL)
    assert got["output_tok_s_per_gpu"] == pytest.approx(64 * 500 / (t_life * 8), rel=REL)
    assert got["total_tok_s_per_gpu"] == pytest.approx(64 * 500 / (t_life * 8) * 2500 / 500, rel=REL)
    # memory per GPU: weights + one MTP layer's share (100e9 / 20) at 1 B over 8 GPUs; KV (fp8: fp8 weights on an
    # fp8 chip) for the 64 sequences staggered through their OSL (on every TP rank: MLA has one KV head): 2000 + 500 * 65 / 128 = 2253.9 tokens each,
    # plus 10% KV headroom; plus the 4 GB runtime reserve
    mem = (100e9 + 100e9 / 20) * 1.0 / 8 + 64 * 11_520 * (2000 + 500 * 65 / 128) * 1.0 * 1.1 + 4e9  # KV: 8 copies
    assert got["mem_used_gb"] == pytest.approx(mem / 1e9, rel=REL)
    assert got["fits"] == 1.0 and bool(grid.valid[cell])
    assert grid.modes == ["roofline"]  # no measured points behind these factors
