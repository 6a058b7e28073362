"""Systems and accelerators as arrays the throughput model broadcasts over, built by field name.

Each `HwArrays` field declares where its value comes from: a string names an `Accelerator`
attribute (times a unit scale), a function reads one `HwRow` (system, accelerator, ecosystem).
`HwArrays.from_rows` fills every field by introspection, and `at` / `map` index or reshape every
array field at once, so adding an accelerator attribute the engine uses is one domain field, one
line here, and the formula that reads it (docs/adding-an-accelerator-attribute.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from advisor.domain import Accelerator, Catalog, Ecosystem, System
from advisor.domain.base import LOCAL_RUNTIME_PRECISIONS, PRECISION_ORDER, compute_precision
from advisor.engine.types import AnyArray, BoolArray, FloatArray


@dataclass(frozen=True)
class HwRow:
    """One system with its accelerator and ecosystem: what a column is read from."""

    system: System
    accelerator: Accelerator
    ecosystem: Ecosystem


Source = Callable[[HwRow], Any]


def column(source: str | Source, *, scale: float = 1.0, per_precision: bool = False, dtype: type = np.float64) -> Any:
    """A numeric field: an Accelerator attribute name (times `scale`) or a function of the row.

    per_precision: the source gives one value per precision in PRECISION_ORDER (shape (S, P)).
    """
    return dataclasses.field(metadata={"source": source, "scale": scale, "per_precision": per_precision, "dtype": dtype})


def label(source: Source) -> Any:
    """A tuple of strings, one per row (ids): not broadcast."""
    return dataclasses.field(metadata={"source": source, "label": True})


GIB = float(2**30)
"""Memory capacities are binary: an "80 GB" H100 is 80 GiB of HBM (nvidia-smi: 81,559 MiB), B200's "180 GB" 180 GiB."""


def _peak(r: HwRow) -> list[float]:
    """Dense peak per precision; weight-only formats (int4, q4, q3) run at the 16-bit peak."""
    return [r.accelerator.dense_tflops.get(compute_precision(p), 0.0) * 1e12 for p in PRECISION_ORDER]  # type: ignore[call-overload]


def _eco_prec_ok(r: HwRow) -> list[bool]:
    """The ecosystem serves this precision; GGUF formats (q4, q3) only on workstation systems (local runtimes)."""
    local = r.system.kind == "workstation"
    return [p in r.ecosystem.precisions and (local or p not in LOCAL_RUNTIME_PRECISIONS) for p in PRECISION_ORDER]


def _attn_peak(r: HwRow) -> float:
    """FLOP/s of attention kernels: 16-bit where listed, else the slowest listed precision."""
    peak = _peak(r)
    if peak[PRECISION_ORDER.index("bf16")] > 0:
        return peak[PRECISION_ORDER.index("bf16")]
    listed = [x for x in peak if x > 0]
    return min(listed) if listed else 1.0


def _domain(r: HwRow) -> float:
    acc, s = r.accelerator, r.system
    return float(s.scale_up_domain or min(acc.scale_up_domain, max(acc.scale_up_domain, s.accelerators_per_system)))


def _max_gpus(r: HwRow) -> float:
    """Largest replica the engine considers: a workstation may pair boxes; servers go to 16 or the domain."""
    domain = _domain(r)
    if r.system.kind == "workstation":
        return max(domain, r.system.accelerators_per_system) * 2
    return max(domain, 16)


def _up_bw(r: HwRow) -> float:
    acc = r.accelerator
    up = acc.scale_up_gb_s if acc.scale_up_gb_s > 0 else acc.scale_out_gb_s
    return up * 1e9


