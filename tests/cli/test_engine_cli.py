"""`advisor estimate | frontier | calibrate` through main(argv): stdout data, stderr lines, exit codes."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest

from advisor.cli import main
from tests.conftest import real_catalog_present

real = pytest.mark.skipif(not real_catalog_present(), reason="catalog/ data not written yet")

ESTIMATE_KEYS = {
    "output_tok_s_per_gpu", "total_tok_s_per_gpu", "tok_s_per_user", "ttft_s", "gpus_per_replica", "batch",
    "precision", "mode", "error_band_pct", "usd_per_mtok", "tok_s_per_mw", "assumptions",
}
DSV3 = ["--model", "deepseek_v3", "--isl", "1024", "--osl", "1024"]


@pytest.fixture(autouse=True)
def shared_cache(tmp_path_factory, monkeypatch):
    """One cache dir for the session: the fitted factors are computed once, never in the user's cache."""
    path = tmp_path_factory.getbasetemp() / "advisor-cache"
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(path))
    return path


def run(argv: list[str]) -> int:
    """main()'s exit code, whether returned or raised by argparse (bad flags exit 2 inside parse_args)."""
    try:
        return main(argv)
    except SystemExit as exc:
        return int(exc.code)


def _json(capsys):
    out, err = capsys.readouterr()
    return json.loads(out), err


def _all_finite(obj) -> bool:
    if isinstance(obj, float):
        return math.isfinite(obj)
    if isinstance(obj, dict):
        return all(_all_finite(v) for v in obj.values())
    if isinstance(obj, list):
        return all(_all_finite(v) for v in obj)
    return True


# estimate ------------------------------------------------------------------------------------------

@real
def test_estimate_json_keys(capsys):
    assert main(["estimate", "--system", "nvidia_gb300_nvl72_rack", *DSV3, "--min-interactivity", "50", "--json"]) == 0
    data, err = _json(capsys)
    assert ESTIMATE_KEYS <= set(data)
    assert data["feasible"] is True
    assert data["tok_s_per_user"] >= 50
    assert data["mode"] in ("calibrated", "roofline", "measured")
    assert data["usd_per_mtok"] > 0 and data["tok_s_per_mw"] > 0
    assert {a["name"] for a in data["assumptions"]} >= {"utilisation", "usd_per_gpu_hour"}
    assert all(a["source"] for a in data["assumptions"])
    assert _all_finite(data)


@real
def test_estimate_table_shows_units_mode_and_assumptions(capsys):
    assert main(["estimate", "--accelerator", "amd_mi355x", *DSV3, "--usd-per-gpu-hour", "2.5"]) == 0
    out = capsys.readouterr().out
    for label in ("total_tok_s_per_gpu", "tok_s_per_user", "ttft_s", "usd_per_mtok", "mode", "error_band_pct",
                  "assumptions", "command line"):
        assert label in out
    assert "\x1b[" not in out


@real
def test_estimate_replays_a_measured_point(capsys):
    # ixapi_dsr1_423: MI355X, DeepSeek-R1 FP8, 1024/1024, 8 GPUs, concurrency 64, MTP, aggregated
    args = ["estimate", "--accelerator", "amd_mi355x", *DSV3, "--precision", "fp8", "--spec-decode", "mtp",
            "--gpus", "8", "--concurrency", "64", "--json"]
    assert main(args) == 0
    data, _ = _json(capsys)
    assert data["mode"] == "measured"
    assert data["measured_id"] == "ixapi_dsr1_423"
    assert data["error_band_pct"] == 0
    assert (data["gpus_per_replica"], data["batch"]) == (8, 64)


@real
def test_estimate_unreachable_floor_exits_3(capsys):
    code = main(["estimate", "--system", "amd_mi355x_8x", *DSV3, "--min-interactivity", "100000", "--json"])
    assert code == 3
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert data["feasible"] is False and "100000" in data["error"]
    assert "cannot reach" in err and "Traceback" not in err


@real
def test_estimate_unreachable_floor_table_exits_3_nothing_on_stdout(capsys):
    assert main(["estimate", "--system", "amd_mi355x_8x", *DSV3, "--min-interactivity", "100000"]) == 3
    out, err = capsys.readouterr()
    assert out == "" and "advisor: error:" in err


