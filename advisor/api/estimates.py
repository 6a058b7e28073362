"""One model on one system (estimate) or on several (frontier): operating points with their costs."""

from __future__ import annotations

from typing import Any

from collections.abc import Sequence

import numpy as np

import advisor.api.ids as ids
from advisor.api.calibration import factors
from advisor.api.context import DEFAULTS, finance
from advisor.domain import LLM, Catalog, PricePoint, System
from advisor.domain.measured import BenchmarkPoint
from advisor.domain.results import Assumption, OperatingPoint
from advisor.engine import pricing, select
from advisor.engine.build import grid_for
from advisor.engine.explain import why_no_point
from advisor.engine.factors import Factors
from advisor.engine.grid import Grid
from advisor.engine.points import operating_point
from advisor.errors import InfeasibleError, UsageError

COMMAND_LINE = "command line"


SERVING_MODES = ("agg", "disagg", "auto")


def _serving(mode: str) -> str:
    if mode not in SERVING_MODES:
        raise UsageError(f"serving must be one of {', '.join(SERVING_MODES)}, not {mode!r}")
    return mode


def _check_workload_shape(isl: int, osl: int) -> None:
    if isl < 1 or osl < 1:
        raise UsageError("--isl and --osl must be positive token counts")


def estimate(
    catalog: Catalog, *, system: str, model: str, isl: int, osl: int, precision: str = "auto",
    min_tok_s_per_user: float = 0.0, max_ttft_s: float | None = None, gpus: int | None = None,
    concurrency: int | None = None, spec_decode: str = "auto", accept: float | None = None,
    days_since_release: float | None = None, price_tier: str | None = None, usd_per_gpu_hour: float | None = None,
    utilisation: float | None = None, usd_per_kwh: float | None = None, pue: float | None = None,
    fac: Factors | None = None, serving: str = "auto",
) -> dict[str, Any]:
    """The best operating point of one model on one system (or the exact one asked for), with costs.

    `system` may be a system id or an accelerator id (its default system). Raises
    InfeasibleError when nothing fits or the floor cannot be reached.
    """
    _check_workload_shape(isl, osl)
    sysobj = ids.system(catalog, system)
    m = ids.model(catalog, model)
    if spec_decode == "mtp" and not m.mtp_layers:
        raise UsageError(f"{m.name} has no MTP layers, so --spec-decode mtp cannot apply (use none or auto)")
    if (gpus is None) != (concurrency is None):
        raise UsageError("--gpus and --concurrency go together (they replay one exact operating point)")
    layouts = batches = None
    if gpus is not None and concurrency is not None:
        if gpus < 1 or concurrency < 1:
            raise UsageError("--gpus and --concurrency must be at least 1")
        layouts, batches = np.array([float(gpus)]), np.array([float(concurrency)])
    grid, days = grid_for(catalog, [sysobj], m, fac or factors(catalog), isl=isl, osl=osl, precision=precision,
                          spec_decode=spec_decode, accept=accept, days_since_release=days_since_release,
                          layouts=layouts, batches=batches, serving=_serving(serving))
    idx, ok = select.best_per_system(grid, select.slo_mask(grid, min_tok_s_per_user, max_ttft_s))
    if not ok[0]:
        _, reason = why_no_point(catalog, grid, 0, sysobj, m, isl=isl, osl=osl, precision=precision,
                                 min_tok_s_per_user=min_tok_s_per_user, max_ttft_s=max_ttft_s)
        raise InfeasibleError(f"{sysobj.name}: {reason}")
    point, assumptions = _price_point(
        catalog, sysobj, m, select.cell(grid, 0, int(idx[0])), isl, osl, grid, days, price_tier=price_tier,
        usd_per_gpu_hour=usd_per_gpu_hour, utilisation=utilisation, usd_per_kwh=usd_per_kwh, pue=pue,
        exact=(gpus is not None),
    )
    return {"point": point, "assumptions": assumptions}


