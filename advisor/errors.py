"""Error types and the exit-code contract. Standard library only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from difflib import get_close_matches
from enum import IntEnum
from pathlib import Path

ECHO_LIMIT = 80
"""Longest user-supplied value echoed back in a message (longer ones are cut with an ellipsis)."""


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


class UnknownIdError(UsageError):
    """An id (system, model, tier, region, ...) that names nothing; carries close matches."""

    def __init__(self, kind: str, ident: str, choices: Iterable[str] = (), *, n: int = 3):
        self.kind, self.ident = kind, str(ident)
        self.suggestions = close_matches(self.ident, choices, n=n)
        super().__init__(f"no {kind} with id {echo(self.ident)}.{did_you_mean(self.ident, choices, n=n)}")


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


def echo(value: object, limit: int = ECHO_LIMIT) -> str:
    """A user-supplied value for a message: repr'd, and cut to `limit` characters."""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def close_matches(word: str, choices: Iterable[str], *, n: int = 3, cutoff: float = 0.6) -> list[str]:
    """The nearest spellings of `word` among `choices` (compared on the first 200 characters)."""
    return get_close_matches(str(word)[:200], [str(c) for c in choices], n=n, cutoff=cutoff)


def did_you_mean(word: str, choices: Iterable[str], *, n: int = 1, cutoff: float = 0.6) -> str:
    """" Did you mean 'x'?" (or "'x', 'y'?") for the nearest spellings of `word`, or ''."""
    match = close_matches(word, choices, n=n, cutoff=cutoff)
    return f" Did you mean {', '.join(repr(m) for m in match)}?" if match else ""
