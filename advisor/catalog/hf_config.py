"""A Hugging Face config.json (a dict) -> a catalog [[model]] entry (a dict). Pure functions, no I/O.

Parameter counts are not in a config: they are counted from the shapes (embeddings, attention,
dense FFN, experts, router), leaving out multi-token-prediction layers as model cards do. Values a
config cannot give (release date, weight precisions) are listed in the entry's `estimated`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from advisor.errors import UsageError


class UnmappedConfigError(UsageError):
    """The config's architecture is unknown, or it lacks fields its architecture needs (exit 2)."""

    def __init__(self, message: str, fields: list[str]):
        super().__init__(message)
        self.fields = fields


# Architecture families: (architectures[0] names, model_type names).
FAMILIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "deepseek_v3": (("DeepseekV3ForCausalLM", "KimiK2ForCausalLM"), ("deepseek_v3", "kimi_k2")),
    "deepseek_v32": (("DeepseekV32ForCausalLM",), ("deepseek_v32",)),
    "deepseek_v4": (("DeepseekV4ForCausalLM",), ("deepseek_v4",)),
    "glm_dsa": (("GlmMoeDsaForCausalLM",), ("glm_moe_dsa",)),
    "glm4_moe": (("Glm4MoeForCausalLM",), ("glm4_moe",)),
    "qwen3": (("Qwen3ForCausalLM",), ("qwen3",)),
    "qwen3_moe": (("Qwen3MoeForCausalLM",), ("qwen3_moe",)),
    "qwen3_next": (("Qwen3NextForCausalLM", "Qwen3_5MoeForConditionalGeneration", "Qwen3_5MoeForCausalLM",
                    "Qwen3_5ForConditionalGeneration", "Qwen3_5ForCausalLM"),
                   ("qwen3_next", "qwen3_5_moe", "qwen3_5_moe_text", "qwen3_5", "qwen3_5_text")),
    "minimax_m2": (("MiniMaxM2ForCausalLM",), ("minimax_m2",)),
    "llama": (("LlamaForCausalLM",), ("llama",)),
    "mixtral": (("MixtralForCausalLM",), ("mixtral",)),
    "gpt_oss": (("GptOssForCausalLM",), ("gpt_oss",)),
}

DEVELOPERS = {
    "deepseek_v3": "DeepSeek", "deepseek_v32": "DeepSeek", "deepseek_v4": "DeepSeek", "glm_dsa": "Zhipu AI / Z.ai",
    "glm4_moe": "Zhipu AI / Z.ai", "qwen3": "Alibaba Qwen", "qwen3_moe": "Alibaba Qwen", "qwen3_next": "Alibaba Qwen",
    "minimax_m2": "MiniMax", "llama": "Meta", "mixtral": "Mistral AI", "gpt_oss": "OpenAI",
}

# Config keys that carry no architecture the entry needs (training, tokens, runtime switches).
_IGNORED = {
    "architectures", "model_type", "auto_map", "torch_dtype", "dtype", "transformers_version", "bos_token_id",
    "eos_token_id", "pad_token_id", "initializer_range", "rms_norm_eps", "layer_norm_eps", "use_cache", "hidden_act",
    "attention_dropout", "attention_bias", "mlp_bias", "pretraining_tp", "rope_theta", "rope_scaling",
    "rope_parameters", "partial_rotary_factor", "aux_loss_alpha", "router_aux_loss_coef", "output_router_logits",
    "router_jitter_noise", "norm_topk_prob", "quantization_config", "tie_word_embeddings", "name_or_path",
}


def family_of(config: dict[str, Any]) -> str | None:
    archs = config.get("architectures") or []
    mtype = str(config.get("model_type") or "")
    for fam, (names, types) in FAMILIES.items():
        if (archs and archs[0] in names) or mtype in types:
            return fam
    return None


def _text_config(config: dict[str, Any]) -> dict[str, Any]:
    """Multimodal wrappers (Qwen3.5) keep the language model in text_config; identity keys stay outer."""
    inner = config.get("text_config")
    if not isinstance(inner, dict):
        return config
    merged = dict(inner)
    for key in ("architectures", "model_type", "quantization_config", "torch_dtype", "dtype"):
        if key in config:
            merged[key] = config[key]
    return merged


