"""Numeric precisions as the engine counts them: bytes per weight (with block scales), KV bytes.

One table, derived from the domain's element widths (`advisor.domain.base.PRECISION_BYTES`,
the bytes of one element *without* scale overhead):

    weight bytes = element bytes + block-scale bytes per element
    KV bytes     = max(element bytes, 1): the KV cache is kept in fp8 when weights are 8-bit
                   or narrower, in 16 bits otherwise

NVFP4 stores one 8-bit (E4M3) scale per 16 four-bit values: 4 + 8/16 = 4.5 bits = 0.5625 bytes
per weight, which is what a checkpoint occupies in memory and what a decode step reads. fp8/int8
scales (per tensor, per channel or per 128x128 block) add well under 0.1% and are not counted.

To add a precision: add it to the domain's `Precision`, `PRECISION_ORDER` and `PRECISION_BYTES`,
give it a block-scale entry here if its format carries scales, and a prior multiplier in
`factors.PRIOR_PREC_MULT` (and, if the fit should learn it, a row in `params.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from advisor.domain.base import PRECISION_BYTES, PRECISION_ORDER
from advisor.engine.types import FloatArray

BLOCK_SCALE_BYTES: dict[str, float] = {"fp4": 1.0 / 16.0}
"""Scale bytes per weight element: NVFP4 (and the engine's fp4) = one 8-bit scale per 16 values."""

KV_MIN_BYTES = 1.0
"""The KV cache is never narrower than fp8."""


@dataclass(frozen=True)
class PrecisionSpec:
    """One precision: its name, bytes per weight as stored and read, bytes per KV element."""

    name: str
    element_bytes: float
    weight_bytes: float
    kv_bytes: float


def _spec(name: str) -> PrecisionSpec:
    element = PRECISION_BYTES[name]
    return PrecisionSpec(name=name, element_bytes=element, weight_bytes=element + BLOCK_SCALE_BYTES.get(name, 0.0),
                         kv_bytes=max(element, KV_MIN_BYTES))


PRECISIONS: tuple[PrecisionSpec, ...] = tuple(_spec(p) for p in PRECISION_ORDER)
"""In PRECISION_ORDER (narrowest first): the engine's precision axis."""

PREC_INDEX: dict[str, int] = {p.name: i for i, p in enumerate(PRECISIONS)}
WEIGHT_BYTES: FloatArray = np.array([p.weight_bytes for p in PRECISIONS], dtype=np.float64)
"""Bytes per weight element including block scales, indexed like PRECISION_ORDER."""
KV_BYTES: FloatArray = np.array([p.kv_bytes for p in PRECISIONS], dtype=np.float64)
"""Bytes per KV-cache element, indexed like PRECISION_ORDER."""
N_PRECISIONS = len(PRECISIONS)
