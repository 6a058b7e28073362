"""Anchoring: at a measured setup the grid follows the measurement; far from every point it is the model's."""

from __future__ import annotations

import numpy as np
import pytest

from advisor.domain.base import PRECISION_ORDER
from advisor.engine import anchoring
from advisor.engine.build import grid_for
from advisor.engine.replay import build_replays
from tests.conftest import real_catalog_present

pytestmark = pytest.mark.skipif(not real_catalog_present(), reason="needs the built-in catalog")


@pytest.fixture(scope="module")
def setup():
    from advisor import api

    catalog = api.load_catalog()[0]
    factors = api.factors(catalog)
    return catalog, factors, anchoring.anchors(catalog, factors)


def _cell_grid(catalog, factors, replay):
    p = replay.point
    grid, _ = grid_for(catalog, [catalog.default_system(p.accelerator)], catalog.model(p.model), factors, isl=p.isl,
                       osl=p.osl, precision=p.precision, spec_decode=p.spec_decode, days_since_release=replay.days,
                       layouts=np.array([replay.gpus]), batches=np.array([max(replay.batch, 1.0)]),
                       ep=np.array([float(replay.ep)]))
    return grid, (0, 0, PRECISION_ORDER.index(p.precision), 1 if p.spec_decode == "mtp" else 0, 0)


def test_anchors_are_residuals_of_every_usable_point(setup):
    catalog, _, anch = setup
    assert len(anch) > 500 and np.isfinite(anch.r_thr).all()
    assert set(anch.model) <= {m.id for m in catalog.models.values()}


def test_a_measured_setup_follows_its_measurement(setup):
    catalog, factors, anch = setup
    replays = [r for r in build_replays(catalog)[0] if r.point.accelerator == "nvidia_b200_hgx" and r.basis == "total"
               and r.point.isl == 8192 and r.batch >= 1 and not r.point.disaggregated]
    assert len(replays) >= 6
    before, after, labelled = [], [], []
    for r in replays:
        grid, cell = _cell_grid(catalog, factors, r)
        on = anchoring.apply(grid, anch, catalog.model(r.point.model).id)
        meas = r.measured_tok_s_per_gpu
        before.append(abs(grid.metrics["total_tok_s_per_gpu"][cell] / meas - 1))
        after.append(abs(on.metrics["total_tok_s_per_gpu"][cell] / meas - 1))
        labelled.append(bool(on.metrics["measured"][cell]) and on.metrics["anchor_weight"][cell] > 0.6)
    # repeated runs of one setup on different dates disagree by several percent: the anchored figure is their
    # weighted mean, so it cannot match each one; it must be much closer than the model and labelled measured
    assert np.median(after) < 0.75 * np.median(before) and np.median(after) < 0.10
    assert np.mean(labelled) >= 0.9


def test_switched_off_or_far_away_the_model_stands(setup):
    catalog, factors, anch = setup
    model = catalog.model("deepseek_v3")
    grid, _ = grid_for(catalog, [catalog.system("nvidia_hgx_b200")], model, factors, isl=8192, osl=1024)
    off = anchoring.apply(grid, anch, model.id, enabled=False)
    for k in grid.metrics:
        assert np.array_equal(np.asarray(off.metrics[k]), np.asarray(grid.metrics[k]), equal_nan=True), k
    assert not off.metrics["measured"].any() and not off.metrics["anchor_weight"].any()
    far, _ = grid_for(catalog, [catalog.system("nvidia_hgx_b200")], model, factors, isl=64, osl=16384)
    on = anchoring.apply(far, anch, model.id)
    assert on.metrics["anchor_weight"][far.valid].max() < 0.05  # no measured length nearby: the correction fades
    assert not on.metrics["measured"].any()
    # a chip with no measured points is never corrected
    spark, _ = grid_for(catalog, [catalog.system("intel_gaudi3_8x")], model, factors, isl=8192, osl=1024)
    assert not anchoring.apply(spark, anch, model.id).metrics["anchor_weight"].any()
