"""Efficiency factors: how far real software stacks sit below the spec sheet.

Three levels, each shrunk toward the one above it by the fit (calibration.py):
- per ecosystem: memory-bandwidth efficiency, compute efficiency, fixed per-layer step time,
  long-context attention efficiency and the software-maturity curve;
- per accelerator (where it has measured points): its own bandwidth/compute efficiency and
  per-layer time, the ecosystem's values moved by a fitted offset that a prior pulls toward 0,
  so a chip with little data borrows from its siblings and a chip with much data earns its own;
- shared: compute multiplier per precision, collective latency, prefill efficiency, MTP
  acceptance, MoE imbalance, memory/compute overlap.

Ecosystems without data get "no-data" factors: the least favourable fitted value of each key
(no better than the weakest measured stack), labelled "roofline" with the wide band.

Labels: `mode_for` / `band_for` say what backs a figure: measured points on that chip
("calibrated"), only on sibling chips of its ecosystem ("ecosystem-calibrated"), none in its
ecosystem ("roofline"); the band is the grouped cross-validation error of that class
(crossval.py), or a stated default until one is computed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from advisor.domain.base import PRECISION_ORDER
from advisor.engine.types import FloatArray

PRIOR_PER_ECOSYSTEM = {"bw_eff": 0.6, "fl_eff": 0.7, "t_layer_s": 40e-6, "attn_eff": 0.7}
PER_ACCELERATOR_KEYS = ("bw_eff", "fl_eff", "t_layer_s")
MATURITY_KEYS = ("day0_fraction", "maturity_tau_days")
PRIOR_SHARED = {
    "alpha_s": 8e-6,  # latency of one collective inside the scale-up domain
    "pf_eff": 0.75,  # prefill: fraction of peak FLOPs reached
    "accept": 0.7,  # MTP acceptance rate of one drafted token
    "imbalance": 1.25,  # MoE expert load imbalance on bytes read (hottest GPU / mean), capped by all experts
    "moe_eff": 0.7,  # routed-expert (grouped) GEMMs' FLOP/s relative to dense GEMMs'
    "overlap": 3.0,  # p-norm of (memory time, compute time): 1 = no overlap, large = perfect overlap
}
PRIOR_PREC_MULT = {"fp4": 0.6, "fp8": 0.85, "int8": 0.85, "bf16": 1.0, "int4": 1.0, "q4": 1.0, "q3": 1.0}
"""Weight-only formats (int4, q4, q3) run the 16-bit kernels' rate: fixed at 1, like bf16 (no data to fit them)."""
PREC_MULT_MAX = 1.0  # a narrower precision's kernels reach at most bf16's fraction of their own peak
PREFILL_CHUNK_TOKENS = 8192.0
"""Prompt tokens one prefill forward pass takes (vLLM max_num_batched_tokens / SGLang chunked_prefill_size /
TensorRT-LLM max_num_tokens defaults): prompts shorter than this share a weight pass."""
SCALE_OUT_LATENCY_MULT = 6.0  # a collective that leaves the scale-up domain costs this much more latency
TAU_PER_DAYS_TO_MATURE = 1.0 / 9.0  # catalog days_to_mature -> curve time constant (95% of the log gap closed)

# error-band classes: what backs a figure (crossval.py measures each one)
BAND_CHIP_MODEL = "chip_model"  # measured points on this chip for this model (another length or concurrency)
BAND_CHIP = "chip"  # measured points on this chip, other models
BAND_SIBLING = "sibling"  # no points on this chip, points on other chips of its ecosystem
BAND_NO_DATA = "*"  # no points in the ecosystem
DEFAULT_BANDS = {BAND_CHIP_MODEL: 32.0, BAND_CHIP: 43.0, BAND_SIBLING: 45.0, BAND_NO_DATA: 60.0}
"""Bands used until a grouped cross-validation of the catalog at hand has measured them (percent): the values
`crossval.run` gave on the built-in catalog of 2026-12 (746 points), rounded; crossval.class_bands replaces them."""


