"""The real built-in catalog (catalog/*.toml) loads, and passes lint with --strict.

Only `calibrate = false` benchmark points (deliberately inconsistent seed claims) may
leave warnings, and those warnings must say why they are not errors.
"""

from __future__ import annotations

import pytest

from advisor.catalog import validate_paths
from advisor.catalog.lint import STICKY_NOTE
from tests.conftest import REAL_CATALOG, real_catalog_present

pytestmark = [
    pytest.mark.real_catalog,
    pytest.mark.skipif(not real_catalog_present(), reason="catalog/ data not written yet"),
]


def test_builtin_catalog_is_valid_with_strict():
    problems = validate_paths([REAL_CATALOG], strict=True)
    errors = [p.format() for p in problems if p.severity == "error"]
    assert errors == [], "\n".join(errors)
    for warning in problems:
        assert warning.message.endswith(STICKY_NOTE), warning.format()


def test_builtin_catalog_loads_through_the_api():
    from advisor import api

    catalog, warnings = api.load_catalog(strict=True)
    assert catalog.layers == ("built-in",)
    for kind in ("accelerators", "systems", "ecosystems", "models", "benchmarks"):
        assert catalog.entries[kind], f"no {kind} in the built-in catalog"
    assert all(w.message.endswith(STICKY_NOTE) for w in warnings)
