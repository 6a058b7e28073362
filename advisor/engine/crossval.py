"""Grouped cross-validation: how far off a figure is for a model, a chip or a length the fit never saw.

Three ways to hold data out, each refitting without the group (warm-started from the full fit) and
predicting it at each held-out point's own setup:
- leave one model out: every point of one model (the buyer's "a model released last week");
- leave one accelerator out: every point of one chip ("a chip with little data");
- leave one length out: every point at one ISL/OSL ("8K prompts when the data was 1K").
A fourth, leave one ecosystem out, predicts a whole ecosystem with the no-data factors (Factors.pooled,
the catalog's maturity curve): the band of a chip whose ecosystem has no data at all.

Each held-out prediction falls in a band class (factors.BAND_*) by what the fit still had for it: this chip
and this model at other lengths; this chip, other models; sibling chips of its ecosystem; nothing in its
ecosystem. A class's band is the BAND_QUANTILE of the absolute errors of its held-out predictions, so the
band a figure carries is what that kind of prediction has achieved when the answer was known.

`grouped_cv(catalog)` returns the JSON shape `advisor calibrate --cv grouped --json` prints; `run` the whole
result (rows, class bands, per-group tables); `cache_key(catalog)` what it depends on (code and catalog).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from advisor.domain import Catalog
from advisor.engine.calibration import Predictor, _lm, setup
from advisor.engine.factors import BAND_CHIP, BAND_CHIP_MODEL, BAND_NO_DATA, BAND_SIBLING, DEFAULT_BANDS
from advisor.engine.types import FloatArray

BAND_QUANTILE = 82.0  # percent of held-out predictions a class's band covers
NO_DATA_MIN_BAND_PCT = 60.0  # an ecosystem without data never carries a narrower band than this
CV_ITERS = 12  # Levenberg-Marquardt iterations of a group refit (warm-started from the full fit)
SCHEMES = ("leave_one_model_out", "leave_one_accelerator_out", "leave_one_length_out")


@dataclass
class CVRow:
    """One held-out prediction."""

    id: str
    scheme: str
    group: str
    band_class: str
    accelerator: str
    model: str
    measured_tok_s_per_gpu: float
    predicted_tok_s_per_gpu: float
    measured_tok_s_per_user: float | None
    predicted_tok_s_per_user: float | None

    @property
    def error_pct(self) -> float:
        return 100.0 * (self.predicted_tok_s_per_gpu / self.measured_tok_s_per_gpu - 1.0)

    @property
    def ratio(self) -> float:
        r = self.predicted_tok_s_per_gpu / self.measured_tok_s_per_gpu
        return float(max(r, 1.0 / r)) if r > 0 else float("inf")


@dataclass
class GroupedCV:
    """Every held-out prediction, the class bands they give, and the fitted parameter table."""

    rows: list[CVRow]
    bands: dict[str, float]
    parameters: list[dict[str, Any]]
    points: int
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self, scheme: str) -> dict[str, Any]:
        return _block([r for r in self.rows if r.scheme == scheme], self.bands)

    def per_group(self, scheme: str) -> dict[str, dict[str, Any]]:
        groups: dict[str, list[CVRow]] = {}
        for r in self.rows:
            if r.scheme == scheme:
                groups.setdefault(r.group, []).append(r)
        return {g: _block(rs, self.bands) for g, rs in sorted(groups.items())}

    def as_json(self) -> dict[str, Any]:
        """{"summary": {"cross_validation": {scheme: {...}}}, "parameters": [...]} (errors on tok/s/GPU, shares 0-1)."""
        return {"summary": {"cross_validation": {s: self.summary(s) for s in SCHEMES}},
                "parameters": [{k: row[k] for k in ("name", "value", "lower", "upper", "unit", "meaning")}
                               for row in self.parameters]}


def _block(rows: list[CVRow], bands: dict[str, float]) -> dict[str, Any]:
    if not rows:
        return {"median_abs_error_pct": None, "median_abs_error_pct_tok_s_per_user": None, "within_2x_share": None,
                "band_coverage_share": None, "points": 0}
    err = np.abs([r.error_pct for r in rows])
    usr = [abs(100.0 * (r.predicted_tok_s_per_user / r.measured_tok_s_per_user - 1.0)) for r in rows
           if r.measured_tok_s_per_user and r.predicted_tok_s_per_user is not None and np.isfinite(r.predicted_tok_s_per_user)]
    covered = [abs(r.error_pct) <= bands[r.band_class] for r in rows]
    return {
        "median_abs_error_pct": round(float(np.median(err)), 2),
        "median_abs_error_pct_tok_s_per_user": round(float(np.median(usr)), 2) if usr else None,
        "within_2x_share": round(float(np.mean([r.ratio <= 2.0 for r in rows])), 4),
        "band_coverage_share": round(float(np.mean(covered)), 4),
        "points": len(rows),
    }


def _held_out(pred: Predictor, th_full: FloatArray, hold: np.ndarray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Refit without the `hold` points; (fit-space vector, tok/s/GPU, tok/s/user) at every point."""
    mask = (~hold).astype(float)
    th = _lm(pred, th_full, mask, iters=CV_ITERS)
    thr, usr = pred.predict(th[None, :])
    return th, thr[0], usr[0]


