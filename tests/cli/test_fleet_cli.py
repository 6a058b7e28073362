"""`advisor compare` and `advisor sweep` through main(argv): stdout data only, exit codes 0/2/3."""

from __future__ import annotations

import csv
import io
import json

import pytest

from advisor.cli import main
from tests.conftest import ROOT, real_catalog_present

pytestmark = [pytest.mark.real_catalog,
              pytest.mark.skipif(not real_catalog_present(), reason="needs the built-in catalog")]

SEED = str(ROOT / "examples" / "fleets" / "seed.toml")
POWER = str(ROOT / "examples" / "sweeps" / "power_price.toml")


def test_compare_table(capsys):
    assert main(["compare", SEED]) == 0
    out, err = capsys.readouterr()
    for word in ("usd_per_mtok", "all_in_mw", "capacity_users", "vendor_concentration", "hgx_h200", "vs_hgx_b300.delta_usd_per_mtok"):
        assert word in out
    assert "\x1b[" not in out and err == ""


def test_compare_json_csv_md(capsys):
    assert main(["compare", SEED, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["kind"] == "fleet_comparison" and data["schema_version"] and len(data["fleets"]) == 6
    assert main(["compare", SEED, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["fleet"] for r in rows} >= {"hgx_b300", "hgx_h200"} and "usd_per_mtok" in rows[0]
    assert main(["compare", SEED, "--format", "md"]) == 0
    assert capsys.readouterr().out.startswith("## Fleet comparison")


def test_compare_exit_3_when_no_fleet_meets_demand(capsys):
    assert main(["compare", SEED, "--set", "workload.demand.concurrent_users=1000000", "--format", "json"]) == 3
    out, err = capsys.readouterr()
    assert json.loads(out)["any_meets_demand"] is False and "no fleet meets the demand" in err


def test_compare_bad_input_exit_2(capsys, tmp_path):
    assert main(["compare", SEED, "--set", "fleets.mi355x.members.0.system=amd_mi355"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "seed.toml:" in err and "fleets[2].members[0].system" in err and "Did you mean" in err
    assert main(["compare", str(tmp_path / "missing.toml")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_sweep_csv_and_table(capsys):
    assert main(["sweep", POWER, "--format", "csv"]) == 0
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and {"usd_per_kwh", "option", "usd_per_mtok", "is_lowest_cost", "is_best_score", "score"} <= set(rows[0])
    assert all(line.startswith("advisor: warning: price ") for line in err.splitlines())  # stale prices only
    n_sc = len({r["scenario"] for r in rows})
    assert sum(r["is_lowest_cost"] == "true" for r in rows) == n_sc
    assert main(["sweep", POWER, "--format", "table"]) == 0
    out = capsys.readouterr().out
    # the summary line: "lowest $/Mtok over N scenarios: ..." when the cheapest option changes, "X has the lowest
    # $/Mtok in all N scenarios" when one option is cheapest everywhere; never an unqualified "winner"
    n = len({r["scenario"] for r in rows})
    assert "lowest_cost" in out and "winner" not in out
    assert f"lowest $/Mtok over {n} scenarios" in out or f"has the lowest $/Mtok in all {n} scenarios" in out


def test_sweep_json_and_plot(capsys):
    assert main(["sweep", POWER, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["kind"] == "sweep" and data["n_scenarios"] == len(data["scenarios"])
    assert main(["sweep", POWER, "--plot", "--format", "table"]) == 0
    assert "usd_per_mtok along usd_per_kwh" in capsys.readouterr().out


def test_sweep_max_scenarios_and_force(capsys):
    assert main(["sweep", POWER, "--max-scenarios", "5"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "exceed the maximum of 5" in err and "--force" in err
    assert main(["sweep", POWER, "--max-scenarios", "5", "--force", "--format", "json"]) == 0


def test_sweep_axis_without_values_names_file_line(capsys, tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('workload = "%s"\n\n[[axes]]\nname = "usd_per_kwh"\nvalues = []\n' % (ROOT / "examples/workloads/deepseek_v4_chat.toml"))
    assert main(["sweep", str(f)]) == 2
    assert "s.toml:3: axes[0]" in capsys.readouterr().err


def test_sweep_on_dask_local_equals_the_local_csv(capsys):
    pytest.importorskip("dask.distributed")
    assert main(["sweep", POWER, "--format", "csv"]) == 0
    here = capsys.readouterr().out
    assert main(["sweep", POWER, "--format", "csv", "--dask", "local"]) == 0
    assert capsys.readouterr().out == here


def test_sweep_dask_address_must_be_local_or_a_scheduler(capsys):
    pytest.importorskip("dask.distributed")
    assert main(["sweep", POWER, "--dask", "my-cluster"]) == 2
    assert "tcp://" in capsys.readouterr().err
