"""Long problem lists, cut: the first MAX_SHOWN, then one "and N more" line. Standard library only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

MAX_SHOWN = 50
"""Problems printed (or carried by one error) before the rest are counted, not listed."""

T = TypeVar("T")


def first(items: Sequence[T], limit: int = MAX_SHOWN) -> tuple[list[T], int]:
    """(the first `limit` items, how many more there are)."""
    return list(items[:limit]), max(0, len(items) - limit)


def more_line(n: int, what: str = "problem") -> str:
    return f"... and {n:,} more {what}{'s' * (n != 1)} (the first {MAX_SHOWN} are shown)"


def capped_lines(lines: Sequence[str], *, keep_last: bool = False, what: str = "problem") -> list[str]:
    """`lines` cut to MAX_SHOWN plus an "and N more" line; with `keep_last`, the last (a summary) stays."""
    body, tail = (list(lines[:-1]), list(lines[-1:])) if keep_last and lines else (list(lines), [])
    shown, more = first(body)
    return shown + ([more_line(more, what)] if more else []) + tail
