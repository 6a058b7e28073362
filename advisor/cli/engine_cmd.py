"""`advisor estimate | frontier | calibrate`: the throughput engine, one model at a time.

estimate   the best operating point of one model on one system (or an exact replay), with costs
frontier   the whole Pareto front (tok/s/user vs tok/s/GPU) per system, as tables, JSON, CSV or a plot
calibrate  fit the efficiency factors to the catalog's measured points and report the model's error
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from advisor.cli.common import add_catalog_args, emit, load_catalog_from_args
from advisor.errors import ExitCode, InfeasibleError, UsageError

PRECISIONS = ("fp4", "fp8", "int8", "bf16", "auto")


# argument types (argparse turns ArgumentTypeError into a one-line usage error, exit 2) ------------

def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _non_negative(text: str) -> float:
    value = _float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {text}")
    return value


def _positive(text: str) -> float:
    value = _float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def _fraction(text: str) -> float:
    value = _float(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {text}")
    return value


def parse_spec_decode(text: str) -> tuple[str, float | None]:
    """'none' | 'auto' | 'mtp' | 'mtp:RATE' -> (mode, acceptance rate or None)."""
    mode, colon, rate = text.strip().lower().partition(":")
    if mode not in ("none", "auto", "mtp"):
        raise argparse.ArgumentTypeError(f"expected none, auto, mtp or mtp:ACCEPT_RATE, got {text!r}")
    if not rate:
        if colon:
            raise argparse.ArgumentTypeError(f"missing acceptance rate after 'mtp:' in {text!r}")
        return mode, None
    if mode != "mtp":
        raise argparse.ArgumentTypeError(f"only mtp takes an acceptance rate, got {text!r}")
    try:
        accept = float(rate)
    except ValueError:
        raise argparse.ArgumentTypeError(f"MTP acceptance rate must be a number, got {rate!r}") from None
    if not 0 < accept < 1:
        raise argparse.ArgumentTypeError(f"MTP acceptance rate must be strictly between 0 and 1, got {rate}")
    return mode, accept


def _add_workload_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, metavar="ID", help="model id or alias (see `advisor catalog list --kind models`)")
    p.add_argument("--isl", required=True, type=_positive_int, metavar="N", help="input (prompt) tokens per request")
    p.add_argument("--osl", required=True, type=_positive_int, metavar="N", help="output tokens per request")
    p.add_argument("--precision", choices=PRECISIONS, default="auto", help="weight precision (auto: best the chip and model support)")
    p.add_argument("--spec-decode", type=parse_spec_decode, default=("auto", None), metavar="none|mtp[:RATE]|auto",
                   help="speculative decoding with MTP drafts; RATE = acceptance of a drafted token, in (0, 1)")
    p.add_argument("--days-since-release", type=_non_negative, metavar="D",
                   help="software maturity: days since the model's release (default: from today's date)")


def _add_price_args(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--price-tier", metavar="T", help="rental price tier from the catalog (e.g. neocloud_tco, on_demand)")
    g.add_argument("--usd-per-gpu-hour", type=_positive, metavar="X", help="price per GPU-hour instead of a catalog price")
    p.add_argument("--utilisation", type=_fraction, metavar="U", help="share of hours serving traffic, in (0, 1]")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "estimate", help="best operating point of one model on one system, with $/Mtok and its assumptions",
        description="Throughput, interactivity, TTFT and cost of one model on one system: the best point under "
                    "the floors given, or exactly the point set by --gpus and --concurrency.",
    )
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--system", metavar="ID", help="system id (e.g. nvidia_hgx_b200)")
    target.add_argument("--accelerator", metavar="ID", help="accelerator id (its default system is used)")
    _add_workload_args(p)
    p.add_argument("--min-interactivity", type=_non_negative, default=0.0, metavar="TOK_S_PER_USER",
                   help="floor on output tokens per second per user")
    p.add_argument("--max-ttft", type=_positive, metavar="S", help="ceiling on time to first token, seconds")
    p.add_argument("--gpus", type=_positive_int, metavar="N", help="GPUs per replica (with --concurrency: replay one point)")
    p.add_argument("--concurrency", type=_positive_int, metavar="N", help="concurrent sequences per replica (with --gpus)")
    _add_price_args(p)
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    add_catalog_args(p)
    p.set_defaults(func=cmd_estimate)

    p = subparsers.add_parser(
        "frontier", help="Pareto front of tok/s/user vs tok/s/GPU per system",
        description="Every non-dominated (tok/s/user, tok/s/GPU) operating point of one model, per system.",
    )
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--system", nargs="+", action="extend", metavar="ID", help="system ids (repeatable)")
    target.add_argument("--accelerator", nargs="+", action="extend", metavar="ID", help="accelerator ids (their default systems)")
    target.add_argument("--all", action="store_true", help="every system in the catalog")
    _add_workload_args(p)
    _add_price_args(p)
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", dest="format", action="store_const", const="json", help="JSON on stdout")
    fmt.add_argument("--csv", dest="format", action="store_const", const="csv", help="CSV on stdout, one row per point")
    p.add_argument("--plot", action="store_true",
                   help="draw the fronts (x tok/s/user, y tok/s/GPU on a log scale); on stderr with --json/--csv")
    add_catalog_args(p)
    p.set_defaults(func=cmd_frontier, format="table")

    p = subparsers.add_parser(
        "calibrate", help="fit the engine to the measured points and report its error (leave-one-out too)",
        description="Fit the efficiency factors to the catalog's measured benchmark points; print every point's "
                    "measured, roofline and calibrated throughput, the leave-one-out error and the fitted parameters.",
    )
    p.add_argument("--no-loo", action="store_true", help="skip leave-one-out (seconds instead of ~40 s)")
    p.add_argument("--json", action="store_true", help="JSON on stdout")
    add_catalog_args(p)
    p.set_defaults(func=cmd_calibrate)


# helpers ----------------------------------------------------------------------------------------------

def fmt(value) -> str:
    """A figure for people: 12109, 36.3, 2.09, 0.0637; blank for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    v = float(value)
    if not math.isfinite(v):
        return "n/a"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    if a == 0:
        return "0"
    return f"{v:.3g}"


