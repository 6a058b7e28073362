"""Systems and accelerators as arrays the throughput model broadcasts over."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from advisor.domain import Catalog, System
from advisor.domain.base import PRECISION_ORDER


@dataclass(frozen=True)
class HwArrays:
    """One row per system; every field an array of shape (S,)."""

    system_ids: tuple[str, ...]
    accelerator_ids: tuple[str, ...]
    ecosystems: tuple[str, ...]
    mem_bw: np.ndarray  # bytes/s
    peak: np.ndarray  # (S, 4) FLOP/s per precision in PRECISION_ORDER, 0 = unsupported
    attn_peak: np.ndarray  # FLOP/s for attention kernels (16-bit; else the slowest listed precision)
    mem_bytes: np.ndarray  # usable bytes per accelerator
    domain: np.ndarray  # accelerators per scale-up domain
    up_bw: np.ndarray  # bytes/s per accelerator per direction
    out_bw: np.ndarray
    tdp_watts: np.ndarray
    eco_prec_ok: np.ndarray  # (S, 4) bool: the ecosystem serves this precision
    day0_fraction: np.ndarray
    days_to_mature: np.ndarray
    max_gpus: np.ndarray  # largest replica we let the engine consider

    def __len__(self) -> int:
        return len(self.system_ids)


def hw_arrays(catalog: Catalog, systems: list[System]) -> HwArrays:
    rows = []
    for s in systems:
        acc = catalog.accelerator(s.accelerator)
        eco = catalog.ecosystem(acc.ecosystem)
        domain = s.scale_up_domain or min(acc.scale_up_domain, max(acc.scale_up_domain, s.accelerators_per_system))
        peak = [acc.dense_tflops.get(p, 0.0) * 1e12 for p in PRECISION_ORDER]
        eco_ok = [p in eco.precisions for p in PRECISION_ORDER]
        if s.kind == "workstation":
            max_g = max(domain, s.accelerators_per_system) * 2
        else:
            max_g = max(domain, 16)
        up = acc.scale_up_gb_s if acc.scale_up_gb_s > 0 else acc.scale_out_gb_s
        rows.append((
            s.id, acc.id, eco.id, acc.mem_bw_tb_s * 1e12, peak, acc.usable_memory_gb * 1e9, domain,
            up * 1e9, max(acc.scale_out_gb_s, 1.0) * 1e9, acc.tdp_watts, eco_ok,
            eco.maturity.day0_fraction, eco.maturity.days_to_mature, max_g,
        ))
    cols = list(zip(*rows)) if rows else [()] * 14
    return HwArrays(
        system_ids=tuple(cols[0]), accelerator_ids=tuple(cols[1]), ecosystems=tuple(cols[2]),
        mem_bw=np.array(cols[3], dtype=float), peak=np.array(cols[4], dtype=float).reshape(-1, 4),
        attn_peak=np.array([_attn_peak(p) for p in cols[4]], dtype=float),
        mem_bytes=np.array(cols[5], dtype=float), domain=np.array(cols[6], dtype=float),
        up_bw=np.array(cols[7], dtype=float), out_bw=np.array(cols[8], dtype=float),
        tdp_watts=np.array(cols[9], dtype=float), eco_prec_ok=np.array(cols[10], dtype=bool).reshape(-1, 4),
        day0_fraction=np.array(cols[11], dtype=float), days_to_mature=np.array(cols[12], dtype=float),
        max_gpus=np.array(cols[13], dtype=float),
    )


def _attn_peak(peak: list[float]) -> float:
    if peak[3] > 0:
        return peak[3]
    listed = [x for x in peak if x > 0]
    return min(listed) if listed else 1.0
