"""Fleet comparison: the greedy allocation, the fleets file, and compare_fleets on the seed example."""

from __future__ import annotations

import pytest

from advisor.domain.fleet import FleetsFile
from advisor.engine.allocation import Cell, allocate
from advisor.errors import InputError
from tests.conftest import ROOT, real_catalog_present

SEED = ROOT / "examples" / "fleets" / "seed.toml"
pytestmark = pytest.mark.real_catalog

WL = {"classes": [{"name": "chat", "model": "deepseek_v4_pro", "isl": 8192, "osl": 1024, "min_tok_s_per_user": 10}],
      "demand": {"concurrent_users": 4000}}


def cell(batch, g, tps, users):
    return Cell(batch=batch, gpus_per_replica=g, tok_s_per_user=10.0, total_tok_s_per_gpu=tps, output_tok_s_per_gpu=tps / 9, users=users)


def test_allocate_best_system_first_then_spare_by_share():
    cells = {"a": {"fast": cell(100, 8, 900.0, 150), "slow": cell(50, 8, 400.0, 150)},
             "b": {"fast": cell(10, 8, 100.0, 50), "slow": None}}
    al = allocate({"fast": 16, "slow": 16}, [("a", 0.75), ("b", 0.25)], cells)
    # class a (largest share) takes 2 replicas on 'fast' (its best), b gets nothing on fast and cannot run on slow
    assert al.demand_replicas["a"] == {"fast": 2}
    assert al.unmet_fraction["a"] == 0.0
    assert al.unmet_fraction["b"] == 1.0
    # the spare 'slow' GPUs go to the only class that can use them
    assert al.replicas["a"]["slow"] == 2 and al.free_gpus == {"fast": 0, "slow": 0}


def test_allocate_reports_unmet_demand():
    al = allocate({"x": 8}, [("c", 1.0)], {"c": {"x": cell(100, 8, 500.0, 1000)}})
    assert al.replicas["c"] == {"x": 1}
    assert al.served_users["c"]["x"] == 100
    assert al.unmet_fraction["c"] == pytest.approx(0.9)


def test_allocate_leaves_gpus_too_few_for_a_replica():
    al = allocate({"x": 12}, [("c", 1.0)], {"c": {"x": cell(100, 8, 500.0, 50)}})
    assert al.replicas["c"] == {"x": 1} and al.free_gpus["x"] == 4


@pytest.mark.parametrize("patch, needle", [
    ({"fleets": []}, "fleets"),
    ({"fleets": [{"name": "a", "members": []}]}, "members"),
    ({"fleets": [{"name": "a", "members": [{"system": "x", "count": 0}]}]}, "greater than or equal to 1"),
    ({"fleets": [{"name": "a", "members": [{"system": "x", "count": -2}]}]}, "greater than or equal to 1"),
    ({"baseline": "nope"}, "baseline 'nope'"),
    ({"fleets": [{"name": "a", "members": [{"system": "x", "count": 1}]}] * 2}, "unique"),
])
def test_fleets_file_rejects(patch, needle):
    from advisor.api.loading import as_fleets as _fleets_obj

    data = {"workload": WL, "fleets": [{"name": "a", "members": [{"system": "x", "count": 1}]}], **patch}
    with pytest.raises(InputError) as exc:
        _fleets_obj(data)
    assert needle in str(exc.value)


def test_load_fleets_resolves_workload_path_and_forwards_sets(tmp_path):
    from advisor.api import load_fleets

    (tmp_path / "wl").mkdir()
    (tmp_path / "wl" / "w.toml").write_text(
        '[[classes]]\nname = "chat"\nmodel = "m"\nisl = 10\nosl = 5\n[demand]\nconcurrent_users = 7\n')
    f = tmp_path / "f.toml"
    f.write_text('workload = "wl/w.toml"\n[[fleets]]\nname = "a"\n[[fleets.members]]\nsystem = "s"\ncount = 2\n')
    ff = load_fleets(f, sets=["workload.demand.concurrent_users=9", "fleets.a.members.0.count=3"])
    assert isinstance(ff, FleetsFile)
    assert ff.workload.demand.concurrent_users == 9 and ff.fleets[0].members[0].count == 3


