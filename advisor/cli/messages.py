"""Diagnostics on stderr, one plain line each (stdout carries data only)."""

from __future__ import annotations

import sys


def error(message: str) -> None:
    print(f"advisor: error: {message}", file=sys.stderr)


def warn(message: str) -> None:
    print(f"advisor: warning: {message}", file=sys.stderr)
