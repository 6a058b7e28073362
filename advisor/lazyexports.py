"""Lazy re-exports for a package's __init__ (PEP 562): a name is imported from its module on first use.

Used by advisor.api and advisor.catalog, so that importing one submodule does not pay for the rest.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any


def lazy_exports(package: str, namespace: dict[str, Any], where: Mapping[str, str], exported: Iterable[str],
                 submodules: Collection[str] = ()) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """(__getattr__, __dir__) for `package`: `where` maps each re-exported name to its module; `submodules` are
    full module names returned as attributes (package.loading); a resolved name is cached in `namespace`."""
    names = frozenset(exported)

    def getattr_(name: str) -> Any:
        if f"{package}.{name}" in submodules:
            return importlib.import_module(f"{package}.{name}")
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def dir_() -> list[str]:
        return sorted({*namespace, *names})

    return getattr_, dir_
