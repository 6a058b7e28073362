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

from advisor.cli.common import add_catalog_args, add_wide_arg, emit, emit_plot, load_catalog_from_args
from advisor.cli.messages import warn
from advisor.errors import ExitCode, InfeasibleError, UnknownIdError, UsageError


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
    """A utilisation-like fraction: the same range as the domain's Utilisation (0.01 to 1)."""
    value = _float(text)
    if not 0.01 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0.01 and 1, got {text}")
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
    p.add_argument("--precision", default="auto", metavar="NAME",
                   help="weight precision: auto (the best the chip and model support) or a format the engine knows, "
                        "e.g. fp8, int4 or q3 (an unknown name lists them)")
    p.add_argument("--spec-decode", type=parse_spec_decode, default=("auto", None), metavar="none|mtp[:RATE]|auto",
                   help="speculative decoding with MTP drafts; RATE = acceptance of a drafted token, in (0, 1)")
    p.add_argument("--serving", choices=("agg", "disagg", "auto"), default="auto",
                   help="agg: prefill and decode share GPUs; disagg: separate prefill and decode pools; "
                        "auto (default): whichever gives more tokens/s per GPU at the floor")
    p.add_argument("--days-since-release", type=_non_negative, metavar="D",
                   help="software maturity: days since the model's release (default: from today's date)")


