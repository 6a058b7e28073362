"""What an LLM architecture costs per token: weight bytes, KV bytes, FLOPs.

Everything is reduced to a few coefficients so that the throughput model can evaluate
any context length, batch and precision in one broadcast expression:

    entries(c) = full*c + win*min(c, W) + csa*min(c/r_csa, top_k) + hca*c/r_hca + idx*c/r_csa

for KV elements read per sequence per decode step (and a variant without the top-k cap for
elements stored), and the same shape, with FLOP coefficients, for attention FLOPs per token.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from advisor.domain import LLM
from advisor.engine.precision import KV_BYTES as KV_BYTES
from advisor.engine.precision import PREC_INDEX as PREC_INDEX
from advisor.engine.precision import WEIGHT_BYTES as WEIGHT_BYTES
from advisor.engine.types import FloatArray

# KV_BYTES, PREC_INDEX, WEIGHT_BYTES live in engine/precision.py (one table); re-exported for callers.


@dataclass(frozen=True)
class ArchCoeffs:
    """Per-model scalars (floats) the throughput model needs."""

    model_id: str
    total_params: float
    active_params: float
    nonexpert_params: float
    expert_params: float  # one routed expert in one MoE layer
    moe_layers: float
    n_experts: float
    experts_per_token: float
    layers: float
    hidden: float
    # KV elements per token, by attention kind
    kv_full: float
    kv_win: float
    kv_csa: float
    kv_hca: float
    kv_idx: float
    window: float
    r_csa: float
    r_hca: float
    top_k: float
    kv_scale: float  # measured / computed stored KV, where a serving stack's figure exists
    # attention FLOPs per token per attended entry, by kind
    fl_full: float
    fl_win: float
    fl_csa: float
    fl_hca: float
    fl_idx: float
    mtp_layers: float
    precisions: tuple[str, ...]
    max_context: float


def split_params(m: LLM) -> tuple[float, float, float]:
    """(non-expert params, params of one routed expert in one layer, MoE layers).

    Derived from the published totals: total = N + R and active = N + R*k/E, so
    R = (total - active) / (1 - k/E). This stays consistent with the model card even
    where per-layer sizes are estimates.
    """
    total, active = m.total_params_b * 1e9, m.active_params_b * 1e9
    if m.architecture != "moe":
        return total, 0.0, 0.0
    e, k = m.n_routed_experts, m.experts_per_token
    routed = (total - active) / (1.0 - k / e)
    routed = min(routed, total)
    moe_layers = max(m.layers - m.dense_layers, 1)
    return total - routed, routed / (moe_layers * e), float(moe_layers)


def coeffs(m: LLM) -> ArchCoeffs:
    """The model's coefficients: parameter split, KV elements and attention FLOPs per kind."""
    nonexp, per_expert, moe_layers = split_params(m)
    layers = m.layers
    kv_full = kv_win = kv_csa = kv_hca = kv_idx = 0.0
    fl_full = fl_win = fl_csa = fl_hca = fl_idx = 0.0
    window = float(m.sliding_window or 1)
    r_csa = float(m.csa_ratio or 1)
    r_hca = float(m.hca_ratio or 1)
    top_k = float(m.csa_top_k or 1e12)
    kv_scale = 1.0
    if m.attention == "gqa":
        kv_full = 2.0 * m.num_kv_heads * m.head_dim * layers
        fl_full = 2.0 * m.num_heads * 2 * m.head_dim * layers
    elif m.attention == "gqa_sliding":
        full_layers = layers - m.sliding_layers
        per_layer = 2.0 * m.num_kv_heads * m.head_dim
        kv_full, kv_win = per_layer * full_layers, per_layer * m.sliding_layers
        fl_per = 2.0 * m.num_heads * 2 * m.head_dim
        fl_full, fl_win = fl_per * full_layers, fl_per * m.sliding_layers
    elif m.attention == "mla":
        width = m.kv_lora_rank + m.qk_rope_head_dim
        kv_full = float(width * layers)
        # absorbed MLA: scores over (kv_lora_rank + rope) dims, values over kv_lora_rank dims
        fl_full = 2.0 * m.num_heads * (width + m.kv_lora_rank) * layers
    elif m.attention == "csa_hca":
        d = m.head_dim  # shared-KV MQA: one entry of head_dim per token per layer
        kv_csa, kv_hca = float(d * m.csa_layers), float(d * m.hca_layers)
        kv_win = float(d * layers)
        kv_idx = float(128 * m.csa_layers)  # lightning-indexer keys
        fl_per = 2.0 * m.num_heads * 2 * d
        fl_csa, fl_hca, fl_win = fl_per * m.csa_layers, fl_per * m.hca_layers, fl_per * layers
        fl_idx = 2.0 * 64 * 128 * m.csa_layers
        if m.kv_bytes_per_token_measured:
            computed = kv_csa / r_csa + kv_hca / r_hca + kv_idx / r_csa  # fp8 bytes/token, long context
            kv_scale = m.kv_bytes_per_token_measured / computed
    return ArchCoeffs(
        model_id=m.id,
        total_params=m.total_params_b * 1e9,
        active_params=m.active_params_b * 1e9,
        nonexpert_params=nonexp,
        expert_params=per_expert,
        moe_layers=moe_layers,
        n_experts=float(m.n_routed_experts or 1),
        experts_per_token=float(m.experts_per_token or 1),
        layers=float(layers),
        hidden=float(m.hidden_size),
        kv_full=kv_full, kv_win=kv_win, kv_csa=kv_csa, kv_hca=kv_hca, kv_idx=kv_idx,
        window=window, r_csa=r_csa, r_hca=r_hca, top_k=top_k, kv_scale=kv_scale,
        fl_full=fl_full, fl_win=fl_win, fl_csa=fl_csa, fl_hca=fl_hca, fl_idx=fl_idx,
        mtp_layers=float(m.mtp_layers),
        precisions=tuple(m.precisions),
        max_context=float(m.max_context),
    )


