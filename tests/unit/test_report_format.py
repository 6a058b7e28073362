"""report.format: the one number formatter, the one money formatter, value text and the strict-JSON cleaner."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from advisor.report.format import clean, dumps, money, number, text


@pytest.mark.parametrize(("value", "expected"), [
    (12109.4, "12,109"), (-12109.4, "-12,109"), (757.3, "757"), (48.94, "48.9"), (2.094, "2.09"), (3.0, "3.00"),
    (0.06374, "0.0637"), (0.0, "0"), (None, ""), (8, "8"), (131072, "131072"), (True, "yes"), (False, "no"),
    (float("inf"), "n/a"), (float("nan"), "n/a"), ("fp8", "fp8"),
    (np.float64(48.94), "48.9"), (np.int64(3), "3"), (np.bool_(True), "yes"), (np.float32(2.5), "2.50"),
])
def test_figures_have_three_significant_figures_and_no_exponent(value, expected):
    assert number(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (989.0, "989"), (3.35, "3.35"), (0.0125, "0.0125"), (0.123456, "0.1235"), (1307.0, "1,307"),
    (12345.6, "12,346"), (7, "7"),
])
def test_significant_digits_when_asked(value, expected):
    assert number(value, 4) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (1307.0, "1307"), (2250.5, "2250"), (9000, "9000"), (0.35, "0.35"), (12345.6, "12346"), (-0.0, "0"),
])
def test_ungrouped_values_read_as_the_toml_writes_them(value, expected):
    assert number(value, 4, group=False) == expected


def test_missing_and_nonfinite_words_can_be_chosen():
    assert number(None, 4, missing="-") == "-"
    assert number(float("nan"), 4, nonfinite="-") == "-"
    assert number(dt.date(2026, 1, 2)) == "2026-01-02"


@pytest.mark.parametrize(("usd", "expected"), [
    (0, "0"), (950.4, "950"), (4_600, "4.6k"), (460_300, "460.3k"), (12_500_000, "12.50M"),
    (1_234_560_000, "1.23B"), (-4_600, "-4.6k"), (None, ""), (float("inf"), "n/a"),
])
def test_money_is_short_and_keeps_its_sign(usd, expected):
    assert money(usd) == expected


def test_text_of_lists_tables_and_models():
    from advisor.domain.results import Assumption

    assert text([1.0, 2.5, "x"]) == "1, 2.5, x"
    assert text({"bf16": 1307.0, "fp8": 2615.0}) == "bf16 = 1307, fp8 = 2615"
    assert text(None) == ""
    assert text(Assumption(name="n", value=0.5, unit="u", source="s")) == "name = n, value = 0.5, unit = u, source = s"


def test_clean_makes_strict_json_from_numpy_and_non_finite_values():
    data = {1: (np.float64(1.5), np.int64(3), np.bool_(False)), "nan": float("nan"), "inf": -float("inf"),
            "arr": np.array([1.0, np.nan]), "s": "x", "none": None}
    out = clean(data)
    assert out == {"1": [1.5, 3, False], "nan": None, "inf": None, "arr": [1.0, None], "s": "x", "none": None}
    assert type(out["1"][1]) is int and type(out["1"][2]) is bool
    text_ = dumps(data)
    assert "NaN" not in text_ and "Infinity" not in text_
    assert json.loads(text_) == out


def test_dumps_indent():
    assert dumps({"a": [1]}, indent=None) == '{"a": [1]}'
    assert dumps({"a": 1}) == '{\n  "a": 1\n}'
