"""Given fleets side by side for their workload: capacity at the SLOs, costs, power, concentration."""

from __future__ import annotations

from typing import Any

from pathlib import Path

import advisor.api.context as context
import advisor.api.ids as ids
from advisor.api.calibration import factors
from advisor.api.loading import Loaded, as_fleets
from advisor.domain import Catalog, System
from advisor.domain.fleet import FleetsFile
from advisor.domain.results_fleet import FleetComparison
from advisor.engine import compare
from advisor.engine.build import grid_for
from advisor.engine.factors import Factors


def fleet_systems(catalog: Catalog, ff: FleetsFile) -> list[System]:
    """Every system of every fleet, once, in order of first mention."""
    systems: dict[str, System] = {}
    for f in ff.fleets:
        for m in f.members:
            s = catalog.system_or_accelerator(m.system)
            systems.setdefault(s.id, s)
    return list(systems.values())


def compare_fleets(catalog: Catalog, fleets: FleetsFile | Loaded[FleetsFile] | str | Path | dict[str, Any], *,
                   fac: Factors | None = None, keep_inefficient: bool = False) -> FleetComparison:
    """Fleets side by side for their workload: capacity at the SLOs, costs, power, concentration.

    `fleets`: a FleetsFile, a Loaded one (read_fleets: unknown ids name file and line), a path to a
    fleets TOML file, or a dict in that schema. Never raises for unmet demand (`any_meets_demand`
    says whether any fleet meets it). A fleet meeting demand that recommend would exclude as `inefficient`
    (over 10x the GPUs of the lowest-$/Mtok fleet, or stuck at batch 1) keeps its row, with status and a note
    saying so, and is never `lowest_cost`, unless `keep_inefficient`.
    """
    doc = as_fleets(fleets)
    ids.check_fleets(catalog, doc)
    ff = doc.value
    fac = fac or factors(catalog)
    wl = ff.workload
    ctx = context.job_context(catalog, wl, fac)
    systems = fleet_systems(catalog, ff)
    grids = {
        tc.name: grid_for(catalog, systems, catalog.model(tc.model), fac, isl=tc.isl, osl=tc.osl, precision=tc.precision,
                          spec_decode=tc.spec_decode, serving=tc.serving, days_since_release=wl.procurement.days_since_release)
        for tc in wl.classes
    }
    assumptions = context.assumptions(ctx, {k: v[1] for k, v in grids.items()})
    cmp = compare.compare(ctx, ff, systems, grids, assumptions, list(catalog.layers), keep_inefficient=keep_inefficient)
    return cmp.model_copy(update={"warnings": context.stale_price_warnings(ctx, catalog_priced_members(catalog, ff))})


def catalog_priced_members(catalog: Catalog, ff: FleetsFile) -> list[tuple[System, str]]:
    """(system, buy | rent) of every fleet member costed at a catalog price (the fleets file gives no price)."""
    out: list[tuple[System, str]] = []
    for f in ff.fleets:
        for m in f.members:
            mode = m.procurement or f.procurement
            if (m.usd_per_gpu if mode == "buy" else m.usd_per_gpu_hour) is None:
                out.append((catalog.system_or_accelerator(m.system), mode))
    return out


def fleets_schema() -> dict[str, Any]:
    return FleetsFile.model_json_schema()
