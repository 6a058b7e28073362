"""How accurate is the engine? Fits the built-in catalog's measured points and prints the error summary.

    python benchmarks/calibration.py [--no-loo] [--no-cv] [--catalog PATH ...]

Fit, then leave-one-out (each point predicted from the fit without it: one Gauss-Newton step, ~10 s on
the built-in catalog), then grouped cross-validation (engine/crossval.py: leave one model, accelerator,
length, ecosystem out; ~2 minutes), with the targets and a per-group table.
Errors are |predicted / measured - 1| of tok/s/GPU on each point's own basis.
Does not write the calibration cache (calls the engine directly, not api.calibrate).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-loo", action="store_true", help="no leave-one-out")
    ap.add_argument("--no-cv", action="store_true", help="no grouped cross-validation")
    ap.add_argument("--catalog", action="append", default=[], help="overlay catalog file or folder")
    ap.add_argument("--worst", type=int, default=8, help="list this many worst leave-one-out points")
    args = ap.parse_args()

    from advisor import api
    from advisor.engine import calibration
    from advisor.report.engine import SUMMARY_COLUMNS, summary_rows, summary_with_fit_2x
    from advisor.report.format import number as fmt
    from advisor.report.table import render_table

    catalog, _ = api.load_catalog(args.catalog)
    used, excluded = calibration.usable_points(catalog)
    t0 = time.perf_counter()
    fit_only = calibration.fit(catalog, loo=False)
    t_fit = time.perf_counter() - t0
    report = fit_only
    t_loo = None
    if not args.no_loo:
        print(f"leave-one-out over {len(used)} points...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        report = calibration.fit(catalog, loo=True)
        t_loo = time.perf_counter() - t0 - t_fit

    summary = summary_with_fit_2x(report)
    print(f"calibration benchmark: {len(used)} measured points fitted, {len(excluded)} left out; "
          f"fit {t_fit:.2f} s" + (f", leave-one-out {t_loo:.1f} s" if t_loo is not None else " (no LOO)"))
    print(render_table([h for h, _ in SUMMARY_COLUMNS], summary_rows(summary), title="absolute error of tok/s/GPU, percent",
                       numeric=[False] + [True] * (len(SUMMARY_COLUMNS) - 1), tty=False))
    a = summary["all"]
    if a.get("loo_worst_ratio"):
        print(f"LOO p80 {fmt(a['loo_p80_abs_error_pct'])}%, worst ratio {a['loo_worst_ratio']:.2f}x; "
              f"error bands used for estimates (LOO p80 per ecosystem): "
              + ", ".join(f"{k} ±{v:.1f}%" for k, v in sorted(report.factors.error_band_pct.items())))
    if t_loo is not None and args.worst:
        worst = sorted((r for r in report.rows if r["loo_error_pct"] is not None),
                       key=lambda r: -abs(r["loo_error_pct"]))[: args.worst]
        print(render_table(
            ["id", "accelerator", "model", "precision", "isl/osl", "measured_tok_s_per_gpu", "loo_tok_s_per_gpu",
             "loo_error_pct"],
            [[r["id"], r["accelerator"], r["model"], r["precision"], f"{r['isl']}/{r['osl']}",
              fmt(r["measured_tok_s_per_gpu"]), fmt(r["loo_tok_s_per_gpu"]), f"{r['loo_error_pct']:+.1f}"] for r in worst],
            title=f"worst {len(worst)} leave-one-out points", tty=False,
            numeric=[False] * 5 + [True] * 3,
        ))
    table = report.parameter_table  # name, value, bounds, unit, meaning (engine/params.py)
    print(render_table(["parameter", "value", "lower", "upper", "unit", "meaning"],
                       [[r["name"], f"{r['value']:.4g}", f"{r['lower']:g}", f"{r['upper']:g}", r["unit"], r["meaning"]]
                        for r in table],
                       title="fitted parameters", numeric=[False, True, True, True, False, False], tty=False))
    if not args.no_cv:
        print_grouped_cv(catalog)
    return 0


TARGETS = {"leave_one_model_out": (20.0, 0.90), "leave_one_accelerator_out": (25.0, None), "leave_one_length_out": (None, None)}


def print_grouped_cv(catalog) -> None:
    from advisor.report.format import number as fmt
    from advisor.engine import crossval
    from advisor.report.table import render_table

    print("grouped cross-validation...", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    cv = crossval.run(catalog)
    dt = time.perf_counter() - t0
    cols = ["scheme", "points", "median_abs_error_pct", "median_abs_error_pct_tok_s_per_user", "within_2x_share",
            "band_coverage_share", "target"]
    rows = []
    for scheme in crossval.SCHEMES + ("leave_one_ecosystem_out",):
        b = cv.summary(scheme)
        med_t, share_t = TARGETS.get(scheme, (None, None))
        notes = []
        if med_t is not None:
            gap = b["median_abs_error_pct"] - med_t
            notes.append(f"median <= {med_t:g}%: " + ("met" if gap <= 0 else f"missed by {gap:.1f} pts"))
        if share_t is not None:
            gap = share_t - b["within_2x_share"]
            notes.append(f"2x >= {share_t:.0%}: " + ("met" if gap <= 0 else f"missed by {100 * gap:.1f} pts"))
        cov = b["band_coverage_share"]
        notes.append("coverage 75-90%: " + ("met" if cov is not None and 0.75 <= cov <= 0.90 else "missed"))
        rows.append([scheme, b["points"], fmt(b["median_abs_error_pct"]), fmt(b["median_abs_error_pct_tok_s_per_user"]),
                     fmt(b["within_2x_share"]), fmt(b["band_coverage_share"]), "; ".join(notes)])
    print(render_table(cols, rows, title=f"grouped cross-validation over {cv.points} points ({dt:.0f} s)",
                       numeric=[False, True, True, True, True, True, False], tty=False))
    print("error bands by what backs a figure (percent, the "
          f"{crossval.BAND_QUANTILE:g}th percentile of held-out |error|): "
          + ", ".join(f"{k} ±{v:g}%" for k, v in cv.bands.items()))
    grows = []
    for scheme in crossval.SCHEMES + ("leave_one_ecosystem_out",):
        for g, b in cv.per_group(scheme).items():
            grows.append([scheme, g, b["points"], fmt(b["median_abs_error_pct"]),
                          fmt(b["median_abs_error_pct_tok_s_per_user"]), fmt(b["within_2x_share"]),
                          fmt(b["band_coverage_share"])])
    print(render_table(["scheme", "held-out group"] + cols[1:6], grows, title="per held-out group",
                       numeric=[False, False, True, True, True, True, True], tty=False))


if __name__ == "__main__":
    raise SystemExit(main())
