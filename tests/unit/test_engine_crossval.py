"""Grouped cross-validation: its JSON shape, that held-out groups are really held out, and the class bands."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from advisor.engine import crossval
from advisor.engine.factors import BAND_CHIP, BAND_CHIP_MODEL, BAND_NO_DATA, BAND_SIBLING, Factors
from tests.conftest import real_catalog_present
from tests.unit.test_engine_calibration import GATE_POINTS

pytestmark = pytest.mark.skipif(not real_catalog_present(), reason="needs the built-in catalog")

KEYS = {"median_abs_error_pct", "median_abs_error_pct_tok_s_per_user", "within_2x_share", "band_coverage_share", "points"}


@pytest.fixture(scope="module")
def gate_catalog():
    from advisor import api

    cat = api.load_catalog()[0]
    return dataclasses.replace(cat, entries={**cat.entries, "benchmarks": {i: cat.benchmarks[i] for i in GATE_POINTS}})


@pytest.fixture(scope="module")
def cv(gate_catalog):
    return crossval.run(gate_catalog)


def test_json_shape(cv):
    out = cv.as_json()
    assert set(out) == {"summary", "parameters"}
    blocks = out["summary"]["cross_validation"]
    assert set(blocks) == set(crossval.SCHEMES)
    for name, block in blocks.items():
        assert set(block) == KEYS, name
        assert block["points"] == len(GATE_POINTS), name  # every point is held out once per scheme
        assert 0.0 <= block["within_2x_share"] <= 1.0 and 0.0 <= block["band_coverage_share"] <= 1.0
        assert block["median_abs_error_pct"] >= 0.0
    for row in out["parameters"]:
        assert set(row) == {"name", "value", "lower", "upper", "unit", "meaning"}
        assert row["lower"] <= row["value"] <= row["upper"], row["name"]


def test_held_out_groups_are_predicted_without_their_own_points(cv):
    by = {(r.scheme, r.id): r for r in cv.rows}
    for r in cv.rows:
        if r.scheme == "leave_one_accelerator_out":
            # the chip had no points left: a sibling's (or, alone in its ecosystem, no-data) band
            assert r.band_class in (BAND_SIBLING, BAND_NO_DATA), r.id
        if r.scheme == "leave_one_model_out":
            assert r.band_class != BAND_CHIP_MODEL, r.id
        if r.scheme == "leave_one_ecosystem_out":
            assert r.band_class == BAND_NO_DATA, r.id
    # a held-out prediction differs from the full fit's (it was refitted without the group)
    assert len(by) == len(cv.rows)


def test_class_bands_grow_with_distance_and_cover_their_class(cv):
    b = cv.bands
    assert b[BAND_CHIP_MODEL] <= b[BAND_CHIP] <= b[BAND_SIBLING] <= b[BAND_NO_DATA]
    assert b[BAND_NO_DATA] >= crossval.NO_DATA_MIN_BAND_PCT
    for cls in (BAND_SIBLING, BAND_NO_DATA):
        rows = [r for r in cv.rows if r.band_class == cls]
        if len(rows) >= 5:
            share = np.mean([abs(r.error_pct) <= b[cls] for r in rows])
            assert share >= crossval.BAND_QUANTILE / 100 - 1e-9, cls


def test_labels_follow_what_backs_a_figure(cv):
    f = Factors(calibrated_pairs=frozenset({("cuda", "fp8")}), measured_pairs=frozenset({("nvidia_h100_sxm", "m")}),
                error_band_pct=dict(cv.bands))
    assert f.mode_for("nvidia_h100_sxm", "cuda") == "calibrated"
    assert f.mode_for("nvidia_dgx_spark", "cuda") == "ecosystem-calibrated"
    assert f.mode_for("intel_gaudi3", "synapseai") == "roofline"
    assert f.band_for("nvidia_h100_sxm", "cuda", "m") == cv.bands[BAND_CHIP_MODEL]
    assert f.band_for("nvidia_h100_sxm", "cuda", "other") == cv.bands[BAND_CHIP]
    assert f.band_for("nvidia_dgx_spark", "cuda") == cv.bands[BAND_SIBLING]
    assert f.band_for("intel_gaudi3", "synapseai") == cv.bands[BAND_NO_DATA]


def test_cache_key_moves_with_the_catalog(gate_catalog):
    k1 = crossval.cache_key(gate_catalog)
    assert k1 == crossval.cache_key(gate_catalog)
    fewer = dataclasses.replace(gate_catalog, entries={**gate_catalog.entries, "benchmarks": {
        i: gate_catalog.benchmarks[i] for i in GATE_POINTS[:-1]}})
    assert crossval.cache_key(fewer) != k1
