"""The command line: argparse subcommands over `advisor.api`.

Parsing imports neither numpy nor pydantic; each subcommand imports what it needs
when it runs, and Textual is imported only by `advisor tui`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from advisor import __version__
from advisor.cli import catalog_cmd, engine_cmd, fleet_cmd, model_cmd, recommend_cmd, tui_cmd
from advisor.cli.messages import error
from advisor.errors import AdvisorError, ExitCode

# Each module exposes register(subparsers); its subcommands set `func(args) -> int`.
COMMAND_MODULES = (catalog_cmd, engine_cmd, recommend_cmd, fleet_cmd, model_cmd, tui_cmd)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # exit 2, one line, as argparse does, but our prefix
        self.print_usage(sys.stderr)
        error(message)
        raise SystemExit(ExitCode.USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="advisor",
        description="Procurement advisor for AI inference accelerators: which chips, how many, at what $/Mtok, and why.",
    )
    parser.add_argument("--version", action="version", version=f"advisor {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    if not getattr(args, "func", None):
        if args.command is None:
            # `advisor` alone opens the TUI when there is a terminal, else prints help.
            if sys.stdout.isatty() and sys.stdin.isatty():
                return tui_cmd.run_default(args)
            parser.print_help()
            return ExitCode.OK
        parser.parse_args([args.command, "--help"])
    try:
        return int(args.func(args))
    except AdvisorError as exc:
        from advisor.catalog.problem_list import capped_lines

        lines = exc.lines()
        for line in capped_lines(lines, keep_last=bool(getattr(exc, "summary", None))):
            error(line)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return ExitCode.OK
    except Exception as exc:  # a bug: short message, traceback only with --debug
        if args.debug or os.environ.get("ADVISOR_DEBUG"):
            raise
        error(f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback; please report it)")
        return ExitCode.INTERNAL
