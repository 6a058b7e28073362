"""Efficiency factors: how far real software stacks sit below the spec sheet.

A handful of numbers per ecosystem (memory-bandwidth efficiency, compute efficiency,
fixed per-layer step overhead) plus a few shared ones (compute multiplier per precision,
collective latency, attention-kernel bandwidth efficiency, prefill efficiency, MTP
acceptance, maturity exponent). `calibration.fit` fits them to measured points; the
defaults below are the priors the fit starts from and the values used where an
ecosystem has no data ("roofline" mode).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from advisor.domain.base import PRECISION_ORDER
from advisor.engine.types import FloatArray

PRIOR_PER_ECOSYSTEM = {"bw_eff": 0.6, "fl_eff": 0.45, "t_layer_s": 40e-6}
PRIOR_SHARED = {
    "alpha_s": 8e-6,  # latency of one collective inside the scale-up domain
    "attn_eff": 0.7,  # attention kernels' share of the memory efficiency of GEMMs
    "pf_eff": 0.5,  # prefill: fraction of peak FLOPs reached
    "accept": 0.7,  # MTP acceptance rate of one drafted token
    "beta": 0.5,  # step-time slowdown exponent on the maturity fraction
    "imbalance": 1.25,  # MoE expert load imbalance on bytes read (hottest GPU / mean)
    "overlap": 3.0,  # p-norm of (memory time, compute time): 1 = no overlap, large = perfect overlap
}
PRIOR_PREC_MULT = {"fp4": 0.6, "fp8": 0.85, "int8": 0.85, "bf16": 1.0, "int4": 1.0, "q4": 1.0, "q3": 1.0}
"""Weight-only formats (int4, q4, q3) run the 16-bit kernels' rate: fixed at 1, like bf16 (no data to fit them)."""
PREC_MULT_MAX = 1.2  # a precision's kernels may beat bf16's fraction of peak, but not by much
SCALE_OUT_LATENCY_MULT = 6.0  # a collective that leaves the scale-up domain costs this much more latency


@dataclass(frozen=True)
class Factors:
    """Fitted (or prior) efficiency factors, ready to broadcast."""

    per_ecosystem: dict[str, dict[str, float]] = field(default_factory=dict)
    shared: dict[str, float] = field(default_factory=lambda: dict(PRIOR_SHARED))
    prec_mult: dict[str, float] = field(default_factory=lambda: dict(PRIOR_PREC_MULT))
    calibrated_pairs: frozenset[tuple[str, str]] = frozenset()
    """(ecosystem, precision) pairs with measured points behind them."""
    error_band_pct: dict[str, float] = field(default_factory=dict)
    """Leave-one-out error band per ecosystem (and '*' for roofline), percent."""
    summary: dict[str, Any] = field(default_factory=dict)
    """Error summary of the fit these factors came from (all points)."""

    def for_ecosystem(self, eco: str) -> dict[str, float]:
        if eco in self.per_ecosystem:
            return self.per_ecosystem[eco]
        return self.pooled()

    def pooled(self) -> dict[str, float]:
        """Geometric mean over fitted ecosystems; the prior when none are fitted."""
        if not self.per_ecosystem:
            return dict(PRIOR_PER_ECOSYSTEM)
        keys = PRIOR_PER_ECOSYSTEM.keys()
        return {k: float(np.exp(np.mean([np.log(v[k]) for v in self.per_ecosystem.values()]))) for k in keys}

    def prec_array(self) -> FloatArray:
        return np.array([self.prec_mult.get(p, PRIOR_PREC_MULT[p]) for p in PRECISION_ORDER])

    def mode(self, eco: str, precision: str) -> str:
        return "calibrated" if (eco, precision) in self.calibrated_pairs else "roofline"

    def band(self, eco: str, precision: str) -> float:
        if self.mode(eco, precision) == "calibrated" and eco in self.error_band_pct:
            return self.error_band_pct[eco]
        return self.error_band_pct.get("*", 60.0)

    def with_shared(self, **kw: float) -> Factors:
        return replace(self, shared={**self.shared, **kw})

    def to_dict(self) -> dict[str, Any]:
        return {
            "per_ecosystem": self.per_ecosystem,
            "shared": self.shared,
            "prec_mult": self.prec_mult,
            "calibrated_pairs": sorted(list(p) for p in self.calibrated_pairs),
            "error_band_pct": self.error_band_pct,
            "summary": self.summary,
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
        )


def maturity_fraction(day0_fraction: FloatArray | float, days_to_mature: FloatArray | float, days: FloatArray | float) -> FloatArray:
    """Fraction of mature throughput at `days` since release (log-linear ramp, 1 once mature)."""
    d0 = np.asarray(day0_fraction, dtype=float)
    t = np.maximum(np.asarray(days_to_mature, dtype=float), 1e-9)
    x = np.clip(1.0 - np.asarray(days, dtype=float) / t, 0.0, 1.0)
    out: FloatArray = d0**x
    return out
