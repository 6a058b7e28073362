"""report.engine: estimate, frontier and calibration renderers return text; the CLI only places it."""

from __future__ import annotations

import csv
import io
import json

from advisor.report import engine as report


def _frontier(mini):
    from advisor import api

    catalog, _ = api.load_catalog()
    return api.frontier(catalog, systems=["hgx_h100"], model="llama_3_70b", isl=1024, osl=256)


def test_frontier_renderers_agree_on_the_points(mini_builtin):
    result = _frontier(mini_builtin)
    points = result["fronts"]["hgx_h100"]
    assert points
    rows = list(csv.DictReader(io.StringIO(report.frontier_csv(result))))
    assert len(rows) == len(points) and rows[0]["system"] == "hgx_h100"
    assert float(rows[0]["tok_s_per_user"]) == points[0].tok_s_per_user
    doc = json.loads(report.frontier_json(result, feasible=True, empty={}))
    assert doc["kind"] == "frontier" and len(doc["fronts"]["hgx_h100"]) == len(points)
    table = report.frontier_table(result, tty=False)
    assert "hgx_h100 (nvidia_h100)" in table and "total_tok_s_per_gpu" in table
    plot = report.frontier_plot(result, colour=False)
    assert "Pareto fronts" in plot and "\x1b[" not in plot


def test_empty_frontier_is_a_header_and_no_table():
    result = {"model": "m", "isl": 1, "osl": 1, "grid_points": 0, "fronts": {"a": []}, "assumptions": []}
    assert report.frontier_csv(result).splitlines() == [",".join(h for h, _ in report.FRONT_CSV_COLUMNS)]
    assert report.frontier_table(result) == ""


def test_infeasible_json_is_strict():
    doc = json.loads(report.infeasible_json("nothing fits", worst=float("nan")))
    assert doc == {"error": "nothing fits", "feasible": False, "worst": None}


def test_estimate_table_lists_figures_with_units_and_assumptions(mini_builtin):
    from advisor import api

    catalog, _ = api.load_catalog()
    r = api.estimate(catalog, system="hgx_h100", model="llama_3_70b", isl=1024, osl=256)
    text = report.estimate_table(r["point"], r["assumptions"], tty=False)
    for label in ("total_tok_s_per_gpu", "tok_s_per_user", "ttft_s", "error_band_pct", "assumptions", "usd_per_kwh"):
        assert label in text
    assert json.loads(report.estimate_json(r["point"], r["assumptions"]))["feasible"] is True
