"""`advisor recommend` end to end: formats, exit codes, schema, exclusions, --set."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from advisor import api
from advisor.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples" / "workloads").glob("*.toml"))
CHAT = ROOT / "examples" / "workloads" / "deepseek_v4_chat.toml"


@pytest.fixture(autouse=True)
def real_catalog(monkeypatch, tmp_path):
    """These tests run on the real built-in catalog, with a private cache dir."""
    import advisor.locations as loc

    monkeypatch.setattr(loc, "builtin_catalog_dir", lambda: ROOT / "catalog")
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "cache"))


def run_json(capsys, *argv):
    code = main(["recommend", *map(str, argv), "--json", "--set", "procurement.days_since_release=200"])
    out = capsys.readouterr()
    return code, (json.loads(out.out) if out.out.strip() else None), out.err


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_validates_against_the_output_schema(capsys, path):
    code, doc, err = run_json(capsys, path)
    assert code in (0, 3), err
    jsonschema.validate(doc, api.recommendation_schema())
    assert doc["schema_version"] == "2.0"
    assert doc["catalog"] == ["built-in"]
    if code == 0:
        ranks = [o["rank"] for o in doc["options"]]
        assert ranks == list(range(1, len(ranks) + 1))
        scores = [o["score"] for o in doc["options"]]
        assert scores == sorted(scores, reverse=True)
        for o in doc["options"]:
            assert o["usd_per_mtok"] > 0 and o["gpus"] > 0 and o["explanation"]


def test_air_only_hall_excludes_liquid_racks_with_reason(capsys):
    code, doc, _ = run_json(capsys, CHAT, "--set", "datacenter.cooling=air")
    assert code == 0
    # the hall binds owned systems only (issue 12 item 1): bought liquid racks are out, rented ones are not
    bought = {sid for o in doc["options"] if o["procurement"] == "buy" for sid in o["systems"]}
    assert "nvidia_gb300_nvl72_rack" not in bought and "amd_mi355x_8x" not in bought
    reasons = [e for e in doc["excluded"] if e["system"] == "nvidia_gb300_nvl72_rack"]
    assert reasons and reasons[0]["constraint"] == "cooling" and reasons[0]["procurement"] == "buy"
    assert not [e for e in doc["excluded"] if e["constraint"] == "cooling" and e["procurement"] == "rent"]
    assert "liquid cooling required" in reasons[0]["reason"] and "air-only" in reasons[0]["reason"]


def test_memory_exclusion_names_the_need_and_the_capacity(capsys):
    # fp8: 1.6 TB of V4 Pro weights exceed 16 H100 (in int4 they would fit)
    _, doc, _ = run_json(capsys, CHAT, "--set", "classes.chat.precision=fp8")
    h100 = [e for e in doc["excluded"] if e["system"] == "nvidia_hgx_h100"]
    assert h100 and h100[0]["constraint"] == "memory"
    assert "TB" in h100[0]["reason"] and "H100" in h100[0]["reason"]


def test_unreachable_slo_exits_3_and_still_lists_every_reason(capsys):
    code, doc, err = run_json(capsys, CHAT, "--set", "classes.chat.min_tok_s_per_user=5000")
    assert code == 3
    assert doc["options"] == []
    assert any("cannot reach 5000 tok/s/user" in e["reason"] for e in doc["excluded"])
    assert "no option meets the constraints" in err


def test_higher_slo_never_lowers_cost_of_the_best_option(capsys):
    _, lo, _ = run_json(capsys, CHAT)
    _, hi, _ = run_json(capsys, CHAT, "--set", "classes.chat.min_tok_s_per_user=40")
    best = lambda d: min(o["usd_per_mtok"] for o in d["options"])  # noqa: E731
    assert best(hi) >= best(lo)


def test_china_region_keeps_only_china_market_systems(capsys):
    _, doc, _ = run_json(capsys, ROOT / "examples" / "workloads" / "china_region.toml")
    controlled = {"nvidia_hgx_h100", "nvidia_hgx_h200", "nvidia_dgx_b200", "nvidia_hgx_b300", "nvidia_gb200_nvl72_rack",
                  "nvidia_gb300_nvl72_rack", "amd_mi355x_8x", "amd_mi300x_8x"}
    offered = {sid for o in doc["options"] for sid in o["systems"]}
    assert offered and not offered & controlled
    assert offered & {"huawei_atlas_910c_8x", "huawei_cloudmatrix_384", "nvidia_hgx_h20"}
    region = {e["system"] for e in doc["excluded"] if e["constraint"] == "region"}
    assert controlled <= region


def test_bad_workload_value_names_file_line_and_key(tmp_path, capsys):
    bad = tmp_path / "w.toml"
    bad.write_text(CHAT.read_text().replace("max_rack_kw = 150", 'max_rack_kw = "lots"'))
    code = main(["recommend", str(bad)])
    err = capsys.readouterr().err
    assert code == 2
    line = next(i for i, t in enumerate(bad.read_text().splitlines(), 1) if "max_rack_kw" in t)
    assert f"w.toml:{line}: datacenter.max_rack_kw" in err
    assert "Traceback" not in err


def test_misspelt_key_gets_did_you_mean(tmp_path, capsys):
    bad = tmp_path / "w.toml"
    bad.write_text(CHAT.read_text().replace("min_tok_s_per_user", "min_tok_s_per_usr"))
    assert main(["recommend", str(bad)]) == 2
    assert "Did you mean 'min_tok_s_per_user'" in capsys.readouterr().err


def test_unknown_model_is_a_usage_error(capsys):
    code = main(["recommend", str(CHAT), "--set", "classes.chat.model=deepsek_v4_pro"])
    assert code == 2
    assert "deepseek_v4_pro" in capsys.readouterr().err


def test_csv_and_markdown_and_table(capsys):
    for fmt, probe in (("csv", "rank,option_id"), ("md", "| rank |"), ("table", "usd_per_mtok")):
        assert main(["recommend", str(CHAT), "--format", fmt, "--top", "2"]) == 0
        assert probe in capsys.readouterr().out


def test_schemas_print(capsys):
    assert main(["recommend", "--schema"]) == 0
    assert "Recommendation" in json.loads(capsys.readouterr().out)["title"]
    assert main(["recommend", "--schema-input"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "Workload"


def test_unknown_region_is_exit_2_with_did_you_mean(capsys):
    code = main(["recommend", str(CHAT), "--json", "--set", "datacenter.region=chna"])
    err = capsys.readouterr().err
    assert code == 2 and "china" in err and "Traceback" not in err


def test_unknown_price_tier_is_exit_2_with_did_you_mean(capsys):
    code = main(["recommend", str(CHAT), "--json", "--set", "procurement.price_tier=neocloud"])
    err = capsys.readouterr().err
    assert code == 2 and "neocloud_tco" in err


def test_stale_prices_warn_on_stderr_and_in_json(capsys, monkeypatch):
    monkeypatch.setenv("ADVISOR_TODAY", "2031-01-01")
    code, doc, err = run_json(capsys, CHAT)
    assert code == 0 and doc["warnings"]
    assert all(f"advisor: warning: {w}" in err for w in doc["warnings"])


def test_keep_inefficient_ranks_what_is_otherwise_excluded(capsys):
    coding = ROOT / "examples" / "workloads" / "coding_assistant.toml"  # >= 75 tok/s/user: slow chips need many GPUs
    _, doc, _ = run_json(capsys, coding)
    out = {e["system"] for e in doc["excluded"] if e["constraint"] == "inefficient"}
    assert out
    _, kept, _ = run_json(capsys, coding, "--keep-inefficient")
    assert out <= {sid for o in kept["options"] for sid in o["systems"]}
    assert not [e for e in kept["excluded"] if e["constraint"] == "inefficient"]
    for o in kept["options"]:
        for key in ("p_lowest_cost", "tied", "ranking_reason", "usd_per_mtok_output", "usd_per_mtok_input",
                    "usd_per_mtok_output_all_in"):
            assert key in o


def test_budget_mode_from_the_command_line(capsys):
    code, doc, _ = run_json(capsys, CHAT, "--set", "objective.maximise=users", "--set", "procurement.budget_usd=5e6")
    assert code == 0 and doc["objective"] == "users"
    users = [o["max_concurrent_users"] for o in doc["options"]]
    assert users == sorted(users, reverse=True) and users[0] > 1
    code = main(["recommend", str(CHAT), "--set", "objective.maximise=users"])
    assert code == 2 and "budget_usd" in capsys.readouterr().err


@pytest.mark.parametrize("assignment,key", [
    ("classes.chat.isl=abc", "classes[0].isl"),
    ("datacenter.region=chna", "datacenter.region"),
    ("classes.chat.model=dsv4", "classes[0].model"),
])
def test_set_errors_name_the_set_argument_not_a_file_line(capsys, assignment, key):
    assert main(["recommend", str(CHAT), "--set", assignment]) == 2
    err = capsys.readouterr().err
    assert f"--set {assignment!r}: {key}:" in err
    assert "deepseek_v4_chat.toml:" not in err  # the file's lines are not where the mistake is
