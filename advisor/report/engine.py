"""The throughput engine's results as text: estimate, frontier and calibration (table, JSON, CSV, plot).

Every renderer returns a string; the CLI decides where it goes. Figures carry their unit in
the column name (tok_s_per_gpu, usd_per_mtok, ttft_s, ...).
"""

from __future__ import annotations

import csv
import io
import json

from advisor.report.format import clean, dumps, number
from advisor.report.table import COMPACT_BELOW, PIPE_WIDTH, output_width, render_table

# estimate ------------------------------------------------------------------------------------------------

ESTIMATE_ROWS = (  # key/value rows of the readable output: (label with unit, OperatingPoint field)
    ("system", "system"), ("accelerator", "accelerator"), ("model", "model"),
    ("isl_tokens", "isl"), ("osl_tokens", "osl"), ("precision", "precision"), ("spec_decode", "spec_decode"),
    ("gpus_per_replica", "gpus_per_replica"), ("layout (tp | ep)", "layout"), ("batch (sequences per replica)", "batch"),
    ("output_tok_s_per_gpu", "output_tok_s_per_gpu"), ("total_tok_s_per_gpu", "total_tok_s_per_gpu"),
    ("tok_s_per_user", "tok_s_per_user"), ("ttft_s (median)", "ttft_s"), ("ttft_p99_s", "ttft_p99_s"),
    ("mem_used_gb_per_gpu", "mem_used_gb_per_gpu"),
    ("bound", "bound"), ("usd_per_gpu_hour", "usd_per_gpu_hour"), ("usd_per_mtok", "usd_per_mtok"),
    ("usd_per_mtok_input", "usd_per_mtok_input"), ("usd_per_mtok_output", "usd_per_mtok_output"),
    ("tok_s_per_mw", "tok_s_per_mw"), ("joules_per_token", "joules_per_token"),
    ("all_in_watts_per_gpu", "all_in_watts_per_gpu"), ("days_since_release", "days_since_release"),
)
ASSUMPTION_COLUMNS = ("assumption", "value", "unit", "source")


def assumption_rows(assumptions) -> list[list[str]]:
    return [[a.name, number(a.value), a.unit, a.source] for a in assumptions]


CONCURRENCY_ROWS = (  # rows of the readable output at --concurrency: (label with unit, key of api.estimate's "concurrency")
    ("concurrency_per_replica (requests)", "concurrency_per_replica"),
    ("kv_capacity_sequences_per_replica", "kv_capacity_sequences_per_replica"),
    ("running_batch (sequences)", "running_batch"), ("queued_requests", "queued_requests"),
    ("ttft_p50_s (with queue)", "ttft_p50_s"), ("ttft_p99_s (with queue)", "ttft_p99_s"),
)


def estimate_json(point, assumptions, concurrency: dict | None = None) -> str:
    """The point's fields at the top level; at a given concurrency also concurrency_per_replica,
    kv_capacity_sequences_per_replica, running_batch, queued_requests, saturated, ttft_p50_s and ttft_p99_s
    (the point's throughput is then the running batch's: it saturates once requests queue)."""
    data = {"kind": "estimate", "feasible": True, **point.model_dump(mode="json")}
    if concurrency is not None:
        data |= concurrency
    return dumps({**data, "assumptions": [a.model_dump(mode="json") for a in assumptions]})


def infeasible_json(message: str, **extra) -> str:
    """What `--json` prints when nothing fits (exit 3): the reason, as data."""
    return dumps({"error": message, "feasible": False, **extra})


def _width(tty: bool | None, width: int | None, wide: bool) -> int:
    return PIPE_WIDTH if wide else (output_width(tty) if width is None else width)


def assumptions_table(assumptions, *, title: str = "assumptions", tty: bool | None = None,
                      width: int | None = None) -> str:
    return render_table(ASSUMPTION_COLUMNS, assumption_rows(assumptions), title=title,
                        numeric=[False, True, False, False], wrap=[False, False, False, True], tty=tty, width=width)


