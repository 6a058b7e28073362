"""The TUI tests share one catalog and its factors (loading takes ~0.5 s); each test builds its own app."""

from __future__ import annotations

import pytest

pytest.importorskip("textual")

from tests.conftest import real_catalog_present  # noqa: E402

if not real_catalog_present():
    pytest.skip("the TUI tests use the built-in catalog", allow_module_level=True)

from tests.tui.helpers import DAYS  # noqa: E402


@pytest.fixture(scope="session")
def catalog_and_factors():
    from advisor import api

    catalog, _ = api.load_catalog()
    return catalog, api.factors(catalog)


@pytest.fixture
def make_app(catalog_and_factors):
    from advisor.tui.app import AdvisorApp
    from advisor.tui.scenario import default_workload

    catalog, factors = catalog_and_factors

    def make(workload=None, **kwargs):
        app = AdvisorApp(catalog, workload or default_workload(days_since_release=DAYS), factors=factors, **kwargs)
        app.animation_level = "none"  # deterministic frames: the tab underline must not be caught mid-slide
        return app

    return make