def test_load_fleets_missing_workload_and_bad_count_name_file_line_key(tmp_path):
    from advisor.api import load_fleets

    f = tmp_path / "f.toml"
    f.write_text('workload = "nope.toml"\n[[fleets]]\nname = "a"\n[[fleets.members]]\nsystem = "s"\ncount = 1\n')
    with pytest.raises(InputError) as exc:
        load_fleets(f)
    assert "f.toml:1: workload: 'nope.toml' not found" in exc.value.lines()[0]
    f.write_text('[[fleets]]\nname = "a"\n[[fleets.members]]\nsystem = "s"\ncount = 1\n[[fleets.members]]\nsystem = "t"\ncount = 0\n'
                 '[workload]\nclasses = [{name = "c", model = "m", isl = 1, osl = 1}]\ndemand = {concurrent_users = 1}\n')
    with pytest.raises(InputError) as exc:
        load_fleets(f)
    assert "f.toml:8: fleets[0].members[1].count" in exc.value.lines()[0]


@pytest.fixture(scope="module")
def catalog():
    if not real_catalog_present():
        pytest.skip("needs the built-in catalog")
    from advisor import api

    return api.load_catalog()[0]


@pytest.fixture(scope="module")
def seed(catalog):
    from advisor import api

    return api.compare_fleets(catalog, SEED)


def test_unknown_system_did_you_mean_with_line(catalog, tmp_path):
    from advisor import api

    text = SEED.read_text().replace('system = "amd_mi355x_8x"\ncount = 5', 'system = "amd_mi355_8x"\ncount = 5')
    f = tmp_path / "seed.toml"
    f.write_text(text)
    line = text.splitlines().index('system = "amd_mi355_8x"') + 1
    with pytest.raises(InputError) as exc:
        api.compare_fleets(catalog, api.read_fleets(f))
    msg = exc.value.lines()[0]
    assert f"seed.toml:{line}: fleets[2].members[0].system" in msg and "amd_mi355x_8x" in msg


def test_seed_comparison(seed):
    rows = {r.name: r for r in seed.fleets}
    assert set(rows) == {"gb300_nvl72", "hgx_b300", "mi355x", "hgx_h200", "mixed_b300_mi355x", "b300_rented"}
    assert seed.baseline == "hgx_b300" and seed.any_meets_demand
    b = rows["hgx_b300"]
    assert b.demand_met and b.gpus == 32 and b.capacity_users >= 3000
    assert b.utilisation == pytest.approx(3000 / b.capacity_users)
    assert b.vs_baseline["delta_usd_per_mtok"] == 0.0
    assert b.annual_opex_usd == pytest.approx(b.annual_power_usd + b.annual_hosting_usd + b.annual_maintenance_usd)
    assert b.annual_total_usd == pytest.approx(b.annual_opex_usd + b.annual_capital_usd)
    assert b.usd_per_mtok > 0 and b.capex_usd > 0 and b.all_in_mw > b.it_mw > 0
    # the H200 fleet is the one that falls short; it says so and by how much
    h = rows["hgx_h200"]
    assert not h.demand_met and h.classes[0].unmet_users > 0 and "not met" in h.status
    mixed = rows["mixed_b300_mi355x"]
    assert mixed.vendor_concentration == 0.5 and mixed.ecosystem_concentration == 0.5 and len(mixed.systems) == 2
    rent = rows["b300_rented"]
    assert rent.capex_usd == 0 and rent.annual_rental_usd > 0 and rent.procurement == "rent"
    assert rows["gb300_nvl72"].cooling == "liquid" and rows["gb300_nvl72"].racks == 1


def test_seed_matches_recommend_sizing(catalog, seed):
    """A single-system fleet sized like recommend() costs what recommend() says per GPU-hour. The operating points
    may differ: a given fleet runs the cell with the most tok/s/GPU (it serves the most users on those GPUs),
    recommend the cheapest cell sized at the demand (select.cheapest_per_system); both meet the same SLO."""
    from advisor import api

    wl = api.workload_from_dict(seed.workload, sets=["procurement.systems=['nvidia_hgx_b300']", "procurement.mode='buy'"])
    opt = api.recommend(catalog, wl).options[0]
    b = next(r for r in seed.fleets if r.name == "hgx_b300")
    floor = wl.classes[0].min_tok_s_per_user
    assert opt.classes[0].point.tok_s_per_user >= floor and b.classes[0].tok_s_per_user >= floor
    assert opt.cost.usd_per_gpu_hour == pytest.approx(b.annual_total_usd / (b.gpus * 8760))


def test_rent_only_system_bought_is_noted(catalog):
    from advisor import api

    cmp = api.compare_fleets(catalog, {"workload": WL, "fleets": [
        {"name": "tpu", "procurement": "buy", "members": [{"system": "google_tpu_v7_64", "count": 1}]}]})
    row = cmp.fleets[0]
    assert row.usd_per_mtok is None and any("can only be had by rent" in n for n in row.notes)