def estimate_table(point, assumptions, *, tty: bool | None = None, width: int | None = None,
                   wide: bool = False, concurrency: dict | None = None) -> str:
    width = _width(tty, width, wide)
    data = point.model_dump()
    rows = []
    for label, key in ESTIMATE_ROWS:
        if concurrency is not None and key in ("ttft_s", "ttft_p99_s"):
            continue  # at a concurrency, TTFT is the queue's (its rows follow the running batch)
        if data.get(key) is not None:
            rows.append([label, number(data[key])])
        if key == "batch" and concurrency is not None:  # the queue right after the running batch
            rows += [[lab, number(concurrency[k])] for lab, k in CONCURRENCY_ROWS]
            if concurrency.get("saturated"):
                rows.append(["saturated", "yes: the KV cache is full; throughput stays at the running batch's"])
    rows.append(["mode", point.mode + (f" ({point.measured_id})" if point.measured_id else "")])
    rows.append(["error_band_pct", f"±{number(point.error_band_pct)}"])
    return "\n".join([
        render_table(["figure", "value"], rows, title=f"estimate: {point.model} on {point.system}",
                     numeric=[False, True], tty=tty, width=width),
        assumptions_table(assumptions, tty=tty, width=width),
    ])


# frontier ------------------------------------------------------------------------------------------------

FRONT_COLUMNS = (  # (header with unit, OperatingPoint field)
    ("tok_s_per_user", "tok_s_per_user"), ("total_tok_s_per_gpu", "total_tok_s_per_gpu"),
    ("output_tok_s_per_gpu", "output_tok_s_per_gpu"), ("gpus_per_replica", "gpus_per_replica"),
    ("batch", "batch"), ("precision", "precision"), ("spec_decode", "spec_decode"),
    ("ttft_s", "ttft_s"), ("ttft_p99_s", "ttft_p99_s"), ("usd_per_mtok", "usd_per_mtok"),
)
FRONT_COMPACT = ("tok_s_per_user", "total_tok_s_per_gpu", "gpus_per_replica", "batch", "usd_per_mtok")
"""The frontier columns shown below COMPACT_BELOW columns (without --wide)."""
FRONT_CSV_COLUMNS = (
    ("system", "system"), ("accelerator", "accelerator"), ("model", "model"), ("isl_tokens", "isl"),
    ("osl_tokens", "osl"), ("precision", "precision"), ("spec_decode", "spec_decode"),
    ("gpus_per_replica", "gpus_per_replica"), ("batch_sequences", "batch"), ("tok_s_per_user", "tok_s_per_user"),
    ("total_tok_s_per_gpu", "total_tok_s_per_gpu"), ("output_tok_s_per_gpu", "output_tok_s_per_gpu"),
    ("ttft_s", "ttft_s"), ("ttft_p99_s", "ttft_p99_s"), ("mem_used_gb_per_gpu", "mem_used_gb_per_gpu"),
    ("usd_per_gpu_hour", "usd_per_gpu_hour"),
    ("usd_per_mtok", "usd_per_mtok"), ("tok_s_per_mw", "tok_s_per_mw"), ("mode", "mode"),
    ("error_band_pct", "error_band_pct"),
)


def frontier_json(result: dict, *, feasible: bool, empty: dict[str, str]) -> str:
    """`result` is api.frontier's; `empty` says why each system without a front has none."""
    return dumps({
        "kind": "frontier", "feasible": feasible, "model": result["model"], "isl": result["isl"],
        "osl": result["osl"], "grid_points": result["grid_points"],
        "fronts": {sid: [p.model_dump(mode="json") for p in pts] for sid, pts in result["fronts"].items()},
        "empty": empty,
        "assumptions": [a.model_dump(mode="json") for a in result["assumptions"]],
    })


