"""A local snapshot of a validated catalog, so repeated runs skip TOML parsing and validation.

Keyed by the code that made it (`cachekeys.code_fingerprint("domain", "catalog")`: the
package version and a hash of the domain models and the loader, hence the schema too),
the pydantic and Python versions, the load flags, and every source file's path (as given,
resolved and as messages show it) and the sha256 of its bytes: any edit of any catalog or
overlay file, even one that keeps its size and modification time, gives a new key.
Anything else (a URL overlay, a path that cannot be read) falls back to a full load.

The snapshot is a pickle of our own validated objects: the catalog, its lint warnings and
its content digests (content.py, so the calibration key needs no re-dump of every entry).
Unpickling rebuilds the pydantic objects without validating them again, and measured
faster than rebuilding them from JSON with `model_construct` (benchmarks/catalog_snapshot.py).
It lives in the user cache dir and is only ever written by this process (never read from
anywhere else). An entry that fails to load for any reason is deleted and rebuilt, with a
one-line note on stderr; the newest KEEP_ENTRIES are kept.
"""

from __future__ import annotations

import hashlib
import pickle
import platform
import sys
from pathlib import Path
from typing import Sequence

from advisor import cachekeys, locations
from advisor.catalog import content, sources
from advisor.catalog.parse import path_problem
from advisor.errors import display_path

SUBDIR = "catalog"
PATTERN = "*.pickle"
FORMAT = 3
"""Bump when the pickled value's shape changes without a code change in domain/ or catalog/."""


def _files(overlays: Sequence[str | Path]) -> list[Path] | None:
    files, problems = sources.builtin_files()
    if problems:
        return None
    for src in overlays:
        if sources.is_url(src) or path_problem(str(src), "") is not None:
            return None
        p = Path(src)
        try:
            if p.is_dir():
                files += sorted(p.glob("*.toml"))
            elif p.is_file():
                files.append(p)
            else:
                return None
        except OSError:
            return None
    return files


def _code_key() -> str:
    import pydantic

    return f"{FORMAT}|{cachekeys.code_fingerprint('domain', 'catalog')}|{pydantic.VERSION}|{platform.python_version()}"


def key(overlays: Sequence[str | Path], strict: bool) -> str | None:
    """The snapshot key of loading these overlays on the built-in catalog, or None (load in full)."""
    files = _files(overlays)
    if files is None:
        return None
    shown = [display_path(Path(o).expanduser()) for o in overlays]  # layer labels, relative to the cwd
    h = hashlib.sha256(f"{_code_key()}|{strict}|{[str(o) for o in overlays]}|{shown}".encode())
    for f in files:
        try:
            data = f.read_bytes()
            h.update(f"{f.resolve()}|{display_path(f)}|{len(data)}|".encode())
        except (OSError, RuntimeError):
            return None
        h.update(hashlib.sha256(data).digest())
    return h.hexdigest()[:32]


def folder() -> Path:
    return locations.user_cache_dir() / SUBDIR


def path_for(k: str) -> Path:
    return folder() / f"{k}.pickle"


def _note(message: str) -> None:
    print(f"advisor: note: {message}", file=sys.stderr)


def read(k: str):
    """The snapshot stored under `k`, or None (missing, or unreadable: then it is deleted, with a note)."""
    path = path_for(k)
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        return None
    except OSError as exc:
        _note(f"catalog snapshot {path.name} cannot be opened ({exc.strerror or exc}); loading the catalog in full")
        return None
    try:
        with fh:
            value = pickle.load(fh)
        catalog, warnings, digests = value  # the shape write() stores
        catalog.defaults  # noqa: B018 - touches the model, so an old class layout fails here
        if not isinstance(digests, dict) or set(digests) != set(catalog.entries):
            raise ValueError("content digests do not match the catalog's kinds")
    except Exception as exc:  # any failure (truncated file, AttributeError after a model change) means rebuild
        reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:120]
        _note(f"catalog snapshot {path.name} could not be loaded ({reason}); rebuilding it")
        try:
            path.unlink()
        except OSError:
            pass
        return None
    content.remember(catalog, digests)
    return catalog, warnings


def write(k: str, value) -> None:
    """Store a snapshot of (catalog, warnings) (atomic); a failure to write costs only speed, and says so on stderr."""
    catalog, warnings = value
    try:
        data = pickle.dumps((catalog, warnings, content.digests(catalog)), protocol=pickle.HIGHEST_PROTOCOL)
        locations.write_atomic(path_for(k), data)
    except (OSError, pickle.PicklingError) as exc:
        _note(f"could not save the catalog snapshot ({getattr(exc, 'strerror', None) or exc})")
        return
    cachekeys.prune(folder(), PATTERN)


def open_cache() -> None:
    """Clean temp files a killed run left in the snapshot folder."""
    locations.clean_stale_temps(folder())

