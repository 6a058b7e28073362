"""The command line: argparse subcommands over `advisor.api`.

Parsing imports neither numpy nor pydantic; each subcommand imports what it needs
when it runs, and Textual is imported only by `advisor tui`.

Command modules are imported by name from COMMANDS: a run of one subcommand imports only the
module that registers it; `advisor`, `advisor --help` and an unknown command import every one.
Import errors are never caught, so a broken command module fails loudly whenever it is needed,
and tests/cli/test_cli_commands.py imports every module and checks COMMANDS against what each registers.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType

from advisor import __version__
from advisor.cli.messages import error
from advisor.errors import AdvisorError, ExitCode

COMMANDS: dict[str, str] = {
    # subcommand -> the module of advisor.cli that registers it, in `advisor --help` order.
    # Each module exposes register(subparsers); its subcommands set `func(args) -> int`.
    "catalog": "catalog_cmd",
    "estimate": "engine_cmd", "frontier": "engine_cmd", "calibrate": "engine_cmd",
    "recommend": "recommend_cmd",
    "compare": "fleet_cmd", "sweep": "fleet_cmd",
    "model": "model_cmd",
    "tui": "tui_cmd",
}
COMMAND_MODULES: tuple[str, ...] = tuple(dict.fromkeys(COMMANDS.values()))
GLOBAL_FLAGS = ("--debug",)
"""Top-level flags that may come before the subcommand without ending the search for it."""


def command_module(name: str) -> ModuleType:
    """advisor.cli.<name> (a COMMAND_MODULES entry), imported now; an import error propagates."""
    if name not in COMMAND_MODULES:
        raise ValueError(f"not a command module: {name!r}")
    return importlib.import_module(f"advisor.cli.{name}")


def chosen_command(argv: Sequence[str]) -> str | None:
    """The subcommand `argv` runs, when it names a known one before any other flag; else None."""
    for token in argv:
        if token in GLOBAL_FLAGS:
            continue
        return token if token in COMMANDS else None
    return None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # exit 2, one line, as argparse does, but our prefix
        self.print_usage(sys.stderr)
        error(message)
        raise SystemExit(ExitCode.USAGE)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with `argv` naming a subcommand, only its module is imported and registered."""
    parser = _Parser(
        prog="advisor",
        description="Procurement advisor for AI inference accelerators: which chips, how many, at what $/Mtok, and why.",
    )
    parser.add_argument("--version", action="version", version=f"advisor {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    chosen = chosen_command(argv) if argv is not None else None
    for name in [COMMANDS[chosen]] if chosen else COMMAND_MODULES:
        command_module(name).register(sub)
    if chosen and chosen not in sub.choices:  # COMMANDS out of date: behave as before, register all
        for name in COMMAND_MODULES:
            if name != COMMANDS[chosen]:
                command_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(argv) if argv is not None else sys.argv[1:]
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        if args.command is None:
            # `advisor` alone opens the TUI when there is a terminal, else prints help.
            if sys.stdout.isatty() and sys.stdin.isatty():
                return int(command_module("tui_cmd").run_default(args))
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
