"""Domain objects -> an evaluated grid (the one place that wires arch, hardware and factors)."""

from __future__ import annotations

import os
from datetime import date

from advisor.domain import LLM, Catalog, System
from advisor.engine import arch as arch_mod
from advisor.engine.factors import Factors
from advisor.engine.grid import BATCHES, Grid, GridSetup, evaluate_grid
from advisor.engine.types import FloatArray
from advisor.engine.hardware import hw_arrays


def today() -> date:
    """Today's date, or ADVISOR_TODAY (YYYY-MM-DD) when set: reproducible runs and golden tests."""
    pinned = os.environ.get("ADVISOR_TODAY")
    return date.fromisoformat(pinned) if pinned else date.today()


def days_since(release: str, today_: date | None = None) -> float:
    """Days from a release date (YYYY-MM or YYYY-MM-DD) to today (or `today_`)."""
    parts = [int(x) for x in release.split("-")] + [1]
    rel = date(parts[0], parts[1], parts[2])
    return float(((today_ or today()) - rel).days)


def grid_for(
    catalog: Catalog, systems: list[System], model: LLM, fac: Factors, *, isl: int, osl: int, precision: str = "auto",
    spec_decode: str = "auto", accept: float | None = None, days_since_release: float | None = None,
    layouts: FloatArray | None = None, batches: FloatArray | None = None, serving: str = "agg",
    ep: FloatArray | None = None,
) -> tuple[Grid, float]:
    """The grid of one model on these systems, and the days since release it assumed.

    serving: agg | disagg | auto (engine/serving.py); grid.metrics["disaggregated"] says what each cell used.
    layouts/ep: GPUs per replica and expert-parallel flags of the layout axis (default: layouts.default_layouts()).
    """
    days = days_since(model.release_date) if days_since_release is None else days_since_release
    wl = GridSetup(isl=isl, osl=osl, precision=precision, spec_decode=spec_decode, accept=accept,
                   days_since_release=max(days, 0.0), serving=serving)
    grid = evaluate_grid(
        arch_mod.coeffs(model), hw_arrays(catalog, systems), wl, fac,
        layouts=layouts, batches=BATCHES if batches is None else batches,
        kv_reserve=catalog.defaults.kv_reserve_fraction, reserve_gb=catalog.defaults.runtime_reserve_gb, ep=ep,
    )
    return grid, days