def clean(obj):
    """JSON-safe: non-finite floats become null, numpy scalars plain Python (strict JSON has no NaN)."""
    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float) or hasattr(obj, "item"):
        try:
            v = float(obj)
        except (TypeError, ValueError):
            return str(obj)
        return v if math.isfinite(v) else None
    return obj


def dumps(obj) -> str:
    return json.dumps(clean(obj), indent=2, allow_nan=False)


def _workload_kwargs(args, catalog) -> dict:
    from advisor.domain.catalog import LookupError_

    mode, accept = args.spec_decode
    try:
        model = catalog.model(args.model)
    except LookupError_ as exc:
        raise UsageError(str(exc)) from None
    if mode == "mtp" and not model.mtp_layers:
        raise UsageError(f"{model.id} has no MTP (multi-token prediction) layers to draft with; "
                         "use --spec-decode none or auto")
    if args.price_tier is not None:
        tiers = sorted({p.tier for p in catalog.prices.values() if p.unit == "per_gpu_hour"})
        if args.price_tier not in tiers:
            from difflib import get_close_matches

            close = get_close_matches(args.price_tier, tiers, n=3, cutoff=0.5)
            hint = f" Did you mean {', '.join(repr(t) for t in close)}?" if close else f" Tiers: {', '.join(tiers)}."
            raise UsageError(f"no price tier {args.price_tier!r} in the catalog.{hint}")
    return dict(
        model=args.model, isl=args.isl, osl=args.osl, precision=args.precision, spec_decode=mode, accept=accept,
        days_since_release=args.days_since_release, price_tier=args.price_tier,
        usd_per_gpu_hour=args.usd_per_gpu_hour, utilisation=args.utilisation,
    )


def _system_for_accelerator(catalog, ident: str) -> str:
    from advisor.domain.catalog import LookupError_

    try:
        return catalog.default_system(catalog.accelerator(ident).id).id
    except LookupError_ as exc:
        raise UsageError(str(exc)) from None


def _assumption_rows(assumptions) -> list[list[str]]:
    return [[a.name, fmt(a.value), a.unit, a.source] for a in assumptions]


def _infeasible_json(args, exc: InfeasibleError, **extra) -> None:
    if getattr(args, "json", False) or getattr(args, "format", None) == "json":
        emit(dumps({"error": str(exc), "feasible": False, **extra}))


# estimate ------------------------------------------------------------------------------------------------

