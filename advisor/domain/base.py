"""The base of every catalog entry: id, aliases, sources, date, estimated fields."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Precision = Literal["fp4", "fp8", "int8", "bf16", "int4", "q4", "q3"]
"""Weight formats the engine knows. fp16 is counted as bf16.

fp4, fp8, int8, bf16 are compute formats: GEMMs run at the chip's peak for that format (its
`dense_tflops` entry). int4, q4 and q3 are weight-only formats: weights are stored narrow and
dequantised to 16 bits in the kernel, so GEMMs run at the chip's 16-bit peak (WEIGHT_ONLY_COMPUTE):
- int4: 4-bit weights with group scales, 16-bit activations (AWQ/GPTQ/Marlin, Kimi K2.5's INT4 QAT);
- q4, q3: llama.cpp GGUF k-quants (about 4.5 and 3.5 bits per weight, scales included), the
  formats of local runtimes; offered only on workstation-class systems (LOCAL_RUNTIME_PRECISIONS).
"""

ComputePrecision = Literal["fp4", "fp8", "int8", "bf16"]
"""Formats an accelerator lists a tensor peak for (`Accelerator.dense_tflops` keys)."""

PRECISION_BYTES: dict[str, float] = {"fp4": 0.5, "fp8": 1.0, "int8": 1.0, "bf16": 2.0, "int4": 0.5, "q4": 0.5, "q3": 0.375}
"""Bytes per weight element for each precision, without scale overhead (engine/precision.py adds the
block/group scales: fp4 +1/16, int4 +1/32, q4 and q3 +1/16 byte per weight)."""

PRECISION_ORDER: tuple[str, ...] = ("fp4", "fp8", "int8", "bf16", "int4", "q4", "q3")
"""The engine's precision axis: the compute formats narrowest first, then the weight-only formats."""

WEIGHT_ONLY_COMPUTE: dict[str, str] = {"int4": "bf16", "q4": "bf16", "q3": "bf16"}
"""Weight-only formats -> the compute format whose peak their GEMMs run at (16-bit activations).
Any chip with a 16-bit peak runs them (dequantisation needs no special units)."""

LOCAL_RUNTIME_PRECISIONS: frozenset[str] = frozenset({"q4", "q3"})
"""GGUF formats: served by llama.cpp-class single-user runtimes, so offered on workstation systems only."""


def compute_precision(precision: str) -> str:
    """The format whose tensor peak a precision's GEMMs run at (itself for compute formats)."""
    return WEIGHT_ONLY_COMPUTE.get(precision, precision)


ID_PATTERN = r"^[a-z0-9][a-z0-9_.]*$"
DATE_PATTERN = r"^\d{4}(-\d{2}(-\d{2})?)?$"


# --- allowed ranges: one annotated type per kind of number ------------------------------------
# Every numeric field of every model (catalog entries, workloads, fleets, sweeps) uses one of
# these, so the ranges are in one place and in the JSON Schema. All are finite (NaN and
# infinities are refused); physical quantities are positive; 0 is allowed only where it
# means something (a free cost, a weight of 0, a floor of 0 = none, no scale-up link).


def _finite(*, gt: float | None = None, ge: float | None = None, le: float | None = None) -> Any:
    return Field(allow_inf_nan=False, gt=gt, ge=ge, le=le)


UsdPrice = Annotated[float, _finite(gt=0, le=1e9)]
"""A price: USD per GPU, per system or per GPU-hour (a pod costs less than $1e9)."""
UsdCost = Annotated[float, _finite(ge=0, le=1e9)]
"""A cost that may be 0: hosting per kW-month, retrofit per kW."""
UsdPerKwh = Annotated[float, _finite(gt=0, le=10)]
"""Electricity, USD per kWh."""
Fraction01 = Annotated[float, _finite(gt=0, le=1)]
"""A fraction in (0, 1]."""
FractionOrZero = Annotated[float, _finite(ge=0, le=1)]
"""A fraction in [0, 1] where 0 means none."""
Utilisation = Annotated[float, _finite(ge=0.01, le=1)]
"""Average load as a fraction of the peak: at least 1% (below that every cost is noise)."""
Rate = Annotated[float, _finite(ge=0, le=1)]
"""An annual rate (cost of capital, maintenance): 0 to 100%."""
Years = Annotated[float, _finite(ge=0.1, le=15)]
"""An amortisation or rental horizon: 0.1 to 15 years."""
Pue = Annotated[float, _finite(ge=1, le=3)]
"""Power usage effectiveness."""
Kilowatts = Annotated[float, _finite(ge=0.001, le=100_000)]
"""IT power of a system or a rack position, kW (1 W to 100 MW)."""
Megawatts = Annotated[float, _finite(ge=0.001, le=100_000)]
"""A site's power budget, MW."""
Watts = Annotated[float, _finite(ge=1, le=100_000)]
"""Board power of one accelerator, W."""
Gigabytes = Annotated[float, _finite(gt=0, le=1_000_000)]
"""Memory, GB."""
TbPerS = Annotated[float, _finite(gt=0, le=10_000)]
"""Memory bandwidth, TB/s."""
GbPerS = Annotated[float, _finite(ge=0, le=1_000_000)]
"""Link bandwidth, GB/s per direction (0 = no such link, e.g. scale-up of a one-chip box)."""
Tflops = Annotated[float, _finite(gt=0, le=10_000_000)]
"""Dense tensor peak, TFLOPS."""
TokPerS = Annotated[float, _finite(gt=0, le=10_000_000)]
"""A measured throughput, tokens/s."""
TokPerSFloor = Annotated[float, _finite(ge=0, le=1_000_000)]
"""A throughput floor, tokens/s (0 = none)."""
RequestsPerS = Annotated[float, _finite(gt=0, le=1e9)]
"""An arrival rate, requests per second."""
Seconds = Annotated[float, _finite(gt=0, le=1_000_000)]
"""A latency or time, seconds."""
Days = Annotated[float, _finite(ge=0, le=36_500)]
"""Days (since a release, until maturity): 0 to 100 years."""
Weight = Annotated[float, _finite(ge=0, le=1_000_000)]
"""A score weight (0 = ignore)."""
Multiplier = Annotated[float, _finite(ge=1, le=3)]
"""A power multiplier such as server watts per accelerator watt."""
Hours = Annotated[float, _finite(ge=1, le=8784)]
"""Hours a year (at most a leap year)."""
BillionParams = Annotated[float, _finite(gt=0, le=1_000_000)]
"""Parameters, billions."""
Ratio = Annotated[float, _finite(gt=0, le=1_000_000)]
"""A positive finite ratio (a relative figure)."""
Count = Annotated[int, Field(ge=1, le=1_000_000_000)]
"""A count of things: at least 1."""
Size = Annotated[int, Field(ge=0, le=1_000_000_000)]
"""A size or count where 0 means none / not applicable."""


_ID_SEPARATORS = re.compile(r"[-\s]+")


def normalise_id(text: str) -> str:
    """Ids compare case-insensitively and treat '-', ' ' and '_' alike."""
    return _ID_SEPARATORS.sub("_", text.strip().lower())


class Strict(BaseModel):
    """Unknown keys are errors: a typo must not silently vanish."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=True, allow_inf_nan=False)


class Entry(Strict):
    """A catalog entry. Every fact carries its source; estimates say so."""

    # Validators are built on first validation: a warm run reads entries from the catalog snapshot
    # (catalog/snapshot.py) and never validates one, so it does not pay ~12 ms to build them.
    model_config = ConfigDict(defer_build=True)

    id: str = Field(pattern=ID_PATTERN, description="Stable id, lower_snake_case (the reference ids).")
    name: str = Field(min_length=1, description="Human-readable name.")
    aliases: list[str] = Field(default_factory=list, description="Other ids that find this entry.")
    sources: list[str] = Field(min_length=1, description="URLs or citations, at least one.")
    as_of: str = Field(pattern=DATE_PATTERN, description="Date the facts were read or published (YYYY, YYYY-MM or YYYY-MM-DD).")
    estimated: list[str] = Field(default_factory=list, description="Fields whose value is an estimate, derived or disputed.")
    notes: str = Field(default="", description="Free text: caveats, disagreements between sources.")

    @field_validator("aliases")
    @classmethod
    def _aliases_normal(cls, v: list[str]) -> list[str]:
        return [normalise_id(a) for a in v]

    @model_validator(mode="after")
    def _estimated_are_fields(self) -> Entry:
        fields = set(type(self).model_fields)
        unknown = [f for f in self.estimated if f.split(".")[0] not in fields]
        if unknown:
            raise ValueError(
                f"estimated names fields that do not exist: {', '.join(unknown)} "
                f"(fields are: {', '.join(sorted(fields))})"
            )
        return self

    def is_estimated(self, field: str) -> bool:
        return field in self.estimated or field.split(".")[0] in self.estimated
