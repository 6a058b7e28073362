"""The one Reason vocabulary: sweep codes map to the same strings recommend and compare show."""

from __future__ import annotations

import numpy as np

from advisor.engine.constraints import SWEEP_REASONS, Reason, reason_code, reason_strings, sweep_reasons

SLO, MEMORY = reason_code(Reason.SLO), reason_code(Reason.MEMORY)


def test_reason_strings_are_the_enum_values():
    assert str(Reason.SITE_POWER) == "site_power" and Reason.NONE.value == ""
    codes = np.arange(len(SWEEP_REASONS), dtype=np.int8)
    assert list(reason_strings(codes)) == ["", "slo", "price", "site_power", "budget", "demand_not_met",
                                                    "memory", "precision", "context", "inefficient"]
    assert all(isinstance(r, Reason) for r in SWEEP_REASONS)


def test_first_broken_constraint_wins_in_order_throughput_price_site_budget():
    fail = np.array([0, SLO, 0, 0, 0, MEMORY], dtype=np.int8)
    priced = np.array([True, False, False, True, True, True])
    site = np.array([False, True, True, True, False, False])
    budget = np.array([False, True, True, True, True, False])
    got = reason_strings(sweep_reasons(fail, priced, site, budget))
    assert list(got) == ["", "slo", "price", "site_power", "budget", "memory"]


def test_sweep_reasons_broadcast_scalar_checks():
    got = reason_strings(sweep_reasons(np.zeros((2, 3), np.int8), np.ones((2, 3), bool), np.zeros(3, bool), np.array([[False], [True]])))
    assert got.shape == (2, 3) and list(got[0]) == ["", "", ""] and list(got[1]) == ["budget"] * 3
