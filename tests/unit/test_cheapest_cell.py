"""Issue 11 item 2: serving defaults to auto. Recommend picks per system the cell with the lowest $/Mtok of the
class sized at its demand (select.cheapest_per_system), so a stricter SLO never gives a cheaper best option."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from advisor import api

pytestmark = pytest.mark.real_catalog

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples" / "workloads").glob("*.toml"))


def _stricter(wl, factor: float):
    d = wl.model_dump()
    for c in d["classes"]:
        c["min_tok_s_per_user"] = max(c["min_tok_s_per_user"], 1.0) * factor
    return api.workload_from_dict(d)


def test_the_default_serving_mode_is_auto():
    from advisor.domain.workload import TrafficClass

    assert TrafficClass(name="x", model="m", isl=1, osl=1).serving == "auto"
    for path in EXAMPLES:
        assert all(c.serving == "auto" for c in api.load_workload(path).classes)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_higher_slo_never_lowers_cost_of_the_best_option(catalog, fac, path):
    wl = api.load_workload(path, sets=["procurement.days_since_release=200"])
    costs = []
    for factor in (None, 1.5, 2.0):
        r = api.recommend(catalog, wl if factor is None else _stricter(wl, factor), fac=fac)
        costs.append(min((o.usd_per_mtok for o in r.options), default=math.inf))
    assert costs == sorted(costs), costs


def test_the_pick_is_never_dearer_than_the_throughput_pick_and_sometimes_cheaper(catalog, fac):
    from advisor.engine import select
    from advisor.engine.build import grid_for

    systems = [catalog.systems[s] for s in ("nvidia_hgx_b200", "nvidia_gb200_nvl72_rack", "amd_mi355x_8x",
                                             "nvidia_hgx_h100", "nvidia_hgx_h200")]
    g, _ = grid_for(catalog, systems, catalog.model("deepseek_v3"), fac, isl=8192, osl=1024, serving="auto")
    aps = np.array([s.accelerators_per_system for s in systems], dtype=float)
    cheaper = 0
    for users in (50.0, 700.0, 4000.0):
        for floor in (5.0, 20.0, 50.0):
            mask = select.slo_mask(g, floor)
            w = select.sized_usd_weight(g, users, headroom=0.2, spares=0, accelerators_per_system=aps)
            cheap, ok = select.cheapest_per_system(g, mask, users, headroom=0.2, spares=0, accelerators_per_system=aps)
            fast, ok2 = select.best_per_system(g, mask)
            assert (ok == ok2).all()
            S = len(systems)
            wc = w.reshape(S, -1)[np.arange(S), cheap]
            wf = w.reshape(S, -1)[np.arange(S), fast]
            assert (wc[ok] <= wf[ok] * (1 + 1e-12)).all()
            assert mask.reshape(S, -1)[np.arange(S)[ok], cheap[ok]].all()
            cheaper += int((wc[ok] < wf[ok] * (1 - 1e-9)).sum())
    assert cheaper > 0  # whole replicas and whole systems make the two picks differ


def test_each_option_costs_what_the_selection_weighed(catalog, fac):
    """usd_per_mtok = GPUs paid / (users x tok/s/user) x $/GPU-hour / (tokens per output token x utilisation x 3600):
    the selection's weight and the sizing agree (single-class workloads)."""
    from advisor.engine import select
    from advisor.engine.build import grid_for

    for path in EXAMPLES:
        wl = api.load_workload(path, sets=["procurement.days_since_release=200"])
        if len(wl.classes) > 1 or wl.demand.concurrent_users is None:
            continue
        tc = wl.classes[0]
        r = api.recommend(catalog, wl, fac=fac)
        for o in r.options:
            (plan,) = o.classes
            s = catalog.systems[plan.system]
            g, _ = grid_for(catalog, [s], catalog.model(tc.model), fac, isl=tc.isl, osl=tc.osl, precision=tc.precision,
                            spec_decode=tc.spec_decode, serving=tc.serving, days_since_release=200)
            w = select.sized_usd_weight(g, wl.demand.concurrent_users * tc.share, headroom=wl.procurement.headroom_target,
                                        spares=wl.procurement.spares_for(tc.name),
                                        accelerators_per_system=np.array([s.accelerators_per_system], dtype=float))
            p = plan.point
            cell = [float(x) for x in np.asarray(w)[0][(g.metrics["tok_s_per_user"][0] == p.tok_s_per_user)
                                                      & (g.batches.reshape(1, 1, 1, -1) == p.batch)
                                                      & (g.layouts.reshape(-1, 1, 1, 1) == p.gpus_per_replica)]]
            assert cell, (path.stem, o.id)
            util = next(a.value for a in r.assumptions if a.name == "utilisation")
            k = (tc.isl + tc.osl) / tc.osl
            expected = cell[0] * o.cost.usd_per_gpu_hour / (k * float(util) * 3600) * 1e6
            assert o.usd_per_mtok == pytest.approx(expected, rel=1e-6), (path.stem, o.id)


