"""Fit the efficiency factors to measured points, and report the model's own error.

Measured points come in two throughput bases (InferenceX: input+output tokens per GPU;
MLPerf: output tokens) and two layouts (aggregated; disaggregated, where the output
figure is per decode GPU and prefill runs elsewhere). Each point is replayed at its own
setup: GPUs per replica and batch from its parallelism and concurrency, or, for MLPerf
(no concurrency), the best operating point under the scenario's latency bound.

The fit is a damped Gauss-Newton (Levenberg-Marquardt) in log space over a handful of
parameters: three per ecosystem with data, two precision multipliers, six shared terms,
with weak priors so that sparse ecosystems stay physical. Leave-one-out refits each point
out (warm-started from the full fit) and predicts it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np

from advisor.domain import BenchmarkPoint, Catalog
from advisor.domain.base import PRECISION_ORDER
from advisor.engine.arch import ArchCoeffs, coeffs
from advisor.engine.factors import PREC_MULT_MAX, PRIOR_PER_ECOSYSTEM, PRIOR_PREC_MULT, PRIOR_SHARED, Factors, maturity_fraction
from advisor.engine.grid import BATCHES
from advisor.engine.hardware import hw_arrays
from advisor.engine.throughput import simulate

SERVER_MIN_TOK_S_PER_USER = 5.0  # MLPerf Llama-2-70B server: TPOT p99 <= 200 ms
SERVER_MAX_TTFT_S = 2.0
SEARCH_LAYOUTS = np.array([1.0, 2.0, 4.0, 8.0])
PRIOR_SIGMA = 1.0  # log-space width of the priors (a factor of e either way)
USER_WEIGHT = 0.5  # weight of the interactivity residual against the throughput one


@dataclass
class Replay:
    """One measured point, reduced to what the model needs to replay it."""

    point: BenchmarkPoint
    ecosystem: str
    hw_row: int
    gpus: float  # per replica
    batch: float  # per replica (0 = search the best batch: MLPerf)
    days: float
    measured_tok_s_per_gpu: float  # on the basis the model predicts (see `basis`)
    basis: str  # total | output | decode_output
    measured_tok_s_per_user: float | None


def _days_between(later: str, earlier: str) -> float:
    def parse(s: str) -> date:
        parts = [int(x) for x in s.split("-")] + [1, 1]
        return date(parts[0], parts[1] or 1, parts[2] or 1)

    return float((parse(later) - parse(earlier)).days)


def replay_setup(p: BenchmarkPoint) -> tuple[float, float, float]:
    """(GPUs per replica, running batch per replica, replicas) as the run was set up.

    The running batch comes from Little's law on the measured figures (output tokens/s of
    the decode GPUs / tokens/s per user), not from the offered concurrency: requests that
    queue for prefill (TTFT of minutes in some sweeps) are not in the decode batch.
    Batch 0 = unknown (MLPerf: the best batch is searched).
    """
    if p.concurrency is None:
        return 0.0, 0.0, 0.0
    if p.disaggregated:
        m = re.search(r"decode TP(\d+).*?workers=(\d+)\s*\((\d+) GPU\)", p.parallelism)
        decode = float(p.decode_gpus or (m and int(m.group(3))) or p.n_accelerators)
        workers = (float(m.group(2)) if m else 1.0) or 1.0
        gpus = max(decode / workers, 1.0)
    else:
        decode, workers, gpus = float(p.n_accelerators), 1.0, float(p.n_accelerators)
    batch = p.concurrency / workers
    out = p.output_tok_s_per_gpu
    if out is None and p.throughput_basis == "total" and not p.disaggregated:
        out = p.tok_s_per_gpu * p.osl / (p.isl + p.osl)
    if out and p.tok_s_per_user:
        batch = min(batch, out * decode / p.tok_s_per_user / workers)
    return gpus, batch, workers


def inconsistent(p: BenchmarkPoint) -> str | None:
    """Why a measured point contradicts itself (and is left out of the fit), or None."""
    if p.concurrency is None or not p.tok_s_per_user:
        return None
    gpus, batch, workers = replay_setup(p)
    running = batch * workers
    e2e_s = p.osl / p.tok_s_per_user
    queued = p.ttft_s is not None and p.ttft_s > 0.2 * e2e_s
    if running < p.concurrency / 3 and not queued:
        return (f"Little's law: {p.concurrency} concurrent users at {p.tok_s_per_user:g} tok/s/user need "
                f"~{p.concurrency * p.tok_s_per_user / (gpus * workers):.0f} output tok/s/GPU, the point reports "
                f"{running * p.tok_s_per_user / (gpus * workers):.0f}, and its TTFT shows no queue")
    return None


def usable_points(catalog: Catalog) -> tuple[list[BenchmarkPoint], dict[str, str]]:
    """(points to fit, {point id: why it is left out})."""
    use, left_out = [], {}
    for b in catalog.benchmarks.values():
        if not b.calibrate:
            left_out[b.id] = "calibrate = false in the catalog"
        elif (why := inconsistent(b)) is not None:
            left_out[b.id] = why
        else:
            use.append(b)
    return use, left_out


def build_replays(catalog: Catalog, points: list[BenchmarkPoint] | None = None):
    points = points if points is not None else usable_points(catalog)[0]
    systems, seen, replays = [], {}, []
    for p in points:
        acc = catalog.accelerator(p.accelerator)
        model = catalog.model(p.model)
        if acc.id not in seen:
            seen[acc.id] = len(systems)
            systems.append(catalog.default_system(acc.id))
        g, b, _ = replay_setup(p)
        if p.disaggregated:
            basis, meas = "decode_output", p.output_tok_s_per_gpu or p.tok_s_per_gpu
        elif p.throughput_basis == "total":
            basis, meas = "total", p.tok_s_per_gpu
        else:
            basis, meas = "output", p.output_tok_s_per_gpu or p.tok_s_per_gpu
        replays.append(Replay(
            point=p, ecosystem=acc.ecosystem, hw_row=seen[acc.id], gpus=g, batch=b,
            days=_days_between(p.as_of, model.release_date) if len(p.as_of) >= 7 else 365.0,
            measured_tok_s_per_gpu=meas, basis=basis,
            measured_tok_s_per_user=p.tok_s_per_user if p.concurrency is not None else None,
        ))
    return replays, hw_arrays(catalog, systems)


# --- parameter vector ------------------------------------------------------------

@dataclass
class ParamSpace:
    ecosystems: list[str]
    names: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.names = []
        for e in self.ecosystems:
            self.names += [f"{e}.bw_eff", f"{e}.fl_eff", f"{e}.t_layer_s"]
        self.names += ["prec.fp8", "prec.fp4", "alpha_s", "attn_eff", "pf_eff", "accept", "beta", "imbalance", "overlap"]

    def prior(self) -> np.ndarray:
        th = []
        for _ in self.ecosystems:
            th += [_logit(PRIOR_PER_ECOSYSTEM["bw_eff"]), _logit(PRIOR_PER_ECOSYSTEM["fl_eff"]), np.log(PRIOR_PER_ECOSYSTEM["t_layer_s"])]
        sh = PRIOR_SHARED
        th += [_logit(PRIOR_PREC_MULT["fp8"] / PREC_MULT_MAX), _logit(PRIOR_PREC_MULT["fp4"] / PREC_MULT_MAX), np.log(sh["alpha_s"]),
               _logit(sh["attn_eff"]), _logit(sh["pf_eff"]), _logit(sh["accept"]), np.log(sh["beta"]),
               np.log(sh["imbalance"] - 1.0), np.log(sh["overlap"] - 1.0)]
        return np.array(th)

    def unpack(self, th: np.ndarray) -> dict[str, np.ndarray]:
        """Natural values; th may have a leading batch axis (K, n)."""
        th = np.atleast_2d(th)
        ne = len(self.ecosystems)
        eco = th[:, : 3 * ne].reshape(-1, ne, 3)
        rest = th[:, 3 * ne:]
        return {
            "bw_eff": _sigmoid(eco[:, :, 0]),
            "fl_eff": _sigmoid(eco[:, :, 1]),
            "t_layer": np.exp(eco[:, :, 2]),
            "prec_mult": PREC_MULT_MAX * _sigmoid(np.stack([rest[:, 1], rest[:, 0], rest[:, 0], np.full(len(th), 10.0)], axis=1)),
            "alpha": np.exp(rest[:, 2]),
            "attn_eff": _sigmoid(rest[:, 3]),
            "pf_eff": _sigmoid(rest[:, 4]),
            "accept": _sigmoid(rest[:, 5]),
            "beta": np.exp(rest[:, 6]),
            "imbalance": 1.0 + np.exp(rest[:, 7]),
            "overlap": 1.0 + np.exp(rest[:, 8]),
        }

    def to_factors(self, th: np.ndarray, calibrated_pairs, bands) -> Factors:
        v = {k: np.asarray(x)[0] for k, x in self.unpack(th).items()}
        per = {e: {"bw_eff": float(v["bw_eff"][i]), "fl_eff": float(v["fl_eff"][i]), "t_layer_s": float(v["t_layer"][i])}
               for i, e in enumerate(self.ecosystems)}
        shared = {"alpha_s": float(v["alpha"]), "attn_eff": float(v["attn_eff"]), "pf_eff": float(v["pf_eff"]),
                  "accept": float(v["accept"]), "beta": float(v["beta"]), "imbalance": float(v["imbalance"]), "overlap": float(v["overlap"])}
        pm = {p: float(v["prec_mult"][i]) for i, p in enumerate(PRECISION_ORDER)}
        pm["bf16"] = 1.0
        return Factors(per_ecosystem=per, shared=shared, prec_mult=pm,
                       calibrated_pairs=frozenset(calibrated_pairs), error_band_pct=dict(bands))


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p):
    return float(np.log(p / (1.0 - p)))


# --- prediction ------------------------------------------------------------------

class Predictor:
    """Vectorised replay of many points for a batch of parameter vectors."""

    def __init__(self, catalog: Catalog, replays: list[Replay], hw, space: ParamSpace):
        self.replays, self.hw, self.space = replays, hw, space
        self.arch: dict[str, ArchCoeffs] = {}
        self.groups = []  # (arch, idx array, search: bool)
        by_key: dict[tuple[str, bool], list[int]] = {}
        for i, r in enumerate(replays):
            mid = catalog.model(r.point.model).id
            self.arch.setdefault(mid, coeffs(catalog.model(mid)))
            by_key.setdefault((mid, r.batch == 0), []).append(i)
        for (mid, search), idx in sorted(by_key.items()):
            self.groups.append((self.arch[mid], np.array(idx), search))
        n = len(replays)
        row = np.array([r.hw_row for r in replays])
        self.eco_idx = np.array([space.ecosystems.index(r.ecosystem) if r.ecosystem in space.ecosystems else -1 for r in replays])
        self.prec = np.array([PRECISION_ORDER.index(r.point.precision) for r in replays])
        self.peak = hw.peak[row, self.prec]
        self.attn_peak = hw.attn_peak[row]
        self.mem_bw, self.mem, self.dom = hw.mem_bw[row], hw.mem_bytes[row], hw.domain[row]
        self.up, self.out = hw.up_bw[row], hw.out_bw[row]
        self.mat = maturity_fraction(hw.day0_fraction[row], hw.days_to_mature[row], np.array([r.days for r in replays]))
        self.G = np.array([r.gpus for r in replays])
        self.B = np.array([r.batch for r in replays])
        self.B_run = np.maximum(self.B, 1.0)  # a replica runs at least one sequence when busy
        self.spec = np.array([1.0 if r.point.spec_decode == "mtp" else 0.0 for r in replays])
        self.isl = np.array([float(r.point.isl) for r in replays])
        self.osl = np.array([float(r.point.osl) for r in replays])
        self.disagg = np.array([r.point.disaggregated for r in replays])
        self.n_acc = np.array([float(r.point.n_accelerators) for r in replays])
        self.server = np.array([r.point.scenario == "server" for r in replays])
        self.basis = np.array([r.basis for r in replays])
        self.meas_thr = np.array([r.measured_tok_s_per_gpu for r in replays])
        self.meas_user = np.array([r.measured_tok_s_per_user or np.nan for r in replays])
        self.n = n

    def predict(self, th: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(throughput on each point's basis, tok/s/user), each shaped (K, N)."""
        v = self.space.unpack(th)
        K = v["alpha"].shape[0]
        thr = np.full((K, self.n), np.nan)
        usr = np.full((K, self.n), np.nan)
        eco = np.where(self.eco_idx >= 0, self.eco_idx, 0)
        for arch, idx, search in self.groups:
            e = eco[idx]
            pts = dict(
                mem_bw=self.mem_bw[idx], peak=self.peak[idx], attn_peak=self.attn_peak[idx], mem_bytes=self.mem[idx], domain=self.dom[idx],
                up_bw=self.up[idx], out_bw=self.out[idx], spec=self.spec[idx], isl=self.isl[idx],
                osl=self.osl[idx], disagg=self.disagg[idx], prec=self.prec[idx],
            )
            fac = dict(
                bw_eff=v["bw_eff"][:, e], fl_eff=v["fl_eff"][:, e], t_layer=v["t_layer"][:, e],
                prec_mult=v["prec_mult"][:, self.prec[idx]],
                speed=self.mat[idx][None, :] ** v["beta"][:, None],
            )
            shared = {k: v[k][:, None] for k in ("alpha", "attn_eff", "pf_eff", "accept", "imbalance", "overlap")}
            if not search:
                out = simulate(arch, **{k: x[None, :] for k, x in pts.items()}, G=self.G[idx][None, :], B=self.B_run[idx][None, :],
                               **fac, **shared)
                busy = (self.B[idx] / self.B_run[idx])[None, :]  # replicas idle part of the time below one sequence
                t = busy * np.where(self.basis[idx] == "total", out["total_tok_s_per_gpu"], out["output_tok_s_per_gpu"])
                thr[:, idx] = t
                usr[:, idx] = out["tok_s_per_user"]
            else:
                ex = (slice(None), slice(None), None, None)
                pts4 = {k: x[None, :, None, None] for k, x in pts.items()}
                G = SEARCH_LAYOUTS[None, None, :, None]
                B = BATCHES[None, None, None, :]
                out = simulate(arch, **pts4, G=G, B=B, **{k: x[ex] for k, x in fac.items()},
                               **{k: x[:, :, None, None] for k, x in shared.items()})
                ok = np.broadcast_to(out["fits"] & (G <= self.n_acc[idx][None, :, None, None]), out["output_tok_s_per_gpu"].shape)
                srv = self.server[idx][None, :, None, None]
                ok = ok & (~srv | ((out["tok_s_per_user"] >= SERVER_MIN_TOK_S_PER_USER) & (out["ttft_s"] <= SERVER_MAX_TTFT_S)))
                t = np.where(ok, out["output_tok_s_per_gpu"], 0.0)
                thr[:, idx] = np.maximum(t.reshape(K, len(idx), -1).max(axis=2), 1e-3)
        return thr, usr

    def residuals(self, th: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """(K, M) residual vectors: log errors of throughput, interactivity, and the priors."""
        thr, usr = self.predict(th)
        r1 = np.log(thr / self.meas_thr)
        has_u = ~np.isnan(self.meas_user)
        r2 = np.where(has_u, USER_WEIGHT * np.log(np.where(has_u, usr, 1.0) / np.where(has_u, self.meas_user, 1.0)), 0.0)
        if mask is not None:
            r1, r2 = r1 * mask, r2 * mask
        prior = (np.atleast_2d(th) - self.space.prior()) / PRIOR_SIGMA * 0.3
        return np.concatenate([r1, r2, prior], axis=1)


def _lm(pred: Predictor, th0: np.ndarray, mask=None, iters: int = 40, tol: float = 1e-6) -> np.ndarray:
    th = th0.copy()
    lam = 1e-2
    h = 1e-4
    eye = np.eye(len(th))
    r = pred.residuals(th[None, :], mask)[0]
    cost = float(r @ r)
    for _ in range(iters):
        batch = th[None, :] + h * eye
        J = (pred.residuals(batch, mask) - r[None, :]).T / h  # (M, n)
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
    factors: Factors
    rows: list[dict]
    summary: dict
    parameters: dict[str, float]


def fit(catalog: Catalog, *, loo: bool = True, loo_iters: int = 6) -> CalibrationReport:
    replays, hw = build_replays(catalog)
    if not replays:
        return CalibrationReport(Factors(), [], {"points": 0}, {})
    ecos = sorted({r.ecosystem for r in replays})
    space = ParamSpace(ecos)
    pred = Predictor(catalog, replays, hw, space)
    th0 = space.prior()
    before_thr, before_usr = pred.predict(th0[None, :])
    th = _lm(pred, th0)
    after_thr, after_usr = pred.predict(th[None, :])
    loo_thr = np.full(pred.n, np.nan)
    if loo:
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
    bands = {}
    for eco, s in summary["per_ecosystem"].items():
        bands[eco] = s["loo_p80_abs_error_pct"] if s["loo_p80_abs_error_pct"] is not None else s["p80_abs_error_pct"]
    allp = summary["all"]
    bands["*"] = max(60.0, 2 * (allp["loo_p80_abs_error_pct"] or allp["p80_abs_error_pct"]))
    pairs = {(r.ecosystem, r.point.precision) for r in replays}
    factors = replace(space.to_factors(th[None, :], pairs, bands), summary=summary["all"])
    params = dict(zip(space.names, [float(x) for x in th]))
    return CalibrationReport(factors, rows, summary, params)


def _stats(errors: list[float]) -> dict:
    a = np.abs(np.array([e for e in errors if e is not None], dtype=float))
    if a.size == 0:
        return {"n": 0, "median_abs_error_pct": None, "p80_abs_error_pct": None, "worst_abs_error_pct": None}
    return {"n": int(a.size), "median_abs_error_pct": float(np.median(a)),
            "p80_abs_error_pct": float(np.percentile(a, 80)), "worst_abs_error_pct": float(a.max())}


def _ratio_worst(rows, key) -> float | None:
    vals = [r[key] for r in rows if r[key] is not None]
    if not vals:
        return None
    ratios = [max(v / r["measured_tok_s_per_gpu"], r["measured_tok_s_per_gpu"] / v) for v, r in
              ((r[key], r) for r in rows if r[key] is not None)]
    return float(max(ratios))


def summarise(rows: list[dict]) -> dict:
    def block(rs):
        fit_s = _stats([r["error_pct"] for r in rs])
        loo_s = _stats([r["loo_error_pct"] for r in rs])
        roof = _stats([100.0 * (r["roofline_tok_s_per_gpu"] / r["measured_tok_s_per_gpu"] - 1) for r in rs])
        return {
            "points": len(rs),
            "roofline_median_abs_error_pct": roof["median_abs_error_pct"],
            "median_abs_error_pct": fit_s["median_abs_error_pct"],
            "p80_abs_error_pct": fit_s["p80_abs_error_pct"],
            "worst_abs_error_pct": fit_s["worst_abs_error_pct"],
            "loo_median_abs_error_pct": loo_s["median_abs_error_pct"],
            "loo_p80_abs_error_pct": loo_s["p80_abs_error_pct"],
            "loo_worst_abs_error_pct": loo_s["worst_abs_error_pct"],
            "loo_worst_ratio": _ratio_worst(rs, "loo_tok_s_per_gpu"),
            "loo_points_off_by_more_than_2x": sum(
                1 for r in rs if r["loo_tok_s_per_gpu"] is not None
                and max(r["loo_tok_s_per_gpu"] / r["measured_tok_s_per_gpu"], r["measured_tok_s_per_gpu"] / r["loo_tok_s_per_gpu"]) > 2
            ),
        }

    out = {"all": block(rows), "per_ecosystem": {}, "per_vendor": {}}
    for key, field_ in (("per_ecosystem", "ecosystem"), ("per_vendor", "accelerator")):
        groups: dict[str, list[dict]] = {}
        for r in rows:
            k = r[field_] if field_ == "ecosystem" else r[field_].split("_")[0]
            groups.setdefault(k, []).append(r)
        out[key] = {k: block(v) for k, v in sorted(groups.items())}
    return out
