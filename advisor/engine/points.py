"""A grid cell as the domain's OperatingPoint: throughput, cost per token, power per token."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
from pydantic import TypeAdapter

from advisor.domain import LLM, Accelerator, System
from advisor.domain.measured import BenchmarkPoint
from advisor.domain.results import Mode, OperatingPoint
from advisor.engine import tco
from advisor.engine.factors import Factors
from advisor.engine.select import Cell, Columns

MODE_RANK = {"measured": 0, "calibrated": 1, "ecosystem-calibrated": 2, "roofline": 3}
"""Where a figure comes from, best first: a measured point, a model calibrated on this chip, one calibrated on
its ecosystem's other chips only, a spec-sheet roofline."""


def operating_point(system: System, acc: Accelerator, model: LLM, c: Cell, *, isl: int, osl: int,
                    factors: Factors, days: float | None, usd_per_gpu_hour: float | None, utilisation: float,
                    all_in_watts_per_gpu: float, measured: BenchmarkPoint | None = None) -> OperatingPoint:
    """The point of cell `c`; a benchmark measured at this very setup replaces the modelled throughput."""
    return operating_points(system, acc, model, Columns.of([c]), isl=isl, osl=osl, factors=factors, days=days,
                            usd_per_gpu_hour=usd_per_gpu_hour, utilisation=utilisation,
                            all_in_watts_per_gpu=all_in_watts_per_gpu, measured=measured)[0]


def operating_points(system: System, acc: Accelerator, model: LLM, cells: Columns, *, isl: int, osl: int,
                     factors: Factors, days: float | None, usd_per_gpu_hour: float | None, utilisation: float,
                     all_in_watts_per_gpu: float, measured: BenchmarkPoint | None = None) -> list[OperatingPoint]:
    """The points of cells of one system, their figures computed as arrays (a whole Pareto front at once).

    `measured` (one cell: an exact replay) replaces the modelled throughput, tok/s/user and TTFT; the modelled
    queueing tail stays on top of a measured median TTFT.
    """
    mode = cast(Mode, factors.mode_for(acc.id, acc.ecosystem))
    band = factors.band(acc.ecosystem, cells.precision[0] if len(cells) else "bf16", accelerator=acc.id, model=model.id)
    out_tps, tot_tps, usr, ttft = cells.output_tok_s_per_gpu, cells.total_tok_s_per_gpu, cells.tok_s_per_user, cells.ttft_s
    if measured is not None:
        mode, band = "measured", 0.0
        if measured.throughput_basis == "total":
            tot_tps = np.full_like(tot_tps, measured.tok_s_per_gpu)
            out_tps = np.full_like(out_tps, measured.output_tok_s_per_gpu or measured.tok_s_per_gpu * osl / (isl + osl))
        else:
            out_tps = np.full_like(out_tps, measured.output_tok_s_per_gpu or measured.tok_s_per_gpu)
            tot_tps = out_tps * (isl + osl) / osl
        usr = np.full_like(usr, measured.tok_s_per_user) if measured.tok_s_per_user else usr
        ttft = np.full_like(ttft, measured.ttft_s) if measured.ttft_s else ttft
    G, pf_gpus = cells.gpus_per_replica, cells.prefill_gpus_per_replica
    with np.errstate(divide="ignore", invalid="ignore"):  # the prefill pool's share of the GPUs (per-GPU figures count both)
        pool = pf_gpus / (G + pf_gpus)
    prefill = np.where(cells.disaggregated, pool, tco.prefill_fraction(cells.batch, cells.ttft_s, cells.t_step_s,
                                                                       cells.tok_s_per_user, osl))
    watts = float(all_in_watts_per_gpu)
    cost: dict[str, list[float]] = {}
    if usd_per_gpu_hour is not None:
        i_cost, o_cost = tco.split_usd_per_mtok(usd_per_gpu_hour, out_tps, tot_tps - out_tps, prefill, utilisation)
        cost = dict(usd_per_mtok=tco.usd_per_mtok(usd_per_gpu_hour, tot_tps, utilisation).tolist(),
                    usd_per_mtok_input=np.asarray(i_cost, dtype=float).tolist(),
                    usd_per_mtok_output=np.asarray(o_cost, dtype=float).tolist(),
                    usd_per_mtok_output_all_in=tco.usd_per_mtok(usd_per_gpu_hour, out_tps, utilisation).tolist())
    columns = dict(
        precision=cells.precision, gpus_per_replica=G.astype(int).tolist(), batch=cells.batch.astype(int).tolist(),
        layout=["ep" if x else "tp" for x in np.asarray(cells.ep, dtype=bool).tolist()],
        spec_decode=["mtp" if x else "none" for x in cells.mtp.tolist()],
        output_tok_s_per_gpu=out_tps.tolist(), total_tok_s_per_gpu=tot_tps.tolist(), tok_s_per_user=usr.tolist(),
        ttft_s=ttft.tolist(),
        ttft_p99_s=(ttft + np.maximum(cells.ttft_p99_s - cells.ttft_s, 0.0)).tolist(),  # the modelled queueing tail
        mem_used_gb_per_gpu=cells.mem_used_gb.tolist(), fits=cells.fits.tolist(),
        bound=["compute" if x else "memory" for x in cells.compute_bound.tolist()],
        serving=["disagg" if x else "agg" for x in cells.disaggregated.tolist()],
        prefill_gpus_per_replica=[round(x, 3) if d else None for x, d in zip(pf_gpus.tolist(), cells.disaggregated.tolist())],
        prefill_gpu_time_fraction=[round(x, 6) for x in prefill.tolist()],
        tok_s_per_mw=np.asarray(tco.tok_s_per_mw(tot_tps, watts), dtype=float).tolist(),
        output_tok_s_per_mw=np.asarray(tco.tok_s_per_mw(out_tps, watts), dtype=float).tolist(),
        joules_per_token=np.asarray(tco.joules_per_token(tot_tps, watts), dtype=float).tolist(),
        **cost,
    )
    shared = dict(system=system.id, accelerator=acc.id, model=model.id, isl=isl, osl=osl, mode=mode,
                  error_band_pct=round(float(band), 1), days_since_release=None if days is None else float(days),
                  measured_id=measured.id if measured is not None else None, all_in_watts_per_gpu=watts,
                  usd_per_gpu_hour=None if usd_per_gpu_hour is None else float(usd_per_gpu_hour))
    names = list(columns)
    rows = [dict(shared, **dict(zip(names, values))) for values in zip(*columns.values())]
    return _POINTS.validate_python(rows)


_POINTS = TypeAdapter(list[OperatingPoint])
"""Validates a whole front's points in one pydantic-core call."""
