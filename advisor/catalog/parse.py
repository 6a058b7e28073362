"""TOML text -> dict; a syntax error -> one Problem with the line tomllib names."""

from __future__ import annotations

import datetime as dt
import re
import tomllib

from advisor.errors import Problem

_AT_LINE = re.compile(r"\(at line (\d+)")


def parse_toml(text: str, origin: str) -> tuple[dict | None, list[Problem]]:
    """The document as plain data (TOML dates become ISO strings), or the syntax problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        m = _AT_LINE.search(message)
        line = int(m.group(1)) if m else None
        return None, [Problem(origin, None, f"TOML syntax error: {message}", line)]
    return _dates_to_text(data), []


def _dates_to_text(value):
    """TOML's unquoted dates (`as_of = 2025-06-01`) read as the same text quoted."""
    if isinstance(value, dict):
        return {k: _dates_to_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_to_text(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return value


def read_text(path, origin: str) -> tuple[str | None, list[Problem]]:
    """A file's UTF-8 text, or why it could not be read."""
    try:
        return path.read_bytes().decode("utf-8"), []
    except UnicodeDecodeError as exc:
        return None, [Problem(origin, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})")]
    except OSError as exc:
        return None, [Problem(origin, None, f"cannot read: {exc.strerror or exc}")]