@dataclass(frozen=True)
class HwArrays:
    """One row per system; every array field of shape (S,), per-precision fields (S, P).

    A view made by `at` / `map` has every array field broadcastable to an operating-point
    shape (per-precision fields at the point's precision); its labels stay those of the rows.
    """

    system_ids: tuple[str, ...] = label(lambda r: r.system.id)
    accelerator_ids: tuple[str, ...] = label(lambda r: r.accelerator.id)
    ecosystems: tuple[str, ...] = label(lambda r: r.ecosystem.id)
    mem_bw: FloatArray = column("mem_bw_tb_s", scale=1e12)  # bytes/s
    peak: FloatArray = column(_peak, per_precision=True)  # FLOP/s per precision in PRECISION_ORDER, 0 = unsupported
    attn_peak: FloatArray = column(_attn_peak)  # FLOP/s for attention kernels (16-bit; else the slowest listed)
    mem_bytes: FloatArray = column("usable_memory_gb", scale=GIB)  # usable bytes per accelerator (capacities are GiB)
    domain: FloatArray = column(_domain)  # accelerators per scale-up domain
    up_bw: FloatArray = column(_up_bw)  # bytes/s per accelerator per direction (scale-out where no scale-up link)
    out_bw: FloatArray = column(lambda r: max(r.accelerator.scale_out_gb_s, 1.0) * 1e9)
    tdp_watts: FloatArray = column("tdp_watts")
    eco_prec_ok: BoolArray = column(_eco_prec_ok, per_precision=True, dtype=np.bool_)  # the ecosystem serves this precision
    kv_fp8: BoolArray = column(lambda r: r.accelerator.dense_tflops.get("fp8", 0.0) > 0, dtype=np.bool_)  # fp8 units: fp8 KV cache
    day0_fraction: FloatArray = column(lambda r: r.ecosystem.maturity.day0_fraction)
    days_to_mature: FloatArray = column(lambda r: r.ecosystem.maturity.days_to_mature)
    max_gpus: FloatArray = column(_max_gpus)  # largest replica the engine considers
    disagg_ok: BoolArray = column(lambda r: r.system.kind != "workstation" and r.accelerator.scale_out_gb_s > 0,
                                  dtype=np.bool_)  # separate prefill and decode pools are possible (serving.py)

    def __len__(self) -> int:
        return len(self.system_ids)

    @classmethod
    def from_rows(cls, rows: list[HwRow]) -> HwArrays:
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            src = f.metadata["source"]
            if f.metadata.get("label"):
                values[f.name] = tuple(src(r) for r in rows)
                continue
            scale = f.metadata["scale"]
            get = _attribute(src) if isinstance(src, str) else src
            col = [get(r) if scale == 1.0 else get(r) * scale for r in rows]
            arr = np.array(col, dtype=f.metadata["dtype"])
            values[f.name] = arr.reshape(-1, len(PRECISION_ORDER)) if f.metadata["per_precision"] else arr
        return cls(**values)

    def map(self, fn: Callable[[AnyArray], AnyArray]) -> HwArrays:
        """Every array field through fn (e.g. a reshape or an index); labels unchanged."""
        out: dict[str, Any] = {f.name: fn(getattr(self, f.name)) for f in _array_fields()}
        return dataclasses.replace(self, **out)

    def at(self, rows: AnyArray, prec: AnyArray) -> HwArrays:
        """The view at system rows `rows` and precision indices `prec` (broadcast together)."""
        out: dict[str, Any] = {}
        for f in _array_fields():
            x = getattr(self, f.name)
            out[f.name] = x[rows, prec] if f.metadata["per_precision"] else x[rows]
        return dataclasses.replace(self, **out)


def _attribute(name: str) -> Source:
    """A column read from the accelerator attribute of this name."""

    def get(r: HwRow) -> Any:
        return getattr(r.accelerator, name)

    return get


def _array_fields() -> list[dataclasses.Field[Any]]:
    return [f for f in dataclasses.fields(HwArrays) if not f.metadata.get("label")]


def hw_arrays(catalog: Catalog, systems: list[System]) -> HwArrays:
    """The arrays of these systems, in order."""
    rows = []
    for s in systems:
        acc = catalog.accelerator(s.accelerator)
        rows.append(HwRow(system=s, accelerator=acc, ecosystem=catalog.ecosystem(acc.ecosystem)))
    return HwArrays.from_rows(rows)
