"""JSON Schema of a catalog file (every kind as an array of tables, plus [defaults]) or of one kind."""

from __future__ import annotations

import types
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from advisor.catalog.words import did_you_mean
from advisor.domain import KINDS, Defaults

SCHEMA_ID = "https://advisor.invalid/schema/catalog-file.json"


def _file_model() -> type[BaseModel]:
    fields: dict[str, Any] = {
        table: (types.GenericAlias(list, (model,)), Field(default_factory=list, description=f"One [[{table}]] per entry."))
        for _, (table, model) in KINDS.items()
    }
    fields["defaults"] = (Defaults | None, Field(default=None, description="TCO and engine defaults ([defaults])."))
    return create_model("CatalogFile", __config__=ConfigDict(extra="forbid"), **fields)


def file_schema() -> dict:
    """A catalog file. [defaults] may be partial in an overlay, so its fields are not required here;
    the loader checks that the merged defaults are complete."""
    schema = _file_model().model_json_schema()
    schema["$defs"]["Defaults"].pop("required", None)
    schema["properties"]["defaults"] = {"$ref": "#/$defs/Defaults"}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "advisor catalog file"
    return schema


def kind_schema(kind: str) -> dict:
    """One kind's entry schema; `kind` is plural (accelerators) or the table name (accelerator)."""
    models = {k: m for k, (_, m) in KINDS.items()} | {t: m for _, (t, m) in KINDS.items()}
    models["defaults"] = Defaults
    if kind not in models:
        raise KeyError(f"no kind {kind!r}.{did_you_mean(kind, models)} Kinds: {', '.join([*KINDS, 'defaults'])}")
    schema = models[kind].model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
