"""`advisor recommend`: the main job, headless."""

from __future__ import annotations

import argparse

from advisor.cli.common import (
    add_catalog_args, add_format_arg, add_wide_arg, emit, load_catalog_from_args, resolve_format,
)
from advisor.errors import ExitCode
from advisor.report.format import dumps


def register(sub) -> None:
    p = sub.add_parser(
        "recommend", help="rank accelerators for a workload file (table, JSON, CSV, Markdown)",
        description="Size, cost and rank every system for a workload; explain each rank and every exclusion. "
                    "Exit 0 when options exist, 3 when none meets the constraints, 2 for bad input.",
    )
    p.add_argument("workload", nargs="?", metavar="WORKLOAD.toml", help="workload file (see examples/workloads/)")
    add_format_arg(p)
    add_wide_arg(p)
    p.add_argument("--top", type=int, default=None, metavar="N", help="show only the best N options")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY.PATH=VALUE",
                   help="override a workload field, e.g. --set datacenter.cooling=air (repeatable)")
    p.add_argument("--serving", choices=("agg", "disagg", "auto"), default=None,
                   help="serving mode of every class (default: each class's own `serving`, itself auto by default: "
                        "aggregated or disaggregated prefill/decode, whichever serves more tokens/s per GPU)")
    p.add_argument("--keep-inefficient", action="store_true",
                   help="rank options needing over 10x the GPUs of the best one, or stuck at batch 1 per replica")
    p.add_argument("--schema", action="store_true", help="print the JSON Schema of the output and exit")
    p.add_argument("--schema-input", action="store_true", help="print the JSON Schema of the workload file and exit")
    add_catalog_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from advisor import api
    from advisor.errors import UsageError

    if args.schema or args.schema_input:
        emit(dumps(api.recommendation_schema() if args.schema else api.workload_schema()))
        return ExitCode.OK
    if not args.workload:
        raise UsageError("recommend needs a WORKLOAD.toml (try examples/workloads/deepseek_v4_chat.toml)")
    if args.top is not None and args.top < 1:
        raise UsageError("--top must be at least 1")
    workload = api.read_workload(args.workload, sets=args.sets)
    if args.serving is not None:
        import dataclasses

        wl = workload.value
        workload = dataclasses.replace(workload, value=wl.model_copy(update={
            "classes": [c.model_copy(update={"serving": args.serving}) for c in wl.classes]}))
    catalog = load_catalog_from_args(args)
    rec = api.recommend(catalog, workload, top=args.top, keep_inefficient=args.keep_inefficient)
    from advisor.cli.messages import error, warn

    for warning in rec.warnings:  # also in the JSON `warnings`
        warn(warning)
    from advisor.report.recommendation import RENDERERS, to_table

    fmt = resolve_format(args)
    emit(to_table(rec, wide=args.wide) if fmt == "table" else RENDERERS[fmt](rec))
    if not rec.options:
        error(f"no option meets the constraints ({len(rec.excluded)} exclusions listed)")
        return ExitCode.INFEASIBLE
    return ExitCode.OK
