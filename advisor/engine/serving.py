"""Aggregated vs disaggregated serving, per grid cell.

Aggregated (throughput.simulate): one pool prefills and decodes; every request's life includes the
prefills of the B requests sharing its replica, which interrupt decode.

Disaggregated: the cell's replica only decodes (no interruptions: tok/s/user = OSL / (steps t_step)), and
a separate prefill pool serves its requests. The prefill pool runs the layout with the fewest GPU-seconds
per request (`t_prefill * G_pf`, among layouts whose weights fit), and is sized to the decode replica's
request rate B / t_decode at POOL_UTILISATION: `prefill GPUs = B / t_decode * t_prefill(G_pf) * G_pf / 0.7`. Every figure per GPU
counts both pools. The KV cache of the prompt (ISL tokens) is shipped from the prefill to the decode pool
over the scale-out network: `kv_bytes(ISL) / (G_pf * scale-out bandwidth)` is added to TTFT.

`serving="auto"` takes, per cell, the mode with the higher total tok/s/GPU where the system allows
disaggregation (a server with a scale-out network), and the grid's `disaggregated` metric says which.
"""

from __future__ import annotations

import numpy as np

from advisor.engine.arch import ArchCoeffs, kv_stored_bytes
from advisor.engine.types import BoolArray, FloatArray

SERVING_MODES = ("agg", "disagg", "auto")
POOL_UTILISATION = 0.7  # the prefill pool is sized so each prefill worker is busy this share of the time


def disaggregated_metrics(
    a: ArchCoeffs, *, t_step: FloatArray, t_prefill: FloatArray, pool_ok: BoolArray, gpus: FloatArray,
    batch: FloatArray, steps: FloatArray, isl: float, osl: float, kvb: FloatArray, out_bw: FloatArray,
) -> dict[str, FloatArray]:
    """Per-cell figures of disaggregated serving; layouts on axis 1 (the prefill pool picks its best one).

    t_prefill, pool_ok: (S, G, P, M, 1): prefill time of one request and whether the weights fit on that layout.
    kvb: KV bytes per element of each (system, precision) (precision.kv_element_bytes).
    """
    gp = np.broadcast_to(gpus, t_prefill.shape)
    cost = np.where(pool_ok, t_prefill * gp, np.inf)  # GPU-seconds per prefilled request
    best = np.argmin(cost, axis=1)[:, None]
    pf_cost = np.take_along_axis(cost, best, axis=1)  # (S, 1, P, M, 1)
    pf_time = np.take_along_axis(np.broadcast_to(t_prefill, cost.shape), best, axis=1)
    pf_gpus = np.take_along_axis(gp, best, axis=1)
    t_dec = steps * t_step  # a request's decode life, uninterrupted
    kv_bytes = kv_stored_bytes(a, float(isl), kvb)  # the prompt's KV (and linear-attention state)
    t_kv = kv_bytes / (pf_gpus * out_bw)
    prefill_gpus = batch / t_dec * pf_cost / POOL_UTILISATION  # per decode replica
    out_tok = batch * osl / t_dec / (gpus + prefill_gpus)
    with np.errstate(invalid="ignore"):
        return {
            "tok_s_per_user": osl / t_dec,
            "output_tok_s_per_gpu": out_tok,
            "total_tok_s_per_gpu": out_tok * (isl + osl) / osl,
            "ttft_s": pf_time + t_kv + t_step,
            "prefill_gpus_per_replica": prefill_gpus,
            "t_prefill_s": np.broadcast_to(pf_time, np.broadcast_shapes(pf_time.shape, t_dec.shape)),
        }
