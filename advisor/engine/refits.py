"""Predictions from fits, outside the fit itself: saved factors at the measured points, and held-out points.

`predict_measured(catalog, factors)`: every usable measured point replayed with saved Factors (what anchoring
corrects by). `holdout_predict(catalog, ids)`: a fresh fit without some points, then their predictions (the
regression test's question: how far off is a point the fit never saw).
"""

from __future__ import annotations

import numpy as np

from advisor.domain import Catalog
from advisor.engine.calibration import Predictor, fit_from_starts, param_table
from advisor.engine.factors import PRIOR_SHARED, Factors
from advisor.engine.params import FitValues, ParamTable
from advisor.engine.replay import Replay, build_replays
from advisor.engine.types import FloatArray


def factor_values(catalog: Catalog, space: ParamTable, factors: Factors) -> FitValues:
    """Saved Factors laid out as one parameter set of `space` (what a reloaded fit predicts with)."""
    accs = [factors.for_accelerator(a, space.ecosystems[e]) for a, e in zip(space.accelerators, space.acc_eco)]
    ecos = [factors.for_ecosystem(e) for e in space.ecosystems]
    curves = [factors.maturity(e, catalog.ecosystem(e).maturity.day0_fraction, catalog.ecosystem(e).maturity.days_to_mature)
              for e in space.ecosystems]
    sh = factors.shared

    def row(xs: list[float]) -> FloatArray:
        return np.array([xs], dtype=float).reshape(1, -1)

    return FitValues(
        bw_eff=row([a["bw_eff"] for a in accs]), fl_eff=row([a["fl_eff"] for a in accs]),
        t_layer_s=row([a["t_layer_s"] for a in accs]), attn_eff=row([e["attn_eff"] for e in ecos]),
        day0_fraction=row([c[0] for c in curves]), maturity_tau_days=row([c[1] for c in curves]),
        prec_mult=factors.prec_array()[None, :],
        alpha_s=np.array([sh["alpha_s"]]), pf_eff=np.array([sh["pf_eff"]]), accept=np.array([sh["accept"]]),
        imbalance=np.array([sh["imbalance"]]), overlap=np.array([sh["overlap"]]),
        moe_eff=np.array([sh.get("moe_eff", PRIOR_SHARED["moe_eff"])]),
    )


def predict_measured(catalog: Catalog, factors: Factors) -> tuple[list[Replay], FloatArray, FloatArray]:
    """Every usable measured point replayed with saved factors: (replays, tok/s/GPU on each point's basis,
    tok/s/user), both (N,)."""
    replays, hw = build_replays(catalog)
    if not replays:
        return [], np.zeros(0), np.zeros(0)
    space = param_table(catalog, replays)
    pred = Predictor(catalog, replays, hw, space)
    thr, usr = pred.predict_values(factor_values(catalog, space, factors))
    return replays, thr[0], usr[0]


def holdout_predict(catalog: Catalog, ids: tuple[str, ...] | list[str]) -> dict[str, tuple[float, float]]:
    """Fit without the points `ids` (from the priors, like a fresh fit), then predict each at its own setup:
    {id: (predicted, measured tok/s/GPU on the point's basis)}."""
    replays, hw = build_replays(catalog)
    space = param_table(catalog, replays)
    pred = Predictor(catalog, replays, hw, space)
    pos = {r.point.id: i for i, r in enumerate(replays)}
    missing = [i for i in ids if i not in pos]
    if missing:
        raise KeyError(f"not usable measured points: {missing}")
    mask = np.ones(pred.n)
    mask[[pos[i] for i in ids]] = 0.0
    th = fit_from_starts(pred, mask)
    thr = pred.predict(th[None, :])[0][0]
    return {i: (float(thr[pos[i]]), float(pred.meas_thr[pos[i]])) for i in ids}
