"""advisor.catalog.hf_config: config.json fixtures -> catalog model entries, checked against the hand-written catalog."""

from __future__ import annotations

import json

import pytest

from advisor.catalog.hf_config import UnmappedConfigError, family_of, model_entry, suggest_id
from advisor.domain import LLM
from tests.conftest import DATA, REAL_CATALOG, real_catalog_present

CONFIGS = DATA / "hf_configs"

# fixture -> (family, built-in model it must agree with, or None)
FIXTURES = {
    "deepseek_v3": ("deepseek_v3", "deepseek_v3"),
    "deepseek_v3_2": ("deepseek_v32", None),
    "deepseek_v4_flash": ("deepseek_v4", "deepseek_v4_flash"),
    "kimi_k2": ("deepseek_v3", "kimi_k2"),
    "qwen3_32b": ("qwen3", "qwen3_32b"),
    "qwen3_235b_a22b": ("qwen3_moe", "qwen3_235b_a22b"),
    "qwen3_5_397b_a17b": ("qwen3_next", None),
    "glm_4_5": ("glm4_moe", "glm_4_5"),
    "glm_5": ("glm_dsa", "glm_5"),
    "minimax_m2_5": ("minimax_m2", None),
    "llama_3_3_70b": ("llama", "llama_3_3_70b"),
    "llama_3_1_8b": ("llama", "llama_3_1_8b"),
    "mixtral_8x7b": ("mixtral", "mixtral_8x7b"),
    "gpt_oss_120b": ("gpt_oss", "gpt_oss_120b"),
}

# Shape fields that must equal the hand-written entry exactly.
EXACT = ("architecture", "layers", "hidden_size", "vocab_size", "attention", "num_heads", "num_kv_heads", "head_dim",
         "kv_lora_rank", "qk_rope_head_dim", "n_routed_experts", "n_shared_experts", "experts_per_token",
         "moe_intermediate_size", "dense_layers", "sliding_window", "sliding_layers", "csa_layers", "csa_ratio",
         "csa_top_k", "hca_layers", "hca_ratio")


def load(name: str) -> dict:
    return json.loads((CONFIGS / f"{name}.json").read_text(encoding="utf-8"))


def imported(name: str) -> LLM:
    entry = model_entry(load(name), ident=name, release_date="2026-01-01", sources=[f"tests/data/hf_configs/{name}.json"])
    return LLM.model_validate(entry)


@pytest.fixture(scope="module")
def catalog():
    if not real_catalog_present():
        pytest.skip("needs the built-in catalog")
    from advisor.catalog import load_catalog

    cat, _ = load_catalog([])
    return cat


def test_every_listed_architecture_has_a_fixture():
    families = {fam for fam, _ in FIXTURES.values()}
    assert families == {"deepseek_v3", "deepseek_v32", "deepseek_v4", "qwen3", "qwen3_moe", "qwen3_next", "glm4_moe",
                        "glm_dsa", "minimax_m2", "llama", "mixtral", "gpt_oss"}
    assert sorted(p.stem for p in CONFIGS.glob("*.json")) == sorted(FIXTURES)


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_fixture_imports_and_validates(name):
    family, _ = FIXTURES[name]
    cfg = load(name)
    assert family_of(cfg.get("text_config", cfg) | {k: cfg[k] for k in ("architectures", "model_type") if k in cfg}) == family
    model = imported(name)
    assert model.active_params_b < model.total_params_b or model.architecture == "dense"
    assert "precisions" in model.estimated


@pytest.mark.parametrize("name", sorted(n for n, (_, ref) in FIXTURES.items() if ref))
def test_import_agrees_with_the_hand_written_entry(name, catalog):
    ref = catalog.models[FIXTURES[name][1]]
    got = imported(name)
    for field in EXACT:
        assert getattr(got, field) == getattr(ref, field), f"{name}: {field} {getattr(got, field)} != {getattr(ref, field)}"
    assert got.total_params_b == pytest.approx(ref.total_params_b, rel=0.05), "total parameters"
    if "active_params_b" in got.estimated:  # DeepSeek V4 without its low-rank output projection in the config
        assert got.active_params_b == pytest.approx(ref.active_params_b, rel=0.35)
    else:
        assert got.active_params_b == pytest.approx(ref.active_params_b, rel=0.12), "active parameters"
    assert got.mtp_layers == ref.mtp_layers or name in ("glm_4_5", "qwen3_235b_a22b")


def test_imported_builtin_entries_are_what_the_importer_gives(catalog):
    for name, ident in (("minimax_m2_5", "minimax_m2_5"), ("qwen3_5_397b_a17b", "qwen3_5_397b_a17b")):
        ref, got = catalog.models[ident], imported(name)
        for field in (*EXACT, "total_params_b", "active_params_b", "linear_attention_layers", "linear_num_heads"):
            assert getattr(got, field) == getattr(ref, field), f"{ident}: {field}"
        assert ref.sources and all(s for s in ref.sources) and "release_date" in ref.estimated


