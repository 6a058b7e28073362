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


def test_estimate_serving_disagg_reports_it(catalog, fac):
    kw = dict(system="nvidia_dgx_b200", model="deepseek_v3", isl=8192, osl=1024, fac=fac)
    p = api.estimate(catalog, serving="disagg", **kw)["point"]
    assert p.serving == "disagg"
    assert p.prefill_gpus_per_replica is not None and p.prefill_gpus_per_replica > 0
    agg = api.estimate(catalog, serving="agg", **kw)["point"]
    assert agg.serving == "agg" and agg.prefill_gpus_per_replica is None


@pytest.mark.parametrize("floor", [0.0, 20.0, 50.0])
def test_auto_serving_never_worse_than_agg(catalog, fac, floor):
    kw = dict(system="nvidia_dgx_b200", model="deepseek_v3", isl=8192, osl=1024, fac=fac, min_tok_s_per_user=floor)
    auto = api.estimate(catalog, serving="auto", **kw)["point"]
    agg = api.estimate(catalog, serving="agg", **kw)["point"]
    assert auto.output_tok_s_per_gpu >= agg.output_tok_s_per_gpu * (1 - 1e-9)


def test_estimate_cli_serving_flag(tmp_path):
    import json
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "advisor", "estimate", "--system", "nvidia_dgx_b200", "--model",
                          "deepseek_v3", "--isl", "8192", "--osl", "1024", "--serving", "disagg", "--json"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["serving"] == "disagg"


def test_workload_class_serving_field():
    from advisor.domain.workload import TrafficClass

    tc = TrafficClass(name="a", model="deepseek_v3", isl=100, osl=10)
    assert tc.serving == "auto"  # the better mode per cell; recommend then picks the cheapest cell (select.cheapest_per_system)
    assert TrafficClass(name="a", model="deepseek_v3", isl=100, osl=10, serving="disagg").serving == "disagg"


def test_disagg_prefill_share_is_the_prefill_pool(catalog, fac):
    p = api.estimate(catalog, system="nvidia_dgx_b200", model="deepseek_v3", isl=8192, osl=1024, fac=fac,
                     serving="disagg")["point"]
    share = p.prefill_gpus_per_replica / (p.gpus_per_replica + p.prefill_gpus_per_replica)
    assert p.prefill_gpu_time_fraction == pytest.approx(share, abs=1e-5)
    assert 0 < p.prefill_gpu_time_fraction < 1


def test_calibrate_cv_grouped_json_and_table(catalog):
    import json
    import subprocess
    import sys

    from advisor.engine import crossval

    cmd = [sys.executable, "-m", "advisor", "calibrate", "--cv", "grouped", "--no-loo"]
    out = subprocess.run([*cmd, "--json"], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc == json.loads(json.dumps(crossval.grouped_cv(catalog)))
    schemes = doc["summary"]["cross_validation"]
    assert schemes
    table = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert table.returncode == 0, table.stderr
    for scheme in schemes:
        assert any(line.startswith(scheme) for line in table.stdout.splitlines())
