"""mypy over the whole package, with the configuration in pyproject.toml ([tool.mypy]), reports 0 errors."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is not installed (pip install -e '.[test]')")
def test_mypy_reports_no_errors():
    # mypy's incremental cache (.mypy_cache/, which ignores itself in git): ~30 s cold, seconds warm
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "advisor"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    report = (proc.stdout + proc.stderr).strip()
    assert proc.returncode == 0, f"mypy found errors:\n{report}"
    assert "Success: no issues found" in report, report
