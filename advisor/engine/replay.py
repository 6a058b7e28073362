"""Measured points as the model replays them: the setup each ran at, and which points are left out.

Measured points come in two throughput bases (InferenceX: input+output tokens per GPU;
MLPerf: output tokens) and two layouts (aggregated; disaggregated, where the output
figure is per decode GPU and prefill runs elsewhere). Each point is replayed at its own
setup: GPUs per replica and batch from its parallelism and concurrency, or, for MLPerf
(no concurrency), the best operating point under the scenario's latency bound (batch 0).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from advisor.domain import BenchmarkPoint, Catalog, System
from advisor.engine.hardware import HwArrays, hw_arrays
from advisor.engine.layouts import decode_is_ep


@dataclass
class Replay:
    """One measured point, reduced to what the model needs to replay it."""

    point: BenchmarkPoint
    ecosystem: str
    hw_row: int
    gpus: float  # per replica
    batch: float  # per replica (0 = search the best batch: MLPerf)
    days: float
    measured_tok_s_per_gpu: float  # on the basis the model predicts (see `basis`)
    basis: str  # total | output | decode_output
    measured_tok_s_per_user: float | None
    ep: bool = False  # decode ran expert parallel with data-parallel attention (layouts.py)
    prefill_gpus: float = 0.0  # disaggregated: GPUs of one prefill worker (0: unknown)
    measured_input_tok_s_per_gpu: float | None = None  # disaggregated: prompt tokens/s per prefill GPU (measured)
    latency_limits_s: tuple[float, float] | None = None  # MLPerf server: (TTFT, TPOT) p99 limits, from the notes


def latency_limits(notes: str | None) -> tuple[float, float] | None:
    """An MLPerf server run's (TTFT, TPOT) limits in seconds, as its notes state them ("TTFT 2000 ms, TPOT 80 ms")."""
    m = re.search(r"TTFT (\d+(?:\.\d+)?) ms, TPOT (\d+(?:\.\d+)?) ms", notes or "")
    return (float(m.group(1)) / 1e3, float(m.group(2)) / 1e3) if m else None


def prefill_worker_gpus(parallelism: str) -> float:
    """GPUs of one prefill worker of a disaggregated run, from its parallelism text (0: unknown)."""
    m = re.search(r"prefill TP(\d+)[^;]*?workers=(\d+)\s*\((\d+) GPU\)", parallelism or "")
    if m:
        workers = int(m.group(2))
        return float(int(m.group(3)) / workers) if workers > 0 else float(m.group(1))
    m = re.search(r"prefill: (\d+) GPU, TP=(\d+)", parallelism or "")
    return float(m.group(2)) if m else 0.0


def _days_between(later: str, earlier: str) -> float:
    def parse(s: str) -> date:
        parts = [int(x) for x in s.split("-")] + [1, 1]
        return date(parts[0], parts[1] or 1, parts[2] or 1)

    return float((parse(later) - parse(earlier)).days)


def replay_setup(p: BenchmarkPoint) -> tuple[float, float, float]:
    """(GPUs per replica, running batch per replica, replicas) as the run was set up.

    The running batch comes from Little's law on the measured figures (output tokens/s of
    the decode GPUs / tokens/s per user), not from the offered concurrency: requests that
    queue for prefill (TTFT of minutes in some sweeps) are not in the decode batch.
    Batch 0 = unknown (MLPerf: the best batch is searched).
    """
    if p.concurrency is None:
        return 0.0, 0.0, 0.0
    if p.disaggregated:
        m = re.search(r"decode TP(\d+).*?workers=(\d+)\s*\((\d+) GPU\)", p.parallelism)
        decode = float(p.decode_gpus or (m and int(m.group(3))) or p.n_accelerators)
        workers = (float(m.group(2)) if m else 1.0) or 1.0
        gpus = max(decode / workers, 1.0)
    else:
        decode, workers, gpus = float(p.n_accelerators), 1.0, float(p.n_accelerators)
    batch = p.concurrency / workers
    out = p.output_tok_s_per_gpu
    if out is None and p.throughput_basis == "total" and not p.disaggregated:
        out = p.tok_s_per_gpu * p.osl / (p.isl + p.osl)
    if out and p.tok_s_per_user:
        batch = min(batch, out * decode / p.tok_s_per_user / workers)
    return gpus, batch, workers


def inconsistent(p: BenchmarkPoint) -> str | None:
    """Why a measured point contradicts itself (and is left out of the fit), or None."""
    if p.concurrency is None or not p.tok_s_per_user:
        return None
    gpus, batch, workers = replay_setup(p)
    running = batch * workers
    e2e_s = p.osl / p.tok_s_per_user
    queued = p.ttft_s is not None and p.ttft_s > 0.2 * e2e_s
    if running < p.concurrency / 3 and not queued:
        return (f"Little's law: {p.concurrency} concurrent users at {p.tok_s_per_user:g} tok/s/user need "
                f"~{p.concurrency * p.tok_s_per_user / (gpus * workers):.0f} output tok/s/GPU, the point reports "
                f"{running * p.tok_s_per_user / (gpus * workers):.0f}, and its TTFT shows no queue")
    return None


def usable_points(catalog: Catalog) -> tuple[list[BenchmarkPoint], dict[str, str]]:
    """(points to fit, {point id: why it is left out})."""
    use, left_out = [], {}
    for b in catalog.benchmarks.values():
        if not b.calibrate:
            left_out[b.id] = "calibrate = false in the catalog"
        elif (why := inconsistent(b)) is not None:
            left_out[b.id] = why
        else:
            use.append(b)
    return use, left_out


def build_replays(catalog: Catalog, points: list[BenchmarkPoint] | None = None) -> tuple[list[Replay], HwArrays]:
    """Each point reduced to its replay setup, and the arrays of the systems they ran on (one per accelerator)."""
    points = points if points is not None else usable_points(catalog)[0]
    systems: list[System] = []
    seen: dict[str, int] = {}
    replays: list[Replay] = []
    for p in points:
        acc = catalog.accelerator(p.accelerator)
        model = catalog.model(p.model)
        if acc.id not in seen:
            seen[acc.id] = len(systems)
            systems.append(catalog.default_system(acc.id))
        g, b, _ = replay_setup(p)
        if p.disaggregated:
            basis, meas = "decode_output", p.output_tok_s_per_gpu or p.tok_s_per_gpu
        elif p.throughput_basis == "total":
            basis, meas = "total", p.tok_s_per_gpu
        else:
            basis, meas = "output", p.output_tok_s_per_gpu or p.tok_s_per_gpu
        replays.append(Replay(
            point=p, ecosystem=acc.ecosystem, hw_row=seen[acc.id], gpus=g, batch=b,
            days=_days_between(p.as_of, model.release_date) if len(p.as_of) >= 7 else 365.0,
            measured_tok_s_per_gpu=meas, basis=basis,
            measured_tok_s_per_user=p.tok_s_per_user if p.concurrency is not None else None,
            ep=decode_is_ep(p.parallelism) and model.architecture == "moe" and g > 1 and b >= g,
            prefill_gpus=prefill_worker_gpus(p.parallelism) if p.disaggregated else 0.0,
            latency_limits_s=latency_limits(p.notes) if p.scenario == "server" else None,
            measured_input_tok_s_per_gpu=(p.input_tok_s_per_gpu if p.disaggregated and p.prefill_gpus
                                          and "input_tok_s_per_gpu" not in (p.estimated or []) else None),
        ))
    return replays, hw_arrays(catalog, systems)