@real
def test_estimate_unknown_model_did_you_mean(capsys):
    assert main(["estimate", "--system", "amd_mi355x_8x", "--model", "deepsek_v3", "--isl", "1", "--osl", "1"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "Did you mean" in err and "deepseek_v3" in err and "Traceback" not in err


@real
def test_estimate_unknown_accelerator_did_you_mean(capsys):
    assert main(["estimate", "--accelerator", "amd_mi355", *DSV3]) == 2
    assert "Did you mean" in capsys.readouterr().err


@real
@pytest.mark.parametrize("extra", [
    ["--spec-decode", "mtp:1.5"], ["--spec-decode", "mtp:0"], ["--spec-decode", "mtp:x"], ["--spec-decode", "eagle"],
    ["--isl", "0"], ["--osl", "ten"], ["--utilisation", "1.5"], ["--usd-per-gpu-hour", "-1"],
    ["--max-ttft", "nan"], ["--gpus", "0"], ["--max-ttft-p99", "-1"], ["--concurrency", "1.5"],
    ["--price-tier", "neocloud"],
])
def test_estimate_bad_input_exits_2(capsys, extra):
    base = {"--isl": "1024", "--osl": "1024"}
    args = ["estimate", "--system", "amd_mi355x_8x", "--model", "deepseek_v3"]
    for flag, value in base.items():
        if flag not in extra:
            args += [flag, value]
    assert run(args + extra) == 2
    out, err = capsys.readouterr()
    assert out == "" and "advisor: error:" in err and "Traceback" not in err


@real
def test_estimate_mtp_on_a_model_without_mtp_is_a_usage_error(capsys):
    assert main(["estimate", "--system", "nvidia_hgx_h100", "--model", "llama_3_3_70b", "--isl", "1024",
                 "--osl", "1024", "--spec-decode", "mtp:0.6"]) == 2
    assert "no MTP" in capsys.readouterr().err


@real
def test_estimate_mtp_acceptance_rate_changes_the_answer(capsys):
    args = ["estimate", "--system", "nvidia_hgx_b200", *DSV3, "--gpus", "8", "--concurrency", "32", "--json"]
    assert main(args + ["--spec-decode", "mtp:0.3"]) == 0
    low, _ = _json(capsys)
    assert main(args + ["--spec-decode", "mtp:0.9"]) == 0
    high, _ = _json(capsys)
    assert high["spec_decode"] == low["spec_decode"] == "mtp"
    assert high["tok_s_per_user"] > low["tok_s_per_user"]


# frontier ------------------------------------------------------------------------------------------

@real
def test_frontier_json_parses(capsys):
    assert main(["frontier", "--system", "amd_mi355x_8x", "nvidia_hgx_h100", *DSV3, "--json"]) == 0
    data, _ = _json(capsys)
    assert set(data["fronts"]) == {"amd_mi355x_8x", "nvidia_hgx_h100"}
    assert data["grid_points"] > 0 and data["feasible"] is True
    for pts in data["fronts"].values():
        assert pts
        users = [p["tok_s_per_user"] for p in pts]
        assert users == sorted(users)
        assert {"total_tok_s_per_gpu", "gpus_per_replica", "batch", "precision", "spec_decode", "usd_per_mtok"} <= set(pts[0])
    assert _all_finite(data)


@real
def test_frontier_csv_parses_with_units_in_headers(capsys):
    assert main(["frontier", "--accelerator", "amd_mi355x", *DSV3, "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows
    for header in ("tok_s_per_user", "total_tok_s_per_gpu", "output_tok_s_per_gpu", "usd_per_mtok", "batch_sequences"):
        assert header in rows[0]
    assert all(float(r["total_tok_s_per_gpu"]) > 0 for r in rows)
    assert {r["system"] for r in rows} == {"amd_mi355x_8x"}


@real
def test_frontier_empty_front_listed_on_stderr(capsys):
    # bf16: 1.34 TB of weights exceed 16 L40S (fp8's 671 GB just fit, int4's 356 GB easily)
    assert main(["frontier", "--system", "amd_mi355x_8x", "nvidia_l40s_8x", *DSV3, "--precision", "bf16", "--json"]) == 0
    data, err = _json(capsys)
    assert data["fronts"]["nvidia_l40s_8x"] == []
    assert "nvidia_l40s_8x" in data["empty"]
    assert "nvidia_l40s_8x: nothing fits" in err


@real
def test_frontier_nothing_anywhere_exits_3(capsys):
    assert main(["frontier", "--system", "nvidia_l40s_8x", *DSV3, "--precision", "bf16"]) == 3
    assert "nvidia_l40s_8x" in capsys.readouterr().err


@real
def test_frontier_table_and_plot(capsys):
    assert main(["frontier", "--system", "amd_mi355x_8x", "nvidia_hgx_b200", *DSV3, "--plot"]) == 0
    out = capsys.readouterr().out
    assert "amd_mi355x_8x (amd_mi355x)" in out and "total_tok_s_per_gpu" in out
    assert "Pareto fronts" in out and "tok/s/user" in out
    assert "\x1b[" not in out


@real
def test_frontier_plot_goes_to_stderr_with_json(capsys):
    assert main(["frontier", "--system", "amd_mi355x_8x", *DSV3, "--json", "--plot"]) == 0
    out, err = capsys.readouterr()
    json.loads(out)
    assert "Pareto fronts" in err


def test_frontier_needs_a_target(capsys):
    assert run(["frontier", *DSV3]) == 2
    assert "one of the arguments --system --accelerator --all is required" in capsys.readouterr().err


# calibrate -----------------------------------------------------------------------------------------

@real
def test_calibrate_no_loo_json(capsys):
    assert main(["calibrate", "--no-loo", "--json"]) == 0
    data, err = _json(capsys)
    assert "fitting" in err
    median = data["summary"]["all"]["median_abs_error_pct"]
    assert isinstance(median, float) and math.isfinite(median)
    assert data["points"] and {"id", "measured_tok_s_per_gpu", "roofline_tok_s_per_gpu", "calibrated_tok_s_per_gpu",
                               "error_pct", "loo_error_pct"} <= set(data["points"][0])
    assert all(p["loo_error_pct"] is None for p in data["points"])
    assert data["excluded"] and all(isinstance(v, str) for v in data["excluded"].values())
    assert {"per_ecosystem", "per_vendor"} <= set(data["summary"])
    assert "cuda.bw_eff" in data["parameters"] and 0 < data["parameters"]["cuda.bw_eff"] <= 1
    assert set(data["factors"]) >= {"per_ecosystem", "shared", "prec_mult"}


def test_calibrate_with_loo_on_a_tiny_catalog(mini_builtin, capsys):
    assert main(["calibrate", "--json"]) == 0
    data, _ = _json(capsys)
    assert len(data["points"]) == 2
    assert all(math.isfinite(p["loo_error_pct"]) for p in data["points"])
    assert math.isfinite(data["summary"]["all"]["loo_median_abs_error_pct"])


def test_calibrate_table_on_a_tiny_catalog(mini_builtin, capsys):
    assert main(["calibrate"]) == 0
    out = capsys.readouterr().out
    for text in ("h100_llama70b_fp8", "measured_tok_s_per_gpu", "loo_error_pct", "summary", "vendor nvidia",
                 "fitted parameters", "alpha_s"):
        assert text in out


def test_estimate_on_a_tiny_catalog(mini_builtin, capsys):
    assert main(["estimate", "--system", "hgx_h100", "--model", "llama_3_70b", "--isl", "1024", "--osl", "256",
                 "--json"]) == 0
    data, _ = _json(capsys)
    assert data["system"] == "hgx_h100" and data["tok_s_per_user"] > 0


@real
def test_estimate_runs_every_engine_precision_q3_on_a_local_box(capsys):
    # q3 (GGUF-style, local runtimes) reaches the engine from the command line; the choices come from PRECISION_ORDER
    args = ["estimate", "--system", "amd_ryzen_ai_max_395_box", "--model", "qwen3_235b_a22b", "--isl", "1024",
            "--osl", "1024", "--precision", "q3", "--json"]
    assert main(args) == 0
    data, _ = _json(capsys)
    assert data["feasible"] is True
    assert data["precision"] == "q3"
    assert data["system"] == "amd_ryzen_ai_max_395_box"


@real
def test_unknown_precision_is_a_usage_error_listing_the_engine_precisions(capsys):
    from advisor.domain.base import PRECISION_ORDER

    code = run(["estimate", "--system", "amd_ryzen_ai_max_395_box", "--model", "qwen3_235b_a22b", "--isl", "1024",
                "--osl", "1024", "--precision", "q5", "--json"])
    assert code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "'q5'" in err and "Traceback" not in err
    for name in ("auto", *PRECISION_ORDER):
        assert name in err
