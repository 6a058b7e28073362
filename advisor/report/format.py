"""Figures as text, one way everywhere: numbers, money, any value, and strict JSON.

The CLI renderers and the TUI both format through these, so a figure reads the same in a
table, a Markdown report and a TUI cell. No numpy import: numpy scalars are recognised by
their `item()` method.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping


def number(value, digits: int | None = None, *, group: bool = True, missing: str = "", nonfinite: str = "n/a") -> str:
    """A figure for people, never in exponent notation above 1.

    digits=None (figures of a model: 12,109 / 757 / 48.9 / 2.09 / 0.0637 / 0): three
    significant figures, fixed point. digits=N (values as given: 989, 3.35, 0.0125): whole
    values exact, others to N significant figures. With `group`, |x| >= 1000 is a whole
    number with thousands separators (12,109); without it (catalog values, echoed as the
    TOML writes them) 1307 stays 1307. Integers print whole and ungrouped (token counts,
    GPU counts), booleans as yes/no, anything else (text, dates) as str(); None is
    `missing`, NaN and infinities are `nonfinite`.
    """
    if value is None:
        return missing
    if isinstance(value, bool) or _is_bool_scalar(value):
        return "yes" if value else "no"
    if not isinstance(value, (int, float)) and not _is_scalar(value):
        return str(value)  # text, dates, ids: as they are
    if isinstance(value, int) or _is_integer_scalar(value):
        return str(int(value))
    v = float(value)
    if not math.isfinite(v):
        return nonfinite
    a = abs(v)
    if a == 0:
        return "0"
    if group and a >= 1000:
        return f"{v:,.0f}"
    if digits is not None:
        if v.is_integer() or a >= 10 ** digits:
            return f"{v:.0f}"
        return f"{v:.{digits}g}"
    return _by_magnitude(v, _FIGURE_RUNGS)


def money(usd: float | None, *, missing: str = "") -> str:
    """US dollars short enough for a table cell, without the $ sign: 950, 4.6k, 12.50M, 1.20B."""
    if usd is None:
        return missing
    v = float(usd)
    if not math.isfinite(v):
        return "n/a"
    return _by_magnitude(v, _MONEY_RUNGS)


Rung = tuple[float, float, str, str]
"""(smallest |value| it takes, divisor, format spec, suffix)."""

_FIGURE_RUNGS: tuple[Rung, ...] = ((100, 1, ".0f", ""), (10, 1, ".1f", ""), (1, 1, ".2f", ""), (0, 1, ".3g", ""))
"""number() without `digits`: three significant figures in fixed point (757, 48.9, 2.09, 0.0637)."""
_MONEY_RUNGS: tuple[Rung, ...] = ((1e9, 1e9, ",.2f", "B"), (1e6, 1e6, ",.2f", "M"), (1e3, 1e3, ",.1f", "k"), (0, 1, ",.0f", ""))
"""money(): 1.20B, 12.50M, 4.6k, 950."""


def _by_magnitude(v: float, rungs: tuple[Rung, ...]) -> str:
    """`v` formatted by the first rung whose floor |v| reaches (the last rung's floor is 0)."""
    a = abs(v)
    _, scale, spec, suffix = next(rung for rung in rungs if a >= rung[0])
    return f"{v / scale:{spec}}{suffix}"


def text(value, *, digits: int = 4) -> str:
    """Any field value as one line: numbers as given (`number(..., digits, group=False)`),
    lists comma-separated, tables as `key = value`, models through their fields."""
    if value is None:
        return ""
    if isinstance(value, (bool, int, float)) or _is_scalar(value):
        return number(value, digits, group=False)
    if isinstance(value, (list, tuple)):
        return ", ".join(text(v, digits=digits) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k} = {text(v, digits=digits)}" for k, v in value.items())
    if hasattr(value, "model_dump"):
        return text(value.model_dump(), digits=digits)
    return str(value)


def clean(obj):
    """JSON-safe: non-finite floats become null, numpy scalars and arrays plain Python, keys strings.

    Strict JSON has no NaN or Infinity; a figure that could not be computed is null.
    """
    if isinstance(obj, Mapping):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if hasattr(obj, "tolist") and getattr(obj, "ndim", 0) > 0:  # a numpy array
        return clean(obj.tolist())
    if isinstance(obj, float) or hasattr(obj, "item"):
        if _is_integer_scalar(obj) or _is_bool_scalar(obj):
            return obj.item()
        try:
            v = float(obj)
        except (TypeError, ValueError):
            return str(obj)
        return v if math.isfinite(v) else None
    return obj


def dumps(obj, *, indent: int | None = 2) -> str:
    """Strict JSON text of `obj` after `clean` (raises rather than writing NaN)."""
    return json.dumps(clean(obj), indent=indent, allow_nan=False)


def _is_scalar(value) -> bool:
    return hasattr(value, "item") and getattr(value, "ndim", None) == 0


def _is_integer_scalar(value) -> bool:
    """A numpy integer (np.int64(3)): whole, never a float."""
    return _is_scalar(value) and getattr(getattr(value, "dtype", None), "kind", "") in ("i", "u")


def _is_bool_scalar(value) -> bool:
    return _is_scalar(value) and getattr(getattr(value, "dtype", None), "kind", "") == "b"
