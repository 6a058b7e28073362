"""The step-time model: decode and prefill time of one replica, as numpy broadcasting.

Per decode step of a replica of G accelerators with B sequences (T = B * (1 + drafts) tokens):
  bytes  = weights touched (MoE: E * (1 - (1 - k/E)^T) experts per layer) + KV read / attn_eff
  flops  = 2 * active_params * T + attention over the context
  t_step = (max(bytes / (G * bw * bw_eff), flops / (G * peak * fl_eff * prec_mult))
            + t_comm(G) + t_layer * layers) / maturity^beta
Prefill of ISL tokens runs on the same GPUs (aggregated serving) and interrupts decode.
"""

from __future__ import annotations

import numpy as np

from advisor.engine.factors import SCALE_OUT_LATENCY_MULT
from advisor.engine.arch import KV_BYTES, WEIGHT_BYTES, ArchCoeffs, attn_flops_per_token, kv_read_elems, kv_stored_elems


def simulate(
    a: ArchCoeffs,
    *,
    mem_bw, peak, attn_peak, mem_bytes, domain, up_bw, out_bw,  # hardware, broadcastable
    G, prec, spec, B, isl, osl, disagg,  # operating point, broadcastable (prec: index into PRECISION_ORDER)
    bw_eff, fl_eff, t_layer, prec_mult,  # per-point factors, broadcastable
    alpha, attn_eff, pf_eff, accept, imbalance, overlap,  # shared scalars
    speed,  # maturity speed factor (1 = mature), broadcastable
    kv_reserve: float = 0.1,
) -> dict[str, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return _simulate(**locals())


def _simulate(a, *, mem_bw, peak, attn_peak, mem_bytes, domain, up_bw, out_bw, G, prec, spec, B, isl, osl, disagg,
              bw_eff, fl_eff, t_layer, prec_mult, alpha, attn_eff, pf_eff, accept, imbalance, overlap, speed, kv_reserve):
    f = np.float64
    peak = np.where(np.asarray(peak) > 0, peak, np.nan)  # unsupported precision: NaN, masked out by the grid
    G = np.asarray(G, dtype=f)
    B = np.asarray(B, dtype=f)
    spec = np.asarray(spec, dtype=f)
    isl = np.asarray(isl, dtype=f)
    osl = np.asarray(osl, dtype=f)
    wbytes = WEIGHT_BYTES[prec]
    kvb = KV_BYTES[prec] * a.kv_scale
    T = B * (1.0 + spec)
    ctx = isl + 0.5 * osl

    # --- bytes read per decode step (whole replica) ---
    if a.moe_layers > 0:
        p_touch = 1.0 - (1.0 - a.experts_per_token / a.n_experts) ** T
        experts = a.n_experts * p_touch
        expert_bytes = a.moe_layers * experts * a.expert_params * wbytes * np.where(G > 1, imbalance, 1.0)
        mtp_bytes = spec * (a.nonexpert_params / a.layers + experts * a.expert_params) * wbytes
    else:
        expert_bytes = 0.0
        mtp_bytes = spec * (a.total_params / a.layers) * wbytes
    weight_bytes = a.nonexpert_params * wbytes + expert_bytes + mtp_bytes
    kv_bytes = B * kv_read_elems(a, ctx) * kvb
    gemm_flops = T * 2.0 * a.active_params
    attn_flops = T * attn_flops_per_token(a, ctx)

    peak_eff = peak * fl_eff * prec_mult
    t_mem = (weight_bytes + kv_bytes / attn_eff) / (G * mem_bw * bw_eff)
    # GEMMs run at the weight precision's peak; attention at 16-bit (FlashAttention/FlashMLA kernels)
    t_cmp = gemm_flops / (G * peak_eff) + attn_flops / (G * attn_peak * fl_eff)
    in_domain = G <= domain
    link = np.where(in_domain, up_bw, out_bw)
    lat = alpha * np.where(in_domain, 1.0, SCALE_OUT_LATENCY_MULT)
    frac = (G - 1.0) / G
    t_comm = np.where(G > 1, 2.0 * a.layers * (lat + T * a.hidden * 2.0 * frac / link), 0.0)
    t_fixed = t_layer * (a.layers + spec * a.mtp_layers)
    # memory and compute overlap imperfectly: a p-norm between their sum (p=1) and max (p=inf)
    t_busy = (t_mem**overlap + t_cmp**overlap) ** (1.0 / overlap)
    t_step = (t_busy + t_comm + t_fixed) / speed

    # --- prefill of one request (ISL tokens), compute bound with a weight pass ---
    pf_gemm = isl * 2.0 * a.active_params
    pf_attn = isl * attn_flops_per_token(a, 0.5 * isl)
    pf_comm = np.where(G > 1, 2.0 * a.layers * (lat + isl * a.hidden * 2.0 * frac / link), 0.0)
    t_pf = (
        pf_gemm / (G * peak * prec_mult * pf_eff)
        + pf_attn / (G * attn_peak * pf_eff)
        + a.total_params * wbytes / (G * mem_bw * bw_eff)
        + pf_comm + t_fixed
    ) / speed

    tokens_per_step = 1.0 + spec * accept
    steps = osl / tokens_per_step
    t_life = steps * t_step + np.where(disagg, 0.0, B * t_pf)
    tok_s_per_user = osl / t_life
    output_tok_s_per_gpu = B * osl / (t_life * G)
    total_tok_s_per_gpu = output_tok_s_per_gpu * (isl + osl) / osl
    ttft_s = t_pf + t_step

    # --- memory per accelerator ---
    weights_mem = (a.total_params + spec * a.total_params / a.layers) * wbytes / G
    kv_mem = B * kv_stored_elems(a, isl + osl) * kvb / G
    mem_used = weights_mem + kv_mem
    fits = (mem_used <= mem_bytes * (1.0 - kv_reserve)) & np.isfinite(t_step) & np.isfinite(t_pf)
    return {
        "t_step_s": t_step,
        "t_prefill_s": t_pf,
        "tok_s_per_user": tok_s_per_user,
        "output_tok_s_per_gpu": output_tok_s_per_gpu,
        "total_tok_s_per_gpu": total_tok_s_per_gpu,
        "ttft_s": ttft_s,
        "mem_used_gb": mem_used / 1e9,
        "fits": fits,
        "compute_bound": t_cmp > t_mem,
    }