@dataclass
class _Reader:
    cfg: dict[str, Any]

    def __post_init__(self) -> None:
        self.missing: list[str] = []

    def need(self, *keys: str) -> int:
        for key in keys:
            value = self.cfg.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return int(value)
        self.missing.append(" or ".join(keys))
        return 0

    def opt(self, key: str, default: int = 0) -> int:
        value = self.cfg.get(key)
        return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


# --- parameter counts (elements) -----------------------------------------------------

def _gqa_params(h: int, heads: int, kv: int, hd: int, *, q_gate: bool = False) -> int:
    return h * heads * hd * (2 if q_gate else 1) + 2 * h * kv * hd + heads * hd * h


def _mla_params(h: int, heads: int, q_lora: int, kv_lora: int, nope: int, rope: int, v: int) -> int:
    q = h * q_lora + q_lora * heads * (nope + rope) if q_lora else h * heads * (nope + rope)
    kv = h * (kv_lora + rope) + kv_lora * heads * (nope + v)
    return q + kv + heads * v * h


def _indexer_params(h: int, q_lora: int, heads: int, dim: int) -> int:
    return (q_lora or h) * heads * dim + h * dim + h * heads


def _gdn_params(h: int, nk: int, nv: int, dk: int, dv: int, conv: int) -> int:
    """Gated DeltaNet: q/k/v/z projections, beta/alpha gates, short convolution, output."""
    return h * (2 * nk * dk + 2 * nv * dv) + h * 2 * nv + (2 * nk * dk + nv * dv) * conv + nv * dv * h


def _ffn(h: int, inter: int) -> int:
    return 3 * h * inter


def _int4_weight_only(q: dict[str, Any], method: str) -> bool:
    """4-bit integer weights with 16-bit activations: AWQ/GPTQ (`bits`) or compressed-tensors groups
    (Kimi K2-Thinking/K2.5's INT4 QAT release: weights num_bits 4, type int, no input_activations)."""
    if method in ("awq", "gptq", "auto-round"):
        return int(q.get("bits") or 0) == 4
    if method != "compressed-tensors":
        return False
    groups = [g for g in (q.get("config_groups") or {}).values() if isinstance(g, dict)]
    weights = [g.get("weights") or {} for g in groups]
    return bool(groups) and all(
        isinstance(w, dict) and w.get("num_bits") == 4 and w.get("type", "int") == "int" and not g.get("input_activations")
        for g, w in zip(groups, weights))


def _precision(cfg: dict[str, Any]) -> str:
    q = cfg.get("quantization_config") or {}
    method = str(q.get("quant_method", "")).lower() if isinstance(q, dict) else ""
    if str(cfg.get("expert_dtype", "")).lower() == "fp4" or "mxfp4" in method or "nvfp4" in method:
        return "fp4"
    if method in ("fp8", "fbgemm_fp8") or (isinstance(q, dict) and str(q.get("fmt", "")).startswith("e4m3")):
        return "fp8"
    if isinstance(q, dict) and _int4_weight_only(q, method):
        return "int4"
    return "bf16"


PRECISIONS_FROM_NATIVE = {"bf16": ["fp4", "fp8", "int8", "bf16"], "fp8": ["fp4", "fp8", "int8"], "fp4": ["fp4", "fp8"],
                          "int4": ["int4"]}
"""Native weight format -> the precisions an imported model is listed with (`estimated`: public checkpoints of the
common quantisations). A 4-bit weight-only (int4) release is listed as itself only: quantisation-aware trained, it has
no wider official checkpoint. GGUF q4/q3 are community conversions, never inferred from a config.json."""


