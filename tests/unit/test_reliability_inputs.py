"""Every TOML source through one guarded parse; finite, physical ranges in the domain models; errors name their source."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from advisor.catalog.documents import apply_sets, parse_set
from advisor.catalog.parse import MAX_DEPTH, parse_toml, parse_value, path_problem
from advisor.catalog.validate import validate_text
from advisor.cli import main
from advisor.domain import Catalog
from advisor.domain.fleet import Axis, FleetMember
from advisor.domain.hardware import System
from advisor.domain.workload import Datacenter, Demand, Procurement, TrafficClass, Weights, Workload
from advisor.errors import UsageError
from tests.conftest import ROOT, real_catalog_present

EXAMPLE = ROOT / "examples" / "workloads" / "coding_assistant.toml"
needs_catalog = pytest.mark.skipif(not real_catalog_present(), reason="needs the built-in catalog")


# the guard --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, words", [
    ("x = " + "[" * 3000 + "]" * 3000, "nested too deeply"),
    ("x = " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "nested too deeply"),
    ("x = " + "{ a = " * 200 + "1" + " }" * 200, "nested too deeply"),
    ("x = " + "9" * 5000, "thousands of digits"),
    ("x = 99999999999999999999", "out of range"),
    ("x = -9223372036854775809", "out of range"),
])
def test_guard_refuses_with_the_source_named(text, words):
    data, problems = parse_toml(text, "where.toml")
    assert data is None and len(problems) == 1
    assert problems[0].file == "where.toml" and words in problems[0].message


def test_guard_keeps_what_is_fine():
    data, problems = parse_toml("x = 9223372036854775807\ny = [[1, 2], [3]]\nz = 2025-06-01\n", "f")
    assert problems == [] and data == {"x": 2**63 - 1, "y": [[1, 2], [3]], "z": "2025-06-01"}


def test_guard_size_limit(monkeypatch):
    from advisor.catalog import parse

    monkeypatch.setattr(parse, "MAX_TEXT_CHARS", 100)
    data, problems = parse.parse_toml("x = 1\n" * 50, "big.toml")
    assert data is None and "too large" in problems[0].message


def test_path_length_is_checked_before_the_os_is_asked():
    assert "too long" in path_problem("/" + "x" * 70_000, "p").message
    assert "too long" in path_problem("/tmp/" + "y" * 300, "p").message
    assert path_problem("/tmp/fine.toml", "p") is None
    assert "NUL" in path_problem("/tmp/a\x00b", "p").message


# --set: grammar checked before anything is applied ----------------------------------------------

def test_set_under_a_scalar_names_the_argument():
    with pytest.raises(UsageError, match=r"--set 'name.x=1': 'name' is a value"):
        apply_sets({"name": "w"}, ["name.x=1"])


@pytest.mark.parametrize("arg, words", [
    ("demand.utilisation=" + "[" * 500 + "]" * 500, "nested too deeply"),
    ("demand.utilisation=" + "1" * 5000, "thousands of digits"),
    ("a..b=1", "names separated by single dots"),
    ("=1", "names separated by single dots"),
    ("novalue", "expected KEY.PATH=VALUE"),
    ("classes." + "9" * 5000 + ".isl=1", "no item"),
])
def test_set_values_go_through_the_guard(arg, words):
    with pytest.raises(UsageError) as info:
        apply_sets({"classes": [{"name": "a"}], "demand": {}}, [arg])
    message = str(info.value)
    assert words in message and message.startswith("--set ") and len(message) < 400


def test_set_applies_to_a_copy_and_parses_values():
    data = {"demand": {"utilisation": 0.5}}
    out = apply_sets(data, ["demand.utilisation=0.7", "datacenter.cooling=air"])
    assert data == {"demand": {"utilisation": 0.5}}
    assert out == {"demand": {"utilisation": 0.7}, "datacenter": {"cooling": "air"}}
    assert parse_set("x.y=[1, 2]") == (["x", "y"], [1, 2])
    assert parse_value("nan", "--set x=nan")[0] != parse_value("nan", "--set x=nan")[0]  # NaN parses; models refuse it


@needs_catalog
def test_cli_set_under_a_scalar_is_exit_2(capsys):
    assert main(["recommend", str(EXAMPLE), "--set", "name.x=1"]) == 2
    err = capsys.readouterr().err
    assert "--set 'name.x=1'" in err and "Traceback" not in err


@needs_catalog
def test_cli_long_catalog_path_is_exit_2(capsys):
    assert main(["recommend", str(EXAMPLE), "--catalog", "/" + "x" * 70_000]) == 2
    err = capsys.readouterr().err
    assert "too long" in err and len(err) < 1000


# ranges -----------------------------------------------------------------------------------------

def _workload(**changes) -> dict:
    base = {
        "classes": [{"name": "chat", "model": "m", "isl": 1024, "osl": 256}],
        "demand": {"concurrent_users": 10},
    }
    for dotted, value in changes.items():
        head, key = dotted.split("__")
        if head == "classes":
            base["classes"][0][key] = value
        else:
            base.setdefault(head, {})[key] = value
    return base


@pytest.mark.parametrize("change", [
    {"procurement__usd_per_gpu_hour": {"x": -1.0}},
    {"procurement__usd_per_gpu_hour": {"x": math.nan}},
    {"procurement__usd_per_gpu": {"x": math.inf}},
    {"datacenter__usd_per_kwh": math.inf},
    {"datacenter__hosting_usd_per_kw_month": math.inf},
    {"datacenter__max_rack_kw": math.inf},
    {"datacenter__max_rack_kw": 1e308},
    {"demand__requests_per_s": math.inf},
    {"demand__utilisation": 1e-308},
    {"procurement__horizon_years": 1e-308},
    {"weights__cost": math.inf},
    {"classes__isl": "8192"},
    {"classes__share": "1"},
    {"classes__min_tok_s_per_user": math.nan},
    {"procurement__days_since_release": -1.0},
])
def test_workload_ranges_refuse(change):
    data = _workload(**change)
    if "demand__requests_per_s" in change:
        data["demand"].pop("concurrent_users")
    with pytest.raises(ValidationError):
        Workload.model_validate(data)


def test_zero_is_allowed_where_it_means_something():
    w = Workload.model_validate(_workload(
        datacenter__hosting_usd_per_kw_month=0.0, procurement__cost_of_capital=0, weights__power=0,
        classes__min_tok_s_per_user=0, procurement__days_since_release=0,
    ))
    assert w.weights.power == 0 and w.datacenter.hosting_usd_per_kw_month == 0


def test_ranges_are_in_the_json_schema():
    props = Datacenter.model_json_schema()["properties"]
    rack = props["max_rack_kw"]
    assert rack["maximum"] == 100_000 and rack["minimum"] > 0
    share = TrafficClass.model_json_schema()["properties"]["share"]
    assert share["exclusiveMinimum"] == 0 and share["maximum"] == 1
    assert "maximum" in str(Procurement.model_json_schema()["properties"]["usd_per_gpu_hour"])
    assert Weights.model_json_schema()["properties"]["cost"]["minimum"] == 0
    assert System.model_json_schema()["properties"]["system_kw"]["minimum"] > 1e-6


@pytest.mark.parametrize("axis", [
    {"name": "usd_per_kwh", "start": 0.1, "stop": 0.2, "step": math.nan},
    {"name": "usd_per_kwh", "start": 0.1, "stop": math.inf, "step": 0.1},
    {"name": "usd_per_kwh", "start": 0.1, "stop": 0.2, "step": 5e-324},
    {"name": "usd_per_kwh", "values": [math.nan]},
    {"name": "usd_per_kwh", "values": [1e308]},
    {"name": "concurrent_users", "values": [1e300]},
    {"name": "isl", "values": [1e12]},
    {"name": "utilisation", "values": [1e-308]},
])
def test_sweep_axes_refuse_non_finite_and_absurd_values(axis):
    with pytest.raises(ValidationError):
        Axis.model_validate(axis)


def test_fleet_member_prices_are_positive_and_finite():
    for bad in (-1.0, 0.0, math.nan, math.inf):
        with pytest.raises(ValidationError):
            FleetMember.model_validate({"system": "s", "count": 1, "usd_per_gpu": bad})
    with pytest.raises(ValidationError):
        FleetMember.model_validate({"system": "s", "count": "2"})


def test_demand_requires_finite_rate():
    with pytest.raises(ValidationError):
        Demand.model_validate({"requests_per_s": 1e308 * 10})


@pytest.mark.parametrize("line", [
    "system_kw = 1e-308", "system_kw = inf", "system_kw = nan", "max_systems_per_rack = 0",
    'system_kw = "10"', "accelerators_per_system = 1.5",
])
def test_catalog_entries_refuse_unphysical_values(line):
    text = f"""