def test_a_disaggregated_option_pays_for_its_prefill_pool(catalog, fac):
    doc = {
        "classes": [{"name": "chat", "model": "deepseek_v3", "isl": 8192, "osl": 1024, "min_tok_s_per_user": 30,
                     "serving": "disagg"}],
        "demand": {"concurrent_users": 3000},
        "procurement": {"mode": "rent", "systems": ["nvidia_hgx_b200", "nvidia_hgx_h200"], "days_since_release": 400},
    }
    r = api.recommend(catalog, api.workload_from_dict(doc), fac=fac, keep_inefficient=True)
    assert r.options
    for o in r.options:
        (plan,) = o.classes
        p = plan.point
        assert p.serving == "disagg" and p.prefill_gpus_per_replica > 0
        pool = math.ceil(plan.replicas * p.prefill_gpus_per_replica - 1e-9)
        assert plan.gpus == plan.replicas * p.gpus_per_replica + pool
        assert o.gpus >= plan.gpus
        # the per-GPU figure counts both pools: the fleet's GPUs deliver the demand's tokens
        assert o.gpus * p.output_tok_s_per_gpu >= plan.output_tokens_per_s_at_peak * (1 - 1e-9)


def test_recommend_serving_flag_overrides_every_class(capsys):
    import json

    from advisor.cli import main

    path = ROOT / "examples" / "workloads" / "deepseek_v4_chat.toml"
    for mode in ("agg", "disagg"):
        code = main(["recommend", str(path), "--serving", mode, "--format", "json", "--keep-inefficient"])
        doc = json.loads(capsys.readouterr().out)
        assert code in (0, 3)
        assert all(c["point"]["serving"] == mode for o in doc["options"] for c in o["classes"])


def test_a_sweep_over_users_prices_what_recommend_prices_at_each_value(catalog, fac):
    """The sweep sizes the cell recommend picks at each concurrency (concurrent_users is a throughput-key axis)."""
    doc = {"classes": [{"name": "chat", "model": "deepseek_v3", "isl": 8192, "osl": 1024, "min_tok_s_per_user": 20}],
           "demand": {"concurrent_users": 1000},
           "procurement": {"systems": ["nvidia_hgx_b200", "nvidia_gb200_nvl72_rack", "amd_mi355x_8x"],
                           "days_since_release": 400}}
    values = [60, 900, 7000]
    res = api.sweep(catalog, {"workload": doc, "axes": [{"name": "concurrent_users", "values": values}]}, fac=fac)
    cost = np.asarray(res.rows["usd_per_mtok"]).reshape(len(values), -1)
    gpus = np.asarray(res.rows["gpus"]).reshape(len(values), -1)
    users = np.asarray(res.axes["concurrent_users"])
    checked = 0
    for sc, u in enumerate(users):
        rec = api.recommend(catalog, api.workload_from_dict({**doc, "demand": {"concurrent_users": int(u)}}), fac=fac,
                            keep_inefficient=True)
        for o in rec.options:
            j = res.options.index(o.id)
            assert cost[sc, j] == pytest.approx(o.usd_per_mtok, rel=1e-9), (u, o.id)
            assert gpus[sc, j] == o.gpus
            checked += 1
    assert checked >= 6


