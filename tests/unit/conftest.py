"""Fixtures shared by the unit tests that run on the built-in catalog with the frozen golden factors."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ROOT, real_catalog_present


@pytest.fixture(scope="module")
def catalog():
    """The built-in catalog (skips where the checkout has none)."""
    if not real_catalog_present():
        pytest.skip("needs the built-in catalog")
    from advisor import api

    return api.load_catalog()[0]


@pytest.fixture(scope="module")
def fac():
    """The frozen factors of tests/golden (no fit): figures stay put while the engine's fit moves."""
    from advisor.engine.factors import Factors

    return Factors.from_dict(json.loads((ROOT / "tests" / "golden" / "factors.json").read_text()))
