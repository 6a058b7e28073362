"""The step-time model: decode and prefill time of one replica, as numpy broadcasting.

`simulate(arch, hw, factors, point)`: every array in `hw` (an `HwArrays` view), `factors`
(`StepFactors`) and `point` (`ServingPoint`) broadcasts against the others, so one call
evaluates a whole grid (grid.py) or a batch of parameter vectors over many measured points
(calibration.py). The formula, term by term, is written out in docs/engine.md:

Per decode step of a replica of G accelerators with B sequences (T = B * (1 + drafts) tokens):
  bytes  = weights touched (MoE: E * (1 - (1 - k/E)^T) experts per layer) + KV read / attn_eff
  flops  = 2 * active_params * T + attention over the context
  t_step = (||t_mem, t_cmp||_overlap + t_comm(G) + t_layer * layers) / speed
Prefill of ISL tokens runs on the same GPUs (aggregated serving) and interrupts decode.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from advisor.engine.arch import ArchCoeffs, attn_flops_per_token, kv_copies, kv_read_elems, kv_stored_elems, state_bytes
from advisor.engine.factors import PREFILL_CHUNK_TOKENS, SCALE_OUT_LATENCY_MULT
from advisor.engine.hardware import HwArrays
from advisor.engine.precision import WEIGHT_BYTES, kv_element_bytes
from advisor.engine.types import AnyArray, BoolArray, FloatArray


@dataclass(frozen=True)
class StepFactors:
    """Efficiency factors at each point (broadcastable arrays; Factors holds them per ecosystem)."""

    bw_eff: FloatArray  # achieved / peak memory bandwidth in decode
    fl_eff: FloatArray  # achieved / peak 16-bit FLOP/s
    t_layer_s: FloatArray  # fixed time per layer per step (launches, synchronisation)
    prec_mult: FloatArray  # the point precision's compute efficiency relative to bf16's
    alpha_s: FloatArray  # latency of one collective inside the scale-up domain
    attn_eff: FloatArray  # attention kernels' share of the memory efficiency
    pf_eff: FloatArray  # prefill: fraction of peak FLOP/s reached
    accept: FloatArray  # MTP acceptance rate of one drafted token
    imbalance: FloatArray  # MoE expert bytes on the hottest GPU / mean, when experts are split
    overlap: FloatArray  # p-norm of (memory time, compute time)
    speed: FloatArray  # software maturity speed factor (1 = mature)
    moe_eff: FloatArray | float = 1.0  # routed-expert (grouped) GEMMs' FLOP/s relative to dense GEMMs'


@dataclass(frozen=True)
class ServingPoint:
    """Where a replica operates (broadcastable arrays)."""

    gpus: FloatArray  # G: accelerators per replica
    prec: AnyArray  # index into PRECISION_ORDER
    spec: FloatArray  # drafted tokens per step (0 = no speculative decoding, 1 = one MTP token)
    batch: FloatArray  # B: concurrent sequences per replica
    isl: FloatArray  # input tokens per request
    osl: FloatArray  # output tokens per request
    disaggregated: AnyArray | bool = False  # prefill runs elsewhere (decode GPUs only)
    ep: AnyArray | float = 0.0  # 1: expert parallel + data-parallel attention (layouts.py); 0: tensor parallel
    kv_reserve: float = 0.1  # share of the KV cache held back (paging fragmentation, the scheduler's free-block watermark)
    reserve_gb: float = 4.0  # runtime memory per accelerator, GB: CUDA/HIP context, activations, graphs, comm buffers


@dataclass(frozen=True)
class StepResult:
    """What one replica achieves at each point; every field broadcast to the points' shape."""

    t_step_s: FloatArray
    t_prefill_s: FloatArray
    tok_s_per_user: FloatArray
    output_tok_s_per_gpu: FloatArray
    total_tok_s_per_gpu: FloatArray
    ttft_s: FloatArray
    mem_used_gb: FloatArray
    fits: BoolArray
    compute_bound: BoolArray
    # the terms of t_step, for explanations and tests
    t_mem_s: FloatArray
    t_compute_s: FloatArray
    t_comm_s: FloatArray
    t_fixed_s: FloatArray


