"""Turns TOML (files, folders, URLs) into a domain.Catalog, or a full list of problems.

Modules: parse (TOML -> dict), locate (error -> line), words (TOML vocabulary),
validate (one file -> entries), merge (layers by id), references (ids exist),
lint (sanity ranges), sources (paths, folders, URLs), pipeline (all of these in order),
snapshot (a validated catalog cached by its inputs), load (snapshot, else pipeline).

The names below are re-exported lazily (PEP 562): importing a submodule (catalog.parse,
catalog.snapshot) does not import the validation pipeline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.lazyexports import lazy_exports

_WHERE = {
    "load_catalog": "advisor.catalog.load",
    "validate_paths": "advisor.catalog.load",
    "parse_catalog_text": "advisor.catalog.validate",
}
__all__ = ["load_catalog", "parse_catalog_text", "validate_paths"]

if TYPE_CHECKING:
    from advisor.catalog.load import load_catalog, validate_paths
    from advisor.catalog.validate import parse_catalog_text


__getattr__, __dir__ = lazy_exports("advisor.catalog", globals(), _WHERE, __all__)