def test_a_disaggregated_fleet_counts_its_prefill_pool_in_capacity(catalog, fac):
    """compare: a fleet's GPUs carry the decode replicas and their prefill pool, so capacity is GPUs x the cell's
    tok/s/GPU (which counts both pools), not decode replicas x batch."""
    from advisor.engine import select
    from advisor.engine.build import grid_for

    wl = {"classes": [{"name": "chat", "model": "deepseek_v3", "isl": 8192, "osl": 1024, "min_tok_s_per_user": 40,
                       "serving": "disagg"}], "demand": {"concurrent_users": 3000},
          "procurement": {"days_since_release": 400}}
    r = api.compare_fleets(catalog, {"workload": wl, "fleets": [
        {"name": "b200", "members": [{"system": "nvidia_hgx_b200", "count": 20}]}]}, fac=fac)
    row = r.fleets[0].classes[0]
    g, _ = grid_for(catalog, [catalog.systems["nvidia_hgx_b200"]], catalog.model("deepseek_v3"), fac, isl=8192,
                    osl=1024, serving="disagg", days_since_release=400)
    idx, ok = select.most_demand_per_system(g, select.slo_mask(g, 40), 3000.0)
    c = select.cell(g, 0, int(idx[0]))
    assert ok[0] and c.serving == "disagg" and c.prefill_gpus_per_replica > 0
    assert row.tok_s_per_user == pytest.approx(c.tok_s_per_user)
    assert row.gpus == 160
    assert row.capacity_total_tok_s == pytest.approx(160 * c.total_tok_s_per_gpu, rel=1e-9)
    G = c.gpus_per_replica
    assert row.capacity_users == pytest.approx(160 // G * c.batch * G / (G + c.prefill_gpus_per_replica))
    assert row.capacity_users < 160 // G * c.batch  # the pool's GPUs serve no decode


def test_a_fleet_runs_the_cell_carrying_the_most_users(catalog, fac):
    """A given fleet (and a budget) takes the cell carrying the most of the demand per GPU, not the most tok/s/GPU:
    with serving auto a disaggregated cell far above the tok/s/user floor has more tok/s/GPU but carries fewer
    users. The seed GB300 NVL72 fleet a year after release (CUDA's fitted maturity curve makes day 0 slow),
>= 20 tok/s/user and 2,000 users meets the demand either way."""
    from advisor.engine import select
    from advisor.engine.build import grid_for

    seed = api.load_fleets(ROOT / "examples" / "fleets" / "seed.toml").model_dump(mode="json")
    caps = {}
    for serving in ("agg", "auto"):
        doc = {**seed, "workload": {**seed["workload"], "demand": {"concurrent_users": 2000},
                                    "procurement": {**seed["workload"]["procurement"], "days_since_release": 365}}}
        doc["workload"]["classes"] = [{**c, "serving": serving, "min_tok_s_per_user": 20} for c in doc["workload"]["classes"]]
        row = next(f for f in api.compare_fleets(catalog, doc, fac=fac).fleets if f.name == "gb300_nvl72")
        assert row.classes[0].demand_met, serving
        caps[serving] = row.classes[0].capacity_users
    assert caps["auto"] >= 2000 and caps["agg"] >= 2000
    # the pick carries at least as many users per GPU as the most-tok/s/GPU cell, on every system
    systems = [catalog.systems[s] for s in ("nvidia_gb300_nvl72_rack", "nvidia_hgx_b200", "amd_mi355x_8x")]
    g, _ = grid_for(catalog, systems, catalog.model("deepseek_v3"), fac, isl=8192, osl=1024, serving="auto",
                    days_since_release=365)
    mask = select.slo_mask(g, 20)
    most, ok = select.most_demand_per_system(g, mask, 2000.0)
    fast, _ = select.best_per_system(g, mask)
    pf = np.broadcast_to(g.metrics["prefill_gpus_per_replica"], g.shape)
    carried = np.broadcast_to(g.batches.reshape(1, 1, 1, 1, -1) / (g.layouts.reshape(1, -1, 1, 1, 1) + pf), g.shape)
    S = len(systems)
    a = carried.reshape(S, -1)[np.arange(S), most]
    b = carried.reshape(S, -1)[np.arange(S), fast]
    assert (a[ok] >= b[ok] * (1 - 1e-12)).all() and (a[ok] > b[ok]).any()


def test_fleet_sweep_and_compare_agree_on_a_disaggregated_fleet(catalog, fac):
    """Between the decode replicas' batch and the capacity net of the prefill pool, demand is not met: compare and
    the fleets sweep (sweep_options.fleet_options) say so alike, and price a fleet that meets it alike."""
    cls = {"name": "chat", "model": "deepseek_v3", "isl": 8192, "osl": 1024, "min_tok_s_per_user": 40,
           "serving": "disagg"}
    fleets = [{"name": "b200", "members": [{"system": "nvidia_hgx_b200", "count": 20}]}]
    probe = api.compare_fleets(catalog, {"workload": {"classes": [cls], "demand": {"concurrent_users": 100},
                                                      "procurement": {"days_since_release": 400}}, "fleets": fleets},
                               fac=fac).fleets[0].classes[0]
    p = api.estimate(catalog, system="nvidia_hgx_b200", model="deepseek_v3", isl=8192, osl=1024, min_tok_s_per_user=40,
                     serving="disagg", days_since_release=400, fac=fac)["point"]
    decode_only = 160 // p.gpus_per_replica * p.batch
    between = int((probe.capacity_users + decode_only) / 2)
    for users, met in ((between, False), (int(probe.capacity_users * 0.9), True)):
        wl = {"classes": [cls], "demand": {"concurrent_users": users}, "procurement": {"days_since_release": 400}}
        cmp = api.compare_fleets(catalog, {"workload": wl, "fleets": fleets}, fac=fac).fleets[0]
        res = api.sweep(catalog, {"fleets": {"workload": wl, "fleets": fleets},
                                  "axes": [{"name": "usd_per_kwh", "values": [0.12]}]}, fac=fac)
        assert cmp.classes[0].demand_met is met
        assert bool(res.rows["feasible"][0]) is met
        if met:
            assert res.rows["usd_per_mtok"][0] == pytest.approx(cmp.usd_per_mtok, rel=1e-6)
