"""Stale-price warnings (issue 12 point 9): every price the ranking used, before --top; and in sweep and compare too,
on stderr and in the JSON `warnings`."""

from __future__ import annotations

import json

import pytest
import tomli_w

from tests.conftest import ROOT

pytestmark = pytest.mark.real_catalog

CHAT = ROOT / "examples" / "workloads" / "deepseek_v4_chat.toml"
GAUDI = "intel_gaudi3_8x"
"""Bought at the 2024 MSRP: older than 12 months on the pinned date."""


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setenv("ADVISOR_TODAY", "2026-12-01")


def gaudi_warnings(warnings: list[str]) -> list[str]:
    return [w for w in warnings if f"used for {GAUDI} (buy)" in w and "more than 12 months old" in w]


def test_recommend_warns_about_prices_of_options_cut_by_top(catalog, fac):
    from advisor import api

    full = api.recommend(catalog, CHAT, fac=fac)
    top = api.recommend(catalog, CHAT, fac=fac, top=1)
    assert gaudi_warnings(full.warnings)
    assert all(GAUDI not in o.systems for o in top.options)  # the stale-priced option is not shown...
    assert top.warnings == full.warnings  # ...but its price shaped the ranking (and p_lowest_cost), so it is named


def sweep_doc(*axes: dict) -> dict:
    return {"name": "stale", "workload": tomllib_load(CHAT),
            "axes": list(axes) or [{"name": "usd_per_kwh", "values": [0.1]}]}


def test_sweep_warns_unless_an_axis_sets_the_price(catalog, fac, tmp_path):
    from advisor import api

    res = api.sweep(catalog, sweep_doc(), fac=fac)
    assert gaudi_warnings(res.warnings) and res.to_dict()["warnings"] == res.warnings
    scaled = api.sweep(catalog, sweep_doc({"name": "usd_per_gpu_multiplier", "system": GAUDI, "values": [0.9, 1.1]}),
                       fac=fac)
    assert gaudi_warnings(scaled.warnings)  # a multiplier still scales the stale catalog price
    own = api.sweep(catalog, sweep_doc({"name": "usd_per_gpu", "system": GAUDI, "values": [10000, 12000]}), fac=fac)
    assert not gaudi_warnings(own.warnings)  # the axis gives the price outright
    # chunks merge their warnings once
    merged = api.merge_sweeps([api.sweep(catalog, ch, fac=fac) for ch in api.sweep_chunks(
        sweep_doc({"name": "usd_per_kwh", "values": [0.1, 0.2]}), 2)])
    assert merged.warnings == res.warnings


def fleets_doc(price: float | None) -> dict:
    member = {"system": GAUDI, "count": 40, **({"usd_per_gpu": price} if price else {})}
    wl = tomllib_load(CHAT)
    wl.pop("name", None)
    return {"name": "stale", "workload": wl,
            "fleets": [{"name": "gaudi", "procurement": "buy", "members": [member]},
                       {"name": "b300", "procurement": "rent", "members": [{"system": "nvidia_hgx_b300", "count": 8}]}]}


def tomllib_load(path):
    import tomllib

    return tomllib.loads(path.read_text())


def test_compare_warns_about_catalog_prices_of_its_fleets(catalog, fac):
    from advisor import api

    assert gaudi_warnings(api.compare_fleets(catalog, fleets_doc(None), fac=fac).warnings)
    assert not gaudi_warnings(api.compare_fleets(catalog, fleets_doc(12000.0), fac=fac).warnings)


def test_sweep_and_compare_cli_warn_on_stderr_and_in_json(tmp_path, capsys):
    from advisor.cli import main

    fleets = tmp_path / "fleets.toml"
    fleets.write_text(tomli_w.dumps(fleets_doc(None)))
    code = main(["compare", str(fleets), "--format", "json"])
    out, err = capsys.readouterr()
    assert code in (0, 3)
    assert gaudi_warnings(json.loads(out)["warnings"])
    assert "advisor: warning: price intel_gaudi3_msrp_2024" in err

    sweep = tmp_path / "sweep.toml"
    sweep.write_text(tomli_w.dumps(sweep_doc()))
    assert main(["sweep", str(sweep), "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert gaudi_warnings(json.loads(out)["warnings"]) and "advisor: warning: price intel_gaudi3_msrp_2024" in err
    assert main(["sweep", str(sweep), "--format", "csv"]) == 0
    out, err = capsys.readouterr()
    assert "warning" not in out and "advisor: warning: price intel_gaudi3_msrp_2024" in err
