"""Issue 12 item 1: the buyer's hall (cooling, rack kW, site MW) binds owned systems only.

Rented or cloud capacity runs in the provider's hall: with an air-only hall and rent, liquid-cooled
TPU v7 slices, NVL72 racks and MI355X nodes stay in; a Trn2 UltraServer is not out for rack kW.
"""

from __future__ import annotations

import pytest


pytestmark = pytest.mark.real_catalog

RENTED = ["google_tpu_v7_64", "nvidia_gb200_nvl72_rack", "amd_mi355x_8x", "aws_trn2_ultraserver"]


def run(catalog, fac, mode, *, rack_kw=150.0, site_mw=None, systems=RENTED):
    from advisor import api

    wl = {
        "classes": [{"name": "chat", "model": "llama_3_3_70b", "isl": 1024, "osl": 256, "min_tok_s_per_user": 10}],
        "demand": {"concurrent_users": 500},
        "datacenter": {"cooling": "air", "max_rack_kw": rack_kw, **({"site_mw": site_mw} if site_mw else {})},
        "procurement": {"mode": mode, "systems": list(systems), "days_since_release": 400},
    }
    return api.recommend(catalog, api.workload_from_dict(wl), fac=fac)


def hall_exclusions(rec):
    return {(e.system, e.procurement): e.constraint for e in rec.excluded
            if e.constraint in ("cooling", "rack_power", "site_power")}


def test_rented_liquid_systems_are_not_excluded_by_an_air_hall(catalog, fac):
    rec = run(catalog, fac, "rent", rack_kw=20.0)
    assert hall_exclusions(rec) == {}
    ranked = {sid for o in rec.options for sid in o.systems}
    assert {"nvidia_gb200_nvl72_rack", "amd_mi355x_8x"} <= ranked
    # the UltraServer draws more than a 20 kW rack; rented, it is not out for rack kW
    assert ("aws_trn2_ultraserver", "rent") not in hall_exclusions(rec)


def test_bought_systems_still_are(catalog, fac):
    rec = run(catalog, fac, "buy", rack_kw=20.0, systems=["nvidia_gb200_nvl72_rack", "amd_mi355x_8x", "nvidia_hgx_h100"])
    got = hall_exclusions(rec)
    assert got[("nvidia_gb200_nvl72_rack", "buy")] == "cooling"
    assert got[("amd_mi355x_8x", "buy")] == "cooling"


def test_both_modes_exclude_only_the_owned_one(catalog, fac):
    rec = run(catalog, fac, "both", systems=["nvidia_gb200_nvl72_rack", "amd_mi355x_8x"])
    assert set(hall_exclusions(rec)) == {("nvidia_gb200_nvl72_rack", "buy"), ("amd_mi355x_8x", "buy")}
    assert {o.procurement for o in rec.options} == {"rent"}
    assert {sid for o in rec.options for sid in o.systems} >= {"nvidia_gb200_nvl72_rack", "amd_mi355x_8x"}


def test_site_power_binds_owned_only(catalog, fac):
    rec = run(catalog, fac, "both", site_mw=0.001, systems=["nvidia_hgx_h100"])
    assert ("nvidia_hgx_h100", "buy") in {(e.system, e.procurement) for e in rec.excluded if e.constraint == "site_power"}
    rented = [o for o in rec.options if o.procurement == "rent"]
    assert rented and rented[0].all_in_mw > 0.001  # its power still counts for reporting
    assert rented[0].tok_s_per_mw > 0


def test_sweep_splits_the_hall_the_same_way(catalog, fac):
    from advisor import api

    wl = {
        "classes": [{"name": "chat", "model": "llama_3_3_70b", "isl": 1024, "osl": 256, "min_tok_s_per_user": 10}],
        "demand": {"concurrent_users": 500},
        "datacenter": {"cooling": "air"},
        "procurement": {"mode": "both", "systems": ["nvidia_gb200_nvl72_rack", "amd_mi355x_8x", "nvidia_hgx_h100"],
                        "days_since_release": 400},
    }
    res = api.sweep(catalog, {"workload": wl, "axes": [{"name": "usd_per_kwh", "values": [0.1]}]}, fac=fac)
    assert {"rent:nvidia_gb200_nvl72_rack", "rent:amd_mi355x_8x", "buy:nvidia_hgx_h100"} <= set(res.options)
    assert "buy:nvidia_gb200_nvl72_rack" not in res.options and "buy:amd_mi355x_8x" not in res.options