# Key/value rows of the readable output: (label with unit, OperatingPoint field)
ESTIMATE_ROWS = (
    ("system", "system"), ("accelerator", "accelerator"), ("model", "model"),
    ("isl_tokens", "isl"), ("osl_tokens", "osl"), ("precision", "precision"), ("spec_decode", "spec_decode"),
    ("gpus_per_replica", "gpus_per_replica"), ("batch (sequences per replica)", "batch"),
    ("output_tok_s_per_gpu", "output_tok_s_per_gpu"), ("total_tok_s_per_gpu", "total_tok_s_per_gpu"),
    ("tok_s_per_user", "tok_s_per_user"), ("ttft_s", "ttft_s"), ("mem_used_gb_per_gpu", "mem_used_gb_per_gpu"),
    ("bound", "bound"), ("usd_per_gpu_hour", "usd_per_gpu_hour"), ("usd_per_mtok", "usd_per_mtok"),
    ("usd_per_mtok_input", "usd_per_mtok_input"), ("usd_per_mtok_output", "usd_per_mtok_output"),
    ("tok_s_per_mw", "tok_s_per_mw"), ("joules_per_token", "joules_per_token"),
    ("all_in_watts_per_gpu", "all_in_watts_per_gpu"), ("days_since_release", "days_since_release"),
)


def cmd_estimate(args: argparse.Namespace) -> int:
    from advisor import api

    catalog = load_catalog_from_args(args)
    system = args.system if args.system else _system_for_accelerator(catalog, args.accelerator)
    try:
        result = api.estimate(
            catalog, system=system, min_tok_s_per_user=args.min_interactivity, max_ttft_s=args.max_ttft,
            gpus=args.gpus, concurrency=args.concurrency, **_workload_kwargs(args, catalog),
        )
    except InfeasibleError as exc:
        _infeasible_json(args, exc)
        raise
    point, assumptions = result["point"], result["assumptions"]
    if args.json:
        emit(dumps({"kind": "estimate", "feasible": True, **point.model_dump(mode="json"),
                    "assumptions": [a.model_dump(mode="json") for a in assumptions]}))
        return ExitCode.OK
    from advisor.report.table import render_table

    data = point.model_dump()
    rows = [[label, fmt(data[key])] for label, key in ESTIMATE_ROWS if data.get(key) is not None]
    mode = point.mode + (f" ({point.measured_id})" if point.measured_id else "")
    rows.append(["mode", mode])
    rows.append(["error_band_pct", f"±{fmt(point.error_band_pct)}"])
    parts = [
        render_table(["figure", "value"], rows, title=f"estimate: {point.model} on {point.system}",
                     numeric=[False, True]),
        render_table(["assumption", "value", "unit", "source"], _assumption_rows(assumptions),
                     title="assumptions", numeric=[False, True, False, False]),
    ]
    emit("\n".join(parts))
    return ExitCode.OK


# frontier ------------------------------------------------------------------------------------------------

FRONT_COLUMNS = (  # (header with unit, OperatingPoint field)
    ("tok_s_per_user", "tok_s_per_user"), ("total_tok_s_per_gpu", "total_tok_s_per_gpu"),
    ("output_tok_s_per_gpu", "output_tok_s_per_gpu"), ("gpus_per_replica", "gpus_per_replica"),
    ("batch", "batch"), ("precision", "precision"), ("spec_decode", "spec_decode"),
    ("ttft_s", "ttft_s"), ("usd_per_mtok", "usd_per_mtok"),
)
CSV_COLUMNS = (
    ("system", "system"), ("accelerator", "accelerator"), ("model", "model"), ("isl_tokens", "isl"),
    ("osl_tokens", "osl"), ("precision", "precision"), ("spec_decode", "spec_decode"),
    ("gpus_per_replica", "gpus_per_replica"), ("batch_sequences", "batch"), ("tok_s_per_user", "tok_s_per_user"),
    ("total_tok_s_per_gpu", "total_tok_s_per_gpu"), ("output_tok_s_per_gpu", "output_tok_s_per_gpu"),
    ("ttft_s", "ttft_s"), ("mem_used_gb_per_gpu", "mem_used_gb_per_gpu"), ("usd_per_gpu_hour", "usd_per_gpu_hour"),
    ("usd_per_mtok", "usd_per_mtok"), ("tok_s_per_mw", "tok_s_per_mw"), ("mode", "mode"),
    ("error_band_pct", "error_band_pct"),
)


