"""Error types and the exit-code contract. Standard library only."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    OK = 0
    """Ran, and at least one option is feasible."""
    INTERNAL = 1
    """A bug: a short message; the traceback only with --debug."""
    USAGE = 2
    """Bad flag, or a bad catalog, workload or fleet file. Nothing on stdout."""
    INFEASIBLE = 3
    """Ran fine, but no option meets the constraints; the output says why."""
    INTERRUPTED = 130


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input file, as a row of a report.

    `key` is the dotted path (`accelerator "amd_mi300x" > memory_gb`), None for a
    problem with the file as a whole. `line` is only ever a line we actually found in
    the text: a made-up number is worse than no number.
    """

    file: str | None
    key: str | None
    message: str
    line: int | None = None
    severity: str = "error"  # "error" | "warning"

    def format(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "") + ": "
        key = f"{self.key}: " if self.key else ""
        tag = "warning: " if self.severity == "warning" else ""
        return f"{tag}{where}{key}{self.message}"


class AdvisorError(Exception):
    """Base of every error a user can cause; never shown with a traceback."""

    exit_code: ExitCode = ExitCode.USAGE

    def lines(self) -> list[str]:
        return [str(self)]


class UsageError(AdvisorError):
    """A bad flag, id or value given on the command line or in a file."""


class InputError(AdvisorError):
    """One or more problems found in input files (catalog, workload, fleets, sweep)."""

    def __init__(self, problems: list[Problem], summary: str | None = None):
        self.problems = list(problems)
        self.summary = summary
        super().__init__(summary or "; ".join(p.format() for p in self.problems))

    def lines(self) -> list[str]:
        out = [p.format() for p in self.problems]
        if self.summary:
            out.append(self.summary)
        return out


class CatalogError(InputError):
    """The catalog (built-in or an overlay) could not be loaded."""


class RemoteError(AdvisorError):
    """A remote catalog could not be fetched and no cached copy exists."""


class InfeasibleError(AdvisorError):
    """The run was fine but no option meets the constraints."""

    exit_code = ExitCode.INFEASIBLE


def display_path(path: Path | str) -> str:
    """A path as the user would like to read it: relative to the cwd when inside it."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(p)
