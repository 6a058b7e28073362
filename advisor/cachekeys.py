"""What a cache entry is keyed by, and how the cache stays small. Standard library only.

A cached result (a calibration fit, a catalog snapshot) is only valid for the code that
made it: the key of every cache includes `code_fingerprint()` (the package version and a
hash of the source of the packages whose behaviour the entry depends on), so an upgrade or
an edit of the engine can never serve a stale number. `prune()` keeps the newest entries.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

KEEP_ENTRIES = 8
"""Cache entries kept per cache folder (newest first); older ones are deleted on write."""

_ROOT = Path(__file__).resolve().parent


@lru_cache(maxsize=None)
def code_fingerprint(*packages: str) -> str:
    """sha256 over the package version and the source of `packages` (sub-packages of advisor, e.g. "engine").

    With no arguments, the whole package. Computed once per process (the files do not change under us).
    """
    from advisor import __version__

    h = hashlib.sha256(__version__.encode())
    roots = [_ROOT / p for p in packages] if packages else [_ROOT]
    for root in roots:
        files = sorted(root.rglob("*.py")) if root.is_dir() else [root.with_suffix(".py")]
        for f in files:
            try:
                data = f.read_bytes()
            except OSError:
                continue
            h.update(str(f.relative_to(_ROOT)).encode())
            h.update(hashlib.sha256(data).digest())
    return h.hexdigest()[:24]


def prune(folder: Path, pattern: str, keep: int = KEEP_ENTRIES) -> int:
    """Delete all but the `keep` newest files matching `pattern` in `folder`; returns how many went."""
    try:
        entries = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return 0
    gone = 0
    for old in entries[keep:]:
        try:
            old.unlink()
            gone += 1
        except OSError:
            pass
    return gone
