"""A whole front priced in one array pass (points.operating_points, select.columns) gives what pricing each cell
on its own gives, with the figures the cost formulas define."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.real_catalog


@pytest.fixture(scope="module")
def grid(catalog, fac):
    from advisor.engine.build import grid_for

    systems = [catalog.systems[s] for s in ("nvidia_hgx_b200", "amd_mi355x_8x", "nvidia_gb200_nvl72_rack")]
    g, days = grid_for(catalog, systems, catalog.model("deepseek_v3"), fac, isl=8192, osl=1024, serving="auto")
    return systems, g, days


def test_columns_and_cells_agree(grid):
    from advisor.engine import select

    systems, g, _ = grid
    for i in range(len(systems)):
        flats = select.front(g, i)
        assert flats
        one_by_one = [select.cell(g, i, f) for f in flats]
        assert select.cells(g, i, flats) == one_by_one
        assert select.columns(g, i, flats).cells() == one_by_one
        assert select.Columns.of(one_by_one).cells() == one_by_one
    assert any(c.serving == "disagg" for i in range(len(systems)) for c in select.cells(g, i, select.front(g, i)))


def test_a_front_priced_at_once_equals_each_point_priced_alone(catalog, grid):
    from advisor.engine import pricing, select, tco
    from advisor.engine.points import operating_point, operating_points

    systems, g, days = grid
    for i, s in enumerate(systems):
        acc = catalog.accelerator(s.accelerator)
        m = catalog.model("deepseek_v3")
        watts = pricing.it_watts_per_gpu(s) * 1.2
        flats = select.front(g, i)
        kw = dict(isl=8192, osl=1024, factors=g.factors, days=days, usd_per_gpu_hour=2.5, utilisation=0.7,
                  all_in_watts_per_gpu=watts)
        bulk = operating_points(s, acc, m, select.columns(g, i, flats), **kw)
        alone = [operating_point(s, acc, m, select.cell(g, i, f), **kw) for f in flats]
        assert bulk == alone
        for p in bulk:
            assert p.usd_per_mtok == pytest.approx(2.5 / (p.total_tok_s_per_gpu * 3600 * 0.7) * 1e6, rel=1e-12)
            assert p.usd_per_mtok_output_all_in == pytest.approx(2.5 / (p.output_tok_s_per_gpu * 3600 * 0.7) * 1e6)
            assert p.joules_per_token == pytest.approx(watts / p.total_tok_s_per_gpu)
            assert p.ttft_p99_s >= p.ttft_s
            if p.serving == "disagg":
                share = p.prefill_gpus_per_replica / (p.gpus_per_replica + p.prefill_gpus_per_replica)
                assert p.prefill_gpu_time_fraction == pytest.approx(share, abs=1e-3)
        # the input and output costs add up to the whole, as the tco split defines them
        c = select.columns(g, i, flats)
        f = np.where(c.disaggregated, c.prefill_gpus_per_replica / (c.gpus_per_replica + c.prefill_gpus_per_replica),
                     tco.prefill_fraction(c.batch, c.ttft_s, c.t_step_s, c.tok_s_per_user, 1024))
        assert [p.prefill_gpu_time_fraction for p in bulk] == [round(x, 6) for x in f.tolist()]


def test_frontier_points_are_validated_models(catalog, fac):
    from advisor import api
    from advisor.domain.results import OperatingPoint

    res = api.frontier(catalog, systems=["nvidia_hgx_b200", "amd_mi355x_8x"], model="deepseek_v3", isl=1024, osl=1024,
                       fac=fac)
    for pts in res["fronts"].values():
        for p in pts:
            assert isinstance(p, OperatingPoint) and OperatingPoint.model_validate(p.model_dump()) == p
            assert all(not isinstance(v, np.generic) for v in p.model_dump().values())
