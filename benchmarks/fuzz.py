"""Run a larger generated set of hostile inputs through the CLI; report failures and slow inputs.

    PYTHONPATH=$PWD python benchmarks/fuzz.py [--per-kind N] [--seed S] [--slow-s SECONDS]

Uses the generators of tests/fuzz/hostile.py (the fuzz test suite runs a smaller set).
Prints how many inputs it tried, how many failed (exit code not 0/2/3, a traceback,
a non-finite or negative figure, a hang) and the slowest inputs. Exit 1 if any failed.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fuzz import hostile  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-kind", type=int, default=100, help="inputs per kind (default 100)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--slow-s", type=float, default=2.0, help="report inputs slower than this (default 2 s)")
    parser.add_argument("--kinds", default=",".join(hostile.MAKERS), help="comma-separated kinds")
    parser.add_argument("--scale", action="store_true", help="also time validation of 2,000 and 20,000 bad tables")
    args = parser.parse_args()
    if args.scale:
        scale()

    tmp = Path(tempfile.mkdtemp(prefix="advisor-fuzz-"))
    os.environ.setdefault("ADVISOR_CACHE_DIR", str(tmp / "cache"))
    os.environ.setdefault("ADVISOR_CONFIG_DIR", str(tmp / "config"))
    os.environ.setdefault("ADVISOR_DATA_DIR", str(tmp / "data"))
    os.environ.setdefault("ADVISOR_TODAY", "2026-06-01")
    rng = random.Random(args.seed)
    tried, failed, codes, slow = 0, [], Counter(), []
    started = time.perf_counter()
    for kind in args.kinds.split(","):
        for i in range(args.per_kind):
            folder = tmp / f"{kind}-{i}"
            folder.mkdir()
            case = hostile.make_case(rng, folder, kind)
            result = hostile.run(case.argv)
            tried += 1
            codes[(kind, result.code)] += 1
            wrong = hostile.check(result)
            if wrong:
                failed.append((case, result, wrong))
            if result.seconds > args.slow_s:
                slow.append((result.seconds, case))
    total = time.perf_counter() - started
    print(f"tried {tried} inputs in {total:.1f} s ({tried / total:.1f}/s); {len(failed)} failed")
    print("exit codes by kind: " + ", ".join(f"{k}:{c}={n}" for (k, c), n in sorted(codes.items())))
    for case, result, wrong in failed:
        argv = " ".join(a if len(a) < 100 else a[:60] + f"...({len(a)} chars)" for a in case.argv)
        last = (result.stderr.strip().splitlines() or [""])[-1][:300]
        print(f"FAIL [{case.kind} {case.note}] {'; '.join(wrong)}: {argv}\n    {last}")
    for seconds, case in sorted(slow, key=lambda s: -s[0])[:20]:
        argv = " ".join(a if len(a) < 100 else a[:60] + f"...({len(a)} chars)" for a in case.argv)
        print(f"SLOW {seconds:.1f} s [{case.kind}]: {argv}")
    return 1 if failed else 0


def scale() -> None:
    """Validation must be linear in the number of unknown tables and bad entries (it was quadratic)."""
    from advisor.catalog.validate import validate_text

    for what, make in (
        ("unknown tables", lambda i: f"[[tbl{i}]]\nx = 1\n"),
        ("bad systems", lambda i: f'[[system]]\nid = "s{i}"\nname = "x"\nsystem_kw = "bad"\n'),
    ):
        times = []
        for n in (2_000, 20_000):
            text = "".join(make(i) for i in range(n))
            started = time.perf_counter()
            validate_text(text, "scale.toml")
            times.append(time.perf_counter() - started)
            print(f"validate {n:>6,} {what}: {times[-1]:.2f} s ({len(text) / 1e6:.2f} MB)")
        print(f"  20,000 / 2,000 time ratio: {times[1] / times[0]:.1f} (10 = linear)")


if __name__ == "__main__":
    sys.exit(main())
