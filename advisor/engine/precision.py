"""Numeric precisions as the engine counts them: bytes per weight (with scales), compute format, KV bytes.

One table, derived from the domain's element widths (`advisor.domain.base.PRECISION_BYTES`,
the bytes of one element *without* scale overhead):

    weight bytes = element bytes + scale bytes per element (BLOCK_SCALE_BYTES)
    compute      = the format whose tensor peak the GEMMs run at: itself for fp4/fp8/int8/bf16,
                   bf16 for the weight-only formats int4/q4/q3 (dequantised to 16 bits in the kernel)

Weight bytes per format (bits per weight in brackets):
- fp4 (NVFP4): one 8-bit E4M3 scale per 16 four-bit values: 0.5 + 1/16 = 0.5625 B (4.5 bits);
- int4 (weight-only, AWQ/GPTQ-style): one 16-bit scale per group of 64: 0.5 + 2/64 = 0.53125 B (4.25 bits;
  group 128 with scale and zero point is ~4.16 bits, Kimi K2.5's group-32 INT4 is 4.5 bits);
- q4 (GGUF Q4_K-class): 0.5 + 1/16 = 0.5625 B (4.5 bits, the k-quant super-block scales included);
- q3 (GGUF Q3_K-class): 0.375 + 1/16 = 0.4375 B (3.5 bits);
- fp8, int8: 1 B (per-tensor, per-channel or 128x128 block scales add well under 0.1%, not counted); bf16: 2 B.

KV-cache bytes per element (the default rule, `kv_element_bytes`): the model's own `kv_cache_precision`
where its config fixes one (never narrower than 1 byte); otherwise fp8 (1 byte) where the weights are an
8-bit-or-narrower *compute* format (fp4, fp8, int8) and the chip has an fp8 tensor peak, else 16 bits.
Weight-only formats (int4, q4, q3) run 16-bit activations and keep a 16-bit cache (vLLM's and
llama.cpp's defaults); chips without fp8 units (TPU v5e/v6e, Ascend, the desktop APUs) keep 16 bits.

Linear-attention recurrent state (Gated DeltaNet, lightning attention) is kept in 16 bits (STATE_BYTES):
engines do not quantise it (SGLang can keep it in fp32, which doubles it).

To add a precision: add it to the domain's `Precision`, `PRECISION_ORDER` and `PRECISION_BYTES`
(and `WEIGHT_ONLY_COMPUTE` if it is weight-only), give it a scale entry here if its format carries
scales, and a prior multiplier in `factors.PRIOR_PREC_MULT` and a `params.PRECISION_PARAM` entry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from advisor.domain.base import PRECISION_BYTES, PRECISION_ORDER, WEIGHT_ONLY_COMPUTE, compute_precision
from advisor.engine.types import AnyArray, FloatArray, IntArray

BLOCK_SCALE_BYTES: dict[str, float] = {"fp4": 1.0 / 16.0, "int4": 2.0 / 64.0, "q4": 1.0 / 16.0, "q3": 1.0 / 16.0}
"""Scale bytes per weight element (see the module docstring for each format)."""

KV_MIN_BYTES = 1.0
"""The KV cache is never narrower than fp8."""
KV_16BIT_BYTES = 2.0
"""A 16-bit KV cache (bf16/fp16)."""
STATE_BYTES = 2.0
"""Bytes per element of a linear-attention layer's recurrent state (16 bits)."""


@dataclass(frozen=True)
class PrecisionSpec:
    """One precision: its name, bytes per weight as stored and read, compute format, KV bytes on an fp8 chip."""

    name: str
    element_bytes: float
    weight_bytes: float
    compute: str  # the format whose tensor peak the GEMMs run at
    kv_bytes: float  # KV bytes per element by the default rule, on a chip with fp8 units

    @property
    def weight_only(self) -> bool:
        return self.name in WEIGHT_ONLY_COMPUTE

    @property
    def bits_per_weight(self) -> float:
        return 8.0 * self.weight_bytes


def _spec(name: str) -> PrecisionSpec:
    element = PRECISION_BYTES[name]
    weight_only = name in WEIGHT_ONLY_COMPUTE
    kv = KV_16BIT_BYTES if weight_only or element > KV_MIN_BYTES else KV_MIN_BYTES
    return PrecisionSpec(name=name, element_bytes=element, weight_bytes=element + BLOCK_SCALE_BYTES.get(name, 0.0),
                         compute=compute_precision(name), kv_bytes=kv)


PRECISIONS: tuple[PrecisionSpec, ...] = tuple(_spec(p) for p in PRECISION_ORDER)
"""In PRECISION_ORDER: the engine's precision axis."""

PREC_INDEX: dict[str, int] = {p.name: i for i, p in enumerate(PRECISIONS)}
WEIGHT_BYTES: FloatArray = np.array([p.weight_bytes for p in PRECISIONS], dtype=np.float64)
"""Bytes per weight element including scales, indexed like PRECISION_ORDER."""
KV_BYTES: FloatArray = np.array([p.kv_bytes for p in PRECISIONS], dtype=np.float64)
"""KV bytes per element by the default rule on a chip with fp8 units, indexed like PRECISION_ORDER."""
COMPUTE_INDEX: IntArray = np.array([PREC_INDEX[p.compute] for p in PRECISIONS], dtype=np.intp)
"""For each precision, the index of the format whose tensor peak its GEMMs run at."""
WEIGHT_ONLY: np.ndarray = np.array([p.weight_only for p in PRECISIONS], dtype=np.bool_)
N_PRECISIONS = len(PRECISIONS)


def kv_cache_bytes(kv_cache_precision: str | None) -> float:
    """Bytes per KV element a model's config fixes (0.0 = none: the default rule applies)."""
    if kv_cache_precision is None:
        return 0.0
    return max(PRECISION_BYTES[kv_cache_precision], KV_MIN_BYTES)


def kv_element_bytes(prec: AnyArray | int, chip_fp8: AnyArray | bool, fixed: float = 0.0) -> FloatArray:
    """KV bytes per element at weight precision index `prec` on chips with (chip_fp8) or without fp8 units.

    `fixed` > 0: the model's own KV-cache precision (kv_cache_bytes), stored so on every chip
    (dequantised on load where the chip has no fp8 units).
    """
    if fixed > 0:
        return np.broadcast_to(np.float64(fixed), np.broadcast(np.asarray(prec), np.asarray(chip_fp8)).shape).astype(np.float64)
    out: FloatArray = np.where(chip_fp8, KV_BYTES[prec], KV_16BIT_BYTES)
    return out
