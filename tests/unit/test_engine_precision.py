"""Precisions users run (weight-only int4, GGUF q4/q3, fp4 without a public checkpoint) and the memory fit.

Hand-computed: bits per weight, the KV-cache precision rule, int4's byte and compute path through
`simulate`. Catalog cases: a ~230B MoE fits a 128 GB Ryzen AI Max box at q3, fp4 GLM-5 on B200 is a
valid (flagged) option, and DeepSeek-R1 fp8 on 4x B200 serving 32 users at 8K/1K (a measured run) fits
while clearly too-small setups do not.
"""

from __future__ import annotations

import numpy as np
import pytest

from advisor.domain import LLM, Accelerator, Ecosystem, System
from advisor.domain.base import PRECISION_ORDER, WEIGHT_ONLY_COMPUTE
from advisor.engine import precision
from advisor.engine.arch import coeffs
from advisor.engine.factors import Factors
from advisor.engine.grid import BATCHES, LAYOUTS
from advisor.engine.hardware import HwArrays, HwRow
from advisor.engine.precision import PREC_INDEX, kv_element_bytes
from advisor.engine.throughput import ServingPoint, StepFactors, simulate
from tests.conftest import real_catalog_present

REL = 1e-9
SRC = {"sources": ["test"], "as_of": "2026-01-01"}
real = pytest.mark.skipif(not real_catalog_present(), reason="needs the built-in catalog")


def test_bits_per_weight_of_every_format():
    bits = {p.name: p.bits_per_weight for p in precision.PRECISIONS}
    # fp4 4 + 8/16; int4 4 + 16/64; q4 4 + 0.5; q3 3 + 0.5; fp8/int8 8; bf16 16
    assert bits == {"fp4": 4.5, "fp8": 8.0, "int8": 8.0, "bf16": 16.0, "int4": 4.25, "q4": 4.5, "q3": 3.5}
    for p in precision.PRECISIONS:
        assert p.weight_only == (p.name in WEIGHT_ONLY_COMPUTE)
        assert p.compute == ("bf16" if p.weight_only else p.name)
        assert PRECISION_ORDER[precision.COMPUTE_INDEX[PREC_INDEX[p.name]]] == p.compute


def test_kv_cache_precision_rule():
    idx = np.arange(len(PRECISION_ORDER))
    on_fp8 = dict(zip(PRECISION_ORDER, kv_element_bytes(idx, True)))
    # fp8 KV for 8-bit-or-narrower compute formats on a chip with fp8 units; 16-bit otherwise
    assert on_fp8 == {"fp4": 1.0, "fp8": 1.0, "int8": 1.0, "bf16": 2.0, "int4": 2.0, "q4": 2.0, "q3": 2.0}
    assert list(kv_element_bytes(idx, False)) == [2.0] * len(PRECISION_ORDER)  # no fp8 units: 16-bit
    # a model that fixes an fp8 cache keeps it at every weight precision and on every chip
    assert list(kv_element_bytes(idx, False, precision.kv_cache_bytes("fp8"))) == [1.0] * len(PRECISION_ORDER)
    assert precision.kv_cache_bytes(None) == 0.0 and precision.kv_cache_bytes("fp4") == 1.0  # never below fp8


# --- int4: its own byte and compute path, by hand ----------------------------------------------------------

DENSE = LLM(id="dense_10b", name="Dense 10B", release_date="2026-01-01", architecture="dense",
            total_params_b=10.0, active_params_b=10.0, layers=40, hidden_size=5120, max_context=32768,
            attention="gqa", num_heads=40, num_kv_heads=8, head_dim=128, precisions=["bf16"],
            native_precision="bf16", **SRC)
ACC = Accelerator(id="chip", name="Chip", vendor="x", ecosystem="eco", memory_gb=100.0, memory_usable_gb=90.0,
                  mem_bw_tb_s=4.0, dense_tflops={"fp8": 2000.0, "bf16": 1000.0}, tdp_watts=1000.0,
                  scale_up_domain=8, scale_up_gb_s=400.0, scale_out_gb_s=50.0, launch_year=2026, **SRC)
ECO = Ecosystem(id="eco", name="Eco", vendor="x", frameworks=["f"], precisions=["fp8", "bf16", "int4", "q4", "q3"],
                maturity={"day0_fraction": 1.0, "days_to_mature": 0.0}, risk=0.1, **SRC)


def _hw(kind: str) -> HwArrays:
    system = System(id="box", name="Box", accelerator="chip", accelerators_per_system=8, cooling="air",
                    system_kw=10.0, kind=kind, **SRC)  # type: ignore[arg-type]
    return HwArrays.from_rows([HwRow(system=system, accelerator=ACC, ecosystem=ECO)])


