"""What every job (recommend, compare, sweep) works from: the inputs, and each class's grid."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from advisor.domain import Catalog, System
from advisor.domain.workload import TrafficClass, Workload
from advisor.engine import pricing, select
from advisor.engine.factors import Factors
from advisor.engine.grid import Grid
from advisor.engine.pricing import FinanceInputs


@dataclass(frozen=True)
class Context:
    catalog: Catalog
    workload: Workload
    factors: Factors
    fin: FinanceInputs
    hall: str
    """The hall's cooling: air | liquid | both (datacenter.cooling)."""

    def member_price(self, s: System, mode: str) -> tuple[float, str] | None:
        """(USD per GPU when buying or per GPU-hour when renting, source): the workload's, else the catalog's."""
        pr = self.workload.procurement
        if mode == "buy":
            return pricing.own_price(self.catalog, s, pr.usd_per_gpu)
        return pricing.rent_price(self.catalog, s, self.fin.price_tier, pr.usd_per_gpu_hour)


@dataclass(frozen=True)
class ClassResult:
    """One traffic class's grid over the systems, and each system's best cell under the class SLOs."""

    tc: TrafficClass
    grid: Grid
    best: np.ndarray
    ok: np.ndarray
    days: float


def class_results(ctx: Context, grids: dict[str, tuple[Grid, float]], *, by_cost: bool = False) -> dict[str, ClassResult]:
    """class name -> its best cells; `grids`: class name -> (grid over the systems, days since release).

    by_cost: the cell with the lowest $/Mtok of the class sized at its demand (select.cheapest_per_system; what
    recommend ranks by); else, and in budget mode, the cell carrying the most of the class's demand per GPU
    (select.most_demand_per_system: a given fleet's GPUs, or those a budget buys).
    """
    out = {}
    wl = ctx.workload
    for tc in wl.classes:
        grid, days = grids[tc.name]
        mask = select.class_mask(grid, tc)
        if by_cost and wl.objective.maximise == "score":
            best, ok = select.cheapest_for_class(grid, mask, wl, tc, accelerators_per_system(ctx, grid))
        else:
            best, ok = select.most_demand_per_system(grid, mask, select.class_users_grid(grid, wl, tc))
        out[tc.name] = ClassResult(tc, grid, best, ok, days)
    return out


def accelerators_per_system(ctx: Context, grid: Grid) -> np.ndarray:
    """Accelerators per system of each row of `grid` (whole systems are what an option pays for)."""
    return np.array([ctx.catalog.systems[sid].accelerators_per_system for sid in grid.hw.system_ids], dtype=float)
