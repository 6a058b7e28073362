"""Hostile inputs through the whole CLI: never exit 1, never a traceback, never a non-finite or negative figure.

Seeded (derandomized hypothesis over the generators of tests/fuzz/hostile.py), so a run
is repeatable; the whole file takes well under 60 s. `benchmarks/fuzz.py` runs a larger
set and reports slow inputs. A hang is caught by a generous per-run alarm (not a timing
assertion).
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import real_catalog_present
from tests.fuzz import hostile

pytestmark = pytest.mark.skipif(not real_catalog_present(), reason="needs the built-in catalog")

EXAMPLES_PER_KIND = {"workload": 40, "set": 40, "fleets": 30, "sweep": 30, "overlay": 12, "args": 30}
"""How many generated inputs each kind gets per run (182 in all)."""


def _settings(kind: str):
    return settings(
        max_examples=EXAMPLES_PER_KIND[kind], derandomize=True, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


def _run_kind(kind: str, rng: random.Random) -> None:
    with tempfile.TemporaryDirectory(prefix=f"fuzz-{kind}-") as folder:
        case = hostile.make_case(rng, Path(folder), kind)
        result = hostile.run(case.argv, timeout_s=120)
        wrong = hostile.check(result)
        last = (result.stderr.strip().splitlines() or [""])[-1][:500]
        shown = [a if len(a) < 200 else a[:80] + f"...({len(a)} chars)" for a in case.argv]
        assert not wrong, f"{kind} ({case.note}): {wrong}: {shown}\n{last}"


@_settings("workload")
@given(st.randoms(use_true_random=False))
def test_workload_files(rng):
    _run_kind("workload", rng)


@_settings("set")
@given(st.randoms(use_true_random=False))
def test_set_arguments(rng):
    _run_kind("set", rng)


@_settings("fleets")
@given(st.randoms(use_true_random=False))
def test_fleets_files(rng):
    _run_kind("fleets", rng)


@_settings("sweep")
@given(st.randoms(use_true_random=False))
def test_sweep_files(rng):
    _run_kind("sweep", rng)


@_settings("overlay")
@given(st.randoms(use_true_random=False))
def test_catalog_overlays(rng):
    _run_kind("overlay", rng)


@_settings("args")
@given(st.randoms(use_true_random=False))
def test_cli_arguments(rng):
    _run_kind("args", rng)


# --- the checker itself can fail -------------------------------------------------------------

def test_checker_flags_exit_1_tracebacks_and_non_finite_json():
    ok = hostile.Result(["recommend", "x", "--json"], 0, '{"usd_per_mtok": 1.5, "tok_s_per_gpu": 10}', "", 0.1)
    assert hostile.check(ok) == []
    assert hostile.check(hostile.Result(["x"], 1, "", "", 0.1)) == ["exit code 1"]
    assert "traceback on stderr" in hostile.check(hostile.Result(["x"], 2, "", "Traceback (most recent call last):\n", 0))
    nan = hostile.Result(["recommend", "--json"], 0, '{"usd_per_mtok": NaN}', "", 0.1)
    assert any("non-finite" in w for w in hostile.check(nan))
    negative = hostile.Result(["recommend", "--json"], 0, '{"options": [{"usd_per_mtok": -2.0}]}', "", 0.1)
    assert any("below 0" in w for w in hostile.check(negative))
    assert hostile.check(hostile.Result(["x"], -1, "", "", 0.1)) == ["hang"]


def test_generators_reach_the_engine():
    """Some generated inputs are valid, so the JSON checks above are exercised, not vacuous."""
    rng = random.Random(7)
    codes = []
    with tempfile.TemporaryDirectory() as folder:
        for i in range(12):
            sub = Path(folder) / str(i)
            sub.mkdir()
            case = hostile.make_case(rng, sub, "set")
            case.argv = [a for a in case.argv if a != "--set"][:3]  # the example itself, no overrides
            result = hostile.run(case.argv)
            assert hostile.check(result) == []
            codes.append(result.code)
    assert 0 in codes


# --- a few real processes ------------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda d: ["recommend", _write(d, "deep.toml", "x = " + hostile.deep(3000) + "\n")],
    lambda d: ["recommend", str(hostile.WORKLOADS[0]), "--set", "name.x=1"],
    lambda d: ["recommend", str(hostile.WORKLOADS[0]), "--catalog", "/" + "x" * 70_000],
    lambda d: ["recommend", _write(d, "big.toml", "isl = " + "9" * 5000 + "\n")],
], ids=["deep", "set-under-scalar", "long-path", "huge-int"])
def test_subprocess_exit_2_without_traceback(make, tmp_path, subprocess_env):
    argv = make(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "advisor", *argv], capture_output=True, text=True,
                          timeout=120, env=subprocess_env)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert len(proc.stderr) < 5000


def _write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text)
    return str(path)