def test_qwen3_5_hybrid_layers_and_name_sized_counts():
    m = imported("qwen3_5_397b_a17b")
    assert (m.linear_attention_layers, m.full_attention_layers) == (45, 15)
    assert m.linear_state_elems_per_seq == 45 * 64 * 128 * 128
    assert round(m.total_params_b) == 396 and round(m.active_params_b) == 17  # "397B-A17B"
    assert m.n_shared_experts == 1 and m.experts_per_token == 10


def test_sparse_attention_fields_from_dsa_configs():
    v32, glm = imported("deepseek_v3_2"), imported("glm_5")
    assert (v32.index_top_k, v32.index_heads, v32.index_head_dim) == (2048, 64, 128)
    assert (glm.index_top_k, glm.index_heads) == (2048, 32)
    assert imported("deepseek_v3").index_top_k == 0


def test_native_precision_from_quantization_config():
    assert imported("deepseek_v3").native_precision == "fp8"
    assert imported("gpt_oss_120b").native_precision == "fp4"
    assert imported("deepseek_v4_flash").native_precision == "fp4"
    assert imported("llama_3_1_8b").native_precision == "bf16"


def _with_quantization(name: str, quantization: dict) -> LLM:
    config = {**load(name), "quantization_config": quantization}
    return LLM.model_validate(model_entry(config, ident=name, release_date="2026-01-01", sources=["test"]))


def test_int4_weight_only_checkpoints_import_as_int4():
    # Kimi K2-Thinking / K2.5 ship compressed-tensors INT4 (QAT, group 32, 16-bit activations)
    kimi_int4 = {
        "quant_method": "compressed-tensors", "format": "pack-quantized", "quantization_status": "compressed",
        "config_groups": {"group_0": {"targets": ["Linear"], "input_activations": None, "output_activations": None,
                                      "weights": {"num_bits": 4, "type": "int", "strategy": "group", "group_size": 32,
                                                  "symmetric": True, "dynamic": False}}},
    }
    got = _with_quantization("kimi_k2", kimi_int4)
    assert got.native_precision == "int4"
    assert got.precisions == ["int4"]
    assert _with_quantization("qwen3_32b", {"quant_method": "awq", "bits": 4, "group_size": 128}).native_precision == "int4"
    assert _with_quantization("qwen3_32b", {"quant_method": "gptq", "bits": 4}).native_precision == "int4"
    # not weight-only 4-bit: 8-bit weights, or 4-bit weights with quantised activations (W4A8)
    w8 = {**kimi_int4, "config_groups": {"group_0": {"weights": {"num_bits": 8, "type": "int"}}}}
    assert _with_quantization("kimi_k2", w8).native_precision != "int4"
    w4a8 = {**kimi_int4, "config_groups": {"group_0": {"weights": {"num_bits": 4, "type": "int"},
                                                       "input_activations": {"num_bits": 8, "type": "int"}}}}
    assert _with_quantization("kimi_k2", w4a8).native_precision != "int4"
    assert _with_quantization("qwen3_32b", {"quant_method": "gptq", "bits": 8}).native_precision != "int4"


def test_unknown_architecture_names_the_unmapped_fields():
    cfg = {"architectures": ["FooForCausalLM"], "model_type": "foo", "hidden_size": 8, "weird_mixer": 3, "torch_dtype": "bfloat16"}
    with pytest.raises(UnmappedConfigError) as err:
        model_entry(cfg, ident="foo")
    assert err.value.exit_code == 2
    assert err.value.fields == ["hidden_size", "weird_mixer"]
    assert "FooForCausalLM" in str(err.value) and "weird_mixer" in str(err.value)


def test_known_architecture_missing_fields_are_named():
    cfg = load("mixtral_8x7b")
    del cfg["num_local_experts"], cfg["num_key_value_heads"]
    with pytest.raises(UnmappedConfigError) as err:
        model_entry(cfg, ident="m")
    assert set(err.value.fields) == {"num_local_experts", "num_key_value_heads"}


def test_suggest_id():
    assert suggest_id("Qwen/Qwen3.5-397B-A17B") == "qwen3_5_397b_a17b"
    assert suggest_id("/x/MiniMax-M2.5/") == "minimax_m2_5"


def test_engine_accepts_models_with_the_new_fields(catalog):
    """The engine ignores linear-attention / sparse-index fields for now, but must not crash on them."""
    from advisor.engine.arch import coeffs

    for ident in ("qwen3_5_397b_a17b", "minimax_m2_5"):
        c = coeffs(catalog.models[ident])
        assert c.total_params > 0 and c.kv_full > 0


def test_builtin_catalog_files_are_fresh():
    """The generated catalog files match what the tools produce today (rerun the tools after editing them)."""
    import subprocess
    import sys

    if not (REAL_CATALOG / "models_imported.toml").is_file():
        pytest.skip("needs the built-in catalog")
    out = subprocess.run([sys.executable, str(REAL_CATALOG.parent / "tools" / "import_builtin_models.py"), "--check"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
