"""Terminal line plots (plotext): one series of (x, y) points per label, optionally log-y.

Generic on purpose: the frontier (tok/s/user vs tok/s/GPU per system) and sweeps use it.
plotext keeps one global figure, so every call starts from a clean one and returns text.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence

# Distinct on dark and light terminals; cycled with the markers so that, past a dozen
# series (or without colour, when piped), each label still has its own (colour, marker).
COLOURS = ("red", "green", "blue", "orange", "magenta", "cyan", "yellow", "white",
           "red+", "green+", "blue+", "magenta+", "cyan+")
MARKERS = ("+", "x", "o", "*", "#", "@", "%", "&", "$", "=", "~", "^", "v", "s", "d", "w")

DEFAULT_SIZE = (100, 30)


def style(index: int) -> tuple[str, str]:
    """(colour, marker) of the index-th series; no two of the first len(COLOURS)*len(MARKERS) repeat."""
    colour = COLOURS[index % len(COLOURS)]
    marker = MARKERS[(index + index // len(COLOURS)) % len(MARKERS)]
    return colour, marker


def render_lines(
    series: Mapping[str, Sequence[tuple[float, float]]],
    *,
    title: str | None = None,
    xlabel: str = "",
    ylabel: str = "",
    log_y: bool = False,
    log_x: bool = False,
    size: tuple[int, int] | None = None,
    colour: bool | None = None,
) -> str:
    """The series drawn as one plot, returned as text (ANSI colours only when `colour`).

    Points with a non-finite coordinate, or non-positive on a log axis, are dropped;
    labels with no point left are left out of the plot (and of its legend).
    """
    import plotext as plt  # type: ignore[import-untyped]  # deferred: only --plot needs it

    colour = use_colour(sys.stdout) if colour is None else colour
    width, height = size or _size()
    plt.clear_figure()
    plt.plot_size(width, height)
    drawn = 0
    for index, (label, points) in enumerate(series.items()):
        pts = [(float(x), float(y)) for x, y in points if _ok(x, log_x) and _ok(y, log_y)]
        if not pts:
            continue
        pts.sort()
        col, marker = style(index)
        xs, ys = zip(*pts)
        plt.plot(list(xs), list(ys), label=label, marker=marker, color=col)
        drawn += 1
    if log_y:
        plt.yscale("log")
    if log_x:
        plt.xscale("log")
    if title:
        plt.title(title)
    if xlabel:
        plt.xlabel(xlabel)
    if ylabel:
        plt.ylabel(ylabel)
    if not drawn:
        plt.clear_figure()
        return (f"{title}: " if title else "") + "nothing to plot\n"
    if not colour:
        plt.theme("clear")  # no colour codes at all, not only stripped ones
    text = plt.build()
    plt.clear_figure()
    if not colour:
        text = plt.uncolorize(text)
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"


def use_colour(stream) -> bool:
    """ANSI colour only on a terminal, and never when NO_COLOR is set and not empty (no-color.org)."""
    import os

    return bool(stream.isatty()) and not os.environ.get("NO_COLOR")


def _ok(v, log: bool) -> bool:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return False
    return math.isfinite(f) and (f > 0 or not log)


def _size() -> tuple[int, int]:
    import shutil

    if not sys.stdout.isatty():
        return DEFAULT_SIZE
    cols, rows = shutil.get_terminal_size(DEFAULT_SIZE)
    return max(40, cols - 1), max(15, min(rows - 4, 40))
