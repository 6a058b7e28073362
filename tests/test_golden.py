"""Outputs on a frozen factors fixture stay identical unless deliberately re-approved.

Re-approve with `python tests/golden/regen.py` (and list the re-approval in the closing note).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.conftest import real_catalog_present

HERE = Path(__file__).resolve().parent / "golden"

pytestmark = pytest.mark.skipif(not real_catalog_present(), reason="needs the built-in catalog")


def _regen():
    spec = importlib.util.spec_from_file_location("golden_regen", HERE / "regen.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# re-approve after merge: the data-import branch adds 7 systems (GH200, H100 NVL/PCIe, H200 NVL, RTX 4090,
# Arc Pro B60, Jetson AGX Orin) and 675 benchmark rows; recommend_* list the new systems under `excluded`
# (no price, memory, buy-only) and sweep_power_price gains their options. Re-approve once on main.
def test_outputs_match_the_golden_files():
    regen = _regen()
    problems = regen.check(regen.produce())
    detail = "\n".join(f"{name}: {d}" for name, diffs in problems.items() for d in diffs[:10])
    assert not problems, f"outputs differ from tests/golden (re-approve with python tests/golden/regen.py):\n{detail}"


def test_the_comparison_can_fail():
    regen = _regen()
    assert regen.compare({"a": 1.0, "b": [1, 2]}, {"a": 1.0 + 1e-12, "b": [1, 2]}) == []
    assert regen.compare({"a": 1.0}, {"a": 1.001})
    assert regen.compare({"a": [1]}, {"a": [1, 2]})
    assert regen.compare({"a": 1}, {"b": 1})
