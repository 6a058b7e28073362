"""What a warm headless `recommend` imports: not the catalog validation pipeline, not the fit, not other commands.

Start-up time is measured by benchmarks/recommend.py; this guards the import graph that keeps it
short, which a test can check exactly (which modules a run loads), unlike a timing.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT, real_catalog_present

PROBE = """
import contextlib, io, json, sys
from advisor.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(m for m in sys.modules if m.startswith("advisor"))}))
"""

NOT_ON_A_WARM_RUN = [
    "advisor.catalog.pipeline", "advisor.catalog.validate", "advisor.catalog.merge", "advisor.catalog.lint",
    "advisor.catalog.references", "advisor.catalog.remote",  # a snapshot hit validates nothing
    "advisor.engine.calibration", "advisor.engine.crossval",  # cached factors: no fit
    "advisor.domain.fleet", "advisor.domain.results_fleet",  # recommend reads no fleets or sweeps
    "advisor.cli.catalog_cmd", "advisor.cli.engine_cmd", "advisor.cli.fleet_cmd", "advisor.cli.model_cmd",
    "advisor.cli.tui_cmd", "advisor.tui",
]


def _run(env, *argv: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.real_catalog
@pytest.mark.skipif(not real_catalog_present(), reason="needs the built-in catalog")
def test_a_warm_recommend_imports_only_what_it_uses(subprocess_env):
    # the test run's one cache (tests/conftest.py): the first run fills it if no test has yet
    argv = ("recommend", str(ROOT / "examples" / "workloads" / "deepseek_v4_chat.toml"), "--format", "json")
    assert _run(subprocess_env, *argv)["code"] == 0
    warm = _run(subprocess_env, *argv)
    assert warm["code"] == 0
    assert [m for m in NOT_ON_A_WARM_RUN if m in warm["modules"]] == []
    assert "advisor.cli.recommend_cmd" in warm["modules"] and "advisor.catalog.snapshot" in warm["modules"]
