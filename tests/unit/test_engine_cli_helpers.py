"""Small pieces of the engine commands: --spec-decode parsing, number formatting, JSON cleaning, plots."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from advisor.cli.engine_cmd import parse_spec_decode
from advisor.report.engine import natural_parameters
from advisor.report.format import clean, dumps
from advisor.report.format import number as fmt
from advisor.report.plot import render_lines, style


@pytest.mark.parametrize(("text", "expected"), [
    ("none", ("none", None)), ("auto", ("auto", None)), ("mtp", ("mtp", None)),
    ("mtp:0.7", ("mtp", 0.7)), ("MTP:0.05", ("mtp", 0.05)),
])
def test_spec_decode_accepts(text, expected):
    assert parse_spec_decode(text) == expected


@pytest.mark.parametrize("text", ["mtp:0", "mtp:1", "mtp:1.2", "mtp:-0.1", "mtp:", "mtp:abc", "none:0.5", "eagle", ""])
def test_spec_decode_rejects(text):
    with pytest.raises(argparse.ArgumentTypeError):
        parse_spec_decode(text)


@pytest.mark.parametrize(("value", "text"), [
    (12109.4, "12,109"), (757.3, "757"), (48.94, "48.9"), (2.094, "2.09"), (0.06374, "0.0637"), (0.0, "0"),
    (None, ""), (8, "8"), (True, "yes"), (float("inf"), "n/a"), ("fp8", "fp8"),
])
def test_fmt(value, text):
    assert fmt(value) == text


def test_clean_makes_strict_json():
    data = {"a": float("nan"), "b": [np.float64(1.5), float("inf")], "c": np.int64(3), "d": None, "e": "x", "f": True}
    out = clean(data)
    assert out == {"a": None, "b": [1.5, None], "c": 3, "d": None, "e": "x", "f": True}
    assert json.loads(dumps(data)) == out


def test_natural_parameters_are_in_their_units():
    from advisor.engine.factors import Factors

    f = Factors(per_ecosystem={"cuda": {"bw_eff": 0.9, "fl_eff": 0.7, "t_layer_s": 4e-5}})
    p = natural_parameters(f)
    assert p["cuda.bw_eff"] == 0.9 and p["cuda.t_layer_s"] == 4e-5
    assert "prec.fp8" in p and "prec.bf16" not in p and "alpha_s" in p


def test_plot_draws_each_series_with_its_own_marker():
    text = render_lines({"a": [(1, 1000), (10, 500), (50, 20)], "b": [(2, 800), (30, 100)]},
                        title="fronts", xlabel="tok/s/user", ylabel="tok/s/GPU", log_y=True, size=(60, 15), colour=False)
    assert "fronts" in text and "tok/s/user" in text
    assert "\x1b[" not in text
    assert "+" in text and "x" in text  # the first two markers
    assert len(text.splitlines()) <= 16


def test_plot_colour_only_when_asked():
    text = render_lines({"a": [(1, 2), (2, 1)]}, size=(40, 10), colour=True)
    assert "\x1b[" in text


def test_plot_drops_points_a_log_axis_cannot_show():
    text = render_lines({"bad": [(1, 0), (2, -1), (float("nan"), 3)]}, title="t", log_y=True, colour=False)
    assert "nothing to plot" in text


def test_styles_do_not_repeat_early():
    styles = [style(i) for i in range(40)]
    assert len(set(styles)) == 40
