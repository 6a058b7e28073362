"""The scripted examples run end to end and write their output atomically where told."""

from __future__ import annotations

import csv
import json
import subprocess

import pytest

from tests.conftest import PYTHON, ROOT, real_catalog_present

pytestmark = [pytest.mark.real_catalog,
              pytest.mark.skipif(not real_catalog_present(), reason="needs the built-in catalog")]


def run(script: str, out, env):
    return subprocess.run([PYTHON, str(ROOT / "examples" / script), str(out)], capture_output=True, text=True,
                          env=env, timeout=60, cwd=ROOT)


def test_compare_fleets_script(tmp_path, subprocess_env):
    out = tmp_path / "sub" / "comparison.json"
    p = run("compare_fleets.py", out, subprocess_env)
    assert p.returncode == 0, p.stderr
    assert "b300" in p.stdout and "usd_per_mtok" not in p.stderr
    assert json.loads(out.read_text())["kind"] == "fleet_comparison"


def test_sweep_power_price_script(tmp_path, subprocess_env):
    out = tmp_path / "sweep.csv"
    p = run("sweep_power_price.py", out, subprocess_env)
    assert p.returncode == 0, p.stderr
    assert "scenarios" in p.stdout
    rows = list(csv.DictReader(out.open()))
    assert rows and "usd_per_mtok" in rows[0]
