"""The whole grid of operating points for one model on many systems, in one numpy pass.

Axes: system S x GPUs per replica G x precision P x speculative decoding M x batch B.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from advisor.domain.base import PRECISION_ORDER
from advisor.engine.arch import ArchCoeffs
from advisor.engine.factors import Factors, maturity_fraction
from advisor.engine.hardware import HwArrays
from advisor.engine.precision import N_PRECISIONS
from advisor.engine.throughput import ServingPoint, StepFactors, StepResult, simulate
from advisor.engine.types import BoolArray, FloatArray

LAYOUTS = np.array([1, 2, 4, 8, 16, 32, 64, 72, 128, 256, 384], dtype=float)
BATCHES = np.unique(np.round(np.geomspace(1, 2048, 56))).astype(float)
SPEC = np.array([0.0, 1.0])  # 0 = no speculative decoding, 1 = one MTP draft token
METRICS = ("tok_s_per_user", "output_tok_s_per_gpu", "total_tok_s_per_gpu", "ttft_s", "mem_used_gb", "t_step_s")
FLAGS = ("fits", "compute_bound")
AXES = ("system", "gpus_per_replica", "precision", "spec_decode", "batch")


@dataclass(frozen=True)
class GridSetup:
    """What one grid is evaluated for: lengths, precision and speculative-decoding choice, software age."""

    isl: int
    osl: int
    precision: str = "auto"  # or one of PRECISION_ORDER
    spec_decode: str = "auto"  # auto | none | mtp
    accept: float | None = None  # MTP acceptance override
    days_since_release: float | None = None  # None = mature
    disaggregated: bool = False


@dataclass(frozen=True)
class Grid:
    """Every metric as an array of shape (S, G, P, M, B) (axes: AXES), plus the valid mask."""

    hw: HwArrays
    layouts: FloatArray
    batches: FloatArray
    valid: BoolArray
    metrics: dict[str, np.ndarray]  # METRICS then FLAGS, each broadcast to the grid's shape
    modes: list[str]  # per system: calibrated | roofline (for its best precision), informative
    factors: Factors
    public_checkpoint: BoolArray = field(default_factory=lambda: np.ones(N_PRECISIONS, dtype=np.bool_))
    """Per precision (P,): a public checkpoint of the model exists in it (else the cells are what-ifs)."""

    @property
    def shape(self) -> tuple[int, ...]:
        return self.valid.shape

    @property
    def size(self) -> int:
        return int(self.valid.size)


def step_factors(factors: Factors, hw: HwArrays, setup: GridSetup, sys_shape: tuple[int, ...],
                 prec: np.ndarray) -> StepFactors:
    """The factors at every grid point: per system (shaped sys_shape), per precision (indexed by prec), shared."""
    per = [factors.for_ecosystem(e) for e in hw.ecosystems]
    sh = factors.shared

    def col(key: str) -> FloatArray:
        return np.array([p[key] for p in per], dtype=np.float64).reshape(sys_shape)

    def scalar(x: float) -> FloatArray:
        return np.asarray(x, dtype=np.float64)

    days = np.inf if setup.days_since_release is None else setup.days_since_release
    speed = maturity_fraction(hw.day0_fraction, hw.days_to_mature, days) ** sh["beta"]
    return StepFactors(
        bw_eff=col("bw_eff"), fl_eff=col("fl_eff"), t_layer_s=col("t_layer_s"),
        prec_mult=factors.prec_array()[prec],
        alpha_s=scalar(sh["alpha_s"]), attn_eff=scalar(sh["attn_eff"]), pf_eff=scalar(sh["pf_eff"]),
        accept=scalar(sh["accept"] if setup.accept is None else setup.accept),
        imbalance=scalar(sh["imbalance"]), overlap=scalar(sh["overlap"]),
        speed=speed.reshape(sys_shape),
    )


def evaluate_grid(
    arch: ArchCoeffs,
    hw: HwArrays,
    wl: GridSetup,
    factors: Factors,
    *,
    layouts: FloatArray = LAYOUTS,
    batches: FloatArray = BATCHES,
    kv_reserve: float = 0.1,
    reserve_gb: float = 4.0,
) -> Grid:
    """Every (system, GPUs per replica, precision, MTP, batch) cell of `arch` on `hw`, in one pass."""
    S = len(hw)
    s = (S, 1, 1, 1, 1)
    P = np.arange(N_PRECISIONS).reshape(1, 1, -1, 1, 1)
    point = ServingPoint(
        gpus=layouts.reshape(1, -1, 1, 1, 1), prec=P, spec=SPEC.reshape(1, 1, 1, -1, 1), batch=batches.reshape(1, 1, 1, 1, -1),
        isl=np.asarray(float(wl.isl)), osl=np.asarray(float(wl.osl)), disaggregated=wl.disaggregated, kv_reserve=kv_reserve,
        reserve_gb=reserve_gb,
    )
    out = simulate(arch, hw.at(np.arange(S).reshape(s), P), step_factors(factors, hw, wl, s, P), point)
    # which cells are real options
    # any precision the chip and its ecosystem run, for any model; whether a checkpoint exists is a flag
    prec_ok = (hw.peak > 0) & hw.eco_prec_ok
    public = np.array([arch.public_checkpoint(p) for p in PRECISION_ORDER])
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
        out.fits
        & prec_ok.reshape(S, 1, N_PRECISIONS, 1, 1)
        & spec_ok.reshape(1, 1, 1, -1, 1)
        & layout_ok.reshape(S, -1, 1, 1, 1)
        & ctx_ok
    )
    modes = []
    for i, eco in enumerate(hw.ecosystems):
        ok = [PRECISION_ORDER[p] for p in range(N_PRECISIONS) if prec_ok[i, p]]
        modes.append("calibrated" if any(factors.mode(eco, p) == "calibrated" for p in ok) else "roofline")
    return Grid(hw=hw, layouts=layouts, batches=batches, valid=valid, metrics=grid_metrics(out, valid.shape),
                modes=modes, factors=factors, public_checkpoint=public)


def grid_metrics(out: StepResult, shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    """METRICS then FLAGS of a StepResult, each broadcast to the grid's shape (read-only views)."""
    return {k: np.broadcast_to(getattr(out, k), shape) for k in METRICS + FLAGS}
