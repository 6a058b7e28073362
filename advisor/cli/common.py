"""Pieces every subcommand shares: catalog flags, output format, writing data to stdout."""

from __future__ import annotations

import argparse
import sys


def add_catalog_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--catalog", action="append", default=[], metavar="PATH|URL",
        help="overlay catalog file, folder or https URL (repeatable; later ones win by id)",
    )
    parser.add_argument("--strict", action="store_true", help="treat catalog lint warnings as errors")
    parser.add_argument("--allow-http", action="store_true", help="allow plain-http catalog URLs (not only loopback)")


def load_catalog_from_args(args: argparse.Namespace):
    """The merged catalog for these flags; lint warnings go to stderr."""
    from advisor import api
    from advisor.cli.messages import warn

    catalog, warnings = api.load_catalog(
        getattr(args, "catalog", []) or [],
        strict=getattr(args, "strict", False),
        allow_http=getattr(args, "allow_http", False),
    )
    if not getattr(args, "quiet_warnings", False):
        for problem in warnings:
            warn(problem.format().removeprefix("warning: "))
    return catalog


def add_format_arg(parser: argparse.ArgumentParser, choices=("table", "json", "csv", "md"), default=None) -> None:
    parser.add_argument("--format", choices=choices, default=default, help=f"output format ({', '.join(choices)})")
    if "json" in choices:
        parser.add_argument("--json", dest="format", action="store_const", const="json", help="same as --format json")


def resolve_format(args: argparse.Namespace, *, tty_default: str = "table", pipe_default: str = "table") -> str:
    if getattr(args, "format", None):
        return args.format
    return tty_default if sys.stdout.isatty() else pipe_default


def emit(text: str) -> None:
    """Data to stdout, newline-terminated."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


def add_wide_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--wide", action="store_true",
                        help="tables: every column at its natural width (default: fit the terminal, "
                             "with a compact column set below 100 columns)")


def emit_plot(render, *args, data_on_stdout: bool) -> None:
    """A plot after a table on stdout, or on stderr when stdout carries data (JSON, CSV, Markdown).

    `render(*args, colour=...)` returns the plot's text; colour only on a terminal without NO_COLOR.
    """
    from advisor.report.plot import use_colour

    stream = sys.stderr if data_on_stdout else sys.stdout
    text = render(*args, colour=use_colour(stream))
    stream.write(text if text.endswith("\n") else text + "\n")
    stream.flush()
