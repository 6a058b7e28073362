"""Anchoring on measurements: where a chip was measured, predictions follow the measurements.

The model's error at each measured point (its residual, log measured / predicted, of tok/s/GPU and of
tok/s/user) corrects the grid's cells of the same chip and model, weighted by how close a cell is to the point:

    d^2 = (ln ISL ratio / 0.5)^2 + (ln OSL ratio / 0.5)^2 + (ln tok/s/user ratio / 0.15)^2   (the model's
          tok/s/user at the cell against the model's at the point's own setup: distance in configuration)
          + (ln GPUs-per-replica ratio / 0.7)^2 + 4 [other precision] + 4 [other MTP choice] + 1 [other serving mode]
    w   = exp(-d^2 / 2)
    correction = sum(w r) / (PRIOR_WEIGHT + sum(w))          (fades to 0 far from every point)

So at a measured setup (same precision and ISL/OSL, inside the measured range of tok/s/user) a cell follows
the measured curve of tok/s/GPU against tok/s/user, interpolated between its points, and is labelled measured;
a neighbouring configuration (another ISL/OSL, another concurrency) carries part of the residual ("anchored"),
and a cell far from every point keeps the model's figure.

`anchors(catalog, factors)` computes the residuals once (cache it with crossval.cache_key and the factors);
`apply(grid, anchors, enabled=True)` returns the grid with corrected metrics and two more: `anchor_weight`
(0 = model only, 1 = fully measured) and `measured` (bool).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from advisor.domain import Catalog
from advisor.domain.base import PRECISION_ORDER
from advisor.engine.refits import predict_measured
from advisor.engine.factors import Factors
from advisor.engine.grid import SPEC, Grid
from advisor.engine.types import FloatArray

LEN_SCALE = 0.5  # ln units of ISL and OSL
USER_SCALE = 0.15  # ln units of tok/s/user (measured curves step ~1.3-2x between points)
PREC_PENALTY = 4.0
MODE_PENALTY = 1.0
SPEC_PENALTY = 4.0
GPU_SCALE = 0.7  # ln units of GPUs per replica
PRIOR_WEIGHT = 0.05  # pulls the correction toward 0 where the weights are small
MEASURED_WEIGHT = 0.6  # a cell this close to a point at its own setup is labelled measured


@dataclass(frozen=True)
class Anchors:
    """Residuals of the model at every usable measured point (one entry per point)."""

    ids: tuple[str, ...]
    accelerator: tuple[str, ...]
    model: tuple[str, ...]
    prec: np.ndarray  # index into PRECISION_ORDER
    isl: FloatArray
    osl: FloatArray
    disaggregated: np.ndarray
    spec: FloatArray  # drafted tokens per step (MTP)
    gpus: FloatArray  # per replica (0: searched, MLPerf)
    user: FloatArray  # measured tok/s/user (NaN: not reported, e.g. MLPerf)
    user_model: FloatArray  # the model's tok/s/user at the point's setup: where it sits in the grid's coordinates
    r_thr: FloatArray  # ln measured / predicted tok/s/GPU
    r_user: FloatArray  # ln measured / predicted tok/s/user (0 where not reported)

    def __len__(self) -> int:
        return len(self.ids)


def anchors(catalog: Catalog, factors: Factors) -> Anchors:
    """The model's residuals at the catalog's usable measured points, with these factors."""
    replays, thr, usr = predict_measured(catalog, factors)
    meas = np.array([r.measured_tok_s_per_gpu for r in replays], dtype=float)
    mu = np.array([np.nan if r.measured_tok_s_per_user is None else r.measured_tok_s_per_user for r in replays])
    with np.errstate(divide="ignore", invalid="ignore"):
        r_thr = np.log(meas / thr)
        r_user = np.where(np.isfinite(mu) & (usr > 0), np.log(mu / usr), 0.0)
    ok = np.isfinite(r_thr)
    return Anchors(
        ids=tuple(r.point.id for r, k in zip(replays, ok) if k),
        accelerator=tuple(r.point.accelerator for r, k in zip(replays, ok) if k),
        model=tuple(catalog.model(r.point.model).id for r, k in zip(replays, ok) if k),
        prec=np.array([PRECISION_ORDER.index(r.point.precision) for r in replays], dtype=np.intp)[ok],
        isl=np.array([float(r.point.isl) for r in replays])[ok],
        osl=np.array([float(r.point.osl) for r in replays])[ok],
        disaggregated=np.array([r.point.disaggregated for r in replays], dtype=bool)[ok],
        spec=np.array([1.0 if r.point.spec_decode == "mtp" else 0.0 for r in replays])[ok],
        gpus=np.array([r.gpus for r in replays], dtype=float)[ok],
        user=mu[ok], user_model=np.where(np.isfinite(mu), usr, np.nan)[ok], r_thr=r_thr[ok], r_user=np.where(np.isfinite(r_user), r_user, 0.0)[ok],
    )


def apply(grid: Grid, anch: Anchors, model_id: str, *, enabled: bool = True) -> Grid:
    """The grid with every cell corrected by the residuals of nearby measured points of the same chip and model."""
    shape = grid.valid.shape
    weight = np.zeros(shape)
    measured = np.zeros(shape, dtype=bool)
    metrics = dict(grid.metrics)
    if enabled and len(anch) and grid.setup is not None:
        isl, osl = float(grid.setup.isl), float(grid.setup.osl)
        c_thr = np.zeros(shape)
        c_usr = np.zeros(shape)
        model = np.array(anch.model)
        acc = np.array(anch.accelerator)
        usr_cell = np.asarray(grid.metrics["tok_s_per_user"], dtype=float)
        dis_cell = np.asarray(grid.metrics.get("disaggregated", np.zeros(shape)), dtype=bool)
        P = np.arange(shape[2]).reshape(1, 1, -1, 1, 1)
        M = np.asarray(SPEC).reshape(1, 1, 1, -1, 1)[0]
        Gl = np.asarray(grid.layouts, dtype=float).reshape(1, -1, 1, 1, 1)[0]
        for s, a in enumerate(grid.hw.accelerator_ids):
            idx = np.flatnonzero((acc == a) & (model == model_id))
            # points whose lengths alone put them beyond reach (weight < e^-6) are skipped
            far = ((np.log(isl / anch.isl[idx]) / LEN_SCALE) ** 2 + (np.log(osl / anch.osl[idx]) / LEN_SCALE) ** 2) > 12.0
            idx = idx[~far]
            if idx.size == 0:
                continue
            cells = grid.valid[s]  # only real options are corrected (and labelled)
            if not cells.any():
                continue
            u = usr_cell[s][cells][:, None]  # (k, 1) against (n,) points
            p_cell = np.broadcast_to(P[0], shape[1:])[cells][:, None]
            d_cell = np.broadcast_to(dis_cell[s], shape[1:])[cells][:, None]
            d2 = ((np.log(isl / anch.isl[idx]) / LEN_SCALE) ** 2 + (np.log(osl / anch.osl[idx]) / LEN_SCALE) ** 2)
            same_len = (anch.isl[idx] == isl) & (anch.osl[idx] == osl)
            with np.errstate(divide="ignore", invalid="ignore"):
                du = np.where(np.isfinite(anch.user_model[idx]), (np.log(u / anch.user_model[idx]) / USER_SCALE) ** 2, 1.0)
            du = np.where(np.isfinite(du), du, 50.0)
            other_prec = (p_cell != anch.prec[idx]) * PREC_PENALTY
            other_mode = (d_cell != anch.disaggregated[idx]) * MODE_PENALTY
            m_cell = np.broadcast_to(M, shape[1:])[cells][:, None]
            g_cell = np.broadcast_to(Gl, shape[1:])[cells][:, None]
            other_mode = other_mode + (m_cell != anch.spec[idx]) * SPEC_PENALTY
            with np.errstate(divide="ignore"):
                dg = np.where(anch.gpus[idx] > 0, (np.log(g_cell / np.maximum(anch.gpus[idx], 1e-9)) / GPU_SCALE) ** 2, 0.0)
            other_mode = other_mode + dg
            w = np.exp(-0.5 * (d2 + du + other_prec + other_mode))  # (k, n)
            W = w.sum(axis=-1)
            c_thr[s][cells] = (w @ anch.r_thr[idx]) / (PRIOR_WEIGHT + W)
            c_usr[s][cells] = (w @ anch.r_user[idx]) / (PRIOR_WEIGHT + W)
            weight[s][cells] = W / (PRIOR_WEIGHT + W)
            # weights of points at the grid's own lengths, precision and serving mode
            exact = np.where((other_prec + other_mode > 0) | ~same_len, 0.0, w)
            users = anch.user_model[idx][same_len]
            inside = np.zeros(u.shape[0], dtype=bool)
            if np.isfinite(users).any():
                inside = (u[:, 0] >= np.nanmin(users) * 0.9) & (u[:, 0] <= np.nanmax(users) * 1.1)
            measured[s][cells] = (exact.max(axis=-1) >= MEASURED_WEIGHT) & inside
        k_thr = np.exp(c_thr)
        for key in ("output_tok_s_per_gpu", "total_tok_s_per_gpu"):
            metrics[key] = np.asarray(grid.metrics[key]) * k_thr
        metrics["tok_s_per_user"] = usr_cell * np.exp(c_usr)
    metrics["anchor_weight"] = weight
    metrics["measured"] = measured
    return dataclasses.replace(grid, metrics=metrics)
