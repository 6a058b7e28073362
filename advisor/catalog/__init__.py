"""Turns TOML (files, folders, URLs) into a domain.Catalog, or a full list of problems.

Modules: parse (TOML -> dict), locate (error -> line), words (TOML vocabulary),
validate (one file -> entries), merge (layers by id), references (ids exist),
lint (sanity ranges), sources (paths, folders, URLs), load (the pipeline).
"""

from advisor.catalog.load import load_catalog, validate_paths
from advisor.catalog.validate import parse_catalog_text

__all__ = ["load_catalog", "parse_catalog_text", "validate_paths"]
