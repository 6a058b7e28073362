"""Sanity lint over the merged catalog: values outside physical ranges, inconsistent claims.

Findings are warnings; `--strict` makes them errors, except on benchmark points with
`calibrate = false` (deliberately kept, inconsistent seed claims), which stay warnings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from advisor.catalog.merge import Merged
from advisor.domain import Accelerator, BenchmarkPoint, Entry, System
from advisor.domain.base import ComputePrecision
from advisor.errors import Problem

MEM_BW_TB_S = (0.05, 30.0)
TDP_WATTS = (30.0, 3000.0)
MAX_DENSE_TFLOPS = 30000.0
MAX_MEMORY_GB = 1024.0
RELATIVE_TOLERANCE = 0.25
PRECISION_ORDER_RULES: tuple[tuple[ComputePrecision, ComputePrecision], ...] = (
    ("fp4", "fp8"), ("fp8", "bf16"), ("int8", "bf16"))  # (wider-or-equal, than)
STICKY_NOTE = " (calibrate = false: reported as a warning even with --strict)"


@dataclass(frozen=True)
class Finding:
    """One lint finding; `escalate` says whether --strict turns it into an error."""

    problem: Problem
    escalate: bool = True
    entry: tuple[str, str] = ("", "")  # (kind, id) the finding is about


E = TypeVar("E", bound=Entry)


def _of(merged: Merged, kind: str, model: type[E]) -> dict[str, E]:
    """The merged entries of one kind, typed as the model that kind holds (all of them are)."""
    return {ident: entry for ident, entry in merged.entries[kind].items() if isinstance(entry, model)}


def lint(merged: Merged) -> list[Finding]:
    findings: list[Finding] = []
    for ident, acc in _of(merged, "accelerators", Accelerator).items():
        findings += _accelerator(merged, ident, acc)
    for ident, system in _of(merged, "systems", System).items():
        findings += _system(merged, ident, system)
    for ident, point in _of(merged, "benchmarks", BenchmarkPoint).items():
        findings += _benchmark(merged, ident, point)
    return findings


def _finding(merged: Merged, kind: str, table: str, ident: str, field: str | None, message: str,
             escalate: bool = True) -> Finding:
    site = merged.sites[(kind, ident)]
    key = f'{table} "{ident}"' + (f" > {field}" if field else "")
    line = site.line_of(field.split(".")[0]) if field else site.line
    return Finding(Problem(site.file, key, message, line, severity="warning"), escalate, (kind, ident))


def _accelerator(merged: Merged, ident: str, acc: Accelerator) -> list[Finding]:
    out = []

    def warn(field: str, message: str) -> None:
        out.append(_finding(merged, "accelerators", "accelerator", ident, field, message))

    low, high = MEM_BW_TB_S
    if not low < acc.mem_bw_tb_s < high:
        warn("mem_bw_tb_s", f"{acc.mem_bw_tb_s:g} TB/s is outside {low:g}..{high:g} TB/s; is the unit right?")
    low, high = TDP_WATTS
    if not low <= acc.tdp_watts <= high:
        warn("tdp_watts", f"{acc.tdp_watts:g} W is outside {low:g}..{high:g} W; is the unit right?")
    if acc.memory_gb > MAX_MEMORY_GB:
        warn("memory_gb", f"{acc.memory_gb:g} GB is above {MAX_MEMORY_GB:g} GB for one accelerator; is the unit right?")
    if acc.memory_usable_gb is not None and acc.memory_usable_gb > acc.memory_gb:
        warn("memory_usable_gb", f"usable memory {acc.memory_usable_gb:g} GB exceeds memory_gb {acc.memory_gb:g} GB")
    for precision, tflops in acc.dense_tflops.items():
        if tflops > MAX_DENSE_TFLOPS:
            warn(f"dense_tflops.{precision}",
                 f"{tflops:g} dense {precision} TFLOPS is above {MAX_DENSE_TFLOPS:g}; sparse figure, or not TFLOPS?")
    for wide, narrow in PRECISION_ORDER_RULES:
        a, b = acc.dense_tflops.get(wide), acc.dense_tflops.get(narrow)
        if a is not None and b is not None and a < b:
            warn(f"dense_tflops.{wide}",
                 f"{wide} ({a:g} TFLOPS) is below {narrow} ({b:g} TFLOPS); expected {wide} >= {narrow}")
    return out


def _system(merged: Merged, ident: str, system: System) -> list[Finding]:
    acc = merged.entries["accelerators"].get(system.accelerator)
    if not isinstance(acc, Accelerator):
        return []
    floor_kw = system.accelerators_per_system * acc.tdp_watts / 1000
    if system.system_kw < floor_kw - 1e-9:
        return [_finding(
            merged, "systems", "system", ident, "system_kw",
            f"{system.system_kw:g} kW is less than its accelerators alone draw "
            f"({system.accelerators_per_system} x {acc.tdp_watts:g} W = {floor_kw:g} kW)",
        )]
    return []


def _benchmark(merged: Merged, ident: str, point: BenchmarkPoint) -> list[Finding]:
    out = []
    sticky = not point.calibrate

    def warn(field: str | None, message: str) -> None:
        out.append(_finding(merged, "benchmarks", "benchmark", ident, field,
                            message + (STICKY_NOTE if sticky else ""), escalate=not sticky))

    if point.relative is not None and point.relative_to:
        ref = merged.entries["benchmarks"].get(point.relative_to)
        if isinstance(ref, BenchmarkPoint) and ref.throughput_basis == point.throughput_basis:
            actual = point.tok_s_per_gpu / ref.tok_s_per_gpu
            if max(actual, point.relative) / min(actual, point.relative) > 1 + RELATIVE_TOLERANCE:
                warn("relative",
                     f"stated relative figure {point.relative:g}x disagrees with the absolute ones: "
                     f"{point.tok_s_per_gpu:g} / {ref.tok_s_per_gpu:g} tok/s per GPU = {actual:.3g}x "
                     f"(more than {RELATIVE_TOLERANCE:.0%} apart)")
    if point.throughput_basis == "total" and point.output_tok_s_per_gpu is not None:
        # Disaggregated rows publish output per *decode* GPU; spread it over all GPUs first.
        output, basis = point.output_tok_s_per_gpu, ""
        if point.disaggregated and point.decode_gpus:
            output = point.output_tok_s_per_gpu * point.decode_gpus / point.n_accelerators
            basis = f" ({point.output_tok_s_per_gpu:g} per decode GPU x {point.decode_gpus} / {point.n_accelerators} GPUs)"
        if output > point.tok_s_per_gpu * (1 + 1e-9):
            warn("output_tok_s_per_gpu",
                 f"output {output:g} tok/s per GPU{basis} exceeds the total {point.tok_s_per_gpu:g} "
                 "(throughput_basis = 'total' counts input + output)")
    if point.disaggregated and point.prefill_gpus and point.decode_gpus:
        if point.prefill_gpus + point.decode_gpus != point.n_accelerators:
            warn("n_accelerators",
                 f"prefill_gpus + decode_gpus = {point.prefill_gpus} + {point.decode_gpus} = "
                 f"{point.prefill_gpus + point.decode_gpus}, not n_accelerators = {point.n_accelerators}")
    return out
