"""Sweeps: axes, scenario counts, vectorised costs against recommend(), chunks, summaries."""

from __future__ import annotations

import numpy as np
import pytest

from advisor.domain.fleet import Axis
from advisor.errors import InputError
from tests.conftest import ROOT, real_catalog_present

pytestmark = pytest.mark.real_catalog

WL = {"classes": [{"name": "chat", "model": "deepseek_v4_pro", "isl": 8192, "osl": 1024, "min_tok_s_per_user": 10}],
      "demand": {"concurrent_users": 4000},
      "procurement": {"systems": ["nvidia_hgx_b300", "amd_mi355x_8x", "nvidia_gb300_nvl72_rack"]}}


def test_axis_values_and_ranges():
    assert Axis(name="usd_per_kwh", values=[0.1, 0.2]).resolved() == [0.1, 0.2]
    assert Axis(name="usd_per_kwh", start=0.1, stop=0.3, steps=3).resolved() == [0.1, 0.2, 0.3]
    assert Axis(name="usd_per_kwh", start=0.1, stop=0.3, step=0.05).count() == 5
    assert Axis(name="concurrent_users", start=100, stop=200, steps=3).resolved() == [100.0, 150.0, 200.0]


@pytest.mark.parametrize("kw, needle", [
    ({"values": []}, "no values"),
    ({}, "no values"),
    ({"values": [1], "start": 1, "stop": 2, "steps": 2}, "not both"),
    ({"start": 1, "stop": 2}, "exactly one of steps"),
    ({"start": 1, "stop": 2, "step": -1}, "never gets"),
    ({"values": [-0.1]}, "positive"),
])
def test_axis_rejects(kw, needle):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=needle):
        Axis(name="usd_per_kwh", **kw)


def test_too_many_scenarios_needs_force():
    from advisor import api

    sw = api.loading.as_sweep({"workload": WL, "max_scenarios": 10, "axes": [
        {"name": "usd_per_kwh", "start": 0.01, "stop": 0.2, "steps": 20}]})
    with pytest.raises(InputError, match="20 scenarios .* exceed the maximum of 10"):
        api.check_sweep_size(sw)
    assert api.check_sweep_size(sw, force=True) == 20
    assert api.check_sweep_size(sw, max_scenarios=100) == 20


@pytest.fixture(scope="module")
def catalog():
    if not real_catalog_present():
        pytest.skip("needs the built-in catalog")
    from advisor import api

    return api.load_catalog()[0]


def test_one_scenario_matches_recommend(catalog):
    from advisor import api

    res = api.sweep(catalog, {"workload": WL, "axes": [{"name": "usd_per_kwh", "values": [0.1]}]})
    wl = api.workload_from_dict(WL, sets=["datacenter.usd_per_kwh=0.1"])
    rec = {o.id: o for o in api.recommend(catalog, wl).options}
    rows = {res.rows["option"][i]: i for i in range(len(res))}
    for oid, opt in rec.items():
        if "+" in oid:
            continue
        i = rows[oid]
        assert res.rows["usd_per_mtok"][i] == pytest.approx(opt.usd_per_mtok, rel=1e-9)
        assert res.rows["gpus"][i] == opt.gpus
        assert res.rows["capex_usd"][i] == pytest.approx(opt.capex_usd) or opt.procurement == "rent"


def test_cost_axes_vectorised_and_lowest_cost(catalog):
    from advisor import api

    res = api.sweep(catalog, {"workload": WL, "axes": [
        {"name": "usd_per_kwh", "start": 0.05, "stop": 0.5, "steps": 4},
        {"name": "usd_per_gpu_multiplier", "system": "amd_mi355x_8x", "values": [0.5, 3.0]},
        {"name": "utilisation", "values": [0.5, 1.0]}]})
    assert res.n_scenarios == 16 and len(res) == 16 * len(res.options)
    cost = np.asarray(res.rows["usd_per_mtok"]).reshape(16, -1)
    feas = np.asarray(res.rows["feasible"]).reshape(16, -1)
    for sc in range(16):
        best = np.nanargmin(np.where(feas[sc], cost[sc], np.nan))
        assert res.lowest_cost[sc] == res.options[best]
    j = res.options.index("buy:amd_mi355x_8x")
    mult = np.asarray(res.axes["usd_per_gpu_multiplier[amd_mi355x_8x]"])
    util = np.asarray(res.axes["utilisation"])
    kwh = np.asarray(res.axes["usd_per_kwh"])
    a = (mult == 0.5) & (util == 1.0) & (kwh == 0.05)
    b = (mult == 3.0) & (util == 1.0) & (kwh == 0.05)
    c = (mult == 0.5) & (util == 0.5) & (kwh == 0.05)
    assert cost[b, j][0] > cost[a, j][0]
    assert cost[c, j][0] == pytest.approx(2 * cost[a, j][0])  # half the tokens, same cost
    assert any("amd_mi355x_8x" in line for line in res.summary)


