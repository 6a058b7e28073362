"""A grid cell as the domain's OperatingPoint: throughput, cost per token, power per token."""

from __future__ import annotations

from typing import cast

from advisor.domain import LLM, Accelerator, System
from advisor.domain.measured import BenchmarkPoint
from advisor.domain.results import Mode, OperatingPoint
from advisor.engine import tco
from advisor.engine.factors import Factors
from advisor.engine.select import Cell

MODE_RANK = {"measured": 0, "calibrated": 1, "ecosystem-calibrated": 2, "roofline": 3}
"""Where a figure comes from, best first: a measured point, a model calibrated on this chip, one calibrated on
its ecosystem's other chips only, a spec-sheet roofline."""


def operating_point(system: System, acc: Accelerator, model: LLM, c: Cell, *, isl: int, osl: int,
                    factors: Factors, days: float | None, usd_per_gpu_hour: float | None, utilisation: float,
                    all_in_watts_per_gpu: float, measured: BenchmarkPoint | None = None) -> OperatingPoint:
    """The point of cell `c`; a benchmark measured at this very setup replaces the modelled throughput."""
    mode = cast(Mode, factors.mode_for(acc.id, acc.ecosystem))
    band = factors.band(acc.ecosystem, c.precision, accelerator=acc.id, model=model.id)
    out_tps, tot_tps, usr, ttft = c.output_tok_s_per_gpu, c.total_tok_s_per_gpu, c.tok_s_per_user, c.ttft_s
    if measured is not None:
        mode, band = "measured", 0.0
        if measured.throughput_basis == "total":
            tot_tps = measured.tok_s_per_gpu
            out_tps = measured.output_tok_s_per_gpu or tot_tps * osl / (isl + osl)
        else:
            out_tps = measured.output_tok_s_per_gpu or measured.tok_s_per_gpu
            tot_tps = out_tps * (isl + osl) / osl
        usr = measured.tok_s_per_user or usr
        ttft = measured.ttft_s or ttft
    if c.serving == "disagg":  # the prefill pool's share of the GPUs (per-GPU figures count both pools)
        prefill = c.prefill_gpus_per_replica / (c.gpus_per_replica + c.prefill_gpus_per_replica)
    else:
        prefill = float(tco.prefill_fraction(c.batch, c.ttft_s, c.t_step_s, c.tok_s_per_user, osl))
    extra: dict[str, float] = dict(prefill_gpu_time_fraction=round(prefill, 6))
    if usd_per_gpu_hour is not None:
        i_cost, o_cost = tco.split_usd_per_mtok(usd_per_gpu_hour, out_tps, tot_tps - out_tps, prefill, utilisation)
        extra |= dict(usd_per_gpu_hour=usd_per_gpu_hour,
                      usd_per_mtok=float(tco.usd_per_mtok(usd_per_gpu_hour, tot_tps, utilisation)),
                      usd_per_mtok_input=float(i_cost), usd_per_mtok_output=float(o_cost),
                      usd_per_mtok_output_all_in=float(tco.usd_per_mtok(usd_per_gpu_hour, out_tps, utilisation)))
    watts = all_in_watts_per_gpu
    return OperatingPoint(
        system=system.id, accelerator=acc.id, model=model.id, isl=isl, osl=osl, precision=c.precision,
        gpus_per_replica=c.gpus_per_replica, batch=c.batch, spec_decode=c.spec_decode,
        output_tok_s_per_gpu=out_tps, total_tok_s_per_gpu=tot_tps, tok_s_per_user=usr, ttft_s=ttft,
        ttft_p99_s=ttft + max(c.ttft_p99_s - c.ttft_s, 0.0),  # the modelled queueing tail on the (measured) median
        mem_used_gb_per_gpu=c.mem_used_gb, fits=c.fits, bound=c.bound, mode=mode, error_band_pct=round(band, 1), serving=c.serving,
        prefill_gpus_per_replica=round(c.prefill_gpus_per_replica, 3) if c.serving == "disagg" else None,
        days_since_release=days, measured_id=measured.id if measured is not None else None,
        tok_s_per_mw=float(tco.tok_s_per_mw(tot_tps, watts)),
        output_tok_s_per_mw=float(tco.tok_s_per_mw(out_tps, watts)), joules_per_token=float(tco.joules_per_token(tot_tps, watts)),
        all_in_watts_per_gpu=watts, **extra,
    )
