"""How fast is a headless `recommend`, and the Monte Carlo behind p_lowest_cost?

    python benchmarks/recommend.py [--workload examples/workloads/deepseek_v4_chat.toml] [--runs 3]

Prints, each measured in this same run:
- the baseline: wall time of `python -c "import numpy, pydantic"` (the floor of any Python CLI on this stack);
- `advisor recommend WORKLOAD --format json` wall time with a warm cache (the factors cache filled by a first run)
  and with a cold one (an empty ADVISOR_CACHE_DIR: the calibration fit runs), each as a ratio to the baseline
  (goal: <= 1.5x warm);
- the Monte Carlo alone: engine.confidence.draws + p_lowest for the default 4,000 draws x every option the
  workload ranks (goal: < 20 ms), best of several.
Subprocess timings are the median of --runs runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def wall(cmd: list[str], env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workload", default=str(ROOT / "examples" / "workloads" / "deepseek_v4_chat.toml"))
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    py = sys.executable
    base = wall([py, "-c", "import numpy, pydantic"], env, args.runs)
    rec = [py, "-m", "advisor", "recommend", args.workload, "--format", "json"]
    with tempfile.TemporaryDirectory() as cold_dir, tempfile.TemporaryDirectory() as warm_dir:
        cold_times = []
        for i in range(args.runs):
            d = Path(cold_dir) / str(i)
            d.mkdir()
            cold_times.append(wall(rec, {**env, "ADVISOR_CACHE_DIR": str(d)}, 1))
        cold = statistics.median(cold_times)
        warm_env = {**env, "ADVISOR_CACHE_DIR": warm_dir}
        wall(rec, warm_env, 1)  # fill the cache
        warm = wall(rec, warm_env, args.runs)

    from advisor import api
    from advisor.engine import confidence

    catalog, _ = api.load_catalog()
    r = api.recommend(catalog, args.workload, keep_inefficient=True)  # every option the workload can rank

    # Monte Carlo inputs of the same shape engine.recommend builds: one cost piece per class and option,
    # errors keyed by (accelerator, model), prices by (system, buy | rent)
    from advisor.api import context
    from advisor.api.calibration import factors

    wl = api.load_workload(args.workload)
    ctx = context.job_context(catalog, wl, factors(catalog))
    parts = []
    for o, opt in enumerate(r.options):
        for p in opt.classes:
            s = catalog.systems[p.system]
            acc = catalog.accelerator(s.accelerator)
            parts.append(confidence.Part(option=o, weight=1.0 / len(opt.classes), price_share=0.7 if opt.procurement == "buy" else 1.0,
                                         accelerator=acc.id, model=p.point.model, ecosystem=acc.ecosystem,
                                         band_pct=p.point.error_band_pct, price_key=(s.id, opt.procurement)))
    usd = [o.usd_per_mtok for o in r.options]
    best = float("inf")
    for _ in range(20):
        t0 = time.perf_counter()
        confidence.p_lowest(confidence.draws(usd, parts, utilisation=ctx.fin.utilisation))
        best = min(best, time.perf_counter() - t0)

    print(f"baseline  python -c 'import numpy, pydantic'   {base * 1e3:8.0f} ms")
    print(f"recommend warm cache                            {warm * 1e3:8.0f} ms   {warm / base:5.2f}x baseline (goal <= 1.5x)")
    print(f"recommend cold cache (calibration fit)          {cold * 1e3:8.0f} ms   {cold / base:5.2f}x baseline")
    print(f"Monte Carlo {confidence.DRAWS:,} draws x {len(usd)} options             {best * 1e3:8.1f} ms   (goal < 20 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