def frontier_csv(result: dict) -> str:
    """One row per point of every front; blank cells for figures that do not apply."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([h for h, _ in FRONT_CSV_COLUMNS])
    for pts in result["fronts"].values():
        for p in pts:
            d = clean(p.model_dump())
            writer.writerow(["" if d[k] is None else d[k] for _, k in FRONT_CSV_COLUMNS])
    return buf.getvalue()


def frontier_table(result: dict, *, tty: bool | None = None, width: int | None = None, wide: bool = False) -> str:
    """One table per system with a front, then the shared assumptions; '' when there is nothing."""
    width = _width(tty, width, wide)
    columns = [c for c in FRONT_COLUMNS if width >= COMPACT_BELOW or c[1] in FRONT_COMPACT]
    parts = []
    for sid, pts in result["fronts"].items():
        if not pts:
            continue
        p0 = pts[0]
        price = f", {number(p0.usd_per_gpu_hour)} USD/GPU-hour" if p0.usd_per_gpu_hour is not None else ", no price"
        title = (f"{sid} ({p0.accelerator}): {len(pts)} points, {p0.mode} ±{number(p0.error_band_pct)}%, "
                 f"{result['model']} {result['isl']}/{result['osl']}{price}")
        rows = [[number(getattr(p, k)) for _, k in columns] for p in pts]
        numeric = [k not in ("precision", "spec_decode") for _, k in columns]
        parts.append(render_table([h for h, _ in columns], rows, title=title, numeric=numeric, tty=tty, width=width))
    shared = [a for a in result["assumptions"] if a.name != "usd_per_gpu_hour"]  # the price is per system
    if shared:
        parts.append(assumptions_table(shared, tty=tty, width=width,
                                       title="assumptions (USD/GPU-hour: each system's catalog price, in its title)"))
    return "\n".join(parts)


def frontier_plot(result: dict, *, colour: bool | None = None) -> str:
    """The fronts as one terminal plot: x tok/s/user, y tok/s/GPU on a log scale."""
    from advisor.report.plot import render_lines

    series = {sid: [(p.tok_s_per_user, p.total_tok_s_per_gpu) for p in pts]
              for sid, pts in result["fronts"].items() if pts}
    return render_lines(series, title=f"{result['model']} {result['isl']}/{result['osl']}: Pareto fronts",
                        xlabel="tok/s/user", ylabel="tok/s/GPU (log)", log_y=True, colour=colour)


# calibration ---------------------------------------------------------------------------------------------

POINT_COLUMNS = (  # (header with unit, row key)
    ("id", "id"), ("accelerator", "accelerator"), ("model", "model"), ("precision", "precision"),
    ("isl/osl", None), ("basis", "basis"), ("measured_tok_s_per_gpu", "measured_tok_s_per_gpu"),
    ("roofline_tok_s_per_gpu", "roofline_tok_s_per_gpu"), ("calibrated_tok_s_per_gpu", "calibrated_tok_s_per_gpu"),
    ("error_pct", "error_pct"), ("loo_error_pct", "loo_error_pct"),
)
POINT_COMPACT = ("id", "measured_tok_s_per_gpu", "calibrated_tok_s_per_gpu", "error_pct", "loo_error_pct")
"""The per-point columns shown below COMPACT_BELOW columns (without --wide)."""
SUMMARY_COLUMNS = (
    ("group", None), ("points", "points"), ("roofline_median_abs_error_pct", "roofline_median_abs_error_pct"),
    ("median_abs_error_pct", "median_abs_error_pct"), ("worst_abs_error_pct", "worst_abs_error_pct"),
    ("off_by_2x_points", "points_off_by_more_than_2x"), ("loo_median_abs_error_pct", "loo_median_abs_error_pct"),
    ("loo_worst_abs_error_pct", "loo_worst_abs_error_pct"), ("loo_off_by_2x_points", "loo_points_off_by_more_than_2x"),
)


def _off_by_2x(rows: list[dict], key: str) -> int:
    n = 0
    for r in rows:
        v, m = r.get(key), r["measured_tok_s_per_gpu"]
        if v is not None and m and v > 0 and max(v / m, m / v) > 2:
            n += 1
    return n


def natural_parameters(factors) -> dict[str, float]:
    """The fitted parameters in their own units (the fit works in logit/log space)."""
    out: dict[str, float] = {}
    for eco, vals in sorted(factors.per_ecosystem.items()):
        for k, v in vals.items():
            out[f"{eco}.{k}"] = v
    for p, v in factors.prec_mult.items():
        if p != "bf16":
            out[f"prec.{p}"] = v
    out.update(factors.shared)
    return out


def summary_with_fit_2x(report) -> dict:
    """The engine's summary, plus how many points the calibrated fit (not only LOO) misses by 2x."""
    summary = json.loads(dumps(report.summary))
    summary["all"]["points_off_by_more_than_2x"] = _off_by_2x(report.rows, "calibrated_tok_s_per_gpu")
    for key, field in (("per_ecosystem", "ecosystem"), ("per_vendor", "accelerator")):
        for name in summary.get(key, {}):
            rs = [r for r in report.rows if (r[field] if field == "ecosystem" else r[field].split("_")[0]) == name]
            summary[key][name]["points_off_by_more_than_2x"] = _off_by_2x(rs, "calibrated_tok_s_per_gpu")
    return summary