def model_entry(
    config: dict[str, Any], *, ident: str, name: str | None = None, sources: list[str] | None = None,
    release_date: str | None = None, as_of: str | None = None,
) -> dict[str, Any]:
    """The [[model]] table for this config. Raises UnmappedConfigError naming what it could not map."""
    outer_arch = (config.get("architectures") or ["?"])[0]
    cfg = _text_config(config)
    fam = family_of(cfg)
    if fam is None:
        unknown = sorted(k for k in cfg if k not in _IGNORED)
        supported = ", ".join(sorted({n for names, _ in FAMILIES.values() for n in names}))
        raise UnmappedConfigError(
            f"unknown architecture {outer_arch!r} (model_type {cfg.get('model_type')!r}): cannot map the fields "
            f"{', '.join(unknown) or '(none)'} to a catalog model; supported architectures: {supported}",
            unknown,
        )
    r = _Reader(cfg)
    h = r.need("hidden_size")
    layers = r.need("num_hidden_layers")
    heads = r.need("num_attention_heads")
    vocab = r.need("vocab_size")
    max_ctx = r.need("max_position_embeddings")
    tie = bool(cfg.get("tie_word_embeddings", False))
    estimated: list[str] = []
    notes: list[str] = []
    e: dict[str, Any] = {}
    per_layer_attn = [0] * max(layers, 0)
    dense_ffn = moe_ffn_total = moe_ffn_active = 0
    dense_layers = 0
    mtp = 0

    def moe(n_exp: int, k: int, inter: int, n_shared: int = 0, shared_inter: int = 0, moe_layers: int = 0):
        nonlocal moe_ffn_total, moe_ffn_active
        per = _ffn(h, inter)
        shared = _ffn(h, shared_inter or inter) if n_shared else 0
        router = h * n_exp
        moe_ffn_total = moe_layers * (n_exp * per + n_shared * shared + router)
        moe_ffn_active = moe_layers * (k * per + n_shared * shared + router)
        e.update(n_routed_experts=n_exp, n_shared_experts=n_shared, experts_per_token=k, moe_intermediate_size=inter)

    if fam in ("deepseek_v3", "deepseek_v32", "glm_dsa"):
        q_lora = r.opt("q_lora_rank")
        kv_lora = r.need("kv_lora_rank")
        nope, rope, v = r.need("qk_nope_head_dim"), r.need("qk_rope_head_dim"), r.need("v_head_dim")
        attn = _mla_params(h, heads, q_lora, kv_lora, nope, rope, v)
        dense_layers = r.opt("first_k_dense_replace")
        e.update(attention="mla", num_heads=heads, kv_lora_rank=kv_lora, qk_rope_head_dim=rope)
        if fam != "deepseek_v3":
            top_k = r.need("index_topk")
            ih, idim = r.opt("index_n_heads", 64), r.opt("index_head_dim", 128)
            attn += _indexer_params(h, q_lora, ih, idim)
            e.update(index_top_k=top_k, index_heads=ih, index_head_dim=idim)
            notes.append(f"Sparse attention (DSA): an indexer of {ih} heads x {idim} picks the top {top_k} tokens per query.")
        per_layer_attn = [attn] * layers
        dense_ffn = dense_layers * _ffn(h, r.need("intermediate_size"))
        moe(r.need("n_routed_experts"), r.need("num_experts_per_tok"), r.need("moe_intermediate_size"),
            r.opt("n_shared_experts"), 0, layers - dense_layers)
        mtp = r.opt("num_nextn_predict_layers")
    elif fam == "deepseek_v4":
        hd, rope = r.need("head_dim"), r.need("qk_rope_head_dim")
        q_lora, o_lora, o_groups = r.opt("q_lora_rank"), r.opt("o_lora_rank"), r.opt("o_groups", 1)
        kv = r.opt("num_key_value_heads", 1)
        ratios = [int(x) for x in (cfg.get("compress_ratios") or [])][:layers]
        if len(ratios) < layers:
            r.missing.append("compress_ratios (one per layer)")
        csa, hca, win_only = ratios.count(4), ratios.count(128), ratios.count(0)
        other = sorted({x for x in ratios} - {0, 4, 128})
        if other:
            r.missing.append(f"compress_ratios values {other} (known: 0 window-only, 4 CSA, 128 HCA)")
        q = h * q_lora + q_lora * heads * hd if q_lora else h * heads * hd
        o = heads * hd * o_lora // max(o_groups, 1) + o_groups * o_lora * h if o_lora else heads * hd * h
        attn = q + h * kv * hd + o
        ih, idim, top_k = r.opt("index_n_heads", 64), r.opt("index_head_dim", 128), r.need("index_topk")
        per_layer_attn = [attn + (_indexer_params(h, q_lora, ih, idim) if x == 4 else 0) for x in ratios] + [0] * (layers - len(ratios))
        e.update(attention="csa_hca", num_heads=heads, num_kv_heads=kv, head_dim=hd, qk_rope_head_dim=rope,
                 sliding_window=r.need("sliding_window"), sliding_layers=win_only, csa_layers=csa, csa_ratio=4,
                 csa_top_k=top_k, hca_layers=hca, hca_ratio=128, index_top_k=top_k, index_heads=ih, index_head_dim=idim)
        if not (q_lora and o_lora):
            estimated += ["total_params_b", "active_params_b"]
            notes.append("q_lora_rank / o_lora_rank missing: attention counted without low-rank projections (overstated).")
        moe(r.need("n_routed_experts"), r.need("num_experts_per_tok"), r.need("moe_intermediate_size"),
            r.opt("n_shared_experts"), 0, layers)
        mtp = r.opt("num_nextn_predict_layers")
        if str(cfg.get("expert_dtype", "")).lower() == "fp4":
            notes.append("Routed experts ship in FP4, the rest in FP8: recorded as native fp4.")
        e["kv_cache_precision"] = "fp8"
        notes.append("KV cache is FP8 in the reference implementation.")
    else:
        hd = r.opt("head_dim") or (h // heads if heads else 0)
        kv = r.need("num_key_value_heads") if fam != "llama" else r.opt("num_key_value_heads", heads)
        q_gate = bool(cfg.get("attn_output_gate"))
        attn = _gqa_params(h, heads, kv, hd, q_gate=q_gate)
        e.update(attention="gqa", num_heads=heads, num_kv_heads=kv, head_dim=hd)
        linear = [0] * layers
        if fam == "qwen3_next":
            types = cfg.get("layer_types")
            if not isinstance(types, list):
                every = r.need("full_attention_interval") or 4
                types = ["full_attention" if (i + 1) % every == 0 else "linear_attention" for i in range(layers)]
            linear = [1 if t == "linear_attention" else 0 for t in types[:layers]]
            nk, nv = r.need("linear_num_key_heads"), r.need("linear_num_value_heads")
            dk, dv = r.need("linear_key_head_dim"), r.need("linear_value_head_dim")
            lin = _gdn_params(h, nk, nv, dk, dv, r.opt("linear_conv_kernel_dim", 4))
            e.update(linear_attention_layers=sum(linear), linear_num_heads=nv, linear_key_head_dim=dk, linear_value_head_dim=dv)
            notes.append(f"Hybrid attention: {sum(linear)} Gated DeltaNet layers (fixed-size state: {nv} heads x {dk} x {dv}) "
                         f"and {layers - sum(linear)} full-attention layers{' with output gate' if q_gate else ''}.")
            per_layer_attn = [lin if x else attn for x in linear]
        elif fam == "minimax_m2":
            kinds = cfg.get("attn_type_list")
            if isinstance(kinds, list) and 0 in kinds[:layers]:
                linear = [1 if k == 0 else 0 for k in kinds[:layers]]
                nv = heads
                e.update(linear_attention_layers=sum(linear), linear_num_heads=nv, linear_key_head_dim=hd, linear_value_head_dim=hd)
                notes.append(f"Hybrid attention: {sum(linear)} lightning (linear) attention layers with a fixed {hd} x {hd} state per head.")
            per_layer_attn = [attn] * layers
        else:
            per_layer_attn = [attn] * layers
        if fam == "gpt_oss":
            types = cfg.get("layer_types")
            window = r.need("sliding_window")
            sliding = sum(1 for t in types[:layers] if t == "sliding_attention") if isinstance(types, list) else layers // 2
            e.update(attention="gqa_sliding", sliding_window=window, sliding_layers=sliding)
        elif fam in ("mixtral", "llama", "qwen3", "qwen3_moe") and cfg.get("sliding_window") and cfg.get("use_sliding_window", fam != "qwen3" and fam != "qwen3_moe"):
            e.update(attention="gqa_sliding", sliding_window=int(cfg["sliding_window"]), sliding_layers=layers)
        if fam in ("llama", "qwen3"):
            dense_ffn = layers * _ffn(h, r.need("intermediate_size"))
        elif fam in ("mixtral", "gpt_oss"):
            n_exp = r.need("num_local_experts")
            k = r.need("num_experts_per_tok", "experts_per_token")
            moe(n_exp, k, r.need("intermediate_size"), 0, 0, layers)
        elif fam == "minimax_m2":
            moe(r.need("num_local_experts"), r.need("num_experts_per_tok"), r.need("intermediate_size"), 0, 0, layers)
            mtp = r.opt("num_mtp_modules") if cfg.get("use_mtp", True) else 0
        elif fam in ("qwen3_moe", "qwen3_next"):
            sparse_step = r.opt("decoder_sparse_step", 1)
            only = set(cfg.get("mlp_only_layers") or [])
            moe_layers = sum(1 for i in range(layers) if i not in only and (i + 1) % max(sparse_step, 1) == 0)
            dense_layers = layers - moe_layers
            if dense_layers:
                dense_ffn = dense_layers * _ffn(h, r.need("intermediate_size"))
            shared_inter = r.opt("shared_expert_intermediate_size")
            moe(r.need("num_experts"), r.need("num_experts_per_tok"), r.need("moe_intermediate_size"),
                1 if shared_inter else 0, shared_inter, moe_layers)
            mtp = r.opt("mtp_num_hidden_layers")
            if dense_layers and fam == "qwen3_moe":
                notes.append(f"{dense_layers} layers use a dense FFN (mlp_only_layers / decoder_sparse_step), not leading.")
        elif fam == "glm4_moe":
            dense_layers = r.opt("first_k_dense_replace")
            dense_ffn = dense_layers * _ffn(h, r.need("intermediate_size"))
            moe(r.need("n_routed_experts"), r.need("num_experts_per_tok"), r.need("moe_intermediate_size"),
                r.opt("n_shared_experts"), 0, layers - dense_layers)
            mtp = r.opt("num_nextn_predict_layers")
    if r.missing:
        raise UnmappedConfigError(
            f"{outer_arch} config lacks fields the {fam} mapping needs: {', '.join(r.missing)}", list(r.missing))

    embed = vocab * h * (1 if tie else 2)
    total = embed + sum(per_layer_attn) + dense_ffn + moe_ffn_total
    active = embed + sum(per_layer_attn) + dense_ffn + moe_ffn_active
    native = _precision(cfg)
    is_moe = bool(e.get("n_routed_experts"))
    entry: dict[str, Any] = {
        "id": ident,
        "name": name or ident,
        "aliases": [],
        "developer": DEVELOPERS.get(fam, ""),
        "release_date": release_date or "",
        "architecture": "moe" if is_moe else "dense",
        "total_params_b": round(total / 1e9, 2),
        "active_params_b": round(active / 1e9, 2),
        "layers": layers,
        "hidden_size": h,
        "vocab_size": vocab,
        "max_context": max_ctx,
    }
    if dense_layers and is_moe and fam not in ("qwen3_moe", "qwen3_next"):
        entry["dense_layers"] = dense_layers
    entry.update(e)
    if mtp:
        entry["mtp_layers"] = mtp
    entry["precisions"] = PRECISIONS_FROM_NATIVE[native]
    entry["native_precision"] = native
    entry["sources"] = list(sources or [])
    entry["as_of"] = as_of or release_date or ""
    estimated += ["precisions"]
    if not release_date:
        estimated.append("release_date")
    entry["estimated"] = list(dict.fromkeys(estimated))
    notes.insert(0, f"Imported from a Hugging Face config.json ({outer_arch}); parameter counts are counted from the "
                    f"shapes (embeddings{'' if tie else ' and output head'}, attention, FFN, experts, router; "
                    f"MTP layers excluded).")
    entry["notes"] = " ".join(notes)
    return entry


def suggest_id(text: str) -> str:
    """A catalog id from a model name or path ('Qwen/Qwen3.5-397B-A17B' -> 'qwen3_5_397b_a17b')."""
    base = text.rstrip("/").split("/")[-1]
    base = re.sub(r"\.json$", "", base)
    ident = re.sub(r"[^a-z0-9]+", "_", base.lower()).strip("_")
    return ident if ident and ident[0].isalnum() else f"model_{ident}"