def test_weight_only_formats_run_at_the_16_bit_peak_and_gguf_only_on_workstations():
    server, box = _hw("node"), _hw("workstation")
    for p in ("int4", "q4", "q3"):
        assert server.peak[0, PREC_INDEX[p]] == 1000e12  # bf16's peak, though the chip lists no int4/q4/q3 figure
    ok = dict(zip(PRECISION_ORDER, server.eco_prec_ok[0]))
    assert ok["int4"] and not ok["q4"] and not ok["q3"]  # GGUF formats: local runtimes only
    assert all(box.eco_prec_ok[0, PREC_INDEX[p]] for p in ("int4", "q4", "q3"))


def test_int4_step_by_hand():
    """Dense 10B at int4: 4.25-bit weights read, GEMMs at the bf16 peak, a 16-bit KV cache. G = 1, B = 8."""
    f = np.asarray
    fac = StepFactors(bw_eff=f(0.8), fl_eff=f(0.5), t_layer_s=f(50e-6), prec_mult=f(1.0), alpha_s=f(10e-6),
                      attn_eff=f(0.5), pf_eff=f(0.4), accept=f(0.6), imbalance=f(1.25), overlap=f(2.0), speed=f(1.0))
    p = PREC_INDEX["int4"]
    pt = ServingPoint(gpus=f(1.0), prec=f(p), spec=f(0.0), batch=f(8.0), isl=f(1000.0), osl=f(1000.0))
    out = simulate(coeffs(DENSE), _hw("node").at(np.array(0), np.array(p)), fac, pt)
    weight_bytes = 10e9 * 0.53125  # 5.3125e9 B: 4 bits + one 16-bit scale per 64 weights
    kv_bytes = 8 * 81_920 * 1500 * 2.0  # 8 seqs x 81,920 elements/token x mean context 1,500 x 2 B (16-bit KV)
    t_mem = (weight_bytes + kv_bytes / 0.5) / (4e12 * 0.8)  # 1.1604e10 B / 3.2e12 B/s = 3.626e-3 s
    assert float(out.t_mem_s) == pytest.approx(t_mem, rel=REL)
    # GEMMs 2 x 10e9 x 8 tokens at the bf16 peak 1000e12 x fl_eff 0.5 (not a 4-bit peak); attention as ever
    t_cmp = 2 * 10e9 * 8 / (1000e12 * 0.5) + 8 * 819_200 * 1500 / (1000e12 * 0.5)
    assert float(out.t_compute_s) == pytest.approx(t_cmp, rel=REL)
    # memory: 5.3125e9 B of weights + KV the 8 sequences hold (8 x 1000 + 1000 x 9/2 = 12,500 tokens) x 81,920
    # x 2 B x 1.1 headroom + the 4 GB runtime reserve
    mem = 5.3125e9 + 12_500 * 81_920 * 2.0 * 1.1 + 4e9
    assert float(out.mem_used_gb) == pytest.approx(mem / 1e9, rel=REL)


# --- catalog cases ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def catalog():
    from advisor import api

    return api.load_catalog()[0]


def _grid(catalog, system: str, model: str, isl: int, osl: int, prec: str = "auto"):
    from advisor.engine.build import grid_for

    grid, _ = grid_for(catalog, [catalog.system(system)], catalog.model(model), Factors(), isl=isl, osl=osl,
                       precision=prec, days_since_release=1000.0)
    return grid


@real
@pytest.mark.parametrize("model", ["qwen3_235b_a22b", "minimax_m2_5"])
def test_a_230b_moe_fits_the_ryzen_ai_max_box_at_q3(catalog, model):
    grid = _grid(catalog, "amd_ryzen_ai_max_395_box", model, 1024, 1024)
    one_box = list(LAYOUTS).index(1.0)
    fits_at = {p: bool(grid.valid[0, one_box, PREC_INDEX[p]].any()) for p in PRECISION_ORDER}
    # q3: ~230e9 x 0.4375 B = ~100-103 GB of weights in 108 GiB; q4/fp4 (4.5 bits, ~129-132 GB) do not fit one box
    assert fits_at["q3"] and not fits_at["q4"] and not fits_at["fp4"] and not fits_at["bf16"]
    assert not grid.public_checkpoint[PREC_INDEX["q3"]]  # no GGUF listed in the catalog: flagged, not refused


@real
def test_gguf_formats_are_not_offered_on_datacenter_servers(catalog):
    grid = _grid(catalog, "nvidia_hgx_h100", "llama_3_3_70b", 1024, 1024)
    assert not grid.valid[0, :, PREC_INDEX["q3"]].any() and not grid.valid[0, :, PREC_INDEX["q4"]].any()
    assert grid.valid[0, :, PREC_INDEX["int4"]].any()  # weight-only int4 is (AWQ/GPTQ on CUDA)


