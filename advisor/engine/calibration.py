"""Fit the efficiency factors to measured points, and report the model's own error.

Each measured point is replayed at its own setup (replay.py): GPUs per replica and batch
from its parallelism and concurrency, or, for MLPerf (no concurrency), the best operating
point under the scenario's latency bound.

The fit is a damped Gauss-Newton (Levenberg-Marquardt) in log space over a handful of
parameters (the named table of engine/params.py: per ecosystem with data, per accelerator offsets shrunk
toward their ecosystem, precision multipliers and shared terms), each inside physical bounds and held near a
prior so that sparse ecosystems stay physical; a second fit restarts the maturity curves (fit_from_starts). Leave-one-out refits each point
out (warm-started from the full fit) and predicts it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from advisor.domain import Catalog
from advisor.domain.base import PRECISION_ORDER
from advisor.engine.arch import ArchCoeffs, coeffs
from advisor.engine.factors import DEFAULT_BANDS, Factors, maturity_curve
from advisor.engine.grid import BATCHES
from advisor.engine.hardware import HwArrays
from advisor.engine.params import FitValues, ParamTable
from advisor.engine.replay import Replay as Replay
from advisor.engine.replay import build_replays as build_replays
from advisor.engine.replay import inconsistent as inconsistent
from advisor.engine.replay import replay_setup as replay_setup
from advisor.engine.replay import usable_points as usable_points
from advisor.engine.throughput import ServingPoint, StepFactors, simulate
from advisor.engine.errorstats import summarise as summarise
from advisor.engine.types import AnyArray, FloatArray, IntArray

SERVER_MIN_TOK_S_PER_USER = 5.0  # MLPerf server default (Llama-2-70B: TPOT p99 <= 200 ms) where a run states none
SERVER_MAX_TTFT_S = 2.0
SEARCH_LAYOUTS = np.array([1.0, 2.0, 4.0, 8.0])
PRIOR_SIGMA = 1.0  # log-space width of the priors (a factor of e either way)
USER_WEIGHT = 0.5  # weight of the interactivity residual against the throughput one
PREFILL_WEIGHT = 0.5  # weight of the one-sided prefill-capacity residual (disaggregated prefill pools)


# --- prediction ------------------------------------------------------------------

@dataclass(frozen=True)
class ReplayGroup:
    """Points of one model replayed together: at their own setup, or searched (MLPerf)."""

    arch: ArchCoeffs
    idx: IntArray  # positions in the replay list
    search: bool
    hw: HwArrays  # view at the points (rows and precisions), shaped (1, n) or (1, n, 1, 1) for a search


def _point_view(idx: IntArray, search: bool) -> Callable[[AnyArray], AnyArray]:
    """Rows idx of a per-point column, shaped (1, n), or (1, n, 1, 1) for a layout x batch search."""

    def view(x: AnyArray) -> AnyArray:
        return x[idx][None, :, None, None] if search else x[idx][None, :]

    return view


class Predictor:
    """Vectorised replay of many points for a batch of parameter vectors."""

    def __init__(self, catalog: Catalog, replays: list[Replay], hw: HwArrays, space: ParamTable):
        self.replays, self.hw, self.space = replays, hw, space
        self.arch: dict[str, ArchCoeffs] = {}
        by_key: dict[tuple[str, bool], list[int]] = {}
        self.model_ids: list[str] = []  # canonical model id of each point
        for i, r in enumerate(replays):
            mid = catalog.model(r.point.model).id
            self.model_ids.append(mid)
            self.arch.setdefault(mid, coeffs(catalog.model(mid)))
            by_key.setdefault((mid, r.batch == 0), []).append(i)
        n = len(replays)
        row = np.array([r.hw_row for r in replays], dtype=np.intp)
        self.eco_idx = np.array([space.ecosystems.index(r.ecosystem) if r.ecosystem in space.ecosystems else -1 for r in replays])
        self.acc_idx = np.array([space.accelerators.index(r.point.accelerator) for r in replays], dtype=np.intp)
        self.prec = np.array([PRECISION_ORDER.index(r.point.precision) for r in replays], dtype=np.intp)
        points = hw.at(row, self.prec)  # every hardware column at each point's system and precision
        self.groups: list[ReplayGroup] = []
        for (mid, search), ids in sorted(by_key.items()):
            idx = np.array(ids, dtype=np.intp)
            view = points.map(_point_view(idx, search))
            self.groups.append(ReplayGroup(self.arch[mid], idx, search, view))
        self.days = np.array([r.days for r in replays])
        self.G = np.array([r.gpus for r in replays])
        self.B = np.array([r.batch for r in replays])
        self.B_run = np.maximum(self.B, 1.0)  # a replica runs at least one sequence when busy
        self.spec = np.array([1.0 if r.point.spec_decode == "mtp" else 0.0 for r in replays])
        self.isl = np.array([float(r.point.isl) for r in replays])
        self.osl = np.array([float(r.point.osl) for r in replays])
        self.disagg = np.array([r.point.disaggregated for r in replays])
        self.ep = np.array([1.0 if r.ep else 0.0 for r in replays])
        self.n_acc = np.array([float(r.point.n_accelerators) for r in replays])
        self.server = np.array([r.point.scenario == "server" for r in replays])
        limits = [r.latency_limits_s or (SERVER_MAX_TTFT_S, 1.0 / SERVER_MIN_TOK_S_PER_USER) for r in replays]
        self.max_ttft = np.array([lim[0] for lim in limits])
        self.min_user = np.array([1.0 / lim[1] for lim in limits])  # tok/s/user at the TPOT limit
        self.basis = np.array([r.basis for r in replays])
        self.meas_thr = np.array([r.measured_tok_s_per_gpu for r in replays])
        self.meas_user = np.array([r.measured_tok_s_per_user or np.nan for r in replays])
        self.n = n
        # disaggregated points whose prefill pool's measured rate bounds the model's prefill capacity from below
        self.pf_gpus = np.array([r.prefill_gpus for r in replays])
        self.meas_in = np.array([r.measured_input_tok_s_per_gpu or np.nan for r in replays])
        self.pf_idx = np.flatnonzero((self.pf_gpus > 0) & np.isfinite(self.meas_in) & (self.B > 0))
        self.pf_groups: list[tuple[ArchCoeffs, IntArray, HwArrays]] = []  # per model: points, hardware view
        for mid in sorted({self.model_ids[i] for i in self.pf_idx}):
            idx = np.array([i for i in self.pf_idx if self.model_ids[i] == mid], dtype=np.intp)
            self.pf_groups.append((self.arch[mid], idx, points.map(_point_view(idx, False))))

    def predict(self, th: FloatArray) -> tuple[FloatArray, FloatArray]:
        """(throughput on each point's basis, tok/s/user), each shaped (K, N)."""
        return self.predict_values(self.space.values(th))

    def _step_factors(self, v: FitValues, idx: np.ndarray, eco: np.ndarray) -> StepFactors:
        """The factors of the points `idx` for K parameter sets: (K, n) per point, shared ones (K, 1)."""
        e, a = eco[idx], self.acc_idx[idx]
        return StepFactors(
            bw_eff=v.bw_eff[:, a], fl_eff=v.fl_eff[:, a], t_layer_s=v.t_layer_s[:, a],
            prec_mult=v.prec_mult[:, self.prec[idx]],
            speed=maturity_curve(v.day0_fraction[:, e], v.maturity_tau_days[:, e], self.days[idx][None, :]),
            alpha_s=v.alpha_s[:, None], attn_eff=v.attn_eff[:, e], pf_eff=v.pf_eff[:, None],
            accept=v.accept[:, None], imbalance=v.imbalance[:, None], overlap=v.overlap[:, None],
            moe_eff=v.moe_eff[:, None],
        )

    def predict_values(self, v: FitValues) -> tuple[FloatArray, FloatArray]:
        """The same from natural values (K parameter sets)."""
        K = v.alpha_s.shape[0]
        thr = np.full((K, self.n), np.nan)
        usr = np.full((K, self.n), np.nan)
        eco = np.where(self.eco_idx >= 0, self.eco_idx, 0)
        for grp in self.groups:
            idx = grp.idx
            fac = self._step_factors(v, idx, eco)
            if not grp.search:
                pt = ServingPoint(gpus=self.G[idx][None, :], prec=self.prec[idx][None, :], spec=self.spec[idx][None, :],
                                  batch=self.B_run[idx][None, :], isl=self.isl[idx][None, :], osl=self.osl[idx][None, :],
                                  disaggregated=self.disagg[idx][None, :], ep=self.ep[idx][None, :])
                out = simulate(grp.arch, grp.hw, fac, pt)
                busy = (self.B[idx] / self.B_run[idx])[None, :]  # replicas idle part of the time below one sequence
                t = busy * np.where(self.basis[idx] == "total", out.total_tok_s_per_gpu, out.output_tok_s_per_gpu)
                thr[:, idx] = t
                usr[:, idx] = out.tok_s_per_user
            else:
                G = SEARCH_LAYOUTS[None, None, :, None]
                B = BATCHES[None, None, None, :]
                pt = ServingPoint(gpus=G, prec=self.prec[idx][None, :, None, None], spec=self.spec[idx][None, :, None, None],
                                  batch=B, isl=self.isl[idx][None, :, None, None], osl=self.osl[idx][None, :, None, None],
                                  disaggregated=self.disagg[idx][None, :, None, None])
                fac4 = StepFactors(**{k: x[:, :, None, None] for k, x in vars(fac).items()})
                out = simulate(grp.arch, grp.hw, fac4, pt)
                ok = np.broadcast_to(out.fits & (G <= self.n_acc[idx][None, :, None, None]), out.output_tok_s_per_gpu.shape)
                srv = self.server[idx][None, :, None, None]
                lim_u = self.min_user[idx][None, :, None, None]
                lim_t = self.max_ttft[idx][None, :, None, None]
                ok = ok & (~srv | ((out.tok_s_per_user >= lim_u) & (out.ttft_s <= lim_t)))
                t = np.where(ok, out.output_tok_s_per_gpu, 0.0)
                thr[:, idx] = np.maximum(t.reshape(K, len(idx), -1).max(axis=2), 1e-3)
        return thr, usr

    def prefill_capacity(self, v: FitValues) -> FloatArray:
        """(K, N) prompt tokens/s one prefill GPU can take at each disaggregated point's prefill worker size
        (NaN where the point gives no prefill figure)."""
        K = v.alpha_s.shape[0]
        out = np.full((K, self.n), np.nan)
        eco = np.where(self.eco_idx >= 0, self.eco_idx, 0)
        for arch, idx, hw in self.pf_groups:
            fac = self._step_factors(v, idx, eco)
            one = np.ones((1, idx.size))
            pt = ServingPoint(gpus=self.pf_gpus[idx][None, :], prec=self.prec[idx][None, :], spec=0.0 * one, batch=one,
                              isl=self.isl[idx][None, :], osl=self.osl[idx][None, :])
            t_pf = np.broadcast_to(simulate(arch, hw, fac, pt).t_prefill_s, (K, idx.size))
            out[:, idx] = self.isl[idx][None, :] / (t_pf * self.pf_gpus[idx][None, :])
        return out

    def data_residuals(self, th: FloatArray, mask: FloatArray | None = None) -> FloatArray:
        """(K, 3N) log errors of throughput, (weighted) interactivity, and the prefill bound; masked points give 0.

        The third block is one-sided: a disaggregated run's prefill pool took its prompts at the measured rate,
        so the model's prefill capacity must be at least that (the pool may have had slack: no penalty above)."""
        v = self.space.values(th)
        thr, usr = self.predict_values(v)
        r1 = np.log(thr / self.meas_thr)
        has_u = ~np.isnan(self.meas_user)
        r2 = np.where(has_u, USER_WEIGHT * np.log(np.where(has_u, usr, 1.0) / np.where(has_u, self.meas_user, 1.0)), 0.0)
        r3 = np.zeros_like(r1)
        if self.pf_idx.size:
            cap = self.prefill_capacity(v)
            with np.errstate(invalid="ignore", divide="ignore"):
                r3 = PREFILL_WEIGHT * np.maximum(np.log(self.meas_in / cap), 0.0)
            r3 = np.where(np.isfinite(r3), r3, 0.0)
        if mask is not None:
            r1, r2, r3 = r1 * mask, r2 * mask, r3 * mask
        return np.concatenate([r1, r2, r3], axis=1)

    def prior_residuals(self, th: FloatArray) -> FloatArray:
        """(K, n) pulls toward the priors (accelerator offsets toward their ecosystem: the shrinkage)."""
        return (np.atleast_2d(th) - self.space.prior()) / PRIOR_SIGMA * self.space.prior_weights()

    def residuals(self, th: FloatArray, mask: FloatArray | None = None) -> FloatArray:
        """(K, M) residual vectors: log errors of throughput, interactivity, and the priors."""
        return np.concatenate([self.data_residuals(th, mask), self.prior_residuals(th)], axis=1)

    def dependence(self) -> FloatArray:
        """(n_params, 2N): 1 where a data residual depends on a parameter (its ecosystem's, its chip's, shared)."""
        if getattr(self, "_dep", None) is None:
            sp = self.space
            dep = np.ones((len(sp), self.n))
            for j, name in enumerate(sp.names):
                head, _, key = name.partition(".")
                if key and head in sp.ecosystems:
                    dep[j] = self.eco_idx == sp.ecosystems.index(head)
                elif key and head in sp.accelerators:
                    dep[j] = self.acc_idx == sp.accelerators.index(head)
            self._dep: FloatArray | None = np.concatenate([dep, dep, dep], axis=1)
        assert self._dep is not None
        return self._dep


def _jacobian(pred: Predictor, th: FloatArray, r_data: FloatArray, mask: FloatArray | None, h: float) -> FloatArray:
    """(M, n) Jacobian of the residuals: one finite difference per group of parameters no point shares."""
    groups = pred.space.groups()
    n = len(th)
    E = np.zeros((len(groups), n))
    col_group = np.zeros(n, dtype=np.intp)
    for g, cols in enumerate(groups):
        E[g, cols] = 1.0
        col_group[cols] = g
    D = (pred.data_residuals(th[None, :] + h * E, mask) - r_data[None, :]) / h  # (groups, 2N)
    J_data = (D[col_group] * pred.dependence()).T
    J_prior = np.diag(pred.space.prior_weights() / PRIOR_SIGMA)
    return np.concatenate([J_data, J_prior], axis=0)


MATURITY_RESTART = (0.3, 20.0)
"""(day0_fraction, tau days) the second fit restarts every maturity curve from (fit_from_starts)."""


def fit_from_starts(pred: Predictor, mask: FloatArray | None = None) -> FloatArray:
    """Fit from the priors, then from that fit with every maturity curve restarted at MATURITY_RESTART; keep the
    lower cost. A curve at "mature on day 0" (CUDA's prior) is flat in both parameters, so a fit started there
    never learns a gap its data show (V4 Pro on NVL72 four weeks after release); restarted, it can."""
    sp = pred.space
    th = _lm(pred, sp.prior(), mask)
    th2 = th.copy()
    for e in sp.ecosystems:
        for key, value in zip(("day0_fraction", "maturity_tau_days"), MATURITY_RESTART):
            th2[sp.index(f"{e}.{key}")] = sp.params[sp.index(f"{e}.{key}")].to_fit(value)
    th2 = _lm(pred, th2, mask)
    r, r2 = pred.residuals(th[None, :], mask)[0], pred.residuals(th2[None, :], mask)[0]
    return th2 if float(r2 @ r2) < float(r @ r) else th


def _lm(pred: Predictor, th0: FloatArray, mask: FloatArray | None = None, iters: int = 60, tol: float = 1e-6) -> FloatArray:
    """Levenberg-Marquardt from th0 on the (masked) residuals."""
    th = th0.copy()
    lam = 1e-2
    h = 1e-4
    r = pred.residuals(th[None, :], mask)[0]
    cost = float(r @ r)
    n_data = 3 * pred.n
    for _ in range(iters):
        J = _jacobian(pred, th, r[:n_data], mask, h)
        A = J.T @ J
        g = J.T @ r
        improved = False
        for _ in range(8):
            step = np.linalg.solve(A + lam * np.diag(np.diag(A) + 1e-9), -g)
            cand = th + step
            rc = pred.residuals(cand[None, :], mask)[0]
            cc = float(rc @ rc)
            if np.isfinite(cc) and cc < cost:
                th, r, lam = cand, rc, max(lam / 3, 1e-7)
                improved = cost - cc > tol * cost
                cost = cc
                break
            lam *= 4
        if not improved:
            break
    return th


@dataclass
class CalibrationReport:
    """A fit: its factors, one row per measured point, the error summary and the parameters."""

    factors: Factors
    rows: list[dict[str, Any]]
    summary: dict[str, Any]
    parameters: dict[str, float]
    """Fitted values in fit space (logit/log), by name."""
    parameter_table: list[dict[str, float | str]] = field(default_factory=list)
    """Fitted values in their units with bounds, unit, meaning and prior (params.ParamTable.rows)."""


def _loo_one_step(pred: Predictor, th: FloatArray, chunk: int = 48) -> FloatArray:
    """Leave-one-out predictions: for each point, one damped Gauss-Newton step from the full fit `th` with the
    point's residual rows taken out of the normal equations (the Jacobian is the full fit's), then its prediction."""
    r = pred.residuals(th[None, :])[0]
    n_data = 3 * pred.n
    J = _jacobian(pred, th, r[:n_data], None, 1e-4)
    A = J.T @ J
    g = J.T @ r
    rows = np.stack([np.arange(pred.n) + k * pred.n for k in range(3)], axis=1)  # (N, 3) rows of each point
    Ji = J[rows]  # (N, 3, p)
    ri = r[rows]  # (N, 3)
    Ai = A[None] - np.einsum("nkp,nkq->npq", Ji, Ji)
    gi = g[None] - np.einsum("nkp,nk->np", Ji, ri)
    damp = 1e-3 * np.einsum("npp->np", Ai)[:, :, None] * np.eye(len(th))[None]
    th_i = th[None, :] - np.linalg.solve(Ai + damp + 1e-9 * np.eye(len(th))[None], gi[..., None])[..., 0]
    out = np.full(pred.n, np.nan)
    for start in range(0, pred.n, chunk):
        ids = np.arange(start, min(start + chunk, pred.n))
        thr = pred.predict(th_i[ids])[0]  # (k, N)
        out[ids] = thr[np.arange(ids.size), ids]
    return out


def param_table(catalog: Catalog, replays: list[Replay]) -> ParamTable:
    """The fit's parameters: per ecosystem with data (maturity prior from the catalog), per chip with data, shared."""
    ecos = sorted({r.ecosystem for r in replays})
    accs = sorted({r.point.accelerator for r in replays})
    acc_eco = tuple(ecos.index(catalog.accelerator(a).ecosystem) for a in accs)
    mat = tuple((catalog.ecosystem(e).maturity.day0_fraction, catalog.ecosystem(e).maturity.days_to_mature) for e in ecos)
    return ParamTable(tuple(ecos), tuple(accs), acc_eco, mat)


def setup(catalog: Catalog) -> tuple[Predictor, FloatArray] | None:
    """The predictor over the catalog's usable points and the full fit's parameter vector (None: no points)."""
    replays, hw = build_replays(catalog)
    if not replays:
        return None
    space = param_table(catalog, replays)
    pred = Predictor(catalog, replays, hw, space)
    return pred, fit_from_starts(pred)


def fit(catalog: Catalog, *, loo: bool = True, loo_iters: int = 1, bands: dict[str, float] | None = None) -> CalibrationReport:
    """Fit the factors; with `loo`, predict each point from a fit without it: one Gauss-Newton step from the full
    fit with that point's rows removed (loo_iters <= 1: a few seconds), or `loo_iters` Levenberg-Marquardt
    iterations per point (minutes). `bands`: class bands from a grouped cross-validation (crossval.class_bands),
    else the stated defaults (factors.DEFAULT_BANDS)."""
    replays, hw = build_replays(catalog)
    if not replays:
        return CalibrationReport(Factors(), [], {"points": 0}, {})
    space = param_table(catalog, replays)
    pred = Predictor(catalog, replays, hw, space)
    th0 = space.prior()
    before_thr, before_usr = pred.predict(th0[None, :])
    th = fit_from_starts(pred)
    after_thr, after_usr = pred.predict(th[None, :])
    loo_thr = np.full(pred.n, np.nan)
    if loo and loo_iters <= 1:
        loo_thr = _loo_one_step(pred, th)
    elif loo:
        for i in range(pred.n):
            mask = np.ones(pred.n)
            mask[i] = 0.0
            th_i = _lm(pred, th, mask, iters=loo_iters)
            loo_thr[i] = pred.predict(th_i[None, :])[0][0, i]
    rows = []
    for i, r in enumerate(replays):
        p = r.point
        meas = r.measured_tok_s_per_gpu
        row = {
            "id": p.id, "accelerator": p.accelerator, "ecosystem": r.ecosystem, "model": p.model,
            "precision": p.precision, "isl": p.isl, "osl": p.osl, "basis": r.basis,
            "gpus_per_replica": r.gpus or None, "batch": r.batch or None, "spec_decode": p.spec_decode,
            "measured_tok_s_per_gpu": meas,
            "roofline_tok_s_per_gpu": float(before_thr[0, i]),
            "calibrated_tok_s_per_gpu": float(after_thr[0, i]),
            "error_pct": 100.0 * (after_thr[0, i] / meas - 1.0),
            "loo_tok_s_per_gpu": None if np.isnan(loo_thr[i]) else float(loo_thr[i]),
            "loo_error_pct": None if np.isnan(loo_thr[i]) else 100.0 * (loo_thr[i] / meas - 1.0),
            "measured_tok_s_per_user": r.measured_tok_s_per_user,
            "calibrated_tok_s_per_user": None if r.measured_tok_s_per_user is None else float(after_usr[0, i]),
        }
        rows.append(row)
    summary = summarise(rows)
    eco_bands: dict[str, float] = {}
    for eco, s in summary["per_ecosystem"].items():
        eco_bands[eco] = s["loo_p80_abs_error_pct"] if s["loo_p80_abs_error_pct"] is not None else s["p80_abs_error_pct"]
    allp = summary["all"]
    eco_bands["*"] = max(60.0, 2 * (allp["loo_p80_abs_error_pct"] or allp["p80_abs_error_pct"]))
    eco_bands.update(bands if bands is not None else {k: v for k, v in DEFAULT_BANDS.items() if k != "*"})
    if bands is not None and "*" in bands:
        eco_bands["*"] = bands["*"]
    pairs: set[tuple[str, str]] = {(r.ecosystem, str(r.point.precision)) for r in replays}
    measured = {(r.point.accelerator, catalog.model(r.point.model).id) for r in replays}
    factors = replace(space.to_factors(th[None, :], pairs, eco_bands, measured), summary=summary["all"])
    params = dict(zip(space.names, [float(x) for x in th]))
    return CalibrationReport(factors, rows, summary, params, space.rows(th[None, :]))
