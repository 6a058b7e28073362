"""Issue 12 point 8 in sweep and compare: recommend's `inefficient` rule (over 10x the GPUs of the best feasible
option, or stuck at batch 1 per replica), the same Reason, and keep_inefficient / --keep-inefficient to turn it off."""

from __future__ import annotations

import json

import numpy as np
import pytest

from advisor.engine.constraints import INEFFICIENT_GPU_RATIO, Reason, SWEEP_REASONS, inefficiency, inefficient_mask
from tests.conftest import ROOT

pytestmark = pytest.mark.real_catalog

CODING = ROOT / "examples" / "workloads" / "coding_assistant.toml"
"""Rented, >= 75 tok/s/user: recommend excludes options on both counts (on the frozen factors: Trn2, H100 and RTX PRO
6000 for over 10x the GPUs of the best, TPU v6e-8 and L40S for batch 1)."""


@pytest.fixture(scope="module")
def coding(catalog, fac):
    from advisor import api

    wl = api.load_workload(CODING)
    rec = api.recommend(catalog, wl, fac=fac)
    inefficient = {f"{e.procurement}:{e.system}" for e in rec.excluded if e.constraint == Reason.INEFFICIENT.value}
    reasons = [e.reason for e in rec.excluded if e.constraint == Reason.INEFFICIENT.value]
    assert len(inefficient) >= 3  # the tests below compare sets: they need something to compare
    assert any("stuck at batch 1" in r for r in reasons) and any("of the best feasible option" in r for r in reasons)
    return wl, rec, inefficient


def test_the_array_rule_is_the_scalar_rule():
    gpus = np.array([10, 100, 101, 5000, 8])
    best = np.array([10, 10, 10, 0, 8])
    stuck = np.array([0, 0, 0, 0, 2])
    got = inefficient_mask(gpus, best, stuck)
    want = [inefficiency(int(g), int(b), int(s)) is not None for g, b, s in zip(gpus, best, stuck)]
    assert got.tolist() == want == [False, False, True, False, True]
    assert INEFFICIENT_GPU_RATIO == 10.0 and Reason.INEFFICIENT in SWEEP_REASONS


def test_sweep_excludes_what_recommend_excludes_unless_kept(catalog, fac, coding):
    from advisor import api

    wl, rec, inefficient = coding
    sweep = {"name": "coding", "workload": wl.model_dump(mode="json", exclude_none=True),
             "axes": [{"name": "utilisation", "values": [0.5, 0.7]}]}
    res = api.sweep(catalog, sweep, fac=fac)
    option, reason = np.asarray(res.rows["option"]), np.asarray(res.rows["reason"])
    feasible = np.asarray(res.rows["feasible"])
    for sc in range(res.n_scenarios):
        mine = np.asarray(res.rows["scenario"]) == sc
        assert set(option[mine & (reason == "inefficient")]) == inefficient
    assert not feasible[reason == "inefficient"].any()
    assert np.isnan(np.asarray(res.rows["usd_per_mtok"], dtype=float)[reason == "inefficient"]).all()
    assert list(res.lowest_cost) == [rec.lowest_cost] * 2 and list(res.best_score) == [rec.best_score] * 2

    kept = api.sweep(catalog, sweep, fac=fac, keep_inefficient=True)
    k_option, k_feasible = np.asarray(kept.rows["option"]), np.asarray(kept.rows["feasible"])
    assert "inefficient" not in set(np.asarray(kept.rows["reason"]))
    assert inefficient <= set(k_option[k_feasible])
    assert set(k_option[k_feasible]) - set(option[feasible]) == inefficient


def test_sweep_ratio_follows_each_scenarios_best_option(catalog, fac):
    """The 10x yardstick is each scenario's best-scoring option: with the B300 at 1000x its price the RTX PRO 6000
    fleet scores best there, and is no longer inefficient (as recommend would say at that price)."""
    from advisor import api

    wl = api.load_workload(CODING).model_dump(mode="json", exclude_none=True)
    wl["procurement"]["systems"] = ["nvidia_hgx_b300", "nvidia_rtx_pro_6000_server_8x"]
    sweep = {"name": "ratio", "workload": wl,
             "axes": [{"name": "usd_per_gpu_hour_multiplier", "system": "nvidia_hgx_b300", "values": [1.0, 1000.0]}]}
    res = api.sweep(catalog, sweep, fac=fac)
    rows = {(r["scenario"], r["option"]): r for r in res.iter_rows()}
    assert rows[(0, "rent:nvidia_rtx_pro_6000_server_8x")]["reason"] == "inefficient"
    assert res.best_score[0] == res.lowest_cost[0] == "rent:nvidia_hgx_b300"
    assert rows[(1, "rent:nvidia_rtx_pro_6000_server_8x")]["feasible"]
    assert res.best_score[1] == res.lowest_cost[1] == "rent:nvidia_rtx_pro_6000_server_8x"
    pinned = api.workload_from_dict({**wl, "procurement": {**wl["procurement"], "usd_per_gpu_hour": {
        "nvidia_hgx_b300": 1000.0 * catalog_rent(catalog, fac, wl)}}})
    assert not [e for e in api.recommend(catalog, pinned, fac=fac).excluded if e.constraint == "inefficient"]


