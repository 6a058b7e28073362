"""The whole grid of operating points for one model on many systems, in one numpy pass.

Axes: system S x GPUs per replica G x precision P x speculative decoding M x batch B.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from advisor.domain.base import PRECISION_ORDER
from advisor.engine.arch import ArchCoeffs
from advisor.engine.factors import Factors, maturity_fraction
from advisor.engine.hardware import HwArrays
from advisor.engine.throughput import simulate

LAYOUTS = np.array([1, 2, 4, 8, 16, 32, 64, 72, 128, 256, 384], dtype=float)
BATCHES = np.unique(np.round(np.geomspace(1, 2048, 56))).astype(float)
SPEC = np.array([0.0, 1.0])  # 0 = no speculative decoding, 1 = one MTP draft token
METRICS = ("tok_s_per_user", "output_tok_s_per_gpu", "total_tok_s_per_gpu", "ttft_s", "mem_used_gb", "t_step_s")


@dataclass(frozen=True)
class Workload:
    isl: int
    osl: int
    precision: str = "auto"  # or one of PRECISION_ORDER
    spec_decode: str = "auto"  # auto | none | mtp
    accept: float | None = None  # MTP acceptance override
    days_since_release: float | None = None  # None = mature
    disaggregated: bool = False


@dataclass
class Grid:
    """Every metric as an array of shape (S, G, P, M, B), plus the valid mask."""

    hw: HwArrays
    layouts: np.ndarray
    batches: np.ndarray
    valid: np.ndarray
    metrics: dict[str, np.ndarray]
    modes: list[str]  # per system: calibrated | roofline (for its best precision), informative
    factors: Factors

    @property
    def shape(self) -> tuple[int, ...]:
        return self.valid.shape

    @property
    def size(self) -> int:
        return int(self.valid.size)


def factor_arrays(factors: Factors, ecosystems: tuple[str, ...]) -> dict[str, np.ndarray]:
    per = [factors.for_ecosystem(e) for e in ecosystems]
    return {
        "bw_eff": np.array([p["bw_eff"] for p in per]),
        "fl_eff": np.array([p["fl_eff"] for p in per]),
        "t_layer": np.array([p["t_layer_s"] for p in per]),
    }


def evaluate_grid(
    arch: ArchCoeffs,
    hw: HwArrays,
    wl: Workload,
    factors: Factors,
    *,
    layouts: np.ndarray = LAYOUTS,
    batches: np.ndarray = BATCHES,
    kv_reserve: float = 0.1,
) -> Grid:
    S = len(hw)
    s = (S, 1, 1, 1, 1)
    fa = factor_arrays(factors, hw.ecosystems)
    G = layouts.reshape(1, -1, 1, 1, 1)
    P = np.arange(4).reshape(1, 1, 4, 1, 1)
    M = SPEC.reshape(1, 1, 1, -1, 1)
    B = batches.reshape(1, 1, 1, 1, -1)
    prec_mult = factors.prec_array()[P]
    peak = hw.peak.reshape(S, 1, 4, 1, 1)
    days = np.inf if wl.days_since_release is None else wl.days_since_release
    speed = maturity_fraction(hw.day0_fraction, hw.days_to_mature, days) ** factors.shared["beta"]
    sh = factors.shared
    accept = sh["accept"] if wl.accept is None else wl.accept
    out = simulate(
        arch,
        mem_bw=hw.mem_bw.reshape(s), peak=peak, attn_peak=hw.attn_peak.reshape(s), mem_bytes=hw.mem_bytes.reshape(s), domain=hw.domain.reshape(s),
        up_bw=hw.up_bw.reshape(s), out_bw=hw.out_bw.reshape(s),
        G=G, prec=P, spec=M, B=B, isl=wl.isl, osl=wl.osl, disagg=wl.disaggregated,
        bw_eff=fa["bw_eff"].reshape(s), fl_eff=fa["fl_eff"].reshape(s), t_layer=fa["t_layer"].reshape(s),
        prec_mult=prec_mult, alpha=sh["alpha_s"], attn_eff=sh["attn_eff"], pf_eff=sh["pf_eff"],
        accept=accept, imbalance=sh["imbalance"], overlap=sh["overlap"], speed=speed.reshape(s), kv_reserve=kv_reserve,
    )
    # which cells are real options
    prec_ok = (hw.peak > 0) & hw.eco_prec_ok & np.array([p in arch.precisions for p in PRECISION_ORDER])
    if wl.precision != "auto":
        prec_ok &= np.array([p == wl.precision for p in PRECISION_ORDER])
    spec_ok = np.array([True, arch.mtp_layers > 0])
    if wl.spec_decode == "none":
        spec_ok = np.array([True, False])
    elif wl.spec_decode == "mtp":
        spec_ok = np.array([False, arch.mtp_layers > 0])
    layout_ok = layouts.reshape(1, -1) <= hw.max_gpus.reshape(-1, 1)
    ctx_ok = (wl.isl + wl.osl) <= arch.max_context
    valid = (
        out["fits"]
        & prec_ok.reshape(S, 1, 4, 1, 1)
        & spec_ok.reshape(1, 1, 1, -1, 1)
        & layout_ok.reshape(S, -1, 1, 1, 1)
        & ctx_ok
    )
    metrics = {k: np.broadcast_to(out[k], valid.shape) for k in METRICS}
    metrics["fits"] = np.broadcast_to(out["fits"], valid.shape)
    metrics["compute_bound"] = np.broadcast_to(out["compute_bound"], valid.shape)
    modes = []
    for i, eco in enumerate(hw.ecosystems):
        ok = [PRECISION_ORDER[p] for p in range(4) if prec_ok[i, p]]
        modes.append("calibrated" if any(factors.mode(eco, p) == "calibrated" for p in ok) else "roofline")
    return Grid(hw=hw, layouts=layouts, batches=batches, valid=valid, metrics=metrics, modes=modes, factors=factors)
