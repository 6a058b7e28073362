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
    config.addinivalue_line("markers", "slow: builds or installs something; seconds, not milliseconds")
    config.addinivalue_line("markers", "real_catalog: needs the built-in catalog data in catalog/")


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
