"""Scenarios per second of a 10,000-scenario sweep over the full catalog.

    python benchmarks/sweep.py [--workers N] [--csv]

Axes: 10 days_since_release (grid-changing: 10 grid evaluations) x 10 usd_per_kwh x
10 utilisation x 10 concurrent_users, over every system x buy/rent in the catalog for
DeepSeek V4 Pro 8K/1K. Prints the time of api.sweep() and, with --csv, of rendering the
full CSV (one row per scenario x option).
"""

from __future__ import annotations

import argparse
import os
import time

from advisor import api

SWEEP = {
    "name": "benchmark",
    "workload": {
        "classes": [{"name": "chat", "model": "deepseek_v4_pro", "isl": 8192, "osl": 1024, "min_tok_s_per_user": 10}],
        "demand": {"concurrent_users": 4000},
        "datacenter": {"region": "global"},
    },
    "axes": [
        {"name": "days_since_release", "values": [0, 3, 7, 14, 21, 30, 45, 60, 90, 180]},
        {"name": "usd_per_kwh", "start": 0.03, "stop": 0.30, "steps": 10},
        {"name": "utilisation", "start": 0.3, "stop": 0.9, "steps": 10},
        {"name": "concurrent_users", "start": 500, "stop": 20000, "steps": 10},
    ],
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--csv", action="store_true", help="also time the CSV rendering of every row")
    args = ap.parse_args()
    catalog, _ = api.load_catalog()
    fac = api.factors(catalog)
    sw = api.loading.as_sweep(SWEEP)
    api.sweep(catalog, sw, fac=fac, workers=args.workers)  # warm-up (imports, caches)
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        res = api.sweep(catalog, sw, fac=fac, workers=args.workers)
        best = min(best, time.perf_counter() - t)
    print(f"cores: {os.cpu_count()}, scenarios: {res.n_scenarios}, options: {len(res.options)}, rows: {len(res)}, "
          f"grid evaluations: {res.grid_evaluations}")
    print(f"sweep: {best:.3f} s = {res.n_scenarios / best:,.0f} scenarios/s (best of 3)")
    if args.csv:
        from advisor.report.fleet import sweep_csv

        t = time.perf_counter()
        text = sweep_csv(res)
        dt = time.perf_counter() - t
        print(f"csv: {dt:.3f} s for {len(text) / 1e6:.1f} MB ({len(res) / dt:,.0f} rows/s)")
    for line in res.summary[:5]:
        print(line)


if __name__ == "__main__":
    main()
