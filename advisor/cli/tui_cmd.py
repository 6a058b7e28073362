"""`advisor tui [WORKLOAD.toml]`, and `advisor` alone on a terminal: the interactive TUI.

Inputs are validated here, before Textual is imported: a bad workload or catalog exits 2
with its file:line:key message and no TUI.
"""

from __future__ import annotations

import argparse

from advisor.cli.common import add_catalog_args


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "tui", help="open the interactive advisor (also: `advisor` with no arguments)",
        description="Describe a workload and a datacenter, and watch the ranking update as you type.",
    )
    parser.add_argument("workload", nargs="?", metavar="WORKLOAD.toml",
                        help="scenario to open (default: a built-in DeepSeek V4 Pro chat service)")
    add_catalog_args(parser)
    parser.set_defaults(func=run_tui)


def run_tui(args: argparse.Namespace) -> int:
    from advisor import api
    from advisor.cli.common import load_catalog_from_args

    catalog = load_catalog_from_args(args)
    workload = api.load_workload(args.workload) if getattr(args, "workload", None) else None
    if workload is not None:
        for cls in workload.classes:  # an unknown model id is a usage error, found before the TUI opens
            catalog_model(catalog, cls.model)
    # Textual is imported only here (~0.2 s), never by `advisor --help` or the headless commands.
    from advisor import tui

    return tui.run(catalog, workload, workload_path=getattr(args, "workload", None))


def catalog_model(catalog, ident: str):
    from advisor.domain.catalog import LookupError_
    from advisor.errors import UsageError

    try:
        return catalog.model(ident)
    except LookupError_ as exc:
        raise UsageError(f"workload: {exc}") from None


def run_default(args: argparse.Namespace) -> int:
    """`advisor` with no subcommand on a terminal."""
    return run_tui(argparse.Namespace(workload=None, catalog=[], strict=False, allow_http=False,
                                      debug=getattr(args, "debug", False)))
