"""The base of every catalog entry: id, aliases, sources, date, estimated fields."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Precision = Literal["fp4", "fp8", "int8", "bf16"]
"""Numeric formats the engine knows, narrowest first. fp16 is counted as bf16."""

PRECISION_BYTES: dict[str, float] = {"fp4": 0.5, "fp8": 1.0, "int8": 1.0, "bf16": 2.0}
"""Bytes per weight element for each precision (FP4 includes no scale overhead here)."""

PRECISION_ORDER: tuple[str, ...] = ("fp4", "fp8", "int8", "bf16")

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