def _empty_reasons(catalog, empty: list[str], kw: dict) -> dict[str, str]:
    """Why each system has no front: the estimate's own explanation of its infeasibility."""
    from advisor import api

    reasons = {}
    for sid in empty:
        try:
            api.estimate(catalog, system=sid, model=kw["model"], isl=kw["isl"], osl=kw["osl"],
                         precision=kw["precision"], spec_decode=kw["spec_decode"], accept=kw["accept"],
                         days_since_release=kw["days_since_release"])
            reasons[sid] = "nothing fits"
        except InfeasibleError as exc:
            reasons[sid] = f"nothing fits: {exc}"
    return reasons


def cmd_frontier(args: argparse.Namespace) -> int:
    from advisor import api
    from advisor.cli import warn

    catalog = load_catalog_from_args(args)
    if args.all:
        systems: list[str] = []
    elif args.accelerator:
        systems = [_system_for_accelerator(catalog, a) for a in args.accelerator]
    else:
        systems = list(args.system)
    systems = list(dict.fromkeys(systems))  # the same system twice is one front
    kw = _workload_kwargs(args, catalog)
    result = api.frontier(catalog, systems=systems, **kw)
    fronts = result["fronts"]
    empty = [sid for sid, pts in fronts.items() if not pts]
    reasons = _empty_reasons(catalog, empty, kw)
    for sid in empty:
        warn(f"{sid}: {reasons[sid]}")
    feasible = len(empty) < len(fronts)

    if args.format == "json":
        emit(dumps({
            "kind": "frontier", "feasible": feasible, "model": result["model"], "isl": result["isl"],
            "osl": result["osl"], "grid_points": result["grid_points"],
            "fronts": {sid: [p.model_dump(mode="json") for p in pts] for sid, pts in fronts.items()},
            "empty": reasons,
            "assumptions": [a.model_dump(mode="json") for a in result["assumptions"]],
        }))
    elif args.format == "csv":
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([h for h, _ in CSV_COLUMNS])
        for pts in fronts.values():
            for p in pts:
                d = clean(p.model_dump())
                writer.writerow(["" if d[k] is None else d[k] for _, k in CSV_COLUMNS])
        sys.stdout.flush()
    else:
        from advisor.report.table import render_table

        parts = []
        for sid, pts in fronts.items():
            if not pts:
                continue
            p0 = pts[0]
            price = f", {fmt(p0.usd_per_gpu_hour)} USD/GPU-hour" if p0.usd_per_gpu_hour is not None else ", no price"
            title = (f"{sid} ({p0.accelerator}): {len(pts)} points, {p0.mode} ±{fmt(p0.error_band_pct)}%, "
                     f"{result['model']} {result['isl']}/{result['osl']}{price}")
            rows = [[fmt(getattr(p, k)) for _, k in FRONT_COLUMNS] for p in pts]
            numeric = [k not in ("precision", "spec_decode") for _, k in FRONT_COLUMNS]
            parts.append(render_table([h for h, _ in FRONT_COLUMNS], rows, title=title, numeric=numeric))
        shared = [a for a in result["assumptions"] if a.name != "usd_per_gpu_hour"]  # the price is per system
        if shared:
            parts.append(render_table(["assumption", "value", "unit", "source"], _assumption_rows(shared),
                                      title="assumptions (USD/GPU-hour: each system's catalog price, in its title)",
                                      numeric=[False, True, False, False]))
        if parts:
            emit("\n".join(parts))

    if args.plot:
        from advisor.report.plot import render_lines

        series = {sid: [(p.tok_s_per_user, p.total_tok_s_per_gpu) for p in pts] for sid, pts in fronts.items() if pts}
        to_stdout = args.format == "table"
        text = render_lines(
            series, title=f"{result['model']} {result['isl']}/{result['osl']}: Pareto fronts",
            xlabel="tok/s/user", ylabel="tok/s/GPU (log)", log_y=True,
            colour=(sys.stdout if to_stdout else sys.stderr).isatty(),
        )
        if to_stdout:
            emit(text)
        else:
            sys.stderr.write(text)
    if not feasible:
        raise InfeasibleError(f"no system can serve {result['model']} at {result['isl']}/{result['osl']}"
                              + (f" (asked: {args.precision})" if args.precision != "auto" else ""))
    return ExitCode.OK


# calibrate -----------------------------------------------------------------------------------------------

