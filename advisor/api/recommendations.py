"""Ranked, sized, costed options for a workload."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from pathlib import Path

import advisor.api.context as context
import advisor.api.ids as ids
from advisor.api.calibration import factors
from advisor.api.loading import Loaded, as_workload
from advisor.domain import Catalog
from advisor.domain.results import Recommendation
from advisor.domain.workload import Workload
from advisor.engine import confidence
from advisor.engine import recommend as rec
from advisor.engine.build import grid_for, today
from advisor.engine.constraints import prefilter
from advisor.engine.factors import Factors


def recommend(catalog: Catalog, workload: Workload | Loaded[Workload] | str | Path | dict[str, Any], *, top: int | None = None,
              fac: Factors | None = None, keep_inefficient: bool = False, client: Any = None,
              n_draws: int = confidence.DRAWS, grid_cache: MutableMapping[Any, Any] | None = None) -> Recommendation:
    """Rank sized, costed options for a workload; returns domain.results.Recommendation.

    `workload`: a Workload, a Loaded one (from read_workload: unknown ids then name file and line),
    a path or a dict. Never raises for infeasibility: an empty `options` list comes with every exclusion.
    `keep_inefficient`: rank options needing over 10x the GPUs of the best one, or stuck at batch 1.
    `client`: run the Monte Carlo behind p_lowest_cost on a cluster (e.g. a dask.distributed Client;
    anything with .map/.gather): same answer as without. `n_draws`: Monte Carlo draws (default 4,000).
    Budget mode: [objective] maximise = "users" with procurement.budget_usd.
    `grid_cache`: a mapping the caller keeps between calls (the TUI does): throughput grids are reused when only
    costs, weights or demand changed (keyed by catalog, factors, surviving systems, model, lengths, precision,
    spec decoding and days since release). Grids are never mutated by ranking.
    """
    doc = as_workload(workload)
    ids.check_workload(catalog, doc)
    wl = doc.value
    fac = fac or factors(catalog)
    ctx = context.job_context(catalog, wl, fac)
    pr = wl.procurement
    systems = [ids.system(catalog, s) for s in pr.systems] if pr.systems else list(catalog.systems.values())
    kept, excluded = prefilter(ctx, systems)
    grids = {}
    if kept:
        for tc in wl.classes:
            key = (id(catalog), id(fac), tuple(s.id for s in kept), catalog.model(tc.model).id, tc.isl, tc.osl,
                   tc.precision, tc.spec_decode, tc.serving, pr.days_since_release if pr.days_since_release is not None
                   else ("today", today().isoformat()))
            hit = grid_cache.get(key) if grid_cache is not None else None
            if hit is not None and hit[0] is catalog and hit[1] is fac:
                grids[tc.name] = hit[2]
                continue
            grids[tc.name] = grid_for(catalog, kept, catalog.model(tc.model), fac, isl=tc.isl, osl=tc.osl,
                                      precision=tc.precision, spec_decode=tc.spec_decode, serving=tc.serving,
                                      days_since_release=pr.days_since_release)
            if grid_cache is not None:
                grid_cache[key] = (catalog, fac, grids[tc.name])
        ranked = rec.recommend(ctx, kept, grids, top=top, keep_inefficient=keep_inefficient, client=client,
                               n_draws=n_draws)
    else:
        ranked = rec.Ranked([], [])
    days = {tc.name: grids[tc.name][1] if tc.name in grids else None for tc in wl.classes}
    return Recommendation(
        workload=wl.model_dump(mode="json"), assumptions=context.assumptions(ctx, days), options=ranked.options,
        excluded=sorted(excluded + ranked.excluded, key=lambda e: (e.constraint, e.system, e.procurement)),
        catalog=list(catalog.layers), calibration=dict(fac.summary), objective=wl.objective.maximise,
        lowest_cost=ranked.lowest_cost, best_score=ranked.best_score, monte_carlo=ranked.monte_carlo,
        # every ranked option's prices, before --top: a stale price that pushed an option out of the top N
        # shaped the answer as much as one that kept an option in
        warnings=context.stale_price_warnings(ctx, [(catalog.systems[sid], mode) for sid, mode in ranked.priced]),
    )


def recommendation_schema() -> dict[str, Any]:
    return Recommendation.model_json_schema()


def workload_schema() -> dict[str, Any]:
    return Workload.model_json_schema()
