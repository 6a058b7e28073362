"""KV cache bytes per token against hand-computed values (GQA and MLA)."""

from __future__ import annotations

import numpy as np
import pytest

from advisor.engine import arch
from tests.conftest import real_catalog_present

pytestmark = pytest.mark.skipif(not real_catalog_present(), reason="catalog/ data not written yet")


@pytest.fixture(scope="module")
def catalog():
    from advisor import api

    return api.load_catalog()[0]


def test_gqa_llama_3_3_70b(catalog):
    m = catalog.model("llama_3_3_70b")
    elems = 2 * 8 * 128 * 80  # K and V, 8 KV heads, head_dim 128, 80 layers
    assert elems == 163_840
    assert arch.kv_bytes_per_token(m, "bf16") == pytest.approx(elems * 2) == pytest.approx(327_680)
    assert arch.kv_bytes_per_token(m, "fp8") == pytest.approx(elems * 1)
    # full attention: the same per token at any context length
    assert arch.kv_bytes_per_token(m, "bf16", context=128) == pytest.approx(arch.kv_bytes_per_token(m, "bf16", context=100_000))


def test_mla_deepseek_v3(catalog):
    m = catalog.model("deepseek_v3")
    elems = (512 + 64) * 61  # compressed latent (kv_lora_rank) + decoupled RoPE key, 61 layers
    assert elems == 35_136
    assert arch.kv_bytes_per_token(m, "bf16") == pytest.approx(elems * 2)
    assert arch.kv_bytes_per_token(m, "fp8") == pytest.approx(elems)


def test_mla_is_far_smaller_than_gqa_per_parameter(catalog):
    gqa = arch.kv_bytes_per_token(catalog.model("llama_3_3_70b"), "bf16")
    mla = arch.kv_bytes_per_token(catalog.model("deepseek_v3"), "bf16")
    assert mla / gqa == pytest.approx(35_136 / 163_840)


def test_stored_and_read_agree_for_dense_attention(catalog):
    a = arch.coeffs(catalog.model("llama_3_3_70b"))
    c = np.array([1.0, 1024.0, 9000.0])
    np.testing.assert_allclose(arch.kv_stored_elems(a, c), arch.kv_read_elems(a, c))
    np.testing.assert_allclose(arch.kv_stored_elems(a, c), 163_840 * c)


def test_split_params_reproduces_active_params(catalog):
    m = catalog.model("deepseek_v3")
    a = arch.coeffs(m)
    active = a.nonexpert_params + a.moe_layers * a.experts_per_token * a.expert_params
    assert active == pytest.approx(m.active_params_b * 1e9, rel=1e-9)
    total = a.nonexpert_params + a.moe_layers * a.n_experts * a.expert_params
    assert total == pytest.approx(m.total_params_b * 1e9, rel=1e-9)
