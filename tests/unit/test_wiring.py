"""The engine's new figures reach the API: honest data labels, serving mode, queueing, grouped cross-validation."""

from __future__ import annotations

import pytest

from advisor import api
from advisor.engine.points import MODE_RANK
from tests.conftest import real_catalog_present

pytestmark = pytest.mark.skipif(not real_catalog_present(), reason="needs the built-in catalog")


@pytest.fixture(scope="module")
def catalog():
    return api.load_catalog()[0]


@pytest.fixture(scope="module")
def fac(catalog):
    return api.factors(catalog)


@pytest.mark.parametrize("chip", ["amd_ryzen_ai_max_plus_395", "nvidia_dgx_spark_gb10"])
def test_unmeasured_chip_is_not_labelled_calibrated(catalog, fac, chip):
    assert not any(b.accelerator == chip for b in catalog.benchmarks.values())
    out = api.estimate(catalog, system=chip, model="gpt_oss_120b", isl=1024, osl=256, fac=fac)
    p = out["point"]
    assert p.mode in ("ecosystem-calibrated", "roofline")
    assert p.mode == fac.mode_for(chip, catalog.accelerator(chip).ecosystem)
    assert p.error_band_pct == round(fac.band(catalog.accelerator(chip).ecosystem, p.precision,
                                              accelerator=chip, model="gpt_oss_120b"), 1)
    assert MODE_RANK[p.mode] > MODE_RANK["calibrated"]


def test_measured_chip_is_calibrated(catalog, fac):
    chip = "nvidia_h100_sxm"
    if not any(b.accelerator == chip for b in catalog.benchmarks.values()):
        pytest.skip("no H100 points")
    p = api.estimate(catalog, system=chip, model="llama_3_3_70b", isl=1024, osl=256, fac=fac)["point"]
    assert p.mode == "calibrated"
