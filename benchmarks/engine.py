"""How fast is the throughput engine? Prints grid points per second and the time for full-catalog fronts.

    python benchmarks/engine.py [--model deepseek_v3] [--isl 1024] [--osl 1024] [--repeat 20]

1. api.frontier over every system in the catalog: grid points / wall time (grid + front + pricing).
2. evaluate_grid alone on the same grid (numpy broadcasting over systems x layouts (TP and EP) x precisions x MTP x batch).
3. The same cells computed by a plain Python loop calling simulate() with scalars, on a subset of
   systems, checked against the grid's values, and the speed ratio.
4. Full-catalog fronts of one model right after import: first call, then the median of repeats,
   with the grid/pricing split. Target (issue 11): < 100 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def timed(fn, repeat: int) -> tuple[float, object]:
    """(median seconds per call, last result)."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="deepseek_v3")
    ap.add_argument("--isl", type=int, default=1024)
    ap.add_argument("--osl", type=int, default=1024)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--scalar-systems", type=int, default=2, help="systems in the scalar-loop subset")
    args = ap.parse_args()

    t0 = time.perf_counter()
    from advisor import api

    t_import = time.perf_counter() - t0
    import numpy as np

    from advisor.engine import arch as arch_mod
    from advisor.engine import select
    from advisor.engine.build import days_since, grid_for
    from advisor.engine.grid import BATCHES, SPEC, GridSetup, evaluate_grid, step_factors
    from advisor.engine.hardware import hw_arrays
    from advisor.engine.precision import N_PRECISIONS
    from advisor.engine.throughput import ServingPoint, StepFactors, simulate

    t0 = time.perf_counter()
    catalog, _ = api.load_catalog()
    t_catalog = time.perf_counter() - t0
    t0 = time.perf_counter()
    fac = api.factors(catalog)
    t_factors = time.perf_counter() - t0
    model = catalog.model(args.model)
    systems = list(catalog.systems.values())
    kw = dict(systems=[], model=model.id, isl=args.isl, osl=args.osl)

    print(f"advisor engine benchmark: {model.id} {args.isl}/{args.osl}, {len(systems)} systems, numpy {np.__version__}")
    print(f"  import advisor.api {t_import * 1e3:.0f} ms, load catalog {t_catalog * 1e3:.0f} ms, "
          f"factors {t_factors * 1e3:.0f} ms (cached fit, or a fit without LOO on first use)")

    # 4 (first call, before anything else warms numpy paths for this grid)
    t0 = time.perf_counter()
    first = api.frontier(catalog, **kw)
    t_first = time.perf_counter() - t0

    # 1. api.frontier
    t_front, res = timed(lambda: api.frontier(catalog, **kw), args.repeat)
    n = res["grid_points"]
    n_front = sum(len(p) for p in res["fronts"].values())
    print("\n1. api.frontier (grid + Pareto front + a priced OperatingPoint per front point)")
    print(f"   {n:,} grid points, {n_front} front points: {t_front * 1e3:.1f} ms median "
          f"-> {n / t_front:,.0f} grid points/s")

    # 2. evaluate_grid alone
    a = arch_mod.coeffs(model)
    hw = hw_arrays(catalog, systems)
    days = days_since(model.release_date)
    wl = GridSetup(isl=args.isl, osl=args.osl, days_since_release=days)
    t_grid, grid = timed(lambda: evaluate_grid(a, hw, wl, fac, kv_reserve=catalog.defaults.kv_reserve_fraction,
                                                reserve_gb=catalog.defaults.runtime_reserve_gb),
                         args.repeat)
    t_sel, _ = timed(lambda: [select.front(grid, i) for i in range(len(systems))], args.repeat)
    print("\n2. evaluate_grid (numpy broadcasting, all systems at once)")
    print(f"   shape {grid.shape} = {grid.size:,} points: {t_grid * 1e3:.2f} ms median "
          f"-> {grid.size / t_grid:,.0f} grid points/s; Pareto fronts of all systems {t_sel * 1e3:.2f} ms")

    # 3. scalar Python loop on a subset, same cells, checked against the grid
    k = max(1, min(args.scalar_systems, len(systems)))
    f = np.asarray
    cells, worst = 0, 0.0
    tps = grid.metrics["total_tok_s_per_gpu"]
    t0 = time.perf_counter()
    for s in range(k):
        for p in range(N_PRECISIONS):
            # the same factors and hardware as the grid, as 0-d arrays (one system, one precision)
            sf = step_factors(fac, hw, wl, (len(hw),), np.array(p))
            fs = StepFactors(**{name: f(x[s]) if x.ndim else x for name, x in vars(sf).items()})
            hv = hw.at(np.array(s), np.array(p))
            for gi, G in enumerate(grid.layouts):
                ep = 1.0 if grid.layout_kinds[gi] == "ep" else 0.0
                for mi, m in enumerate(SPEC):
                    for bi, B in enumerate(BATCHES):
                        pt = ServingPoint(gpus=f(float(G)), prec=f(p), spec=f(float(m)), batch=f(float(B)),
                                          isl=f(float(args.isl)), osl=f(float(args.osl)),
                                          kv_reserve=catalog.defaults.kv_reserve_fraction,
                                          reserve_gb=catalog.defaults.runtime_reserve_gb, ep=f(ep))
                        out = simulate(a, hv, fs, pt)
                        v, ref = float(out.total_tok_s_per_gpu), float(tps[s, gi, p, mi, bi])
                        if np.isfinite(ref) and ref > 0:
                            worst = max(worst, abs(v / ref - 1))
                        cells += 1
    t_scalar = time.perf_counter() - t0
    scalar_rate = cells / t_scalar
    print(f"\n3. scalar Python loop (simulate() per cell with Python floats), first {k} systems")
    print(f"   {cells:,} points: {t_scalar * 1e3:.0f} ms -> {scalar_rate:,.0f} grid points/s; "
          f"largest relative difference from the grid {worst:.1e}")
    print(f"   numpy grid / scalar loop: {grid.size / t_grid / scalar_rate:,.0f}x faster "
          f"(api.frontier incl. pricing: {n / t_front / scalar_rate:,.0f}x)")

    # 4. fronts after import: the grid as api.frontier evaluates it (serving auto: both modes per cell), the fronts,
    # and the pricing pass alone (select.columns + points.operating_points per system, as api.frontier runs it)
    from advisor.api.estimates import _price_points

    t_grid_for, front_grid = timed(lambda: grid_for(catalog, systems, model, api.factors(catalog), isl=args.isl,
                                                    osl=args.osl, serving="auto"), args.repeat)
    g_auto, g_days = front_grid
    flats = [select.front(g_auto, i) for i in range(len(systems))]
    t_price, _ = timed(lambda: [_price_points(catalog, s, model, select.columns(g_auto, i, flats[i]), args.isl, args.osl,
                                              g_auto, g_days) for i, s in enumerate(systems) if flats[i]], args.repeat)
    target = 100.0  # issue 11
    print(f"\n4. full-catalog fronts of {model.id} ({len(systems)} systems) after import")
    print(f"   first call {t_first * 1e3:.1f} ms, median of {args.repeat} {t_front * 1e3:.1f} ms "
          f"(target < {target:.0f} ms: {'met' if t_front * 1e3 < target else 'NOT met'})")
    print(f"   of which grid (hardware arrays + factors + evaluate_grid, serving auto) {t_grid_for * 1e3:.1f} ms, "
          f"fronts {t_sel * 1e3:.1f} ms, pricing {len(first['fronts'])} systems' "
          f"{n_front} front points as OperatingPoints {t_price * 1e3:.1f} ms (measured alone)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