def _add_price_args(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--price-tier", metavar="T", help="rental price tier from the catalog (e.g. neocloud_tco, on_demand)")
    g.add_argument("--usd-per-gpu-hour", type=_positive, metavar="X", help="price per GPU-hour instead of a catalog price")
    p.add_argument("--utilisation", type=_fraction, metavar="U", help="share of hours serving traffic, 0.01 to 1")


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
    p.add_argument("--max-ttft", type=_positive, metavar="S", help="ceiling on the median time to first token, seconds")
    p.add_argument("--max-ttft-p99", type=_positive, metavar="S",
                   help="ceiling on the 99th-percentile time to first token (queueing included), seconds")
    p.add_argument("--gpus", type=_positive_int, metavar="N", help="GPUs per replica (tensor parallel, or expert parallel for MoE models: the better of the two; the output says which)")
    p.add_argument("--concurrency", type=_positive_int, metavar="N",
                   help="requests in flight per replica: the running batch is what the KV cache holds at ISL+OSL, the "
                        "rest queue (reports running_batch, queued_requests, TTFT p50/p99); without --gpus, the layout "
                        "that runs them all (else queues fewest) with the most tokens/s per GPU")
    _add_price_args(p)
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    add_wide_arg(p)
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
    add_wide_arg(p)
    add_catalog_args(p)
    p.set_defaults(func=cmd_frontier, format="table")

    p = subparsers.add_parser(
        "calibrate", help="fit the engine to the measured points and report its error (leave-one-out too)",
        description="Fit the efficiency factors to the catalog's measured benchmark points; print every point's "
                    "measured, roofline and calibrated throughput, the leave-one-out error and the fitted parameters.",
    )
    p.add_argument("--no-loo", action="store_true", help="skip leave-one-out (seconds instead of ~40 s)")
    p.add_argument("--cv", choices=("grouped",), help="grouped: hold out whole groups (chip, model, ecosystem...) "
                                                      "and report the error per scheme instead of the fit")
    p.add_argument("--json", action="store_true", help="JSON on stdout")
    add_wide_arg(p)
    add_catalog_args(p)
    p.set_defaults(func=cmd_calibrate)


# helpers ----------------------------------------------------------------------------------------------

def _workload_kwargs(args, catalog) -> dict:
    from advisor.domain.catalog import LookupError_

    mode, accept = args.spec_decode
    _check_precision(args.precision)
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
            unknown = UnknownIdError("price tier", args.price_tier, tiers)
            if unknown.suggestions:
                raise unknown
            raise UsageError(f"{unknown} Tiers: {', '.join(tiers)}.")
    return dict(
        model=args.model, isl=args.isl, osl=args.osl, precision=args.precision, spec_decode=mode, accept=accept,
        days_since_release=args.days_since_release, price_tier=args.price_tier,
        usd_per_gpu_hour=args.usd_per_gpu_hour, utilisation=args.utilisation, serving=args.serving,
    )


def _check_precision(name: str) -> None:
    """--precision is auto or one of the engine's formats (checked here, not by argparse: parsing loads no pydantic)."""
    from advisor.domain.base import PRECISION_ORDER

    names = ("auto", *PRECISION_ORDER)
    if name not in names:
        raise UsageError(f"{UnknownIdError('precision', name, names)} Precisions: {', '.join(names)}.")


def _system_for_accelerator(catalog, ident: str) -> str:
    from advisor.domain.catalog import LookupError_

    try:
        return catalog.default_system(catalog.accelerator(ident).id).id
    except LookupError_ as exc:
        raise UsageError(str(exc)) from None


# estimate ------------------------------------------------------------------------------------------------

def cmd_estimate(args: argparse.Namespace) -> int:
    from advisor import api
    from advisor.report import engine as report

    catalog = load_catalog_from_args(args)
    system = args.system if args.system else _system_for_accelerator(catalog, args.accelerator)
    try:
        result = api.estimate(
            catalog, system=system, min_tok_s_per_user=args.min_interactivity, max_ttft_s=args.max_ttft,
            max_ttft_p99_s=args.max_ttft_p99, gpus=args.gpus, concurrency=args.concurrency,
            **_workload_kwargs(args, catalog),
        )
    except InfeasibleError as exc:
        if args.json:
            emit(report.infeasible_json(str(exc)))
        raise
    queue = result.get("concurrency")
    if args.json:
        emit(report.estimate_json(result["point"], result["assumptions"], queue))
    else:
        emit(report.estimate_table(result["point"], result["assumptions"], wide=args.wide, concurrency=queue))
    return ExitCode.OK


# frontier ------------------------------------------------------------------------------------------------

def _empty_reasons(catalog, empty: list[str], kw: dict) -> dict[str, str]:
    """Why each system has no front: the estimate's own explanation of its infeasibility."""
    from advisor import api

    reasons = {}
    for sid in empty:
        try:
            api.estimate(catalog, system=sid, model=kw["model"], isl=kw["isl"], osl=kw["osl"],
                         precision=kw["precision"], spec_decode=kw["spec_decode"], accept=kw["accept"],
                         days_since_release=kw["days_since_release"], serving=kw["serving"])
            reasons[sid] = "nothing fits"
        except InfeasibleError as exc:
            reasons[sid] = f"nothing fits: {exc}"
    return reasons


def cmd_frontier(args: argparse.Namespace) -> int:
    from advisor import api
    from advisor.report import engine as report

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
    empty = [sid for sid, pts in result["fronts"].items() if not pts]
    reasons = _empty_reasons(catalog, empty, kw)
    for sid in empty:
        warn(f"{sid}: {reasons[sid]}")
    feasible = len(empty) < len(result["fronts"])

    if args.format == "json":
        emit(report.frontier_json(result, feasible=feasible, empty=reasons))
    elif args.format == "csv":
        emit(report.frontier_csv(result))
    else:
        text = report.frontier_table(result, wide=args.wide)
        if text:
            emit(text)
    if args.plot:
        emit_plot(report.frontier_plot, result, data_on_stdout=args.format != "table")
    if not feasible:
        raise InfeasibleError(f"no system can serve {result['model']} at {result['isl']}/{result['osl']}"
                              + (f" (asked: {args.precision})" if args.precision != "auto" else ""))
    return ExitCode.OK


# calibrate -----------------------------------------------------------------------------------------------

def cmd_calibrate(args: argparse.Namespace) -> int:
    from advisor import api
    from advisor.engine.calibration import usable_points
    from advisor.report import engine as report

    catalog = load_catalog_from_args(args)
    if args.cv == "grouped":
        print("advisor: grouped cross-validation (one refit per held-out group)...", file=sys.stderr, flush=True)
        cv = api.grouped_cv(catalog)
        emit(json.dumps(cv, indent=2) if args.json else _cv_table(cv))
        return ExitCode.OK
    used, excluded = usable_points(catalog)
    loo = not args.no_loo
    note = f", then leave-one-out over each point (~{max(1, round(len(used) * 0.13))} s)" if loo else ""
    print(f"advisor: fitting {len(used)} measured points{note}...", file=sys.stderr, flush=True)
    fit = api.calibrate(catalog, loo=loo)
    if args.json:
        emit(report.calibration_json(fit, loo=loo, excluded=excluded))
    else:
        emit(report.calibration_table(fit, excluded=excluded, wide=args.wide))
    return ExitCode.OK


def _cv_table(cv: dict) -> str:
    """The per-scheme summary of a grouped cross-validation, one row a scheme."""
    head = ("scheme", "points", "median_abs_error_pct", "median_abs_error_pct_tok_s_per_user", "within_2x_share",
            "band_coverage_share")
    rows = [head] + [(scheme, *("-" if b.get(k) is None else str(b[k]) for k in head[1:]))
                     for scheme, b in cv["summary"]["cross_validation"].items()]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)
