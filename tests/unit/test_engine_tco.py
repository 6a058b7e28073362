"""TCO arithmetic: the InferenceX $/Mtok formula on seed figures, tokens per MW, capital recovery."""

from __future__ import annotations

import math

import numpy as np
import pytest

from advisor.engine import tco


def inferencex_usd_per_mtok(usd_per_gpu_hour: float, tok_s_per_gpu: float) -> float:
    return usd_per_gpu_hour / (tok_s_per_gpu * 3600 / 1e6)


def test_gb300_neocloud_seed_001():
    # seed 001: "GB300 NVL72 $0.064/M" at $2.79/GPU-hour (neocloud) and 12,109.4 tok/s/GPU
    value = float(tco.usd_per_mtok(2.79, 12_109.4))
    assert value == pytest.approx(inferencex_usd_per_mtok(2.79, 12_109.4))
    assert round(value, 3) == 0.064


def test_mi355x_seed():
    value = float(tco.usd_per_mtok(2.09, 1_995.0))
    assert value == pytest.approx(0.291, abs=0.0005)


def test_utilisation_scales_cost_up():
    assert float(tco.usd_per_mtok(2.0, 1000.0, 0.5)) == pytest.approx(2 * float(tco.usd_per_mtok(2.0, 1000.0)))


def test_zero_throughput_is_infinite_not_an_error():
    assert math.isinf(float(tco.usd_per_mtok(2.0, 0.0)))


def test_usd_per_mtok_broadcasts():
    out = tco.usd_per_mtok(np.array([1.0, 2.0]), np.array([[1000.0], [2000.0]]))
    assert out.shape == (2, 2)
    assert out[1, 1] == pytest.approx(inferencex_usd_per_mtok(2.0, 2000.0))


def test_split_cost_charges_prefill_time_to_input_and_decode_time_to_output():
    # 1000 output + 4000 input tok/s per GPU at $3.6/GPU-hour; a quarter of the GPU time is prefill
    inp, out = tco.split_usd_per_mtok(3.6, 1000.0, 4000.0, 0.25)
    assert float(inp) == pytest.approx(3.6 * 0.25 / (4000 * 3600 / 1e6))
    assert float(out) == pytest.approx(3.6 * 0.75 / (1000 * 3600 / 1e6))
    # the two parts add up to the whole cost
    assert float(inp) * 4000 + float(out) * 1000 == pytest.approx(float(tco.usd_per_mtok(3.6, 5000.0)) * 5000)


def test_prefill_fraction_from_step_times():
    # batch 8, TTFT 0.3 s of which 0.02 s is the first decode step, 500 output tokens at 50 tok/s (10 s per request)
    f = tco.prefill_fraction(8, 0.3, 0.02, 50.0, 500)
    assert float(f) == pytest.approx(8 * 0.28 / 10.0)
    assert float(tco.prefill_fraction(4096, 10.0, 0.01, 50.0, 10)) == 1.0  # clipped


def test_tok_s_per_all_in_mw():
    # tok/s/GPU * 1000 / kW per GPU
    assert float(tco.tok_s_per_mw(10_000.0, 2_000.0)) == pytest.approx(10_000.0 * 1000 / 2.0)
    assert float(tco.tok_s_per_mw(1.0, 1e6)) == pytest.approx(1.0)


def test_joules_per_token():
    assert float(tco.joules_per_token(1000.0, 2000.0)) == pytest.approx(2.0)


@pytest.mark.parametrize(("rate", "years", "expected"), [
    (0.08, 5, 0.250456),  # standard annuity tables
    (0.10, 3, 0.402115),
    (0.05, 10, 0.129505),
    (0.0, 4, 0.25),  # no cost of capital: straight line
])
def test_capital_recovery_factor(rate, years, expected):
    assert float(tco.capital_recovery_factor(rate, years)) == pytest.approx(expected, abs=1e-6)


def test_crf_pays_back_the_loan():
    rate, years = 0.09, 4
    crf = float(tco.capital_recovery_factor(rate, years))
    balance = 1.0
    for _ in range(years):
        balance = balance * (1 + rate) - crf
    assert balance == pytest.approx(0.0, abs=1e-12)


OWNED = dict(capex_usd_per_gpu=40_000.0, years=5.0, cost_of_capital=0.08, residual_fraction=0.1,
             maintenance_fraction_per_year=0.03, it_watts_per_gpu=1_800.0, pue=1.2, usd_per_kwh=0.1,
             hosting_usd_per_kw_month=150.0)


def test_owned_components_add_up():
    parts = {k: float(v) for k, v in tco.owned_usd_per_gpu_hour(**OWNED).items()}
    assert parts["total"] == pytest.approx(parts["capital"] + parts["maintenance"] + parts["power"] + parts["hosting"])
    assert parts["power"] == pytest.approx(1.8 * 1.2 * 0.1)  # kW all-in x $/kWh
    assert parts["hosting"] == pytest.approx(1.8 * 150.0 * 12 / 8760)
    assert parts["maintenance"] == pytest.approx(40_000 * 0.03 / 8760)
    residual_pv = 40_000 * 0.1 / 1.08**5
    assert parts["capital"] == pytest.approx((40_000 - residual_pv) * 0.250456 / 8760, rel=1e-5)


def test_owned_straight_line_without_interest_or_residual():
    parts = tco.owned_usd_per_gpu_hour(**{**OWNED, "cost_of_capital": 0.0, "residual_fraction": 0.0})
    assert float(parts["capital"]) == pytest.approx(40_000 / 5 / 8760)


def test_retrofit_adds_to_capital_only():
    base = tco.owned_usd_per_gpu_hour(**OWNED)
    retro = tco.owned_usd_per_gpu_hour(**OWNED, retrofit_usd_per_gpu=1_000.0)
    assert float(retro["capital"]) > float(base["capital"])
    assert float(retro["power"]) == pytest.approx(float(base["power"]))