@real
def test_fp4_glm_5_on_b200_is_a_valid_cell_flagged_without_public_checkpoint(catalog):
    grid = _grid(catalog, "nvidia_hgx_b200", "glm_5", 1024, 1024, prec="fp4")
    assert grid.valid[0, :, PREC_INDEX["fp4"]].any()
    assert not grid.public_checkpoint[PREC_INDEX["fp4"]] and grid.public_checkpoint[PREC_INDEX["fp8"]]
    from advisor.engine import select

    idx, ok = select.best_per_system(grid, grid.valid)
    cell = select.cell(grid, 0, int(idx[0]))
    assert ok[0] and cell.precision == "fp4" and cell.public_checkpoint is False


# --- memory fit at the edge ---------------------------------------------------------------------------------

R1_ROW = "ixapi_dsr1_070"  # DeepSeek-R1-0528 fp8 on 4x B200, SGLang TP4, 8K/1K, 32 concurrent users (measured)


def _fit(catalog, accelerator: str, precision_: str, gpus: float, batch: float, isl: float, osl: float):
    from advisor.engine.hardware import hw_arrays

    system = catalog.default_system(accelerator)
    p = PREC_INDEX[precision_]
    hw = hw_arrays(catalog, [system]).at(np.array(0), np.array(p))
    fac = Factors()
    sh = fac.shared
    f = np.asarray
    eco = fac.for_ecosystem(hw.ecosystems[0])
    sf = StepFactors(bw_eff=f(eco["bw_eff"]), fl_eff=f(eco["fl_eff"]), t_layer_s=f(eco["t_layer_s"]),
                     prec_mult=f(fac.prec_array()[p]), alpha_s=f(sh["alpha_s"]), attn_eff=f(eco["attn_eff"]),
                     pf_eff=f(sh["pf_eff"]), accept=f(sh["accept"]), imbalance=f(sh["imbalance"]),
                     overlap=f(sh["overlap"]), speed=f(1.0))
    pt = ServingPoint(gpus=f(gpus), prec=f(p), spec=f(0.0), batch=f(batch), isl=f(isl), osl=f(osl),
                      kv_reserve=catalog.defaults.kv_reserve_fraction, reserve_gb=catalog.defaults.runtime_reserve_gb)
    return simulate(coeffs(catalog.model("deepseek_v3")), hw, sf, pt)


@real
def test_deepseek_r1_fp8_on_4x_b200_fits_as_measured(catalog):
    from advisor.engine.replay import replay_setup

    row = catalog.benchmarks[R1_ROW]
    assert (row.model, row.precision, row.n_accelerators, row.concurrency, row.isl, row.osl) == (
        "deepseek_v3", "fp8", 4, 32, 8192, 1024)
    gpus, batch, _ = replay_setup(row)
    assert gpus == 4 and 30 < batch <= 32
    out = _fit(catalog, row.accelerator, "fp8", gpus, 32.0, row.isl, row.osl)
    # per GPU: 671e9 B / 4 = 167.75 GB of fp8 weights; KV (fp8, 35,136 B/token) for the 32 sequences at the
    # context they hold, 32 x 8,192 + 1,024 x 33/2 = 279,040 tokens, x 1.1 headroom = 10.78 GB: MLA's latent cache
    # has one KV head, so each of the 4 TP ranks holds all of it (arch.kv_copies); reserve 4 GB
    want = 167.75e9 + 279_040 * 35_136 * 1.1 + 4e9  # 182.53 GB
    assert float(out.mem_used_gb) == pytest.approx(want / 1e9, rel=1e-9)
    assert bool(out.fits)  # 180 GiB usable (193 GB)


@real
def test_clearly_too_small_setups_do_not_fit(catalog):
    # the same model on 4x H200 (141 GB each): 167.75 GB of weights per GPU alone exceed it
    assert not bool(_fit(catalog, "nvidia_h200_sxm", "fp8", 4, 1, 8192, 1024).fits)
    # 4x B200 in bf16: 335.5 GB of weights per GPU
    assert not bool(_fit(catalog, "nvidia_b200_hgx", "bf16", 4, 1, 8192, 1024).fits)
    # 4x B200 fp8 with 2,048 sequences of 8K/1K: ~177 GB of KV per GPU on top of the weights
    assert not bool(_fit(catalog, "nvidia_b200_hgx", "fp8", 4, 2048, 8192, 1024).fits)


@real
def test_batch_limit_follows_the_held_context(catalog):
    """More sequences fit at 1K/1K than at 8K/1K on the same GPUs (KV at the context actually held)."""
    def largest_batch(isl: int, osl: int) -> float:
        fits = [bool(_fit(catalog, "nvidia_b200_hgx", "fp8", 4, float(b), isl, osl).fits) for b in BATCHES]
        return float(BATCHES[np.flatnonzero(fits).max()]) if any(fits) else 0.0

    short, long_ = largest_batch(1024, 1024), largest_batch(8192, 1024)
    assert long_ >= 32 and short > 4 * long_
