"""What an LLM architecture costs per token: weight bytes, KV bytes, FLOPs, straight from its config.

Everything is reduced to a few coefficients so that the throughput model can evaluate any context
length, batch and precision in one broadcast expression. Per sequence at context c, KV elements:

    stored(c) = full*c + win*min(c, W) + (csa + idx_csa)*c/r_csa + hca*c/r_hca + idx*c
    read(c)   = full*min(c, K) + win*min(c, W) + csa*min(c/r_csa, k_csa) + idx_csa*c/r_csa + hca*c/r_hca + idx*c

plus a fixed recurrent state per sequence (linear-attention layers), and the same shape with FLOP
coefficients for attention FLOPs per new token. By layer type (no fitted multipliers anywhere):

- full attention (GQA: 2 kv_heads head_dim per layer; MLA: kv_lora_rank + rope dims per layer): `full`;
  a sparse top-k model (DSA: DeepSeek V3.2, GLM-5; `index_top_k` = K) reads only its K selected tokens
  (`full*min(c, K)`) plus its indexer's keys over the whole context (`idx`, index_head_dim per layer);
- sliding-window layers (gpt-oss, Llama 4's chunked layers): `win`, capped at the window W;
- DeepSeek V4 CSA layers: one head_dim entry per r_csa tokens, top-k_csa of them read, plus the
  lightning indexer's keys (index_head_dim per compressed entry, `idx_csa`); HCA layers: one entry per
  r_hca tokens, all read; every V4 layer also keeps a sliding window of W raw entries (`win`);
- linear-attention layers (Gated DeltaNet, lightning attention): no KV that grows with context, a fixed
  state of linear_num_heads x key_dim x value_dim per layer per sequence (`state`), read and written
  once per decode step; only the hybrid's full-attention layers grow with context.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from advisor.domain import LLM
from advisor.engine.precision import KV_BYTES as KV_BYTES
from advisor.engine.precision import PREC_INDEX as PREC_INDEX
from advisor.engine.precision import STATE_BYTES, kv_cache_bytes, kv_element_bytes
from advisor.engine.precision import WEIGHT_BYTES as WEIGHT_BYTES
from advisor.engine.types import AnyArray, FloatArray

# KV_BYTES, PREC_INDEX, WEIGHT_BYTES live in engine/precision.py (one table); re-exported for callers.

NO_CAP = 1e12
"""A cap no context reaches (dense attention)."""
V4_INDEX_HEADS, V4_INDEX_HEAD_DIM = 64, 128
"""DeepSeek V4 lightning indexer, where the config does not say (reference/models.md: 64 heads x 128)."""
LINEAR_FLOPS_PER_STATE_ELEM = 6.0
"""FLOPs per state element per token of a linear-attention layer: read-out S^T q, the delta rule's S^T k
and the rank-1 update, 2 FLOPs each."""


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
    # KV elements per token, by attention kind (see the module docstring)
    kv_full: float
    kv_win: float
    kv_csa: float
    kv_hca: float
    kv_idx: float  # indexer keys per compressed CSA entry (DeepSeek V4)
    window: float
    r_csa: float
    r_hca: float
    top_k: float  # compressed CSA entries read per query (DeepSeek V4)
    kv_scale: float  # always 1.0: KV comes from the architecture alone (kept for callers; to be removed)
    # attention FLOPs per token per attended entry, by kind
    fl_full: float
    fl_win: float
    fl_csa: float
    fl_hca: float
    fl_idx: float
    mtp_layers: float
    precisions: tuple[str, ...]
    max_context: float
    # sparse top-k attention (DSA) over the full-attention layers, and its indexer over the whole context
    full_top_k: float = NO_CAP
    kv_tok_idx: float = 0.0  # indexer key elements per token (all layers)
    fl_tok_idx: float = 0.0  # indexer FLOPs per token of context
    # linear-attention layers: fixed state per sequence, elements; FLOPs per new token
    state_elems: float = 0.0
    fl_state: float = 0.0
    kv_fixed_bytes: float = 0.0  # KV bytes per element the model's config fixes (0 = the default rule)
    kv_heads: float = NO_CAP  # distinct KV heads tensor parallelism can split (MLA, MQA: 1; GQA: num_kv_heads)

    def public_checkpoint(self, precision: str) -> bool:
        """Whether a public checkpoint exists in this weight precision."""
        return precision in self.precisions


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
    full_layers = m.full_attention_layers  # neither sliding nor linear
    kv_full = kv_win = kv_csa = kv_hca = kv_idx = 0.0
    fl_full = fl_win = fl_csa = fl_hca = fl_idx = 0.0
    window = float(m.sliding_window or 1)
    r_csa = float(m.csa_ratio or 1)
    r_hca = float(m.hca_ratio or 1)
    top_k = float(m.csa_top_k or NO_CAP)
    if m.attention in ("gqa", "gqa_sliding"):
        per_layer = 2.0 * m.num_kv_heads * m.head_dim
        fl_per = 2.0 * m.num_heads * 2 * m.head_dim  # scores and values, 2 FLOPs per multiply-add
        kv_full, fl_full = per_layer * full_layers, fl_per * full_layers
        if m.attention == "gqa_sliding":
            kv_win, fl_win = per_layer * m.sliding_layers, fl_per * m.sliding_layers
    elif m.attention == "mla":
        width = m.kv_lora_rank + m.qk_rope_head_dim
        kv_full = float(width * full_layers)
        # absorbed MLA: scores over (kv_lora_rank + rope) dims, values over kv_lora_rank dims
        fl_full = 2.0 * m.num_heads * (width + m.kv_lora_rank) * full_layers
    elif m.attention == "csa_hca":
        d = m.head_dim  # shared-KV MQA: one entry of head_dim per token (or compressed block) per layer
        kv_csa, kv_hca = float(d * m.csa_layers), float(d * m.hca_layers)
        kv_win = float(d * layers)  # every layer keeps the raw sliding window
        index_dim = m.index_head_dim or V4_INDEX_HEAD_DIM
        kv_idx = float(index_dim * m.csa_layers)  # lightning-indexer keys, one per compressed CSA entry
        fl_per = 2.0 * m.num_heads * 2 * d
        fl_csa, fl_hca, fl_win = fl_per * m.csa_layers, fl_per * m.hca_layers, fl_per * layers
        fl_idx = 2.0 * (m.index_heads or V4_INDEX_HEADS) * index_dim * m.csa_layers
    # sparse top-k attention (DSA) on the full-attention layers: K tokens read, the indexer scans all
    dsa = m.attention != "csa_hca" and m.index_top_k > 0
    full_top_k = float(m.index_top_k) if dsa else NO_CAP
    kv_tok_idx = float(m.index_head_dim * full_layers) if dsa else 0.0
    fl_tok_idx = 2.0 * m.index_heads * m.index_head_dim * full_layers if dsa else 0.0
    state = float(m.linear_state_elems_per_seq)
    # tensor parallelism splits attention by KV head: a latent (MLA) or shared (V4 MQA) KV cache has one, so every
    # TP rank holds and reads all of it; GQA splits up to its KV heads and replicates beyond
    kv_heads = float(m.num_kv_heads or 1) if m.attention in ("gqa", "gqa_sliding") else 1.0
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
        window=window, r_csa=r_csa, r_hca=r_hca, top_k=top_k, kv_scale=1.0,
        fl_full=fl_full, fl_win=fl_win, fl_csa=fl_csa, fl_hca=fl_hca, fl_idx=fl_idx,
        mtp_layers=float(m.mtp_layers),
        precisions=tuple(m.precisions),
        max_context=float(m.max_context),
        full_top_k=full_top_k, kv_tok_idx=kv_tok_idx, fl_tok_idx=fl_tok_idx,
        state_elems=state, fl_state=LINEAR_FLOPS_PER_STATE_ELEM * state,
        kv_fixed_bytes=kv_cache_bytes(m.kv_cache_precision),
        kv_heads=kv_heads,
    )


def kv_bytes_per_token(m: LLM, precision: str = "bf16", context: float = 4096.0, *, chip_fp8: bool = True) -> float:
    """Stored KV bytes per token of context (whole model), averaged over `context` tokens.

    Counts the linear-attention state too (spread over the context), so hybrids compare fairly.
    """
    a = coeffs(m)
    c = np.asarray(context, dtype=float)
    return float(kv_stored_bytes(a, c, kv_element_bytes(PREC_INDEX[precision], chip_fp8, a.kv_fixed_bytes)) / context)


def kv_stored_elems(a: ArchCoeffs, c: FloatArray | float) -> FloatArray:
    """KV elements stored for one sequence of c tokens (no top-k cap: every token's entry is kept)."""
    out: FloatArray = (
        a.kv_full * c
        + a.kv_win * np.minimum(c, a.window)
        + (a.kv_csa + a.kv_idx) * c / a.r_csa
        + a.kv_hca * c / a.r_hca
        + a.kv_tok_idx * c
    )
    return out


def state_bytes(a: ArchCoeffs) -> float:
    """Linear-attention state bytes one sequence holds (independent of context)."""
    return a.state_elems * STATE_BYTES


def kv_stored_bytes(a: ArchCoeffs, c: FloatArray | float, kvb: FloatArray | float) -> FloatArray:
    """Bytes one sequence of c tokens holds: KV at kvb bytes per element plus its linear-attention state."""
    out: FloatArray = kv_stored_elems(a, c) * kvb + state_bytes(a)
    return out


def _per_sequence(a: ArchCoeffs, c: FloatArray | float, full: float, win: float, csa: float, idx: float, hca: float,
                  tok_idx: float) -> FloatArray:
    """The shared shape of reads and FLOPs (module docstring), caps applied."""
    out: FloatArray = (
        full * np.minimum(c, a.full_top_k)
        + win * np.minimum(c, a.window)
        + csa * np.minimum(c / a.r_csa, a.top_k)
        + idx * c / a.r_csa
        + hca * c / a.r_hca
        + tok_idx * c
    )
    return out


def kv_read_elems(a: ArchCoeffs, c: FloatArray | float) -> FloatArray:
    """KV elements one decode step reads for one sequence at context c (sparse top-k capped)."""
    return _per_sequence(a, c, a.kv_full, a.kv_win, a.kv_csa, a.kv_idx, a.kv_hca, a.kv_tok_idx)


def kv_copies(a: ArchCoeffs, gpus: FloatArray, ep: AnyArray | bool) -> FloatArray:
    """Copies of each sequence's KV cache a replica of `gpus` holds: tensor parallelism beyond the model's KV heads
    replicates it (G / min(G, kv_heads)); data-parallel attention (ep) keeps one copy, on the sequence's own GPU."""
    g = np.asarray(gpus, dtype=float)
    out: FloatArray = np.where(np.asarray(ep, dtype=bool), 1.0, g / np.minimum(g, a.kv_heads))
    return out


def kv_read_bytes(a: ArchCoeffs, c: FloatArray | float, kvb: FloatArray | float) -> FloatArray:
    """Bytes one decode step moves for one sequence at context c: KV read, and the state read and written."""
    out: FloatArray = kv_read_elems(a, c) * kvb + 2.0 * state_bytes(a)
    return out


def attn_flops_per_token(a: ArchCoeffs, c: FloatArray | float) -> FloatArray:
    """Attention FLOPs of one new token at context c (linear-attention layers: a constant)."""
    out: FloatArray = _per_sequence(a, c, a.fl_full, a.fl_win, a.fl_csa, a.fl_idx, a.fl_hca, a.fl_tok_idx) + a.fl_state
    return out