def catalog_rent(catalog, fac, wl) -> float:
    """The B300's catalog rent per GPU-hour at the workload's tier (what the multiplier scales)."""
    from advisor import api
    from advisor.api.context import job_context

    ctx = job_context(catalog, api.workload_from_dict(wl), fac)
    return ctx.member_price(catalog.systems["nvidia_hgx_b300"], "rent")[0]


def _fleets(wl) -> dict:
    members = {"b300": ("nvidia_hgx_b300", 20), "rtx": ("nvidia_rtx_pro_6000_server_8x", 480),
               "tpu_v6e": ("google_tpu_v6e_8", 1920)}
    return {"name": "coding", "workload": wl.model_dump(mode="json", exclude_none=True),
            "fleets": [{"name": name, "procurement": "rent", "members": [{"system": sid, "count": n}]}
                       for name, (sid, n) in members.items()]}


def test_compare_marks_inefficient_fleets_and_never_calls_them_lowest_cost(catalog, fac, coding):
    from advisor import api

    wl, _, _ = coding
    cmp = api.compare_fleets(catalog, _fleets(wl), fac=fac)
    rows = {r.name: r for r in cmp.fleets}
    assert all(r.demand_met for r in rows.values())
    assert rows["b300"].status == "meets demand" and cmp.lowest_cost == "b300"
    assert rows["rtx"].status.startswith("inefficient: needs 3,840 GPUs, 24x the 160")
    assert rows["tpu_v6e"].status.startswith("inefficient: stuck at batch 1 per replica")
    assert any(n.startswith("inefficient: ") for n in rows["rtx"].notes)

    kept = api.compare_fleets(catalog, _fleets(wl), fac=fac, keep_inefficient=True)
    assert all(r.status == "meets demand" for r in kept.fleets)
    cheapest = min((r.usd_per_mtok, r.name) for r in kept.fleets if r.usd_per_mtok is not None)[1]
    assert kept.lowest_cost == cheapest


def test_cli_keep_inefficient_on_sweep_and_compare(catalog, fac, coding, tmp_path, capsys):
    import tomli_w

    from advisor.cli import main

    wl, _, inefficient = coding
    path = tmp_path / "fleets.toml"
    path.write_text(tomli_w.dumps(_fleets(wl)))
    assert main(["compare", str(path), "--format", "json"]) == 0
    marked = {f["name"]: f["status"] for f in json.loads(capsys.readouterr().out)["fleets"]}
    assert marked["rtx"].startswith("inefficient")
    assert main(["compare", str(path), "--format", "json", "--keep-inefficient"]) == 0
    assert not any(f["status"].startswith("inefficient") for f in json.loads(capsys.readouterr().out)["fleets"])

    sweep = tmp_path / "sweep.toml"
    sweep.write_text(tomli_w.dumps({"name": "coding", "workload": str(CODING),
                                    "axes": [{"name": "utilisation", "values": [0.5]}]}))
    assert main(["sweep", str(sweep), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert {r["option"] for r in rows if r["reason"] == "inefficient"} == inefficient
    assert main(["sweep", str(sweep), "--format", "json", "--keep-inefficient"]) == 0
    assert not [r for r in json.loads(capsys.readouterr().out)["rows"] if r["reason"] == "inefficient"]


def test_fleet_sweep_applies_the_rule_as_compare_does(catalog, fac, coding):
    """A sweep over a fleets file: fleets stuck at batch 1 or over 10x the GPUs of the scenario's best-scoring
    fleet are infeasible with reason `inefficient` (kept with keep_inefficient)."""
    from advisor import api

    wl, _, _ = coding
    sweep = {"name": "fleets", "fleets": _fleets(wl), "axes": [{"name": "utilisation", "values": [0.5]}]}
    res = api.sweep(catalog, sweep, fac=fac)
    reasons = {r["option"]: r["reason"] for r in res.iter_rows()}
    assert reasons == {"b300": "", "rtx": "inefficient", "tpu_v6e": "inefficient"}
    kept = api.sweep(catalog, sweep, fac=fac, keep_inefficient=True)
    assert {r["option"]: r["reason"] for r in kept.iter_rows()} == {"b300": "", "rtx": "", "tpu_v6e": ""}