def _price_point(catalog: Catalog, sysobj: System, m: LLM, c: select.Cell, isl: int, osl: int, grid: Grid, days: float,
                 *, price_tier: str | None = None, usd_per_gpu_hour: float | None = None, utilisation: float | None = None,
                 usd_per_kwh: float | None = None, pue: float | None = None, exact: bool = False,
                 prices: dict[tuple[str, str], PricePoint | None] | None = None) -> tuple[OperatingPoint, list[Assumption]]:
    fin = finance(catalog, {"price_tier": price_tier, "utilisation": utilisation, "usd_per_kwh": usd_per_kwh})
    used_pue, cooling = pricing.pue_for(sysobj, "both", fin)
    if pue is not None:
        used_pue = pue
    assumptions = [
        Assumption(name="utilisation", value=fin.utilisation, unit="fraction", source=COMMAND_LINE if utilisation else DEFAULTS),
        Assumption(name="pue", value=used_pue, unit="", source=COMMAND_LINE if pue else f"{DEFAULTS} ({cooling})"),
        Assumption(name="usd_per_kwh", value=fin.usd_per_kwh, unit="USD/kWh", source=COMMAND_LINE if usd_per_kwh else DEFAULTS),
        Assumption(name="days_since_release", value=days, unit="days", source="computed from today's date"),
    ]
    if usd_per_gpu_hour is not None:
        price: float | None = usd_per_gpu_hour
        assumptions.append(Assumption(name="usd_per_gpu_hour", value=price, unit="USD/GPU-hour", source=COMMAND_LINE))
    else:
        key = (sysobj.id, fin.price_tier)
        if prices is not None and key in prices:
            pp = prices[key]
        else:
            pp = pricing.any_hourly_price(catalog, sysobj, fin.price_tier)
            if prices is not None:
                prices[key] = pp
        price = pp.usd if pp else None
        assumptions.append(Assumption(name="usd_per_gpu_hour", value=price, unit="USD/GPU-hour",
                                      source=f"catalog price {pp.id} ({pp.tier}, {pp.as_of})" if pp else "no price in catalog"))
    acc = catalog.accelerator(sysobj.accelerator)
    point = operating_point(sysobj, acc, m, c, isl=isl, osl=osl, factors=grid.factors, days=days,
                            usd_per_gpu_hour=price, utilisation=fin.utilisation,
                            all_in_watts_per_gpu=pricing.it_watts_per_gpu(sysobj) * used_pue,
                            measured=_measured_match(catalog, acc.id, m.id, c, isl, osl) if exact else None)
    return point, assumptions


def _measured_match(catalog: Catalog, acc_id: str, model_id: str, c: select.Cell, isl: int, osl: int) -> BenchmarkPoint | None:
    """A calibration point measured at this very setup (same chip, model, precision, lengths, layout, batch)."""
    for b in catalog.benchmarks.values():
        if (b.accelerator == acc_id and catalog.model(b.model).id == model_id and b.precision == c.precision
                and b.isl == isl and b.osl == osl and not b.disaggregated and b.calibrate
                and b.n_accelerators == c.gpus_per_replica and b.concurrency == c.batch
                and b.spec_decode == c.spec_decode):
            return b
    return None


def frontier(
    catalog: Catalog, *, systems: Sequence[str], model: str, isl: int, osl: int, precision: str = "auto",
    spec_decode: str = "auto", days_since_release: float | None = None, price_tier: str | None = None,
    usd_per_gpu_hour: float | None = None, utilisation: float | None = None, accept: float | None = None,
    fac: Factors | None = None, serving: str = "auto",
) -> dict[str, Any]:
    """The Pareto front of (tok/s/user, tok/s/GPU) for each system, in one grid pass."""
    _check_workload_shape(isl, osl)
    m = ids.model(catalog, model)
    sys_objs = [ids.system(catalog, s) for s in systems] if systems else list(catalog.systems.values())
    grid, days = grid_for(catalog, sys_objs, m, fac or factors(catalog), isl=isl, osl=osl, precision=precision,
                          spec_decode=spec_decode, accept=accept, days_since_release=days_since_release,
                          serving=_serving(serving))
    fronts: dict[str, list[OperatingPoint]] = {}
    assumptions: list[Assumption] = []
    prices: dict[tuple[str, str], PricePoint | None] = {}
    for i, s in enumerate(sys_objs):
        pts = []
        for flat in select.front(grid, i):
            p, assumptions = _price_point(catalog, s, m, select.cell(grid, i, flat), isl, osl, grid, days,
                                          price_tier=price_tier, usd_per_gpu_hour=usd_per_gpu_hour,
                                          utilisation=utilisation, prices=prices)
            pts.append(p)
        fronts[s.id] = pts
    return {"model": m.id, "isl": isl, "osl": osl, "fronts": fronts, "assumptions": assumptions,
            "grid_points": grid.size}
