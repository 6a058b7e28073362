"""The calibration parameters as a named table: name, prior, bounds, unit, meaning.

The fit works in an unbounded space: a parameter bounded on both sides is
`lower + (upper - lower) * sigmoid(theta)`, one bounded below only is `lower + exp(theta)`,
so every fitted value lies inside its declared bounds. Columns of a parameter vector are
found by name (`ParamTable.index`), never by position.

Names: `<ecosystem>.<key>` for per-ecosystem factors (Factors.per_ecosystem), `prec.<precision>`
for compute multipliers (Factors.prec_mult), and the bare key for shared ones (Factors.shared).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from advisor.domain.base import PRECISION_ORDER
from advisor.engine.factors import PREC_MULT_MAX, PRIOR_PER_ECOSYSTEM, PRIOR_PREC_MULT, PRIOR_SHARED, Factors
from advisor.engine.types import FloatArray

INF = math.inf


@dataclass(frozen=True)
class ParamDef:
    """What a parameter is, before it is attached to an ecosystem."""

    key: str
    lower: float
    upper: float  # INF: bounded below only
    unit: str
    meaning: str


PER_ECOSYSTEM: tuple[ParamDef, ...] = (
    ParamDef("bw_eff", 0.0, 1.0, "", "achieved / peak memory bandwidth in decode"),
    ParamDef("fl_eff", 0.0, 1.0, "", "achieved / peak FLOP/s of decode GEMMs (bf16 reference)"),
    ParamDef("t_layer_s", 0.0, INF, "s", "fixed time per layer per step (kernel launches, synchronisation)"),
)
PRECISION_PARAM: dict[str, str | None] = {"fp4": "prec.fp4", "fp8": "prec.fp8", "int8": "prec.fp8", "bf16": None,
                                          "int4": None, "q4": None, "q3": None}
"""Which parameter is a precision's compute multiplier. int8 shares fp8's (the same tensor-core rate on
every listed chip); bf16 is the reference, fixed at 1 in the fit and in Factors alike, and so are the
weight-only formats, whose GEMMs run the 16-bit kernels."""
SHARED: tuple[ParamDef, ...] = (
    ParamDef("prec.fp8", 0.0, PREC_MULT_MAX, "", "fp8/int8 compute efficiency relative to bf16's"),
    ParamDef("prec.fp4", 0.0, PREC_MULT_MAX, "", "fp4 compute efficiency relative to bf16's"),
    ParamDef("alpha_s", 0.0, INF, "s", "latency of one collective inside the scale-up domain"),
    ParamDef("attn_eff", 0.0, 1.0, "", "attention kernels' share of the memory efficiency of GEMMs"),
    ParamDef("pf_eff", 0.0, 1.0, "", "prefill: achieved / peak FLOP/s"),
    ParamDef("accept", 0.0, 1.0, "", "MTP acceptance rate of one drafted token"),
    ParamDef("beta", 0.0, INF, "", "exponent of the maturity fraction on step time"),
    ParamDef("imbalance", 1.0, INF, "", "MoE expert bytes on the hottest GPU / mean, when experts are split"),
    ParamDef("overlap", 1.0, INF, "", "p-norm of memory and compute time: 1 = no overlap, large = full overlap"),
)


@dataclass(frozen=True)
class Param:
    """One row of the table."""

    name: str
    prior: float
    lower: float
    upper: float
    unit: str
    meaning: str

    @property
    def bounded(self) -> bool:
        return math.isfinite(self.upper)

    def to_fit(self, value: float) -> float:
        """Natural value -> fit space."""
        if self.bounded:
            return _logit((value - self.lower) / (self.upper - self.lower))
        return float(np.log(value - self.lower))

    def as_dict(self, value: float) -> dict[str, float | str]:
        return {"name": self.name, "value": value, "lower": self.lower, "upper": self.upper, "unit": self.unit,
                "meaning": self.meaning, "prior": self.prior}


def _prior(name: str, key: str) -> float:
    if name.startswith("prec."):
        return PRIOR_PREC_MULT[name.removeprefix("prec.")]
    if key in PRIOR_PER_ECOSYSTEM and name != key:
        return PRIOR_PER_ECOSYSTEM[key]
    return PRIOR_SHARED[key]


@dataclass(frozen=True)
class FitValues:
    """Natural values of K parameter vectors, laid out for the engine: (K, ecosystems), (K, precisions), (K,)."""

    bw_eff: FloatArray
    fl_eff: FloatArray
    t_layer_s: FloatArray
    prec_mult: FloatArray
    alpha_s: FloatArray
    attn_eff: FloatArray
    pf_eff: FloatArray
    accept: FloatArray
    beta: FloatArray
    imbalance: FloatArray
    overlap: FloatArray


@dataclass(frozen=True)
class ParamTable:
    """The parameters of a fit over these ecosystems, in fit-vector order."""

    ecosystems: tuple[str, ...]
    params: tuple[Param, ...] = field(init=False)

    def __post_init__(self) -> None:
        rows = [(f"{e}.{d.key}", d) for e in self.ecosystems for d in PER_ECOSYSTEM] + [(d.key, d) for d in SHARED]
        params = tuple(Param(name, _prior(name, d.key), d.lower, d.upper, d.unit, d.meaning) for name, d in rows)
        object.__setattr__(self, "params", params)  # derived once; the table stays frozen

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]

    def index(self, name: str) -> int:
        return self.names.index(name)

    def __len__(self) -> int:
        return len(self.params)

    def prior(self) -> FloatArray:
        """The prior vector in fit space."""
        return np.array([p.to_fit(p.prior) for p in self.params])

    def natural(self, th: FloatArray) -> FloatArray:
        """(K, n) natural values of (K, n) (or (n,)) fit-space vectors."""
        th = np.atleast_2d(th)
        lower = np.array([p.lower for p in self.params])
        bounded = np.array([p.bounded for p in self.params])
        span = np.array([p.upper - p.lower if p.bounded else 1.0 for p in self.params])
        out = np.empty_like(th)
        out[:, bounded] = lower[bounded] + span[bounded] * _sigmoid(th[:, bounded])
        out[:, ~bounded] = lower[~bounded] + np.exp(th[:, ~bounded])
        return out

    def values(self, th: FloatArray) -> FitValues:
        """Natural values by name, laid out per ecosystem and per precision."""
        nat = self.natural(th)

        def eco(key: str) -> FloatArray:
            return nat[:, [self.index(f"{e}.{key}") for e in self.ecosystems]]

        def shared(key: str) -> FloatArray:
            return nat[:, self.index(key)]

        prec = np.stack([nat[:, self.index(name)] if name is not None else np.ones(len(nat))
                         for name in (PRECISION_PARAM[p] for p in PRECISION_ORDER)], axis=1)
        return FitValues(
            bw_eff=eco("bw_eff"), fl_eff=eco("fl_eff"), t_layer_s=eco("t_layer_s"), prec_mult=prec,
            alpha_s=shared("alpha_s"), attn_eff=shared("attn_eff"), pf_eff=shared("pf_eff"), accept=shared("accept"),
            beta=shared("beta"), imbalance=shared("imbalance"), overlap=shared("overlap"),
        )

    def to_factors(self, th: FloatArray, calibrated_pairs: set[tuple[str, str]], bands: dict[str, float]) -> Factors:
        """Factors from one fit-space vector, every value placed by name."""
        nat = {p.name: float(v) for p, v in zip(self.params, self.natural(th)[0])}
        per = {e: {d.key: nat[f"{e}.{d.key}"] for d in PER_ECOSYSTEM} for e in self.ecosystems}
        shared = {d.key: nat[d.key] for d in SHARED if not d.key.startswith("prec.")}
        prec = {p: (nat[name] if name is not None else 1.0) for p, name in PRECISION_PARAM.items()}
        return Factors(per_ecosystem=per, shared=shared, prec_mult=prec,
                       calibrated_pairs=frozenset(calibrated_pairs), error_band_pct=dict(bands))

    def rows(self, th: FloatArray) -> list[dict[str, float | str]]:
        """The table with fitted natural values: name, value, lower, upper, unit, meaning, prior."""
        return [p.as_dict(float(v)) for p, v in zip(self.params, self.natural(th)[0])]


def factor_value(factors: Factors, name: str) -> float:
    """A parameter's value as Factors holds it (what a saved-and-reloaded fit predicts with)."""
    if name.startswith("prec."):
        return factors.prec_mult[name.removeprefix("prec.")]
    head, _, key = name.partition(".")
    if key and head in factors.per_ecosystem:
        return factors.per_ecosystem[head][key]
    return factors.shared[name]


def _sigmoid(x: FloatArray) -> FloatArray:
    out: FloatArray = 1.0 / (1.0 + np.exp(-x))
    return out


def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))
