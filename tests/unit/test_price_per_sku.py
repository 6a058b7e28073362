"""Issue 12 item 3: every price is the SKU's own.

A price names the system or accelerator it is for; where its id, tier or name names a memory
configuration ("96gb", "512 GB"), that configuration must be the one of the system it prices (its
accelerator's memory, or the system's total). And the price each system is actually costed with
(engine.pricing) must pass the same check.
"""

from __future__ import annotations

import re

import pytest

from advisor.engine import pricing
from tests.conftest import real_catalog_present

pytestmark = pytest.mark.real_catalog

GB = re.compile(r"(?<![0-9.])(\d{2,4})\s*_?gb(?![a-z])", re.IGNORECASE)


@pytest.fixture(scope="module")
def catalog():
    if not real_catalog_present():
        pytest.skip("needs the built-in catalog")
    from advisor import api

    return api.load_catalog()[0]


def configs_named(price) -> set[int]:
    text = " ".join([price.id, price.tier, price.name])
    return {int(m) for m in GB.findall(text)}


def memories_of(catalog, price) -> set[int]:
    """Memory sizes a price may name: its accelerator's, and each system's total for that accelerator."""
    if price.system is not None:
        systems = [catalog.systems[price.system]]
    else:
        systems = [s for s in catalog.systems.values() if s.accelerator == price.accelerator]
    acc_id = price.accelerator or systems[0].accelerator
    mem = round(catalog.accelerator(acc_id).memory_gb)
    return {mem} | {round(mem * s.accelerators_per_system) for s in systems}


def mismatch(catalog, price) -> set[int]:
    return configs_named(price) - memories_of(catalog, price)


def test_the_check_can_fail():
    from advisor.domain import PricePoint

    bad = PricePoint(id="apple_m3_ultra_96gb_config_msrp", accelerator="apple_m3_ultra_512gb", kind="purchase",
                     tier="msrp_96gb_config", usd=3999, unit="per_gpu", as_of="2026-05",
                     sources=["test"])
    if not real_catalog_present():
        pytest.skip("needs the built-in catalog")
    from advisor import api

    assert mismatch(api.load_catalog()[0], bad) == {96}


def test_every_price_names_its_own_configuration(catalog):
    wrong = {p.id: sorted(mismatch(catalog, p)) for p in catalog.prices.values() if mismatch(catalog, p)}
    assert not wrong, f"prices naming another memory configuration than their SKU's: {wrong}"


def test_every_system_is_costed_with_its_own_sku_price(catalog):
    for s in catalog.systems.values():
        got = pricing.purchase_usd_per_gpu(catalog, s)
        if got is not None:
            assert not mismatch(catalog, got[1]), (s.id, got[1].id)
        for tier in {p.tier for p in catalog.prices.values() if p.unit == "per_gpu_hour"}:
            p = pricing.rental_price(catalog, s, tier)
            assert p is None or not mismatch(catalog, p), (s.id, p.id)


def test_mac_studio_512gb_is_priced_as_the_512gb_box(catalog):
    s = catalog.systems["apple_mac_studio_m3_ultra"]
    usd, price = pricing.purchase_usd_per_gpu(catalog, s)
    assert usd == pytest.approx(9499) and "512gb" in price.id
