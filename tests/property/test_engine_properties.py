"""Engine invariants under random inputs (hypothesis), with fixed (prior) efficiency factors."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.domain.base import PRECISION_ORDER
from advisor.engine import select, tco
from advisor.engine.arch import coeffs
from advisor.engine.factors import Factors
from advisor.engine.grid import GridSetup, evaluate_grid
from advisor.engine.hardware import HwArrays, hw_arrays
from advisor.engine.throughput import ServingPoint, StepFactors, simulate
from tests.conftest import real_catalog_present

pytestmark = pytest.mark.skipif(not real_catalog_present(), reason="catalog/ data not written yet")

FACTORS = Factors()  # priors: fixed, no fit
MODELS = ("llama_3_3_70b", "deepseek_v3", "qwen3_235b_a22b", "gpt_oss_120b", "deepseek_v4_flash", "llama_4_scout")
SYSTEMS = ("nvidia_hgx_h100", "nvidia_gb300_nvl72_rack", "amd_mi355x_8x", "google_tpu_v6e_8", "nvidia_dgx_spark")
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def catalog():
    from advisor import api

    return api.load_catalog()[0]


@pytest.fixture(scope="module")
def archs(catalog):
    return {m: coeffs(catalog.model(m)) for m in MODELS}


@pytest.fixture(scope="module")
def base_hw(catalog) -> HwArrays:
    return hw_arrays(catalog, [catalog.system("nvidia_hgx_h100")])


def _point(a, hw0, *, mem_bw, G, B, prec, spec, isl, osl, mem_bytes=192e9, disagg=False):
    sh = FACTORS.shared
    eco = FACTORS.pooled()
    f = np.asarray
    hw = dataclasses.replace(hw0.at(np.array(0), np.array(prec)), mem_bw=f(mem_bw), peak=f(2e15), attn_peak=f(1e15),
                             mem_bytes=f(mem_bytes), domain=f(8.0), up_bw=f(450e9), out_bw=f(50e9))
    fac = StepFactors(bw_eff=f(eco["bw_eff"]), fl_eff=f(eco["fl_eff"]), t_layer_s=f(eco["t_layer_s"]),
                      prec_mult=f(FACTORS.prec_array()[prec]), alpha_s=f(sh["alpha_s"]), attn_eff=f(eco["attn_eff"]),
                      pf_eff=f(sh["pf_eff"]), accept=f(sh["accept"]), imbalance=f(sh["imbalance"]),
                      overlap=f(sh["overlap"]), speed=f(1.0))
    pt = ServingPoint(gpus=f(G), prec=f(prec), spec=f(spec), batch=f(B), isl=f(isl), osl=f(osl), disaggregated=disagg)
    return vars(simulate(a, hw, fac, pt))


point_args = dict(
    model=st.sampled_from(MODELS),
    G=st.sampled_from([1.0, 2.0, 4.0, 8.0, 16.0, 72.0]),
    B=st.integers(1, 2048).map(float),
    prec=st.integers(0, 3),
    spec=st.sampled_from([0.0, 1.0]),
    isl=st.integers(1, 131_072).map(float),
    osl=st.integers(1, 16_384).map(float),
)


@FAST
@given(bw=st.floats(0.1e12, 20e12), factor=st.floats(1.0, 50.0), **point_args)
def test_more_memory_bandwidth_never_lowers_throughput(archs, base_hw, bw, factor, model, G, B, prec, spec, isl, osl):
    a = archs[model]
    lo = _point(a, base_hw, mem_bw=bw, G=G, B=B, prec=prec, spec=spec, isl=isl, osl=osl)
    hi = _point(a, base_hw, mem_bw=bw * factor, G=G, B=B, prec=prec, spec=spec, isl=isl, osl=osl)
    for key in ("total_tok_s_per_gpu", "output_tok_s_per_gpu", "tok_s_per_user"):
        assert float(hi[key]) >= float(lo[key]) * (1 - 1e-9), key
    assert float(hi["ttft_s"]) <= float(lo["ttft_s"]) * (1 + 1e-9)
    assert bool(hi["fits"]) == bool(lo["fits"])  # bandwidth does not change what fits


@FAST
@given(mem_gb=st.floats(1.0, 2000.0), **point_args)
def test_a_model_that_does_not_fit_is_never_fitting(archs, base_hw, mem_gb, model, G, B, prec, spec, isl, osl):
    a = archs[model]
    out = _point(a, base_hw, mem_bw=8e12, G=G, B=B, prec=prec, spec=spec, isl=isl, osl=osl, mem_bytes=mem_gb * 1e9)
    usable_gb = mem_gb  # mem_used_gb includes the runtime reserve and the KV headroom
    used = float(out["mem_used_gb"])
    if used > usable_gb * (1 + 1e-12):
        assert not bool(out["fits"])
    if bool(out["fits"]):
        assert used <= usable_gb * (1 + 1e-12)


@pytest.fixture(scope="module")
def grids(catalog, archs):
    systems = [catalog.system(s) for s in SYSTEMS]
    hw = hw_arrays(catalog, systems)
    out = {}
    for m in ("llama_3_3_70b", "deepseek_v3"):
        for isl, osl in ((1024, 1024), (8192, 1024)):
            out[(m, isl, osl)] = evaluate_grid(archs[m], hw, GridSetup(isl=isl, osl=osl), FACTORS,
                                               kv_reserve=catalog.defaults.kv_reserve_fraction)
    return out


def _best(grid, floor):
    idx, ok = select.best_per_system(grid, select.slo_mask(grid, floor))
    thr = grid.metrics["total_tok_s_per_gpu"].reshape(grid.shape[0], -1)
    return np.where(ok, thr[np.arange(grid.shape[0]), idx], -np.inf)


@FAST
@given(key=st.sampled_from([("llama_3_3_70b", 1024, 1024), ("llama_3_3_70b", 8192, 1024),
                            ("deepseek_v3", 1024, 1024), ("deepseek_v3", 8192, 1024)]),
       floor=st.floats(0.0, 500.0), extra=st.floats(0.0, 300.0))
def test_higher_interactivity_floor_never_raises_best_throughput(grids, key, floor, extra):
    grid = grids[key]
    low, high = _best(grid, floor), _best(grid, floor + extra)
    assert np.all(high <= low)
    # and the point picked under the floor really meets it
    idx, ok = select.best_per_system(grid, select.slo_mask(grid, floor + extra))
    usr = grid.metrics["tok_s_per_user"].reshape(grid.shape[0], -1)
    assert np.all(usr[np.arange(grid.shape[0]), idx][ok] >= floor + extra)


def test_grid_valid_cells_fit_in_memory(grids, catalog):
    for grid in grids.values():
        usable_gb = grid.hw.mem_bytes.reshape(-1, 1, 1, 1, 1) / 1e9  # mem_used_gb includes reserve and KV headroom
        used = np.where(grid.valid, grid.metrics["mem_used_gb"], 0.0)
        assert np.all(used <= usable_gb * (1 + 1e-12))
        assert not np.any(grid.valid & ~grid.metrics["fits"])


@FAST
@given(price=st.floats(0.01, 100.0), more=st.floats(0.0, 100.0), tps=st.floats(0.01, 1e6), util=st.floats(0.01, 1.0))
def test_higher_price_never_lowers_usd_per_mtok(price, more, tps, util):
    assert float(tco.usd_per_mtok(price + more, tps, util)) >= float(tco.usd_per_mtok(price, tps, util))


@FAST
@given(price=st.floats(0.01, 100.0), tps=st.floats(0.01, 1e6), more=st.floats(1.0, 100.0))
def test_higher_throughput_never_raises_usd_per_mtok(price, tps, more):
    assert float(tco.usd_per_mtok(price, tps * more)) <= float(tco.usd_per_mtok(price, tps)) * (1 + 1e-12)


# --- the API: every figure finite ------------------------------------------------------------------

@pytest.fixture(scope="module")
def fixed_api(catalog):
    """api with fixed factors (no fit, no cache file) for the whole module."""
    from advisor import api

    mp = pytest.MonkeyPatch()
    mp.setattr(api, "factors", lambda _catalog: FACTORS)
    yield api
    mp.undo()


def _finite_figures(d: dict) -> None:
    for k, v in d.items():
        if isinstance(v, float):
            assert math.isfinite(v), (k, v)


@settings(max_examples=40, deadline=None)
@given(system=st.sampled_from(SYSTEMS + ("nvidia_l40s_8x", "huawei_cloudmatrix_384", "apple_mac_studio_m3_ultra")),
       model=st.sampled_from(MODELS), isl=st.integers(1, 200_000), osl=st.integers(1, 32_768),
       precision=st.sampled_from(("auto",) + PRECISION_ORDER), floor=st.sampled_from([0.0, 10.0, 50.0, 200.0]),
       days=st.one_of(st.none(), st.floats(0.0, 1000.0)))
def test_estimate_figures_are_finite(fixed_api, catalog, system, model, isl, osl, precision, floor, days):
    import json

    from advisor.errors import InfeasibleError

    try:
        r = fixed_api.estimate(catalog, system=system, model=model, isl=isl, osl=osl, precision=precision,
                               min_tok_s_per_user=floor, days_since_release=days)
    except InfeasibleError as exc:
        assert str(exc)
        return
    p = r["point"]
    _finite_figures(p.model_dump())
    json.dumps(p.model_dump(mode="json"), allow_nan=False)
    assert p.fits and p.tok_s_per_user >= floor
    assert p.output_tok_s_per_gpu <= p.total_tok_s_per_gpu
    acc = catalog.accelerator(p.accelerator)
    assert p.mem_used_gb_per_gpu <= acc.usable_memory_gb * 2**30 / 1e9  # capacities are GiB, figures GB


@settings(max_examples=12, deadline=None)
@given(model=st.sampled_from(MODELS), isl=st.integers(1, 64_000), osl=st.integers(1, 8_192),
       spec=st.sampled_from(["auto", "none"]))
def test_frontier_figures_are_finite(fixed_api, catalog, model, isl, osl, spec):
    import json

    r = fixed_api.frontier(catalog, systems=list(SYSTEMS), model=model, isl=isl, osl=osl, spec_decode=spec)
    for pts in r["fronts"].values():
        users = [p.tok_s_per_user for p in pts]
        assert users == sorted(users)
        thr = [p.total_tok_s_per_gpu for p in pts]
        assert all(a >= b for a, b in zip(thr, thr[1:]))  # a front: more per user, less per GPU
        for p in pts:
            _finite_figures(p.model_dump())
            json.dumps(p.model_dump(mode="json"), allow_nan=False)
