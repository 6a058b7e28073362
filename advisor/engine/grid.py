"""The whole grid of operating points for one model on many systems, in one numpy pass.

Axes: system S x layout G (GPUs per replica and kind: tensor or expert parallel, layouts.py) x
precision P x speculative decoding M x batch B.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from advisor.domain.base import PRECISION_ORDER
from advisor.engine.arch import ArchCoeffs
from advisor.engine.factors import PRIOR_SHARED, Factors, maturity_curve
from advisor.engine.hardware import HwArrays
from advisor.engine.layouts import TP_GPUS, default_layouts, kind_names
from advisor.engine.precision import N_PRECISIONS, kv_element_bytes
from advisor.engine.queueing import P99, prefill_wait
from advisor.engine.serving import POOL_UTILISATION, SERVING_MODES, disaggregated_metrics
from advisor.engine.throughput import ServingPoint, StepFactors, StepResult, simulate
from advisor.engine.types import BoolArray, FloatArray

LAYOUTS = np.array(TP_GPUS, dtype=float)  # tensor-parallel layouts; the default grid adds EP ones (layouts.py)
BATCHES = np.unique(np.round(np.geomspace(1, 2048, 56))).astype(float)
SPEC = np.array([0.0, 1.0])  # 0 = no speculative decoding, 1 = one MTP draft token
METRICS = ("tok_s_per_user", "output_tok_s_per_gpu", "total_tok_s_per_gpu", "ttft_s", "mem_used_gb", "t_step_s")
SERVING_METRICS = ("disaggregated", "prefill_gpus_per_replica", "ttft_p99_s")  # mode used, its prefill pool, TTFT p99
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
    disaggregated: bool = False  # decode-only figures (replaying a measured disaggregated run's decode GPUs)
    serving: str = "agg"  # agg | disagg | auto (serving.py): whole-deployment figures of each mode, auto = better


@dataclass(frozen=True)
class Grid:
    """Every metric as an array of shape (S, G, P, M, B) (axes: AXES), plus the valid mask."""

    hw: HwArrays
    layouts: FloatArray
    batches: FloatArray
    valid: BoolArray
    metrics: dict[str, np.ndarray]  # METRICS then FLAGS, each broadcast to the grid's shape
    modes: list[str]  # per system: calibrated | ecosystem-calibrated | roofline (Factors.mode_for)
    factors: Factors
    public_checkpoint: BoolArray = field(default_factory=lambda: np.ones(N_PRECISIONS, dtype=np.bool_))
    """Per precision (P,): a public checkpoint of the model exists in it (else the cells are what-ifs)."""
    bands_pct: list[float] = field(default_factory=list)  # per system: its error band, percent (Factors.band_for)
    layout_kinds: tuple[str, ...] = ()  # per layout index: "tp" | "ep" (layouts.py)
    setup: GridSetup | None = None  # what the grid was evaluated for

    @property
    def shape(self) -> tuple[int, ...]:
        return self.valid.shape

    @property
    def size(self) -> int:
        return int(self.valid.size)


def step_factors(factors: Factors, hw: HwArrays, setup: GridSetup, sys_shape: tuple[int, ...],
                 prec: np.ndarray) -> StepFactors:
    """The factors at every grid point: per system (shaped sys_shape), per precision (indexed by prec), shared."""
    per = [factors.for_accelerator(a, e) for a, e in zip(hw.accelerator_ids, hw.ecosystems)]
    sh = factors.shared

    def col(key: str) -> FloatArray:
        return np.array([p[key] for p in per], dtype=np.float64).reshape(sys_shape)

    def scalar(x: float) -> FloatArray:
        return np.asarray(x, dtype=np.float64)

    days = np.inf if setup.days_since_release is None else setup.days_since_release
    curves = np.array([factors.maturity(e, float(d0), float(dm))
                       for e, d0, dm in zip(hw.ecosystems, hw.day0_fraction, hw.days_to_mature)]).reshape(-1, 2)
    speed = maturity_curve(curves[:, 0], curves[:, 1], days)
    return StepFactors(
        bw_eff=col("bw_eff"), fl_eff=col("fl_eff"), t_layer_s=col("t_layer_s"),
        prec_mult=factors.prec_array()[prec],
        alpha_s=scalar(sh["alpha_s"]), attn_eff=col("attn_eff"), pf_eff=scalar(sh["pf_eff"]),
        accept=scalar(sh["accept"] if setup.accept is None else setup.accept),
        imbalance=scalar(sh["imbalance"]), overlap=scalar(sh["overlap"]),
        moe_eff=scalar(sh.get("moe_eff", PRIOR_SHARED["moe_eff"])),
        speed=speed.reshape(sys_shape),
    )


def evaluate_grid(
    arch: ArchCoeffs,
    hw: HwArrays,
    wl: GridSetup,
    factors: Factors,
    *,
    layouts: FloatArray | None = None,
    batches: FloatArray = BATCHES,
    kv_reserve: float = 0.1,
    reserve_gb: float = 4.0,
    ep: FloatArray | None = None,
) -> Grid:
    """Every (system, layout, precision, MTP, batch) cell of `arch` on `hw`, in one pass.

    layouts: GPUs per replica of each layout (default: layouts.default_layouts(), TP then EP); ep: 1 where that
    layout is expert parallel with data-parallel attention (default: 0 for given layouts).
    """
    if layouts is None:
        layouts, ep_default = default_layouts()
        ep = ep_default if ep is None else ep
    layouts = np.asarray(layouts, dtype=float)
    ep = np.zeros_like(layouts) if ep is None else np.asarray(ep, dtype=float)
    S = len(hw)
    s = (S, 1, 1, 1, 1)
    P = np.arange(N_PRECISIONS).reshape(1, 1, -1, 1, 1)
    point = ServingPoint(
        gpus=layouts.reshape(1, -1, 1, 1, 1), prec=P, spec=SPEC.reshape(1, 1, 1, -1, 1), batch=batches.reshape(1, 1, 1, 1, -1),
        isl=np.asarray(float(wl.isl)), osl=np.asarray(float(wl.osl)), disaggregated=wl.disaggregated, kv_reserve=kv_reserve,
        reserve_gb=reserve_gb, ep=ep.reshape(1, -1, 1, 1, 1),
    )
    fa = step_factors(factors, hw, wl, s, P)
    out = simulate(arch, hw.at(np.arange(S).reshape(s), P), fa, point)
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
    layout_ok &= (ep.reshape(1, -1) == 0) | (arch.moe_layers > 0)  # expert parallelism needs experts
    # data-parallel attention needs at least one sequence per accelerator
    ep_batch_ok = (ep.reshape(1, -1, 1, 1, 1) == 0) | (batches.reshape(1, 1, 1, 1, -1) >= layouts.reshape(1, -1, 1, 1, 1))
    ctx_ok = (wl.isl + wl.osl) <= arch.max_context
    valid = (
        out.fits
        & prec_ok.reshape(S, 1, N_PRECISIONS, 1, 1)
        & spec_ok.reshape(1, 1, 1, -1, 1)
        & layout_ok.reshape(S, -1, 1, 1, 1)
        & ep_batch_ok
        & ctx_ok
    )
    # what backs each system's figures: its own measured points, its siblings', or none (Factors.mode_for)
    modes = [factors.mode_for(acc, eco) for acc, eco in zip(hw.accelerator_ids, hw.ecosystems)]
    bands = [factors.band_for(acc, eco, arch.model_id) for acc, eco in zip(hw.accelerator_ids, hw.ecosystems)]
    metrics = grid_metrics(out, valid.shape)
    if wl.serving not in SERVING_MODES:
        raise ValueError(f"serving must be one of {SERVING_MODES}, not {wl.serving!r}")
    use = np.zeros(valid.shape, dtype=bool)
    pf_gpus = np.zeros(valid.shape)
    t_pf_used: np.ndarray = out.t_prefill_s
    B = batches.reshape(1, 1, 1, 1, -1)
    if wl.serving != "agg" and not wl.disaggregated:
        pool_ok = out.fits[..., :1] & prec_ok.reshape(S, 1, N_PRECISIONS, 1, 1) & layout_ok.reshape(S, -1, 1, 1, 1)
        steps = wl.osl / (1.0 + SPEC.reshape(1, 1, 1, -1, 1) * fa.accept)
        d = disaggregated_metrics(
            arch, t_step=out.t_step_s, t_prefill=np.broadcast_to(out.t_prefill_s, valid.shape)[..., :1],
            pool_ok=np.broadcast_to(pool_ok, valid.shape[:4] + (1,)), gpus=layouts.reshape(1, -1, 1, 1, 1),
            batch=batches.reshape(1, 1, 1, 1, -1), steps=steps, isl=float(wl.isl), osl=float(wl.osl),
            kvb=kv_element_bytes(P, hw.kv_fp8.reshape(s), arch.kv_fixed_bytes), out_bw=hw.out_bw.reshape(s))
        allowed = hw.disagg_ok.reshape(s) & np.isfinite(d["total_tok_s_per_gpu"])
        if wl.serving == "disagg":
            use = np.broadcast_to(allowed, valid.shape).copy()
            valid = valid & use
        else:
            use = allowed & (d["total_tok_s_per_gpu"] > metrics["total_tok_s_per_gpu"])
            use = np.broadcast_to(use, valid.shape)
        for k in ("tok_s_per_user", "output_tok_s_per_gpu", "total_tok_s_per_gpu", "ttft_s"):
            metrics[k] = np.where(use, d[k], metrics[k])
        pf_gpus = np.where(use, d["prefill_gpus_per_replica"], 0.0)
        t_pf_used = np.where(use, d["t_prefill_s"], out.t_prefill_s)
    # TTFT p99 (queueing.py): aggregated, the replica's own prefill queue (rho = B t_pf / t_life); disaggregated,
    # a prefill worker of the pool at POOL_UTILISATION
    t_life = wl.osl / metrics["tok_s_per_user"]
    lam_b = np.where(use, POOL_UTILISATION * t_life / t_pf_used, B)
    metrics["ttft_p99_s"] = metrics["ttft_s"] + prefill_wait(t_pf_used, t_life, lam_b, P99)
    metrics["disaggregated"] = np.broadcast_to(use | bool(wl.disaggregated), valid.shape)
    metrics["prefill_gpus_per_replica"] = np.broadcast_to(pf_gpus, valid.shape)
    return Grid(hw=hw, layouts=layouts, batches=batches, valid=valid, metrics=metrics,
                modes=modes, factors=factors, public_checkpoint=public, bands_pct=bands, layout_kinds=kind_names(ep),
                setup=wl)


def grid_metrics(out: StepResult, shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    """METRICS then FLAGS of a StepResult, each broadcast to the grid's shape (read-only views)."""
    return {k: np.broadcast_to(getattr(out, k), shape) for k in METRICS + FLAGS}