def kv_bytes_per_token(m: LLM, precision: str = "bf16", context: float = 4096.0) -> float:
    """Stored KV bytes per token of context (whole model), averaged over `context` tokens."""
    a = coeffs(m)
    return float(kv_stored_elems(a, np.asarray(context, dtype=float)) / context * KV_BYTES[PREC_INDEX[precision]] * a.kv_scale)


def kv_stored_elems(a: ArchCoeffs, c: FloatArray | float) -> FloatArray:
    """KV elements stored for one sequence of c tokens."""
    return a.kv_full * c + a.kv_win * np.minimum(c, a.window) + (a.kv_csa + a.kv_idx) * c / a.r_csa + a.kv_hca * c / a.r_hca


def _per_sequence(a: ArchCoeffs, c: FloatArray | float, full: float, win: float, csa: float, idx: float, hca: float) -> FloatArray:
    """The shared shape: full*c + win*min(c, W) + csa*min(c/r_csa, top_k) + idx*c/r_csa + hca*c/r_hca."""
    return (
        full * c
        + win * np.minimum(c, a.window)
        + csa * np.minimum(c / a.r_csa, a.top_k)
        + idx * c / a.r_csa
        + hca * c / a.r_hca
    )


def kv_read_elems(a: ArchCoeffs, c: FloatArray | float) -> FloatArray:
    """KV elements one decode step reads for one sequence at context c (sparse top-k capped)."""
    return _per_sequence(a, c, a.kv_full, a.kv_win, a.kv_csa, a.kv_idx, a.kv_hca)


def attn_flops_per_token(a: ArchCoeffs, c: FloatArray | float) -> FloatArray:
    """Attention FLOPs of one new token at context c."""
    return _per_sequence(a, c, a.fl_full, a.fl_win, a.fl_csa, a.fl_idx, a.fl_hca)
