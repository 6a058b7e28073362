"""`advisor compare FLEETS.toml` and `advisor sweep SWEEP.toml`.

stdout carries the data only (table, JSON, CSV, Markdown, plot); diagnostics and the
progress bar go to stderr (the bar only when stderr is a terminal).
"""

from __future__ import annotations

import argparse
import sys

from advisor.cli.common import (
    add_catalog_args, add_format_arg, add_wide_arg, emit, emit_plot, load_catalog_from_args, resolve_format,
)


def register(sub) -> None:
    p = sub.add_parser(
        "compare", help="compare given fleets side by side for one workload",
        description="Capacity at the SLOs, utilisation, capex, opex, $/Mtok, MW, racks, cooling and vendor "
                    "concentration of each fleet in FLEETS.toml, and the difference to its baseline. "
                    "Exit 3 when no fleet meets the demand (the comparison is still printed).",
    )
    p.add_argument("fleets", metavar="FLEETS.toml", help="fleets file (see examples/fleets/seed.toml)")
    add_format_arg(p, ("table", "json", "csv", "md"))
    add_wide_arg(p)
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="override a field before validation, e.g. workload.demand.concurrent_users=8000 (repeatable)")
    p.add_argument("--keep-inefficient", action="store_true",
                   help="do not mark fleets needing over 10x the GPUs of the lowest-cost one, or stuck at batch 1 per "
                        "replica, as inefficient (they may then be the lowest cost)")
    add_catalog_args(p)
    p.set_defaults(func=run_compare)

    s = sub.add_parser(
        "sweep", help="sensitivity sweep: every scenario of the axes x every option",
        description="The full grid of scenarios (axes in SWEEP.toml) x options (system x buy/rent, or the fleets of "
                    "a fleets file), each scenario's lowest $/Mtok and best score, and where the lowest-cost option changes, in words.",
    )
    s.add_argument("sweep", metavar="SWEEP.toml", help="sweep file (see examples/sweeps/)")
    add_format_arg(s, ("csv", "json", "table"))
    add_wide_arg(s)
    s.add_argument("--plot", action="store_true", help="draw usd_per_mtok of each option along one axis (plot_axis or "
                   "the first varying one); on stderr with --format csv/json")
    s.add_argument("--plot-axis", metavar="AXIS", help="axis for --plot (default: the file's plot_axis, else the first that varies)")
    s.add_argument("--max-scenarios", type=int, metavar="N", help="refuse sweeps with more scenarios (default: the file's max_scenarios, 1,000,000)")
    s.add_argument("--force", action="store_true", help="run even beyond --max-scenarios")
    s.add_argument("--workers", type=int, metavar="N", help="worker threads for grid evaluations (default: all cores)")
    s.add_argument("--dask", metavar="local|tcp://HOST:PORT",
                   help="evaluate the grids on dask.distributed: 'local' (an in-process cluster) or a scheduler "
                        "address (needs pip install 'advisor[dask]')")
    s.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="override a field of the sweep file before validation (repeatable)")
    s.add_argument("--keep-inefficient", action="store_true",
                   help="keep options needing over 10x the GPUs of a scenario's best-scoring one, or stuck at batch 1 "
                        "per replica (else infeasible with reason 'inefficient', as recommend excludes them)")
    add_catalog_args(s)
    s.set_defaults(func=run_sweep)


def run_compare(args: argparse.Namespace) -> int:
    from advisor import api
    from advisor.errors import ExitCode
    from advisor.report.fleet import render_comparison

    fmt = resolve_format(args)
    ff = api.read_fleets(args.fleets, sets=args.sets)
    catalog = load_catalog_from_args(args)
    cmp = api.compare_fleets(catalog, ff, keep_inefficient=args.keep_inefficient)
    _warn(cmp.warnings)
    emit(render_comparison(cmp, fmt, wide=args.wide))
    if not cmp.any_meets_demand:
        print("advisor: no fleet meets the demand (exit 3)", file=sys.stderr)
        return ExitCode.INFEASIBLE
    return ExitCode.OK


def run_sweep(args: argparse.Namespace) -> int:
    from advisor import api
    from advisor.errors import ExitCode, UsageError
    from advisor.report.fleet import render_sweep, render_sweep_plot

    fmt = resolve_format(args, tty_default="table", pipe_default="csv")
    if args.max_scenarios is not None and args.max_scenarios < 1:
        raise UsageError("--max-scenarios must be at least 1")
    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers must be at least 1")
    sw = api.read_sweep(args.sweep, sets=args.sets)
    api.check_sweep_size(sw, max_scenarios=args.max_scenarios, force=args.force)
    catalog = load_catalog_from_args(args)
    progress = _progress_bar() if sys.stderr.isatty() else None
    client = api.dask_client(args.dask) if args.dask else None
    try:
        res = api.sweep(catalog, sw, progress=progress, workers=args.workers,
                              max_scenarios=args.max_scenarios, force=args.force, client=client,
                              keep_inefficient=args.keep_inefficient)
    finally:
        if progress is not None:
            progress(None, None)
        if client is not None:
            client.close()
    _warn(res.warnings)
    if args.plot:
        axis = args.plot_axis or sw.value.plot_axis
        if axis is not None and axis not in res.axes:
            raise UsageError(f"--plot-axis {axis!r} is not one of the axes ({', '.join(res.axes)})")
        if fmt == "table":  # the plot and the summary in words: a view for people
            emit_plot(render_sweep_plot, res, axis, data_on_stdout=False)
            emit("\n".join(res.summary))
        else:  # data alone on stdout, the plot on stderr
            emit(render_sweep(res, fmt))
            emit_plot(render_sweep_plot, res, axis, data_on_stdout=True)
    else:
        emit(render_sweep(res, fmt, wide=args.wide))
    if res.n_scenarios and not any(res.lowest_cost):
        print("advisor: no option is feasible in any scenario (exit 3)", file=sys.stderr)
        return ExitCode.INFEASIBLE
    return ExitCode.OK


def _warn(warnings: list[str]) -> None:
    """Each warning on stderr (also in the JSON `warnings`), as recommend does."""
    from advisor.cli.messages import warn

    for warning in warnings:
        warn(warning)


def _progress_bar():
    """A one-line bar on stderr: call (done, total); (None, None) clears it."""
    import time

    state = {"shown": False, "t0": time.monotonic()}

    def update(done, total):
        if done is None:
            if state["shown"]:
                sys.stderr.write("\r\x1b[K")
                sys.stderr.flush()
            return
        if time.monotonic() - state["t0"] < 0.5:
            return  # short sweeps draw nothing
        width = 30
        frac = done / total if total else 1.0
        bar = "#" * int(width * frac) + "-" * (width - int(width * frac))
        sys.stderr.write(f"\rsweep [{bar}] {done}/{total}")
        sys.stderr.flush()
        state["shown"] = True

    return update