@dataclass(frozen=True)
class Factors:
    """Fitted (or prior) efficiency factors, ready to broadcast."""

    per_ecosystem: dict[str, dict[str, float]] = field(default_factory=dict)
    shared: dict[str, float] = field(default_factory=lambda: dict(PRIOR_SHARED))
    prec_mult: dict[str, float] = field(default_factory=lambda: dict(PRIOR_PREC_MULT))
    calibrated_pairs: frozenset[tuple[str, str]] = frozenset()
    """(ecosystem, precision) pairs with measured points behind them."""
    error_band_pct: dict[str, float] = field(default_factory=dict)
    """Error band (percent) per ecosystem and '*' (legacy `band`), and per class (BAND_* keys, `band_for`)."""
    summary: dict[str, Any] = field(default_factory=dict)
    """Error summary of the fit these factors came from (all points)."""
    per_accelerator: dict[str, dict[str, float]] = field(default_factory=dict)
    """Accelerators with measured points: their own bw_eff, fl_eff, t_layer_s (shrunk toward the ecosystem)."""
    measured_pairs: frozenset[tuple[str, str]] = frozenset()
    """(accelerator, model) pairs with measured points behind them."""

    # --- factors at a point ---------------------------------------------------------
    def for_ecosystem(self, eco: str) -> dict[str, float]:
        base = {**PRIOR_PER_ECOSYSTEM, "attn_eff": self.shared.get("attn_eff", PRIOR_PER_ECOSYSTEM["attn_eff"])}
        if eco in self.per_ecosystem:
            return {**base, **self.per_ecosystem[eco]}
        return self.pooled()

    def for_accelerator(self, accelerator: str, eco: str) -> dict[str, float]:
        """The ecosystem's factors with the accelerator's own where it has measured points."""
        return {**self.for_ecosystem(eco), **self.per_accelerator.get(accelerator, {})}

    def pooled(self) -> dict[str, float]:
        """Factors for an ecosystem without data: the least favourable fitted value of each key (the prior when
        none are fitted): no unmeasured stack is assumed better than the weakest measured one."""
        base = {**PRIOR_PER_ECOSYSTEM, "attn_eff": self.shared.get("attn_eff", PRIOR_PER_ECOSYSTEM["attn_eff"])}
        if not self.per_ecosystem:
            return base
        out = {}
        for k in PRIOR_PER_ECOSYSTEM:
            vals = [v.get(k, base[k]) for v in self.per_ecosystem.values()]
            out[k] = float(max(vals) if k == "t_layer_s" else min(vals))
        return out

    def maturity(self, eco: str, day0_fraction: float, days_to_mature: float) -> tuple[float, float]:
        """(day-0 fraction, time constant in days) of the ecosystem's curve: fitted, else the catalog's."""
        per = self.per_ecosystem.get(eco, {})
        if all(k in per for k in MATURITY_KEYS):
            return per["day0_fraction"], per["maturity_tau_days"]
        return day0_fraction, days_to_mature * TAU_PER_DAYS_TO_MATURE

    def prec_array(self) -> FloatArray:
        return np.array([self.prec_mult.get(p, PRIOR_PREC_MULT[p]) for p in PRECISION_ORDER])

    # --- labels -------------------------------------------------------------------------
    def has_data(self, eco: str) -> bool:
        return any(e == eco for e, _ in self.calibrated_pairs)

    def mode(self, eco: str, precision: str, accelerator: str | None = None) -> str:
        """calibrated | ecosystem-calibrated | roofline. Without `accelerator`: by (ecosystem, precision) only."""
        if accelerator is not None:
            return self.mode_for(accelerator, eco)
        return "calibrated" if (eco, precision) in self.calibrated_pairs else "roofline"

    def mode_for(self, accelerator: str, eco: str) -> str:
        """What backs a figure for this chip: its own points, its siblings', or none."""
        if accelerator in {a for a, _ in self.measured_pairs}:
            return "calibrated"
        return "ecosystem-calibrated" if self.has_data(eco) else "roofline"

    def band_class(self, accelerator: str, eco: str, model: str | None = None) -> str:
        measured = {a for a, _ in self.measured_pairs}
        if accelerator in measured:
            return BAND_CHIP_MODEL if model is not None and (accelerator, model) in self.measured_pairs else BAND_CHIP
        return BAND_SIBLING if self.has_data(eco) else BAND_NO_DATA

    def band_for(self, accelerator: str, eco: str, model: str | None = None) -> float:
        """The error band (percent) of a figure for this chip (and model): its cross-validation class's."""
        cls = self.band_class(accelerator, eco, model)
        return self.error_band_pct.get(cls, DEFAULT_BANDS[cls])

    def band(self, eco: str, precision: str, accelerator: str | None = None, model: str | None = None) -> float:
        if accelerator is not None:
            return self.band_for(accelerator, eco, model)
        if self.mode(eco, precision) == "calibrated" and eco in self.error_band_pct:
            return self.error_band_pct[eco]
        return self.error_band_pct.get("*", 60.0)

    def with_shared(self, **kw: float) -> Factors:
        return replace(self, shared={**self.shared, **kw})

    def with_bands(self, bands: dict[str, float]) -> Factors:
        """These factors with the class bands (crossval.class_bands) set."""
        return replace(self, error_band_pct={**self.error_band_pct, **bands})

    def to_dict(self) -> dict[str, Any]:
        return {
            "per_ecosystem": self.per_ecosystem,
            "shared": self.shared,
            "prec_mult": self.prec_mult,
            "calibrated_pairs": sorted(list(p) for p in self.calibrated_pairs),
            "error_band_pct": self.error_band_pct,
            "summary": self.summary,
            "per_accelerator": self.per_accelerator,
            "measured_pairs": sorted(list(p) for p in self.measured_pairs),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Factors:
        return cls(
            per_ecosystem={k: dict(v) for k, v in d["per_ecosystem"].items()},
            shared=dict(d["shared"]),
            prec_mult=dict(d["prec_mult"]),
            calibrated_pairs=frozenset(tuple(p) for p in d["calibrated_pairs"]),
            error_band_pct=dict(d["error_band_pct"]),
            summary=dict(d.get("summary", {})),
            per_accelerator={k: dict(v) for k, v in d.get("per_accelerator", {}).items()},
            measured_pairs=frozenset(tuple(p) for p in d.get("measured_pairs", [])),
        )


def maturity_curve(day0_fraction: FloatArray | float, tau_days: FloatArray | float, days: FloatArray | float) -> FloatArray:
    """Fraction of mature throughput at `days` since release: day0 ** exp(-sqrt(days / tau)).

    Smooth and monotone: day0_fraction on day 0, rising to 1; the log gap closes to 1/e after tau days and to
    5% after 9 tau. A stretched exponential rather than a plain one: a port's first fixes (kernels that exist
    elsewhere) come fast, the last ones (tuning) slowly. The day-by-day series of DeepSeek V4 Pro on MI355X shows
    it: its log gap closed with a time constant of ~12 days in week one and ~30 days in week four, which one
    exponential cannot follow; exp(-sqrt(d / tau)) does, and still reaches maturity within months.
    """
    d0 = np.clip(np.asarray(day0_fraction, dtype=float), 1e-12, 1.0)
    tau = np.maximum(np.asarray(tau_days, dtype=float), 1e-9)
    out: FloatArray = d0 ** np.exp(-np.sqrt(np.maximum(np.asarray(days, dtype=float), 0.0) / tau))
    return out


def maturity_fraction(day0_fraction: FloatArray | float, days_to_mature: FloatArray | float, days: FloatArray | float) -> FloatArray:
    """The catalog's curve (day-0 fraction, days to mature) as `maturity_curve` evaluates it."""
    return maturity_curve(day0_fraction, np.asarray(days_to_mature, dtype=float) * TAU_PER_DAYS_TO_MATURE, days)