def _no_data_vector(pred: Predictor, th: FloatArray, eco: str) -> FloatArray:
    """th with `eco`'s parameters set as for an ecosystem without data (Factors.pooled: the least favourable
    fitted value of the others; the catalog's maturity curve; no chip offsets)."""
    sp = pred.space
    out = th.copy()
    others = [e for e in sp.ecosystems if e != eco]
    for key, worst in (("bw_eff", min), ("fl_eff", min), ("attn_eff", min), ("t_layer_s", max)):
        if others:
            out[sp.index(f"{eco}.{key}")] = worst(th[sp.index(f"{e}.{key}")] for e in others)
    for key in ("day0_fraction", "maturity_tau_days"):
        j = sp.index(f"{eco}.{key}")
        out[j] = sp.params[j].to_fit(sp.params[j].prior)
    for i, a in enumerate(sp.accelerators):
        if sp.ecosystems[sp.acc_eco[i]] == eco:
            for key in ("bw_eff_offset", "fl_eff_offset", "t_layer_s_offset"):
                out[sp.index(f"{a}.{key}")] = 0.0
    return out


def run(catalog: Catalog) -> GroupedCV:
    """Leave one model / accelerator / length / ecosystem out, each refitted; the class bands they give."""
    made = setup(catalog)
    if made is None:
        return GroupedCV([], dict(DEFAULT_BANDS), [], 0)
    pred, th_full = made
    reps = pred.replays
    model = np.array(pred.model_ids)
    acc = np.array([r.point.accelerator for r in reps])
    eco = np.array([r.ecosystem for r in reps])
    length = np.array([f"{r.point.isl}/{r.point.osl}" for r in reps])
    rows: list[CVRow] = []

    def add(scheme: str, group: str, hold: np.ndarray, thr: FloatArray, usr: FloatArray) -> None:
        kept = ~hold
        chip_model = {(a, m) for a, m in zip(acc[kept], model[kept])}
        chips = set(acc[kept])
        ecos = set(eco[kept])
        for i in np.flatnonzero(hold):
            if (acc[i], model[i]) in chip_model:
                cls = BAND_CHIP_MODEL
            elif acc[i] in chips:
                cls = BAND_CHIP
            elif eco[i] in ecos:
                cls = BAND_SIBLING
            else:
                cls = BAND_NO_DATA
            mu = pred.meas_user[i]
            rows.append(CVRow(
                id=reps[i].point.id, scheme=scheme, group=group, band_class=cls, accelerator=str(acc[i]),
                model=str(model[i]), measured_tok_s_per_gpu=float(pred.meas_thr[i]), predicted_tok_s_per_gpu=float(thr[i]),
                measured_tok_s_per_user=None if np.isnan(mu) else float(mu),
                predicted_tok_s_per_user=None if np.isnan(mu) else float(usr[i]),
            ))

    for scheme, keys in (("leave_one_model_out", model), ("leave_one_accelerator_out", acc), ("leave_one_length_out", length)):
        for g in sorted(set(keys)):
            hold = keys == g
            if hold.all():
                continue
            _, thr, usr = _held_out(pred, th_full, hold)
            add(scheme, str(g), hold, thr, usr)
    for e in sorted(set(eco)):
        hold = eco == e
        if hold.all():
            continue
        th, _, _ = _held_out(pred, th_full, hold)
        thr, usr = pred.predict(_no_data_vector(pred, th, e)[None, :])
        add("leave_one_ecosystem_out", e, hold, thr[0], usr[0])
    bands = class_bands(rows)
    return GroupedCV(rows, bands, pred.space.rows(th_full[None, :]), pred.n)


def class_bands(rows: list[CVRow]) -> dict[str, float]:
    """Band per class: the BAND_QUANTILE of its held-out absolute errors (a class without rows keeps the default,
    never narrower than the class before it; no data never below NO_DATA_MIN_BAND_PCT)."""
    out: dict[str, float] = {}
    prev = 0.0
    for cls in (BAND_CHIP_MODEL, BAND_CHIP, BAND_SIBLING, BAND_NO_DATA):
        errs = [abs(r.error_pct) for r in rows if r.band_class == cls]
        band = float(np.percentile(errs, BAND_QUANTILE)) if len(errs) >= 5 else DEFAULT_BANDS[cls]
        if cls == BAND_NO_DATA:
            band = max(band, NO_DATA_MIN_BAND_PCT)
        band = max(band, prev)  # less data never earns a narrower band
        out[cls] = round(band, 1)
        prev = band
    return out


def grouped_cv(catalog: Catalog) -> dict[str, Any]:
    """The JSON of `advisor calibrate --cv grouped --json` (see GroupedCV.as_json), plus nothing else."""
    return run(catalog).as_json()


def cache_key(catalog: Catalog) -> str:
    """What a grouped CV (and the bands every command uses) depends on: engine and domain code, catalog content."""
    from advisor.cachekeys import code_fingerprint

    h = hashlib.sha256(code_fingerprint("engine", "domain").encode())
    for kind in sorted(catalog.entries):
        for ident in sorted(catalog.entries[kind]):
            entry = catalog.entries[kind][ident]
            dump = entry.model_dump(mode="json") if hasattr(entry, "model_dump") else repr(entry)
            h.update(json.dumps([kind, ident, dump], sort_keys=True, default=str).encode())
    return h.hexdigest()[:24]
