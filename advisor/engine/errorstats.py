"""Error statistics of a calibration: per point rows -> medians, p80, worst, 2x counts (all, per ecosystem, per vendor)."""

from __future__ import annotations

from typing import Any

import numpy as np


def _stats(errors: list[float | None]) -> dict[str, Any]:
    a = np.abs(np.array([e for e in errors if e is not None], dtype=float))
    if a.size == 0:
        return {"n": 0, "median_abs_error_pct": None, "p80_abs_error_pct": None, "worst_abs_error_pct": None}
    return {"n": int(a.size), "median_abs_error_pct": float(np.median(a)),
            "p80_abs_error_pct": float(np.percentile(a, 80)), "worst_abs_error_pct": float(a.max())}


def _ratio_worst(rows: list[dict[str, Any]], key: str) -> float | None:
    vals = [r[key] for r in rows if r[key] is not None]
    if not vals:
        return None
    ratios = [max(v / r["measured_tok_s_per_gpu"], r["measured_tok_s_per_gpu"] / v) for v, r in
              ((r[key], r) for r in rows if r[key] is not None)]
    return float(max(ratios))


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Error statistics of all points, per ecosystem and per vendor."""

    def block(rs: list[dict[str, Any]]) -> dict[str, Any]:
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
        groups: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            k = r[field_] if field_ == "ecosystem" else r[field_].split("_")[0]
            groups.setdefault(k, []).append(r)
        out[key] = {k: block(v) for k, v in sorted(groups.items())}
    return out
