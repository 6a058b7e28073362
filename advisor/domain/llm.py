"""LLM architectures: enough of each to count bytes and FLOPs per token."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from advisor.domain.base import BillionParams, Count, Entry, Precision, Size

Attention = Literal["gqa", "mla", "csa_hca", "gqa_sliding"]


class LLM(Entry):
    """An LLM architecture. Kind name in files: [[model]]."""

    developer: str = ""
    release_date: str = Field(pattern=r"^\d{4}-\d{2}(-\d{2})?$")
    architecture: Literal["dense", "moe"]
    total_params_b: BillionParams
    active_params_b: BillionParams
    layers: Count
    dense_layers: Size = Field(default=0, description="Leading layers with a dense FFN (MoE models).")
    hidden_size: Count
    vocab_size: Size = 0
    max_context: Count
    attention: Attention
    num_heads: Count
    num_kv_heads: Size = 0
    head_dim: Size = 0
    kv_lora_rank: Size = Field(default=0, description="MLA: compressed KV width.")
    qk_rope_head_dim: Size = 0
    sliding_window: Size = Field(default=0, description="Tokens in a sliding-window layer's cache.")
    sliding_layers: Size = Field(default=0, description="Layers that only keep the sliding window.")
    csa_layers: Size = Field(default=0, description="DeepSeek V4: layers with compressed sparse attention.")
    csa_ratio: Size = Field(default=0, description="Tokens per compressed CSA entry.")
    csa_top_k: Size = Field(default=0, description="Compressed entries a CSA query attends to.")
    hca_layers: Size = Field(default=0, description="DeepSeek V4: layers with heavily compressed attention.")
    hca_ratio: Size = Field(default=0, description="Tokens per compressed HCA entry.")
    n_routed_experts: Size = 0
    n_shared_experts: Size = 0
    experts_per_token: Size = 0
    moe_intermediate_size: Size = 0
    mtp_layers: Size = Field(default=0, description="Multi-token-prediction layers usable for speculative decoding.")
    precisions: list[Precision] = Field(min_length=1, description="Weight precisions with public checkpoints (official or widely used community/vendor quantisations). The engine runs a model in any precision the chip supports and flags the others (public_checkpoint).")
    native_precision: Precision
    kv_bytes_per_token_measured: float | None = Field(default=None, gt=0, le=1e12, allow_inf_nan=False, description="Whole-model KV bytes per token as measured by a serving stack.")
    # --- Optional architecture detail (added 2026-12; engine/arch.py turns them into KV and attention coefficients) ---
    index_top_k: Size = Field(default=0, description="Sparse top-k attention (DeepSeek V3.2 / GLM-5 DSA): tokens each query attends to, chosen by an indexer; 0 = dense attention.")
    index_heads: Size = Field(default=0, description="Sparse-attention indexer: heads of the indexer's query (DSA lightning indexer).")
    index_head_dim: Size = Field(default=0, description="Sparse-attention indexer: key width per token per layer, elements (cached beside the KV cache).")
    linear_attention_layers: Size = Field(default=0, description="Layers with linear attention and a fixed-size recurrent state instead of a growing KV cache (Gated DeltaNet, lightning attention).")
    linear_num_heads: Size = Field(default=0, description="Linear-attention layers: value heads, each holding a key_head_dim x value_head_dim state matrix.")
    linear_key_head_dim: Size = Field(default=0, description="Linear-attention layers: key width per head, elements.")
    linear_value_head_dim: Size = Field(default=0, description="Linear-attention layers: value width per head, elements.")
    kv_cache_precision: Precision | None = Field(default=None, description="KV-cache precision the model fixes (e.g. an FP8 cache in the reference implementation); None = chosen by the serving stack.")

    @model_validator(mode="after")
    def _consistent(self) -> LLM:
        if self.active_params_b > self.total_params_b:
            raise ValueError("active_params_b is larger than total_params_b")
        if self.architecture == "moe" and not (self.n_routed_experts and self.experts_per_token and self.moe_intermediate_size):
            raise ValueError("a MoE model needs n_routed_experts, experts_per_token and moe_intermediate_size")
        if self.attention in ("gqa", "gqa_sliding") and not (self.num_kv_heads and self.head_dim):
            raise ValueError(f"{self.attention} attention needs num_kv_heads and head_dim")
        if self.attention == "mla" and not self.kv_lora_rank:
            raise ValueError("mla attention needs kv_lora_rank")
        if self.attention == "csa_hca" and not (self.csa_ratio and self.hca_ratio and self.head_dim):
            raise ValueError("csa_hca attention needs csa_ratio, hca_ratio and head_dim")
        if self.native_precision not in self.precisions:
            raise ValueError("native_precision must be one of precisions")
        return self

    @model_validator(mode="after")
    def _hybrid_layers(self) -> LLM:
        if self.linear_attention_layers + self.sliding_layers > self.layers:
            raise ValueError("linear_attention_layers + sliding_layers exceed layers")
        if self.linear_attention_layers and not (self.linear_num_heads and self.linear_key_head_dim and self.linear_value_head_dim):
            raise ValueError("linear_attention_layers needs linear_num_heads, linear_key_head_dim and linear_value_head_dim")
        if (self.index_heads or self.index_head_dim) and not self.index_top_k:
            raise ValueError("index_heads / index_head_dim describe a sparse-attention indexer: set index_top_k too")
        return self

    def public_checkpoint(self, precision: str) -> bool:
        """Whether a public checkpoint exists in this weight precision (else the figure is a what-if)."""
        return precision in self.precisions

    @property
    def full_attention_layers(self) -> int:
        """Layers whose KV cache grows with the whole context (not sliding, not linear)."""
        return self.layers - self.linear_attention_layers - self.sliding_layers

    @property
    def linear_state_elems_per_seq(self) -> int:
        """Fixed recurrent-state elements one sequence holds across all linear-attention layers."""
        return self.linear_attention_layers * self.linear_num_heads * self.linear_key_head_dim * self.linear_value_head_dim

