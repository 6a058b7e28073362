"""How fast is a headless `recommend`, and the Monte Carlo behind p_lowest_cost?

    python benchmarks/recommend.py [--workload examples/workloads/deepseek_v4_chat.toml] [--runs 7] [--no-bytecode]
                                   [--against OTHER_CHECKOUT]

Prints, each measured in this same run:
- the baseline: wall time of `python -c "import numpy, pydantic"` (the floor of any Python CLI on this stack);
- `python -m advisor recommend WORKLOAD --format json` run as a subprocess, the way a user runs it:
  - warm: the user cache (ADVISOR_CACHE_DIR) filled by an earlier run (catalog snapshot, fitted factors);
  - cold: an empty cache folder for every run (the catalog is validated and the calibration fit runs);
  each as a ratio to the baseline (goal: <= 1.5x warm);
- the Monte Carlo alone, on the exact inputs `engine.recommend` hands it for this workload with every
  option ranked (--keep-inefficient): confidence.draws + p_lowest for the default 4,000 draws x every
  option (goal: < 20 ms), and the whole uncertainty stage (plus score draws, score errors and ties); best of 20.

`--against DIR` also times another checkout of advisor (e.g. `git archive main | tar -x -C DIR`) in the same
rounds, with its own caches: a before/after comparison under the same load.

Fairness: the baseline and both recommend timings are interleaved (one of each per round, --runs rounds, medians),
so load from other processes hits all three alike. The goal is on wall time; the children's CPU time (user +
system) is printed beside it, as it moves less with the load of a shared machine. Python byte-code is cached in a temporary
PYTHONPYCACHEPREFIX, primed by an untimed run, as for an installed package (pip compiles .pyc files on install);
numpy and pydantic come precompiled in site-packages either way. `--no-bytecode` instead sets
PYTHONDONTWRITEBYTECODE=1, so every run compiles advisor's modules from source (what a source checkout
with that variable set pays).
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


def timed(cmd: list[str], env: dict[str, str], cwd: Path = ROOT) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child: user + system) of one run."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        child = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - t0
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode not in (0, 3):
            err.seek(0)
            raise SystemExit(f"{' '.join(cmd)} failed (exit {child.returncode}):\n{err.read().decode()[-2000:]}")
    return elapsed, usage.ru_utime + usage.ru_stime


def monte_carlo(workload: str) -> tuple[int, int, float, float]:
    """(draws, options, best ms of draws + p_lowest, best ms of the whole uncertainty stage) on the engine's own inputs."""
    from advisor import api
    from advisor.engine import confidence, ranking
    from advisor.engine import recommend as engine_recommend

    captured: dict[str, object] = {}
    real_draws = confidence.draws

    def spy(usd, parts, **kwargs):
        captured.update(usd=list(usd), parts=list(parts), kwargs=dict(kwargs))
        return real_draws(usd, parts, **kwargs)

    catalog, _ = api.load_catalog()
    engine_recommend.confidence.draws = spy  # type: ignore[assignment]
    try:
        rec = api.recommend(catalog, workload, keep_inefficient=True)  # every option the workload can rank
    finally:
        engine_recommend.confidence.draws = real_draws  # type: ignore[assignment]
    usd, parts, kwargs = captured["usd"], captured["parts"], captured["kwargs"]
    kwargs = {k: v for k, v in kwargs.items() if k != "client"}  # type: ignore[union-attr]
    scores = [o.score for o in rec.options]
    cost_terms = [o.score_terms.get("cost", 0.0) for o in rec.options]
    weight = api.load_workload(workload).weights.cost
    best_p = best_all = float("inf")
    for _ in range(20):
        t0 = time.perf_counter()
        samples = real_draws(usd, parts, **kwargs)  # type: ignore[arg-type]
        confidence.p_lowest(samples)
        t1 = time.perf_counter()
        score_samples = confidence.score_draws(samples, scores, cost_terms, weight)
        ranking.score_errors(score_samples)
        ranking.tied(score_samples)
        t2 = time.perf_counter()
        best_p, best_all = min(best_p, t1 - t0), min(best_all, t2 - t0)
    return int(kwargs.get("n_draws", confidence.DRAWS)), len(usd), best_p * 1e3, best_all * 1e3  # type: ignore[arg-type]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workload", default=str(ROOT / "examples" / "workloads" / "deepseek_v4_chat.toml"))
    ap.add_argument("--runs", type=int, default=7, help="interleaved rounds; medians are reported")
    ap.add_argument("--no-bytecode", action="store_true", help="PYTHONDONTWRITEBYTECODE=1: compile from source every run")
    ap.add_argument("--against", metavar="DIR", help="another advisor checkout, timed in the same rounds")
    args = ap.parse_args()

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    py = sys.executable
    base_cmd = [py, "-c", "import numpy, pydantic"]
    rec = [py, "-m", "advisor", "recommend", str(Path(args.workload).resolve()), "--format", "json"]
    roots = [ROOT] + ([Path(args.against).resolve()] if args.against else [])
    times: dict[tuple[int, str], list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        if args.no_bytecode:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        else:
            env["PYTHONPYCACHEPREFIX"] = str(tmp_path / "pycache")
        envs = [{**env, "PYTHONPATH": str(root) + os.pathsep + os.environ.get("PYTHONPATH", "")} for root in roots]
        warm_envs = [{**e, "ADVISOR_CACHE_DIR": str(tmp_path / f"warm{k}")} for k, e in enumerate(envs)]
        for k, root in enumerate(roots):
            timed(rec, warm_envs[k], root)  # fills the cache (and the byte-code cache)
            timed(rec, warm_envs[k], root)
        for i in range(args.runs):
            times.setdefault((0, "base"), []).append(timed(base_cmd, env))
            for k, root in enumerate(roots):
                times.setdefault((k, "warm"), []).append(timed(rec, warm_envs[k], root))
                cold_env = {**envs[k], "ADVISOR_CACHE_DIR": str(tmp_path / f"cold{k}-{i}")}
                times.setdefault((k, "cold"), []).append(timed(rec, cold_env, root))
    med = {key: (statistics.median(w for w, _ in t), statistics.median(c for _, c in t)) for key, t in times.items()}
    base, base_cpu = med[(0, "base")]

    draws, options, mc_p, mc_all = monte_carlo(args.workload)

    code = "no byte-code cache (PYTHONDONTWRITEBYTECODE=1)" if args.no_bytecode else "byte-code cached, as installed"
    print(f"{args.runs} interleaved rounds, medians; {code}")
    print(f"{'':48s} {'wall':>8s}   {'ratio':>5s}     {'CPU':>8s}   {'ratio':>5s}")
    print(f"baseline  python -c 'import numpy, pydantic'     {base * 1e3:8.0f} ms            {base_cpu * 1e3:8.0f} ms")
    for k, root in enumerate(roots):
        if len(roots) > 1:
            print(f"{'this checkout' if k == 0 else '--against'}: {root}")
        warm, warm_cpu = med[(k, "warm")]
        cold, cold_cpu = med[(k, "cold")]
        print(f"recommend warm cache                             {warm * 1e3:8.0f} ms {warm / base:5.2f}x     "
              f"{warm_cpu * 1e3:8.0f} ms {warm_cpu / base_cpu:5.2f}x   (goal <= 1.5x, wall)")
        print(f"recommend cold cache (validation + calibration)  {cold * 1e3:8.0f} ms {cold / base:5.2f}x     "
              f"{cold_cpu * 1e3:8.0f} ms {cold_cpu / base_cpu:5.2f}x")
    print(f"Monte Carlo {draws:,} draws x {options} options: draws + p_lowest {mc_p:6.1f} ms (goal < 20 ms); "
          f"with score draws and ties {mc_all:6.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