def simulate(arch: ArchCoeffs, hw: HwArrays, factors: StepFactors, point: ServingPoint) -> StepResult:
    """Decode step, prefill, per-user and per-GPU throughput and memory fit at every point."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return _simulate(arch, hw, factors, point)


def _simulate(a: ArchCoeffs, hw: HwArrays, fa: StepFactors, pt: ServingPoint) -> StepResult:
    f = np.float64
    peak = np.where(np.asarray(hw.peak) > 0, hw.peak, np.nan)  # unsupported precision: NaN, masked out by the grid
    G = np.asarray(pt.gpus, dtype=f)
    B = np.asarray(pt.batch, dtype=f)
    spec = np.asarray(pt.spec, dtype=f)
    isl = np.asarray(pt.isl, dtype=f)
    osl = np.asarray(pt.osl, dtype=f)
    wbytes = WEIGHT_BYTES[pt.prec]
    kvb = kv_element_bytes(pt.prec, hw.kv_fp8, a.kv_fixed_bytes)  # KV bytes per element (precision.py's rule)
    T = B * (1.0 + spec)
    ctx = isl + 0.5 * osl

    # --- bytes read per decode step (whole replica) ---
    expert_bytes: FloatArray | float
    if a.moe_layers > 0:
        p_touch = 1.0 - (1.0 - a.experts_per_token / a.n_experts) ** T
        experts = a.n_experts * p_touch
        # the hottest GPU of a split replica reads `imbalance` x the mean, never more than all the experts
        hot = np.minimum(experts * np.where(G > 1, fa.imbalance, 1.0), a.n_experts)
        expert_bytes = a.moe_layers * hot * a.expert_params * wbytes
        mtp_bytes = spec * (a.nonexpert_params / a.layers + experts * a.expert_params) * wbytes
    else:
        expert_bytes = 0.0
        mtp_bytes = spec * (a.total_params / a.layers) * wbytes
    nonexpert_bytes = a.nonexpert_params * wbytes
    weight_bytes = nonexpert_bytes + expert_bytes + mtp_bytes
    # routed-expert GEMMs run as grouped GEMMs at moe_eff of the dense rate; split expert-parallel, the hottest
    # accelerator holds `imbalance` x the mean of the routed tokens (tensor parallel splits every expert evenly)
    routed = a.moe_layers * a.experts_per_token * a.expert_params  # routed-expert params one token runs through
    ep_hot = np.where((np.asarray(pt.ep, dtype=f) > 0) & (G > 1), fa.imbalance, 1.0)
    dense_equiv = a.active_params - routed + routed * ep_hot / fa.moe_eff  # params at the dense GEMM rate
    gemm_flops = T * 2.0 * dense_equiv
    attn_flops = T * attn_flops_per_token(a, ctx)

    # EP + DP attention: every accelerator reads all non-expert weights (replicated), 1/G of the rest
    ep = np.asarray(pt.ep, dtype=f) > 0
    # KV read (top-k / window capped), in as many copies as TP replicates it (arch.kv_copies: MLA under TP8 reads
    # its latent cache on all 8 ranks), + the linear-attention state read and written (split by its many heads)
    copies = kv_copies(a, G, ep)
    kv_bytes = B * (kv_read_elems(a, ctx) * kvb * copies + 2.0 * state_bytes(a))
    replicated = np.where(ep, nonexpert_bytes * (G - 1.0), 0.0)  # extra bytes over the TP split (whole replica)
    peak_eff = peak * fa.fl_eff * fa.prec_mult
    t_mem = (weight_bytes + replicated + kv_bytes / fa.attn_eff) / (G * hw.mem_bw * fa.bw_eff)
    # GEMMs run at the weight precision's peak; attention at 16-bit (FlashAttention/FlashMLA kernels)
    t_cmp = gemm_flops / (G * peak_eff) + attn_flops / (G * hw.attn_peak * fa.fl_eff)
    in_domain = G <= hw.domain
    link = np.where(in_domain, hw.up_bw, hw.out_bw)
    lat = fa.alpha_s * np.where(in_domain, 1.0, SCALE_OUT_LATENCY_MULT)
    frac = (G - 1.0) / G
    # TP: two all-reduces of the hidden state per layer; EP: dispatch + combine all-to-all per MoE layer, each
    # accelerator sending its T/G tokens to k experts ((G-1)/G of them elsewhere), 2-byte activations
    tp_comm = 2.0 * a.layers * (lat + T * a.hidden * 2.0 * frac / link)
    ep_comm = 2.0 * a.moe_layers * (lat + T / G * a.experts_per_token * a.hidden * 2.0 * frac / link)
    t_comm = np.where(G > 1, np.where(ep, ep_comm, tp_comm), 0.0)
    t_fixed = fa.t_layer_s * (a.layers + spec * a.mtp_layers)
    # memory and compute overlap imperfectly: a p-norm between their sum (p=1) and max (p=inf)
    t_busy = (t_mem**fa.overlap + t_cmp**fa.overlap) ** (1.0 / fa.overlap)
    t_step = (t_busy + t_comm + t_fixed) / fa.speed

    # --- prefill of one request (ISL tokens), compute bound with a weight pass ---
    # Engines prefill in chunks of up to PREFILL_CHUNK_TOKENS tokens (several prompts per forward pass), so a
    # weight pass, the per-layer launches and the collectives' latency are shared by the prompts of one chunk
    # (at most the B requests of the replica). A lone prompt (TTFT) pays them in full.
    share = np.clip(PREFILL_CHUNK_TOKENS / np.maximum(isl, 1.0), 1.0, np.maximum(B, 1.0))
    pf_gemm = isl * 2.0 * dense_equiv
    pf_attn = isl * attn_flops_per_token(a, 0.5 * isl)
    pf_tp = 2.0 * a.layers * isl * a.hidden * 2.0 * frac / link
    pf_ep = 2.0 * a.moe_layers * isl / G * a.experts_per_token * a.hidden * 2.0 * frac / link
    pf_lat = 2.0 * np.where(ep, a.moe_layers, a.layers) * lat
    pf_comm = np.where(G > 1, np.where(ep, pf_ep, pf_tp), 0.0)
    pf_pass = (a.total_params * wbytes + replicated) / (G * hw.mem_bw * fa.bw_eff) + np.where(G > 1, pf_lat, 0.0) + t_fixed
    pf_work = pf_gemm / (G * peak * fa.prec_mult * fa.pf_eff) + pf_attn / (G * hw.attn_peak * fa.pf_eff) + pf_comm
    t_pf = (pf_work + pf_pass / share) / fa.speed  # per request, within a batch of prompts
    t_pf_solo = (pf_work + pf_pass) / fa.speed  # one prompt alone

    tokens_per_step = 1.0 + spec * fa.accept
    steps = osl / tokens_per_step
    t_life = steps * t_step + np.where(pt.disaggregated, 0.0, B * t_pf)
    tok_s_per_user = osl / t_life
    output_tok_s_per_gpu = B * osl / (t_life * G)
    total_tok_s_per_gpu = output_tok_s_per_gpu * (isl + osl) / osl
    ttft_s = t_pf_solo + t_step

    # --- memory per accelerator ---
    # weights (+ the MTP layer only when drafting; EP: non-expert weights replicated on every accelerator);
    # KV of B sequences at the context they actually hold: staggered evenly through their OSL, the B sequences
    # hold B*ISL + OSL*(B+1)/2 tokens (B = 1: ISL + OSL); plus a fixed runtime reserve per accelerator
    weights_mem = ((a.total_params + spec * a.total_params / a.layers) * wbytes + replicated) / G
    held_ctx = isl + osl * (B + 1.0) / (2.0 * B)
    kv_mem = B * (kv_stored_elems(a, held_ctx) * kvb * copies + state_bytes(a)) * (1.0 + pt.kv_reserve) / G
    mem_used = weights_mem + kv_mem + pt.reserve_gb * 1e9
    fits = (mem_used <= hw.mem_bytes) & np.isfinite(t_step) & np.isfinite(t_pf)
    return StepResult(
        t_step_s=t_step,
        t_prefill_s=t_pf,
        tok_s_per_user=tok_s_per_user,
        output_tok_s_per_gpu=output_tok_s_per_gpu,
        total_tok_s_per_gpu=total_tok_s_per_gpu,
        ttft_s=ttft_s,
        mem_used_gb=mem_used / 1e9,
        fits=fits,
        compute_bound=t_cmp > t_mem,
        t_mem_s=t_mem,
        t_compute_s=t_cmp,
        t_comm_s=t_comm,
        t_fixed_s=t_fixed,
    )
