"""Attention from the architecture: KV bytes stored per token, KV read per decode step, attention FLOPs.

One model of each attention type, every number worked out by hand in the comments (catalog configs,
no fitted multiplier), then monotonicity properties over context lengths (hypothesis): full attention
grows with context, linear-attention state is flat, windows and top-k selections are capped.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.engine import arch
from advisor.engine.precision import STATE_BYTES
from tests.conftest import real_catalog_present

pytestmark = pytest.mark.skipif(not real_catalog_present(), reason="needs the built-in catalog")

MODELS = ("llama_3_3_70b", "deepseek_v3", "glm_5", "deepseek_v4_pro", "deepseek_v4_flash", "gpt_oss_120b",
          "llama_4_maverick", "qwen3_5_397b_a17b", "minimax_m2_5")


@pytest.fixture(scope="module")
def catalog():
    from advisor import api

    return api.load_catalog()[0]


@pytest.fixture(scope="module")
def coeffs(catalog):
    return {m: arch.coeffs(catalog.model(m)) for m in MODELS}


# --- hand-computed bytes per token, one model per attention type -------------------------------------------

def test_gqa_full_attention_llama_3_3_70b(catalog, coeffs):
    a = coeffs["llama_3_3_70b"]
    # K and V: 2 x 8 KV heads x 128 head_dim x 80 layers = 163,840 elements per token, at every context
    assert a.kv_full == 163_840 and a.state_elems == 0
    assert arch.kv_bytes_per_token(catalog.model("llama_3_3_70b"), "bf16") == pytest.approx(327_680)  # 2 B
    assert arch.kv_bytes_per_token(catalog.model("llama_3_3_70b"), "fp8") == pytest.approx(163_840)  # fp8 chip
    assert arch.kv_bytes_per_token(catalog.model("llama_3_3_70b"), "fp8", chip_fp8=False) == pytest.approx(327_680)
    # read = stored for full attention: 163,840 x 10,000 tokens
    assert float(arch.kv_read_elems(a, 10_000.0)) == pytest.approx(1_638_400_000)
    # attention FLOPs per token: 2 x 64 heads x 2 x 128 x 80 layers = 2,621,440 per context token
    assert float(arch.attn_flops_per_token(a, 1000.0)) == pytest.approx(2_621_440_000)


def test_sparse_top_k_dsa_glm_5(catalog, coeffs):
    a = coeffs["glm_5"]
    m = catalog.model("glm_5")
    # MLA latent (512 + 64) x 78 layers = 44,928 elements per token; the DSA indexer keeps 128 x 78 = 9,984 more
    assert (a.kv_full, a.kv_tok_idx, a.full_top_k) == (44_928, 9_984, 2048)
    # stored: every token's latent and indexer key: 54,912 elements = 54,912 B in fp8, 109,824 B in bf16
    assert arch.kv_bytes_per_token(m, "fp8") == pytest.approx(54_912)
    assert arch.kv_bytes_per_token(m, "bf16") == pytest.approx(109_824)
    # read at 8,192 tokens: the top-2,048 tokens' latents + the indexer scans all 8,192 keys
    # 44,928 x 2,048 + 9,984 x 8,192 = 92,012,544 + 81,788,928 = 173,801,472 elements
    assert float(arch.kv_read_elems(a, 8192.0)) == pytest.approx(173_801_472)
    # below top-k everything is read: 54,912 x 1,000
    assert float(arch.kv_read_elems(a, 1000.0)) == pytest.approx(54_912_000)
    # FLOPs at 8,192: absorbed MLA 2 x 64 heads x (576 + 512) x 78 = 10,862,592 per selected token x 2,048
    # + indexer 2 x 32 heads x 128 x 78 = 638,976 per context token x 8,192
    assert float(arch.attn_flops_per_token(a, 8192.0)) == pytest.approx(10_862_592 * 2048 + 638_976 * 8192)


def test_deepseek_v4_pro_csa_hca_from_the_compression_ratios(catalog, coeffs):
    a = coeffs["deepseek_v4_pro"]
    m = catalog.model("deepseek_v4_pro")
    assert a.kv_scale == 1.0  # no fitted / measured multiplier
    # per layer one shared KV entry of head_dim 512. Per token at long context:
    #   CSA 30 layers x 512 / 4 = 3,840; indexer keys 30 x 128 / 4 = 960; HCA 31 x 512 / 128 = 124 -> 4,924
    # plus a 128-token raw window on all 61 layers: 61 x 512 x 128 = 3,997,696 elements per sequence.
    # fp8 cache (the model's kv_cache_precision): at 4,096 tokens (4,924 x 4,096 + 3,997,696) / 4,096 = 5,900 B
    assert arch.kv_bytes_per_token(m, "fp8", context=4096) == pytest.approx(5_900)
    assert arch.kv_bytes_per_token(m, "bf16", context=4096) == pytest.approx(5_900)  # fp8 whatever the weights
    assert arch.kv_bytes_per_token(m, "fp4", context=1_048_576) == pytest.approx(4_924 + 3_997_696 / 1_048_576)
    # read at 1M tokens: CSA top-1,024 of 262,144 entries: 15,360 x 1,024 = 15,728,640; indexer over all entries
    # 3,840 x 262,144 = 1,006,632,960; HCA 15,872 x 8,192 = 130,023,424; window 31,232 x 128 = 3,997,696
    assert float(arch.kv_read_elems(a, 1_048_576.0)) == pytest.approx(1_156_382_720)


def test_deepseek_v4_flash_window_only_layers(coeffs):
    a = coeffs["deepseek_v4_flash"]
    # 21 CSA (512/4 + 128/4 = 160 each) + 20 HCA (512/128 = 4 each) = 3,360 + 80 = 3,440 per token;
    # the window covers all 43 layers (2 of them window-only): 43 x 512 = 22,016 per window token
    per_token = (a.kv_csa + a.kv_idx) / a.r_csa + a.kv_hca / a.r_hca
    assert per_token == pytest.approx(3_440) and a.kv_win == 22_016


def test_sliding_window_gpt_oss_120b(catalog, coeffs):
    a = coeffs["gpt_oss_120b"]
    # 18 full + 18 sliding (128-token) layers, 2 x 8 KV heads x 64 head_dim = 1,024 per layer:
    # full 18,432 per token; window 18,432 per token up to 128 tokens
    assert (a.kv_full, a.kv_win, a.window) == (18_432, 18_432, 128)
    # at 8,192 tokens in bf16: (18,432 x 8,192 + 18,432 x 128) x 2 B / 8,192 = 37,440 B per token
    assert arch.kv_bytes_per_token(catalog.model("gpt_oss_120b"), "bf16", context=8192) == pytest.approx(37_440)


def test_linear_attention_hybrid_qwen3_5(catalog, coeffs):
    a = coeffs["qwen3_5_397b_a17b"]
    # 15 full-attention layers of 2 x 2 KV heads x 256 = 1,024: 15,360 elements per token (not 60 layers' 61,440)
    assert a.kv_full == 15_360
    # 45 Gated DeltaNet layers, each a 64 heads x 128 x 128 state per sequence: 47,185,920 elements, 16-bit
    assert a.state_elems == 47_185_920 and arch.state_bytes(a) == 47_185_920 * STATE_BYTES == 94_371_840
    # stored at 10,000 tokens (bf16): 15,360 x 2 B x 10,000 + 94,371,840 = 401,571,840 B
    assert float(arch.kv_stored_bytes(a, 10_000.0, 2.0)) == pytest.approx(401_571_840)
    # a decode step reads the KV and reads + writes the state: 15,360 x 2 x 10,000 + 2 x 94,371,840
    assert float(arch.kv_read_bytes(a, 10_000.0, 2.0)) == pytest.approx(307_200_000 + 188_743_680)


# --- monotonicity over context ------------------------------------------------------------------------------

contexts = st.tuples(st.floats(1.0, 2e6), st.floats(1.0, 2e6)).map(sorted)


@settings(max_examples=60, deadline=None)
@given(model=st.sampled_from(MODELS), cs=contexts)
def test_reads_and_stores_never_shrink_and_stored_covers_read(coeffs, model, cs):
    a = coeffs[model]
    lo, hi = cs
    assert float(arch.kv_read_elems(a, hi)) >= float(arch.kv_read_elems(a, lo)) * (1 - 1e-12)
    assert float(arch.kv_stored_elems(a, hi)) >= float(arch.kv_stored_elems(a, lo)) * (1 - 1e-12)
    assert float(arch.attn_flops_per_token(a, hi)) >= float(arch.attn_flops_per_token(a, lo)) * (1 - 1e-12)
    # a step never reads more KV than the sequence holds (sparse and windowed reads are subsets)
    assert float(arch.kv_read_elems(a, hi)) <= float(arch.kv_stored_elems(a, hi)) * (1 + 1e-12)


@settings(max_examples=40, deadline=None)
@given(cs=contexts)
def test_full_attention_read_grows_linearly(coeffs, cs):
    a = coeffs["llama_3_3_70b"]
    lo, hi = cs
    grow = float(arch.kv_read_elems(a, hi) - arch.kv_read_elems(a, lo))
    assert grow == pytest.approx(163_840 * (hi - lo), rel=1e-9, abs=1e-3)


@settings(max_examples=40, deadline=None)
@given(cs=contexts)
def test_linear_layers_are_flat_only_full_layers_grow(coeffs, cs):
    a = coeffs["qwen3_5_397b_a17b"]
    lo, hi = cs
    grow = float(arch.kv_read_bytes(a, hi, 2.0) - arch.kv_read_bytes(a, lo, 2.0))
    assert grow == pytest.approx(15_360 * 2.0 * (hi - lo), rel=1e-9, abs=1e-3)  # the state adds nothing
    assert float(arch.kv_read_bytes(a, lo, 2.0)) >= 2 * arch.state_bytes(a)  # the state is always moved


@settings(max_examples=40, deadline=None)
@given(cs=st.tuples(st.floats(128.0, 1e6), st.floats(128.0, 1e6)).map(sorted))
def test_window_is_capped(coeffs, cs):
    a = coeffs["gpt_oss_120b"]
    lo, hi = cs
    # past the 128-token window only the 18 full layers grow
    grow = float(arch.kv_read_elems(a, hi) - arch.kv_read_elems(a, lo))
    assert grow == pytest.approx(18_432 * (hi - lo), rel=1e-9, abs=1e-3)


@settings(max_examples=40, deadline=None)
@given(cs=st.tuples(st.floats(2048.0, 1e6), st.floats(2048.0, 1e6)).map(sorted))
def test_top_k_is_capped_the_indexer_is_not(coeffs, cs):
    a = coeffs["glm_5"]
    lo, hi = cs
    # past top-k the selected latents stay at 2,048 tokens; only the indexer's 9,984 keys per token grow
    grow = float(arch.kv_read_elems(a, hi) - arch.kv_read_elems(a, lo))
    assert grow == pytest.approx(9_984 * (hi - lo), rel=1e-9, abs=1e-3)
    v4 = coeffs["deepseek_v4_pro"]
    lo4, hi4 = max(lo, 4 * 1024.0), max(hi, 4 * 1024.0)
    # V4 past top-k (1,024 compressed entries = 4,096 tokens): the indexer (960/token) and HCA (124/token) grow
    grow4 = float(arch.kv_read_elems(v4, hi4) - arch.kv_read_elems(v4, lo4))
    assert grow4 == pytest.approx((960 + 124) * (hi4 - lo4), rel=1e-9, abs=1e-3)


def test_v4_pro_needs_a_fraction_of_v3s_kv(catalog):
    """DeepSeek: at 1M tokens V4 Pro keeps ~10% of V3.2's KV; against V3's MLA cache it is ~14% (both fp8)."""
    v4 = arch.kv_bytes_per_token(catalog.model("deepseek_v4_pro"), "fp8", context=1_048_576)
    v3 = arch.kv_bytes_per_token(catalog.model("deepseek_v3"), "fp8", context=1_048_576)
    assert v3 == pytest.approx(35_136)
    assert 0.10 < v4 / v3 < 0.16
