"""Digests of a catalog's content, one per kind of entry: what caches keyed on catalog content use.

A digest is the sha256 of the entries' validated JSON (sorted), so it changes with any field of
any entry, whichever file or overlay it came from. Computing them dumps every entry (~15 ms for
the built-in catalog), so they are computed once per catalog object: the snapshot stores them with
the catalog it caches (snapshot.py) and hands them back with it (`remember`). A Catalog is
immutable (a frozen dataclass whose dicts nobody edits in place; changed catalogs are new objects,
e.g. `dataclasses.replace`), so a digest kept for one object stays true for it.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from advisor.domain import Catalog

KEEP = 8
"""Catalog objects whose digests are kept in this process (the most recently used)."""

_memo: OrderedDict[int, tuple[Catalog, dict[str, str]]] = OrderedDict()
_lock = threading.Lock()  # the TUI asks from worker threads


def compute(catalog: Catalog) -> dict[str, str]:
    """{kind: sha256 of the kind's entries' JSON, sorted}, computed now."""
    out = {}
    for kind, entries in catalog.entries.items():
        h = hashlib.sha256()
        for text in sorted(e.model_dump_json() for e in entries.values()):
            h.update(hashlib.sha256(text.encode()).digest())
        out[kind] = h.hexdigest()
    return out


def remember(catalog: Catalog, digests: dict[str, str]) -> None:
    """Keep `digests` as those of `catalog` (the object itself is kept alive with them, so its id stays its own)."""
    with _lock:
        _memo[id(catalog)] = (catalog, dict(digests))
        _memo.move_to_end(id(catalog))
        while len(_memo) > KEEP:
            _memo.popitem(last=False)


def digests(catalog: Catalog) -> dict[str, str]:
    """{kind: digest} of this catalog: remembered for this object, else computed now and remembered."""
    with _lock:
        hit = _memo.get(id(catalog))
        if hit is not None and hit[0] is catalog:
            _memo.move_to_end(id(catalog))
            return dict(hit[1])
    found = compute(catalog)
    remember(catalog, found)
    return dict(found)


def digest(catalog: Catalog, kinds: tuple[str, ...]) -> str:
    """One digest over the given kinds (e.g. what a calibration fit reads), 32 hex digits."""
    each = digests(catalog)
    h = hashlib.sha256()
    for kind in kinds:
        h.update(f"{kind}:{each[kind]}\n".encode())
    return h.hexdigest()[:32]
