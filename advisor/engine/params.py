"""The calibration parameters as a named table: name, prior, bounds, unit, meaning.

The fit works in an unbounded space: a parameter bounded on both sides is
`lower + (upper - lower) * sigmoid(theta)`, one bounded below only is `lower + exp(theta)`,
so every fitted value lies inside its declared bounds. Every parameter here is bounded on both
sides by what is physical: efficiencies in (0, 1], times below a millisecond, MoE imbalance at most
3x (and never past the model's experts, throughput.py), overlap a real p-norm between sum and max.
Columns of a parameter vector are found by name (`ParamTable.index`), never by position.

Names: `<ecosystem>.<key>` per ecosystem (Factors.per_ecosystem), `<accelerator>.<key>_offset` per
accelerator with data (its offset from its ecosystem, logit or log units, pulled toward 0 by a
shrinkage prior: Factors.per_accelerator holds the resulting values), `prec.<precision>` for compute
multipliers (Factors.prec_mult), and the bare key for shared ones (Factors.shared).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from advisor.domain.base import PRECISION_ORDER
from advisor.engine.factors import (
    PREC_MULT_MAX,
    PRIOR_PER_ECOSYSTEM,
    PRIOR_PREC_MULT,
    PRIOR_SHARED,
    TAU_PER_DAYS_TO_MATURE,
    Factors,
)
from advisor.engine.types import FloatArray

INF = math.inf
OFFSET_LIMIT = 2.5  # per-accelerator offsets: logit (efficiencies) or log (time) units either way
PRIOR_WEIGHT = 0.3  # weight of a prior row in the fit (per unit of fit space)
SHRINK_WEIGHT = 1.0  # weight of an accelerator offset's pull toward its ecosystem
FL_EFF_WEIGHT = 1.0  # firmer: without it, data of one model class trades compute efficiency against overlap
OVERLAP_WEIGHT = 2.0


@dataclass(frozen=True)
class ParamDef:
    """What a parameter is, before it is attached to an ecosystem or accelerator."""

    key: str
    lower: float
    upper: float  # INF: bounded below only
    unit: str
    meaning: str
    weight: float = PRIOR_WEIGHT  # of its prior row in the fit (per unit of fit space): larger = a firmer prior


PER_ECOSYSTEM: tuple[ParamDef, ...] = (
    ParamDef("bw_eff", 0.0, 1.0, "", "achieved / peak memory bandwidth in decode", FL_EFF_WEIGHT),
    ParamDef("fl_eff", 0.0, 1.0, "", "achieved / peak FLOP/s of decode GEMMs (bf16 reference)", FL_EFF_WEIGHT),
    ParamDef("t_layer_s", 0.0, 1e-3, "s", "fixed time per layer per step (kernel launches, synchronisation)", FL_EFF_WEIGHT),
    ParamDef("attn_eff", 0.0, 1.0, "", "long-context attention kernels' share of the memory efficiency"),
    ParamDef("day0_fraction", 1e-4, 1.0, "", "maturity curve: fraction of mature throughput on a model's day 0"),
    ParamDef("maturity_tau_days", 0.5, 365.0, "d", "maturity curve: days for the log gap to shrink by e"),
)
PER_ACCELERATOR: tuple[ParamDef, ...] = (
    ParamDef("bw_eff_offset", -OFFSET_LIMIT, OFFSET_LIMIT, "logit", "this chip's bw_eff vs its ecosystem's (logit)"),
    ParamDef("fl_eff_offset", -OFFSET_LIMIT, OFFSET_LIMIT, "logit", "this chip's fl_eff vs its ecosystem's (logit)"),
    ParamDef("t_layer_s_offset", -OFFSET_LIMIT, OFFSET_LIMIT, "log", "this chip's t_layer_s vs its ecosystem's (log)"),
)
PRECISION_PARAM: dict[str, str | None] = {"fp4": "prec.fp4", "fp8": "prec.fp8", "int8": "prec.fp8", "bf16": None,
                                          "int4": None, "q4": None, "q3": None}
"""Which parameter is a precision's compute multiplier. int8 shares fp8's (the same tensor-core rate on
every listed chip); bf16 is the reference, fixed at 1 in the fit and in Factors alike, and so are the
weight-only formats, whose GEMMs run the 16-bit kernels."""
SHARED: tuple[ParamDef, ...] = (
    ParamDef("prec.fp8", 0.0, PREC_MULT_MAX, "", "fp8/int8 GEMM efficiency relative to bf16's (of its own peak)", FL_EFF_WEIGHT),
    ParamDef("prec.fp4", 0.0, PREC_MULT_MAX, "", "fp4 GEMM efficiency relative to bf16's (of its own peak)", FL_EFF_WEIGHT),
    ParamDef("alpha_s", 1e-6, 5e-5, "s", "latency of one collective inside the scale-up domain (NVLink/xGMI: 1-50 us)",
             FL_EFF_WEIGHT),
    ParamDef("pf_eff", 0.0, 1.0, "", "prefill: achieved / peak FLOP/s", FL_EFF_WEIGHT),
    ParamDef("accept", 0.0, 1.0, "", "MTP acceptance rate of one drafted token"),
    ParamDef("imbalance", 1.0, 3.0, "", "MoE expert bytes on the hottest GPU / mean (capped at all the experts)"),
    ParamDef("moe_eff", 0.0, 1.0, "", "routed-expert (grouped) GEMMs' FLOP/s relative to dense GEMMs' (at most 1)"),
    ParamDef("overlap", 1.0, 8.0, "", "p-norm of memory and compute time: 1 = no overlap (sum), 8 = nearly max",
             OVERLAP_WEIGHT),
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
    weight: float = PRIOR_WEIGHT  # of its prior row in the fit

    @property
    def bounded(self) -> bool:
        return math.isfinite(self.upper)

    def to_fit(self, value: float) -> float:
        """Natural value -> fit space (values on a bound are moved just inside it)."""
        if self.bounded:
            span = self.upper - self.lower
            p = min(max((value - self.lower) / span, 1e-4), 1 - 1e-4)
            return _logit(p)
        return float(np.log(max(value - self.lower, 1e-300)))

    def as_dict(self, value: float) -> dict[str, float | str]:
        return {"name": self.name, "value": value, "lower": self.lower, "upper": self.upper, "unit": self.unit,
                "meaning": self.meaning, "prior": self.prior}


def _prior(key: str) -> float:
    if key.startswith("prec."):
        return PRIOR_PREC_MULT[key.removeprefix("prec.")]
    if key in PRIOR_PER_ECOSYSTEM:
        return PRIOR_PER_ECOSYSTEM[key]
    if key.endswith("_offset"):
        return 0.0
    return PRIOR_SHARED[key]


@dataclass(frozen=True)
class FitValues:
    """Natural values of K parameter vectors, laid out for the engine.

    (K, accelerators) for bw_eff, fl_eff, t_layer_s (each chip's own, offset from its ecosystem);
    (K, ecosystems) for attn_eff and the maturity curve; (K, precisions); (K,) shared.
    """

    bw_eff: FloatArray
    fl_eff: FloatArray
    t_layer_s: FloatArray
    attn_eff: FloatArray
    day0_fraction: FloatArray
    maturity_tau_days: FloatArray
    prec_mult: FloatArray
    alpha_s: FloatArray
    pf_eff: FloatArray
    accept: FloatArray
    imbalance: FloatArray
    overlap: FloatArray
    moe_eff: FloatArray


@dataclass(frozen=True)
class ParamTable:
    """The parameters of a fit over these ecosystems and accelerators, in fit-vector order.

    accelerators: chips with data, each with the index of its ecosystem in `acc_eco`.
    maturity: the catalog's (day0_fraction, days_to_mature) per ecosystem: the curve's prior.
    """

    ecosystems: tuple[str, ...]
    accelerators: tuple[str, ...] = ()
    acc_eco: tuple[int, ...] = ()
    maturity: tuple[tuple[float, float], ...] = ()
    params: tuple[Param, ...] = field(init=False)

    def __post_init__(self) -> None:
        mat = dict(zip(self.ecosystems, self.maturity))
        rows: list[Param] = []
        for e in self.ecosystems:
            for d in PER_ECOSYSTEM:
                prior = _prior(d.key) if d.key in PRIOR_PER_ECOSYSTEM else 0.0
                if d.key == "day0_fraction":
                    prior = min(max(mat.get(e, (0.5, 30.0))[0], 2e-4), 0.99)
                elif d.key == "maturity_tau_days":
                    prior = min(max(mat.get(e, (0.5, 30.0))[1] * TAU_PER_DAYS_TO_MATURE, 1.0), 300.0)
                rows.append(Param(f"{e}.{d.key}", prior, d.lower, d.upper, d.unit, d.meaning, d.weight))
        for a in self.accelerators:
            rows += [Param(f"{a}.{d.key}", 0.0, d.lower, d.upper, d.unit, d.meaning, SHRINK_WEIGHT) for d in PER_ACCELERATOR]
        rows += [Param(d.key, _prior(d.key), d.lower, d.upper, d.unit, d.meaning, d.weight) for d in SHARED]
        object.__setattr__(self, "params", tuple(rows))  # derived once; the table stays frozen

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

    def prior_weights(self) -> FloatArray:
        return np.array([p.weight for p in self.params])

    def groups(self) -> list[list[int]]:
        """Columns that no single measured point depends on together (the same key over different ecosystems,
        or over different accelerators): one finite difference per group gives all their Jacobian columns."""
        out = []
        for d in PER_ECOSYSTEM:
            out.append([self.index(f"{e}.{d.key}") for e in self.ecosystems])
        for d in PER_ACCELERATOR:
            if self.accelerators:
                out.append([self.index(f"{a}.{d.key}") for a in self.accelerators])
        out += [[self.index(d.key)] for d in SHARED]
        return out

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
        """Natural values by name, laid out per accelerator, per ecosystem and per precision."""
        nat = self.natural(th)
        K = nat.shape[0]

        def eco(key: str) -> FloatArray:
            return nat[:, [self.index(f"{e}.{key}") for e in self.ecosystems]]

        def acc(key: str) -> FloatArray:
            if not self.accelerators:
                return np.zeros((K, 0))
            return nat[:, [self.index(f"{a}.{key}_offset") for a in self.accelerators]]

        def shared(key: str) -> FloatArray:
            return nat[:, self.index(key)]

        ae = np.array(self.acc_eco, dtype=np.intp)
        bw = _sigmoid(_logit_arr(eco("bw_eff")[:, ae]) + acc("bw_eff"))
        fl = _sigmoid(_logit_arr(eco("fl_eff")[:, ae]) + acc("fl_eff"))
        tl = eco("t_layer_s")[:, ae] * np.exp(acc("t_layer_s"))
        prec = np.stack([nat[:, self.index(name)] if name is not None else np.ones(K)
                         for name in (PRECISION_PARAM[p] for p in PRECISION_ORDER)], axis=1)
        return FitValues(
            bw_eff=bw, fl_eff=fl, t_layer_s=tl, attn_eff=eco("attn_eff"), day0_fraction=eco("day0_fraction"),
            maturity_tau_days=eco("maturity_tau_days"), prec_mult=prec,
            alpha_s=shared("alpha_s"), pf_eff=shared("pf_eff"), accept=shared("accept"),
            imbalance=shared("imbalance"), overlap=shared("overlap"), moe_eff=shared("moe_eff"),
        )

    def to_factors(self, th: FloatArray, calibrated_pairs: set[tuple[str, str]], bands: dict[str, float],
                   measured_pairs: set[tuple[str, str]] | None = None) -> Factors:
        """Factors from one fit-space vector, every value placed by name."""
        nat = {p.name: float(v) for p, v in zip(self.params, self.natural(th)[0])}
        per = {e: {d.key: nat[f"{e}.{d.key}"] for d in PER_ECOSYSTEM} for e in self.ecosystems}
        v = self.values(th)
        per_acc = {a: {"bw_eff": float(v.bw_eff[0, i]), "fl_eff": float(v.fl_eff[0, i]),
                       "t_layer_s": float(v.t_layer_s[0, i])} for i, a in enumerate(self.accelerators)}
        shared = {d.key: nat[d.key] for d in SHARED if not d.key.startswith("prec.")}
        prec = {p: (nat[name] if name is not None else 1.0) for p, name in PRECISION_PARAM.items()}
        return Factors(per_ecosystem=per, shared=shared, prec_mult=prec,
                       calibrated_pairs=frozenset(calibrated_pairs), error_band_pct=dict(bands),
                       per_accelerator=per_acc, measured_pairs=frozenset(measured_pairs or ()))

    def rows(self, th: FloatArray) -> list[dict[str, float | str]]:
        """The table with fitted natural values: name, value, lower, upper, unit, meaning, prior."""
        return [p.as_dict(float(v)) for p, v in zip(self.params, self.natural(th)[0])]


def factor_value(factors: Factors, name: str) -> float:
    """A parameter's value as Factors holds it (what a saved-and-reloaded fit predicts with)."""
    if name.startswith("prec."):
        return factors.prec_mult[name.removeprefix("prec.")]
    head, _, key = name.partition(".")
    if key.endswith("_offset"):
        raise KeyError(f"{name}: Factors stores the accelerator's resulting values (per_accelerator), not offsets")
    if key and head in factors.per_ecosystem:
        return factors.per_ecosystem[head][key]
    return factors.shared[name]


def _sigmoid(x: FloatArray) -> FloatArray:
    out: FloatArray = 1.0 / (1.0 + np.exp(-x))
    return out


def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))


def _logit_arr(p: FloatArray) -> FloatArray:
    q = np.clip(p, 1e-12, 1 - 1e-12)
    out: FloatArray = np.log(q / (1.0 - q))
    return out