POINT_COLUMNS = (  # (header with unit, row key)
    ("id", "id"), ("accelerator", "accelerator"), ("model", "model"), ("precision", "precision"),
    ("isl/osl", None), ("basis", "basis"), ("measured_tok_s_per_gpu", "measured_tok_s_per_gpu"),
    ("roofline_tok_s_per_gpu", "roofline_tok_s_per_gpu"), ("calibrated_tok_s_per_gpu", "calibrated_tok_s_per_gpu"),
    ("error_pct", "error_pct"), ("loo_error_pct", "loo_error_pct"),
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
    summary = json.loads(json.dumps(clean(report.summary)))
    summary["all"]["points_off_by_more_than_2x"] = _off_by_2x(report.rows, "calibrated_tok_s_per_gpu")
    for key, field in (("per_ecosystem", "ecosystem"), ("per_vendor", "accelerator")):
        for name in summary.get(key, {}):
            rs = [r for r in report.rows if (r[field] if field == "ecosystem" else r[field].split("_")[0]) == name]
            summary[key][name]["points_off_by_more_than_2x"] = _off_by_2x(rs, "calibrated_tok_s_per_gpu")
    return summary


def cmd_calibrate(args: argparse.Namespace) -> int:
    from advisor import api
    from advisor.engine.calibration import usable_points

    catalog = load_catalog_from_args(args)
    used, excluded = usable_points(catalog)
    loo = not args.no_loo
    note = f", then leave-one-out over each point (~{max(1, round(len(used) * 0.13))} s)" if loo else ""
    print(f"advisor: fitting {len(used)} measured points{note}...", file=sys.stderr, flush=True)
    report = api.calibrate(catalog, loo=loo)
    summary = summary_with_fit_2x(report)
    params = natural_parameters(report.factors)
    if args.json:
        emit(dumps({
            "kind": "calibration", "loo": loo, "points": report.rows, "summary": summary, "parameters": params,
            "parameters_fit_space": report.parameters, "factors": report.factors.to_dict(), "excluded": excluded,
        }))
        return ExitCode.OK
    emit(render_calibration(report.rows, summary, params, excluded))
    return ExitCode.OK


SUMMARY_COLUMNS = (
    ("group", None), ("points", "points"), ("roofline_median_abs_error_pct", "roofline_median_abs_error_pct"),
    ("median_abs_error_pct", "median_abs_error_pct"), ("worst_abs_error_pct", "worst_abs_error_pct"),
    ("off_by_2x_points", "points_off_by_more_than_2x"), ("loo_median_abs_error_pct", "loo_median_abs_error_pct"),
    ("loo_worst_abs_error_pct", "loo_worst_abs_error_pct"), ("loo_off_by_2x_points", "loo_points_off_by_more_than_2x"),
)


def render_calibration(rows: list[dict], summary: dict, params: dict[str, float], excluded: dict[str, str]) -> str:
    """Per-point table, summary (all, per ecosystem, per vendor), fitted parameters, left-out points."""
    from advisor.report.table import render_table

    has_loo = any(r.get("loo_error_pct") is not None for r in rows)
    point_rows = []
    for r in rows:
        cells = []
        for _, key in POINT_COLUMNS:
            if key is None:
                cells.append(f"{r['isl']}/{r['osl']}")
            elif key.endswith("error_pct") and r.get(key) is not None:
                cells.append(f"{r[key]:+.1f}")
            else:
                cells.append(fmt(r.get(key)))
        point_rows.append(cells)
    numeric = [key is not None and key.endswith(("_gpu", "_pct")) for _, key in POINT_COLUMNS]
    parts = [render_table([h for h, _ in POINT_COLUMNS], point_rows, numeric=numeric,
                          title=f"measured points ({len(rows)}): tok/s/GPU on each point's basis"
                                + ("" if has_loo else "; leave-one-out skipped (--no-loo)"))]
    groups = [("all", summary["all"])]
    groups += [(f"ecosystem {k}", v) for k, v in summary.get("per_ecosystem", {}).items()]
    groups += [(f"vendor {k}", v) for k, v in summary.get("per_vendor", {}).items()]
    srows = [[name] + [fmt(block.get(key)) for _, key in SUMMARY_COLUMNS[1:]] for name, block in groups]
    parts.append(render_table([h for h, _ in SUMMARY_COLUMNS], srows, title="summary (absolute errors, percent)",
                              numeric=[False] + [True] * (len(SUMMARY_COLUMNS) - 1)))
    prows = [[k, f"{v:.4g}"] for k, v in params.items()]
    parts.append(render_table(["parameter", "value"], prows, title="fitted parameters", numeric=[False, True]))
    if excluded:
        parts.append(render_table(["id", "why left out of the fit"], [[k, v] for k, v in sorted(excluded.items())],
                                  title=f"left out ({len(excluded)})"))
    return "\n".join(parts)
