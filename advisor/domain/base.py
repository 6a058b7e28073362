"""The base of every catalog entry: id, aliases, sources, date, estimated fields."""

from __future__ import annotations

import re
from typing import Literal

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


def normalise_id(text: str) -> str:
    """Ids compare case-insensitively and treat '-', ' ' and '_' alike."""
    return re.sub(r"[-\s]+", "_", text.strip().lower())


class Strict(BaseModel):
    """Unknown keys are errors: a typo must not silently vanish."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Entry(Strict):
    """A catalog entry. Every fact carries its source; estimates say so."""

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
    def _estimated_are_fields(self):
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