def summary_rows(summary: dict) -> list[list[str]]:
    """One row per group (all, each ecosystem, each vendor), in SUMMARY_COLUMNS order."""
    groups = [("all", summary["all"])]
    groups += [(f"ecosystem {k}", v) for k, v in summary.get("per_ecosystem", {}).items()]
    groups += [(f"vendor {k}", v) for k, v in summary.get("per_vendor", {}).items()]
    return [[name] + [number(block.get(key)) for _, key in SUMMARY_COLUMNS[1:]] for name, block in groups]


def calibration_json(report, *, loo: bool, excluded: dict[str, str]) -> str:
    return dumps({
        "kind": "calibration", "loo": loo, "points": report.rows, "summary": summary_with_fit_2x(report),
        "parameters": natural_parameters(report.factors), "parameters_fit_space": report.parameters,
        "factors": report.factors.to_dict(), "excluded": excluded,
    })


def calibration_table(report, *, excluded: dict[str, str], tty: bool | None = None, width: int | None = None,
                      wide: bool = False) -> str:
    """Per-point table, summary (all, per ecosystem, per vendor), fitted parameters, left-out points."""
    width = _width(tty, width, wide)
    columns = [c for c in POINT_COLUMNS if width >= COMPACT_BELOW or c[1] in POINT_COMPACT]
    rows, params = report.rows, natural_parameters(report.factors)
    has_loo = any(r.get("loo_error_pct") is not None for r in rows)
    point_rows = []
    for r in rows:
        cells = []
        for _, key in columns:
            if key is None:
                cells.append(f"{r['isl']}/{r['osl']}")
            elif key.endswith("error_pct") and r.get(key) is not None:
                cells.append(f"{r[key]:+.1f}")
            else:
                cells.append(number(r.get(key)))
        point_rows.append(cells)
    numeric = [key is not None and key.endswith(("_gpu", "_pct")) for _, key in columns]
    parts = [render_table([h for h, _ in columns], point_rows, numeric=numeric, tty=tty, width=width,
                          title=f"measured points ({len(rows)}): tok/s/GPU on each point's basis"
                                + ("" if has_loo else "; leave-one-out skipped (--no-loo)"))]
    parts.append(render_table([h for h, _ in SUMMARY_COLUMNS], summary_rows(summary_with_fit_2x(report)),
                              title="summary (absolute errors, percent)", tty=tty, width=width,
                              numeric=[False] + [True] * (len(SUMMARY_COLUMNS) - 1)))
    parts.append(render_table(["parameter", "value"], [[k, f"{v:.4g}"] for k, v in params.items()],
                              title="fitted parameters", numeric=[False, True], tty=tty, width=width))
    if excluded:
        parts.append(render_table(["id", "why left out of the fit"], [[k, v] for k, v in sorted(excluded.items())],
                                  title=f"left out ({len(excluded)})", wrap=[False, True], tty=tty, width=width))
    return "\n".join(parts)
