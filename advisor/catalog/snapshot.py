"""A local snapshot of a validated catalog, so repeated runs skip TOML parsing and validation.

Keyed by the code that made it (`cachekeys.code_fingerprint("domain", "catalog")`: the
package version and a hash of the domain models and the loader, hence the schema too),
the pydantic and Python versions, the load flags and every source file's path, size and
mtime. Anything else (a URL overlay, a path that cannot be asked about) falls back to a
full load. The snapshot lives in the user cache dir and is only ever written by this
process (pickle of our own validated objects; never read from anywhere else). An entry
that fails to load for any reason is deleted and rebuilt, with a one-line note on
stderr; the newest KEEP_ENTRIES are kept.
"""

from __future__ import annotations

import hashlib
import pickle
import platform
import sys
from pathlib import Path
from typing import Sequence

from advisor import cachekeys, locations
from advisor.catalog import sources
from advisor.catalog.parse import path_problem

SUBDIR = "catalog"
PATTERN = "*.pickle"
FORMAT = 2
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
    files = _files(overlays)
    if files is None:
        return None
    h = hashlib.sha256(f"{_code_key()}|{strict}|{[str(o) for o in overlays]}".encode())
    for f in files:
        try:
            st = f.stat()
            h.update(f"{f.resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
        except (OSError, RuntimeError):
            return None
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
        catalog, warnings = value  # the shape write() stores
        catalog.defaults  # noqa: B018 - touches the model, so an old class layout fails here
    except Exception as exc:  # any failure (truncated file, AttributeError after a model change) means rebuild
        reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:120]
        _note(f"catalog snapshot {path.name} could not be loaded ({reason}); rebuilding it")
        try:
            path.unlink()
        except OSError:
            pass
        return None
    return catalog, warnings


def write(k: str, value) -> None:
    """Store a snapshot (atomic); a failure to write costs only speed, and says so on stderr."""
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        locations.write_atomic(path_for(k), data)
    except (OSError, pickle.PicklingError) as exc:
        _note(f"could not save the catalog snapshot ({getattr(exc, 'strerror', None) or exc})")
        return
    cachekeys.prune(folder(), PATTERN)


def open_cache() -> None:
    """Clean temp files a killed run left in the snapshot folder."""
    locations.clean_stale_temps(folder())