def test_grid_axes_and_chunks_merge_to_the_whole(catalog):
    from advisor import api

    sw = api.loading.as_sweep({"workload": WL, "axes": [
        {"name": "days_since_release", "values": [0, 10, 30]},
        {"name": "min_tok_s_per_user", "values": [10, 30]},
        {"name": "concurrent_users", "values": [1000, 8000]}]})
    whole = api.sweep(catalog, sw)
    assert whole.grid_evaluations == 3
    chunks = api.sweep_chunks(sw, 2)
    assert [c.scenario_count for c in chunks] == [4, 8] or sum(c.scenario_count for c in chunks) == 12
    merged = api.merge_sweeps([api.sweep(catalog, c) for c in chunks])
    key = lambda r: tuple(sorted((k, v) for k, v in r.items() if k != "scenario"))  # noqa: E731
    assert sorted(map(key, merged.scenario_rows())) == sorted(map(key, whole.scenario_rows()))
    assert sorted(merged.summary) == sorted(whole.summary)
    # every feasible option runs at or above the scenario's floor
    usr = np.asarray(whole.rows["tok_s_per_user"]).reshape(whole.n_scenarios, -1)
    feas = np.asarray(whole.rows["feasible"]).reshape(whole.n_scenarios, -1)
    floor = np.asarray(whole.axes["min_tok_s_per_user"])[:, None]
    assert feas.any() and np.all(usr[feas] >= np.broadcast_to(floor, usr.shape)[feas])


def test_fleets_sweep(catalog):
    from advisor import api

    res = api.sweep(catalog, api.load_sweep(ROOT / "examples" / "sweeps" / "maturity.toml"))
    assert res.options[:2] == ["gb300_nvl72", "hgx_b300"] and res.n_scenarios == 30
    assert "hgx_h200" not in set(res.lowest_cost)
    d = res.to_dict(rows=False)
    assert d["kind"] == "sweep" and d["schema_version"] and len(d["scenarios"]) == 30


def test_summary_in_words():
    from advisor.engine.sweep_summary import summarise

    axes = {"usd_per_kwh": np.array([0.05, 0.1, 0.15, 0.2])}
    lines = summarise(axes, {"usd_per_kwh": "USD/kWh"}, np.array([0, 0, 1, 1]), ["a", "b"])
    assert "a has the lowest $/Mtok up to 0.1 usd_per_kwh and b from 0.15 usd_per_kwh" in lines[-1]
    assert summarise(axes, {}, np.array([1, 1, 1, 1]), ["a", "b"]) == ["b has the lowest $/Mtok in all 4 scenarios"]
    assert summarise(axes, {}, np.array([-1] * 4), ["a"]) == ["no option is feasible in any scenario"]


def test_sweep_names_lowest_cost_second_and_best_score(catalog):
    from advisor import api

    res = api.sweep(catalog, {"workload": WL, "axes": [{"name": "usd_per_kwh", "values": [0.05, 0.5]}]})
    doc = res.to_dict()
    assert doc["schema_version"] == "2.0"
    cost = np.asarray(res.rows["usd_per_mtok"]).reshape(2, -1)
    score = np.asarray(res.rows["score"]).reshape(2, -1)
    for sc, row in enumerate(doc["scenarios"]):
        assert {"lowest_cost", "lowest_usd_per_mtok", "second_lowest_cost", "best_score"} <= set(row)
        assert "winner" not in row and "runner_up" not in row
        order = np.argsort(np.where(np.isfinite(cost[sc]), cost[sc], np.inf))
        assert row["lowest_cost"] == res.options[order[0]] and row["second_lowest_cost"] == res.options[order[1]]
        assert row["lowest_usd_per_mtok"] == pytest.approx(cost[sc, order[0]])
        assert row["best_score"] == res.options[int(np.nanargmax(score[sc]))]
        assert np.nanmax(score[sc]) <= 100.0
    # the sweep's score is recommend's: same order over the options recommend ranks
    rec = api.recommend(catalog, api.workload_from_dict(WL, sets=["datacenter.usd_per_kwh=0.05"]), keep_inefficient=True)
    singles = [o for o in rec.options if "+" not in o.id]
    col = {lab: score[0, i] for i, lab in enumerate(res.options)}
    assert [o.id for o in singles] == sorted((o.id for o in singles), key=lambda i: (-round(col[i], 6), i))
    top = max(singles, key=lambda o: o.score)
    assert res.best_score[0] == top.id
