"""The one Python API every shell calls (CLI, TUI, scripts).

Domain objects in, domain objects out; no printing, no Textual.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from advisor.domain import Catalog
from advisor.errors import Problem


def load_catalog(
    overlays: Sequence[str | Path] = (), *, strict: bool = False, allow_http: bool = False
) -> tuple[Catalog, list[Problem]]:
    """The built-in catalog merged with overlays (files, folders, URLs), last wins by id.

    Returns the catalog and its lint warnings; raises CatalogError with every problem.
    """
    from advisor.catalog import load_catalog as _load

    return _load(overlays, strict=strict, allow_http=allow_http)
