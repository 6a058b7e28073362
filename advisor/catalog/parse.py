"""TOML text -> dict, guarded: the one parser every TOML source goes through.

Catalog files, overlays, remote bodies, workload / fleets / sweep files and `--set`
values are all parsed by `parse_toml`, which refuses (as a Problem naming the source,
never an exception) text larger than MAX_TEXT_CHARS, nesting deeper than MAX_DEPTH,
and integers outside TOML's 64-bit range (so Python's 4,300-digit limit never shows).
A syntax error is one Problem with the line tomllib names.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from pathlib import Path

from advisor.errors import Problem

MAX_TEXT_CHARS = 10_000_000
"""Largest TOML document read (the remote download cap is the same size in bytes)."""
MAX_DEPTH = 32
"""Deepest nesting of tables and arrays any advisor file needs is 5; 32 leaves room."""
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
"""TOML integers are 64-bit."""

_AT_LINE = re.compile(r"\(at line (\d+)")


def parse_toml(text: str, origin: str) -> tuple[dict | None, list[Problem]]:
    """The document as plain data (TOML dates become ISO strings), or the one problem that stops it."""
    if len(text) > MAX_TEXT_CHARS:
        return None, [Problem(origin, None, f"too large: {len(text):,} characters (the limit is {MAX_TEXT_CHARS:,})")]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        m = _AT_LINE.search(message)
        line = int(m.group(1)) if m else None
        return None, [Problem(origin, None, f"TOML syntax error: {message}", line)]
    except RecursionError:
        return None, [Problem(origin, None, f"nested too deeply (more than {MAX_DEPTH} levels of tables or arrays)")]
    except ValueError as exc:  # tomllib's int() of a number with more than 4,300 digits
        if "digits" not in str(exc):
            raise
        return None, [Problem(origin, None, "an integer has thousands of digits (TOML integers are 64-bit)")]
    problem = _check_shape(data)
    if problem:
        return None, [Problem(origin, None, problem)]
    return _dates_to_text(data), []


def _check_shape(data: dict) -> str | None:
    """Depth and integer range, walked without recursion."""
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > MAX_DEPTH:
                return f"nested too deeply (more than {MAX_DEPTH} levels of tables or arrays)"
            items = value.values() if isinstance(value, dict) else value
            stack.extend((v, depth + 1) for v in items)
        elif isinstance(value, int) and not isinstance(value, bool) and not INT_MIN <= value <= INT_MAX:
            return "an integer is out of range (TOML integers are 64-bit: at most 9223372036854775807)"
    return None


def _dates_to_text(value):
    """TOML's unquoted dates (`as_of = 2025-06-01`) read as the same text quoted."""
    if isinstance(value, dict):
        return {k: _dates_to_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_to_text(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return value


def parse_value(raw: str, origin: str) -> tuple[object, list[Problem]]:
    """One TOML value (the right-hand side of `--set key=VALUE`), guarded like a document.

    Text that is not a TOML value reads as a plain string (`--set cooling=air`); a value that
    breaks a guard (depth, integer size, length) is a problem, not a string.
    """
    data, problems = parse_toml(f"v = {raw}", origin)
    if data is not None:
        return data["v"], []
    if problems and problems[0].message.startswith("TOML syntax error"):
        if len(raw) > MAX_TEXT_CHARS:
            return None, [Problem(origin, None, f"too large: {len(raw):,} characters")]
        return raw, []
    return None, problems


def path_problem(path: Path | str, origin: str) -> Problem | None:
    """A Problem if `path` cannot even be asked about (too long for the OS, a NUL byte), else None."""
    text = os.fspath(path)
    if "\x00" in text:
        return Problem(origin, None, "the path contains a NUL byte")
    try:
        path_max = os.pathconf("/", "PC_PATH_MAX")
        name_max = os.pathconf("/", "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        path_max, name_max = 4096, 255
    if len(os.fsencode(text)) >= path_max:
        return Problem(origin, None, f"the path is too long ({len(text):,} characters; the limit is {path_max - 1})")
    longest = max((len(os.fsencode(p)) for p in Path(text).parts), default=0)
    if longest > name_max:
        return Problem(origin, None, f"a file or folder name in the path is too long ({longest} bytes; the limit is {name_max})")
    return None


def read_text(path, origin: str) -> tuple[str | None, list[Problem]]:
    """A file's UTF-8 text, or why it could not be read."""
    bad = path_problem(path, origin)
    if bad:
        return None, [bad]
    try:
        size = path.stat().st_size
        if size > MAX_TEXT_CHARS * 4:
            return None, [Problem(origin, None, f"too large: {size:,} bytes")]
        return path.read_bytes().decode("utf-8"), []
    except UnicodeDecodeError as exc:
        return None, [Problem(origin, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})")]
    except OSError as exc:
        return None, [Problem(origin, None, f"cannot read: {exc.strerror or exc}")]
