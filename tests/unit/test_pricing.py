"""The one costing path: array prices give the scalar answers; retrofit, tiers and Little's law in one place."""

from __future__ import annotations

import numpy as np
import pytest

from advisor.domain import System
from advisor.engine import pricing

FIN = pricing.FinanceInputs(
    years=4, cost_of_capital=0.08, residual_fraction=0.2, maintenance_fraction_per_year=0.05, install_fraction=0.15,
    usd_per_kwh=0.12, pue_air=1.3, pue_liquid=1.1, hosting_usd_per_kw_month=150.0, liquid_retrofit_usd_per_kw=2000.0,
    utilisation=0.6, price_tier="neocloud_tco", hours_per_year=8760.0,
)


def _system(cooling: str) -> System:
    return System.model_validate({
        "id": "box", "name": "Box", "accelerator": "chip", "accelerators_per_system": 8, "system_kw": 12.0,
        "cooling": cooling, "sources": ["https://example.com"], "as_of": "2025-06",
    })


def test_array_prices_give_the_scalar_costs():
    s = _system("liquid")
    prices = np.array([20_000.0, 30_000.0, 45_000.0])
    kwh = np.array([0.05, 0.10, 0.20])
    vec = pricing.gpu_hour_cost(s, "buy", FIN, "air", usd_per_gpu=prices, usd_per_kwh=kwh)
    for i in range(3):
        one = pricing.gpu_hour_cost(s, "buy", FIN, "air", usd_per_gpu=float(prices[i]), usd_per_kwh=float(kwh[i]))
        assert float(vec.total[i]) == pytest.approx(float(one.total))
        assert float(vec.capex_usd_per_gpu[i]) == pytest.approx(float(one.capex_usd_per_gpu))


def test_retrofit_only_for_liquid_systems_in_air_halls():
    watts = 12_000.0 / 8
    retro = FIN.liquid_retrofit_usd_per_kw * watts / 1000
    assert pricing.retrofit_usd_per_gpu(_system("liquid"), "air", FIN) == pytest.approx(retro)
    assert pricing.retrofit_usd_per_gpu(_system("liquid"), "both", FIN) == 0.0
    assert pricing.retrofit_usd_per_gpu(_system("air"), "air", FIN) == 0.0
    with_r = pricing.gpu_hour_cost(_system("liquid"), "buy", FIN, "air", usd_per_gpu=10_000.0)
    without = pricing.gpu_hour_cost(_system("liquid"), "buy", FIN, "air", usd_per_gpu=10_000.0, retrofit=False)
    assert float(with_r.capex_usd_per_gpu) - float(without.capex_usd_per_gpu) == pytest.approx(retro)
    assert float(with_r.capital) > float(without.capital)


def test_rent_is_the_hourly_price_only():
    c = pricing.gpu_hour_cost(_system("air"), "rent", FIN, "air", usd_per_gpu_hour=2.5)
    assert c.parts() == {"capital": 0.0, "maintenance": 0.0, "power": 0.0, "hosting": 0.0, "rental": 2.5, "total": 2.5}
    assert float(c.capex_usd_per_gpu) == 0.0


def test_littles_law_and_annual_tokens():
    users = pricing.littles_law_users(10.0, 0.5, np.array([0.5, 1.0]), 100, np.array([50.0, 20.0]))
    assert list(users) == pytest.approx([10 * 0.5 * (0.5 + 2.0), 10 * 0.5 * (1.0 + 5.0)])
    assert pricing.annual_tokens(1000.0, 0.5, 8760.0) == pytest.approx(1000 * 0.5 * 3600 * 8760)
