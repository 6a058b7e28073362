"""A local snapshot of a validated catalog, so repeated runs skip TOML parsing and validation.

Keyed by the advisor version, the load flags and every source file's path, size and
mtime; anything else (a URL overlay, an unreadable cache) falls back to a full load.
The snapshot lives in the user cache dir and is only ever written by this process
(pickle of our own validated objects; never read from anywhere else).
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path
from typing import Sequence

from advisor import __version__, locations


def _files(overlays: Sequence[str | Path]) -> list[Path] | None:
    from advisor.catalog import sources

    files, problems = sources.builtin_files()
    if problems:
        return None
    for src in overlays:
        if sources.is_url(src):
            return None
        p = Path(src)
        if p.is_dir():
            files += sorted(p.glob("*.toml"))
        elif p.is_file():
            files.append(p)
        else:
            return None
    return files


def key(overlays: Sequence[str | Path], strict: bool) -> str | None:
    files = _files(overlays)
    if files is None:
        return None
    h = hashlib.sha256(f"{__version__}|{strict}|{[str(o) for o in overlays]}".encode())
    for f in files:
        try:
            st = f.stat()
        except OSError:
            return None
        h.update(f"{f.resolve()}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:32]


def path_for(k: str) -> Path:
    return locations.user_cache_dir() / "catalog" / f"{k}.pickle"


def read(k: str):
    try:
        with open(path_for(k), "rb") as fh:
            return pickle.load(fh)
    except Exception:  # a stale or unreadable snapshot only costs a full load
        return None


def write(k: str, value) -> None:
    try:
        locations.write_atomic(path_for(k), pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:
        pass