[[system]]
id = "s"
name = "S"
sources = ["x"]
as_of = "2025"
accelerator = "a"
accelerators_per_system = 8
cooling = "air"
system_kw = 10
""".replace("system_kw = 10" if line.startswith("system_kw") else "cooling = \"air\"",
            line if line.startswith("system_kw") else f'cooling = "air"\n{line}')
    text = text.replace("accelerators_per_system = 8\n", "") if line.startswith("accelerators_per_system") else text
    parsed = validate_text(text, "o.toml")
    assert parsed.problems and parsed.problems[0].file == "o.toml" and parsed.problems[0].line


def test_overlay_defaults_refuse_infinite_hours(tmp_path, mini_builtin, capsys):
    overlay = tmp_path / "o.toml"
    overlay.write_text('[defaults]\nid = "defaults"\nsources = ["x"]\nas_of = "2025"\nhours_per_year = inf\n')
    assert main(["catalog", "validate", str(overlay)]) == 2
    err = capsys.readouterr().err
    assert "o.toml:5" in err and "hours_per_year" in err


@needs_catalog
def test_built_in_catalog_and_every_example_pass_the_ranges():
    from advisor import api
    from advisor.catalog import load_catalog

    catalog, _ = load_catalog()
    assert isinstance(catalog, Catalog) and catalog.systems
    examples = ROOT / "examples"
    for path in sorted((examples / "workloads").glob("*.toml")):
        api.load_workload(path)
    for path in sorted((examples / "fleets").glob("*.toml")):
        api.load_fleets(path)
    for path in sorted((examples / "sweeps").glob("*.toml")):
        api.load_sweep(path)


# long lists and long values ------------------------------------------------------------------------

def test_problem_lists_are_capped_at_50_with_a_count(tmp_path, mini_builtin, capsys):
    overlay = tmp_path / "many.toml"
    overlay.write_text("".join(f"[[tbl{i}]]\nx = 1\n" for i in range(2000)))
    assert main(["catalog", "validate", str(overlay)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 52
    assert "and 1,950 more errors" in lines[50] and "2000 errors" in lines[51]
    assert main(["recommend", str(EXAMPLE), "--catalog", str(overlay)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 52 and "and 1,950 more problems" in lines[50]


def test_echoed_values_are_cut_to_80_characters(tmp_path, mini_builtin, capsys):
    overlay = tmp_path / "long.toml"
    name = "k" * 100_000
    overlay.write_text(f'[[system]]\nid = "s"\nname = "S"\nsources = ["x"]\nas_of = "2025"\naccelerator = "{"a" * 100_000}"\n'
                       f"accelerators_per_system = 8\ncooling = \"air\"\nsystem_kw = 10\n{name} = 1\n")
    assert main(["catalog", "validate", str(overlay)]) == 2
    err = capsys.readouterr().err
    assert len(err) < 2000 and "long.toml:" in err


@needs_catalog
def test_sweep_with_an_overlong_workload_path_is_exit_2(tmp_path, capsys):
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(f'workload = "{"x" * 300}"\n[[axes]]\nname = "usd_per_kwh"\nvalues = [0.1]\n')
    assert main(["sweep", str(sweep), "--format", "json"]) == 2


@needs_catalog
def test_estimate_refuses_a_vanishing_utilisation(capsys):
    # 1e-308 once printed $1.8e306/Mtok at exit 0: the CLI's fraction range is the domain's (0.01 to 1)
    with pytest.raises(SystemExit) as exc:  # argparse reports a bad flag value by exiting with the usage code
        main(["estimate", "--accelerator", "amd_mi355x", "--model", "deepseek_r1", "--isl", "1024", "--osl", "1024",
              "--utilisation", "1e-308", "--json"])
    assert exc.value.code == 2
    assert "utilisation" in capsys.readouterr().err
