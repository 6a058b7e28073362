"""Shared fixtures. Keep small: fixture catalogs live in tests/data/."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
MINI = DATA / "mini"
BAD = DATA / "bad"
REAL_CATALOG = ROOT / "catalog"


def pytest_configure(config):
    # One cache, config and data dir per test run: tests never touch the user's real ones, and the
    # calibration fit made by the first test that needs it serves every later test (and subprocess).
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="advisor-tests-"))
    config._advisor_test_dirs = base
    for var, sub in (("ADVISOR_CACHE_DIR", "cache"), ("ADVISOR_CONFIG_DIR", "config"), ("ADVISOR_DATA_DIR", "data")):
        os.environ[var] = str(base / sub)
    config.addinivalue_line("markers", "slow: builds or installs something; seconds, not milliseconds")
    config.addinivalue_line("markers", "real_catalog: needs the built-in catalog data in catalog/")


def pytest_unconfigure(config):
    import shutil

    base = getattr(config, "_advisor_test_dirs", None)
    if base is not None:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def mini_builtin(monkeypatch) -> Path:
    """Make tests/data/mini the built-in catalog for this test."""
    from advisor import locations

    monkeypatch.setattr(locations, "builtin_catalog_dir", lambda: MINI)
    return MINI


@pytest.fixture
def subprocess_env() -> dict[str, str]:
    """Environment for `python -m advisor` subprocesses: the checkout first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("ADVISOR_DEBUG", None)
    return env


def real_catalog_present() -> bool:
    return (REAL_CATALOG / "accelerators.toml").is_file()


PYTHON = sys.executable
