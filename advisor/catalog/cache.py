"""The user-cache store of remote catalogs: one `NAME.toml` + `NAME.json` (metadata) each.

Standard library only. Nothing here touches the network (that is `remote.py`); this
module names, lists, checks (sha256), locks, stores and drops cached copies.

Consistency: every change to a name happens under `lock(name)` (an exclusive `flock` on
`.NAME.lock`); readers take it shared. `store()` commits data and metadata together:
it writes the new metadata to `.NAME.pending.json`, moves the fsynced, validated data
into place, then moves the metadata into place. A process killed in between leaves the
pending file; whoever reads next takes the metadata whose sha256 matches the data
(rolling forward or back), so the data of one pull is never paired with the sha256 of
another. Temp files of killed pulls are removed by `clean()` on the next run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from advisor import locations

SUBDIR = "catalogs"
_NAME_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
_NAME_BAD_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


def cache_dir() -> Path:
    """Where remote catalogs are cached (not created by reading it)."""
    return locations.user_cache_dir() / SUBDIR


def check_name(name: str) -> str:
    """`name` if it is a safe file stem, else ValueError saying what is allowed."""
    if not _NAME_OK.match(name) or name.endswith((".json", ".toml")) or ".." in name:
        raise ValueError(
            f"bad catalog name {name!r}: use letters, digits, '.', '_' and '-' "
            "(at most 80, starting with a letter or digit)"
        )
    return name


def derive_name(url: str) -> str:
    """A short name for a URL: its file name without `.toml`, else its host."""
    parts = urlsplit(url)
    stem = parts.path.rstrip("/").rsplit("/", 1)[-1]
    for suffix in (".toml", ".TOML"):
        stem = stem.removesuffix(suffix)
    stem = _NAME_BAD_CHARS.sub("-", stem).strip(".-_")
    if not stem:
        stem = _NAME_BAD_CHARS.sub("-", parts.hostname or "catalog").strip(".-_") or "catalog"
    return stem[:80]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def parse_iso(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def age_words(when: str | None, now: dt.datetime | None = None) -> str:
    """`3 h ago`-style age of an ISO time, or `an unknown time ago`."""
    moment = parse_iso(when)
    if moment is None:
        return "an unknown time ago"
    seconds = ((now or dt.datetime.now(dt.timezone.utc)) - moment).total_seconds()
    seconds = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


def size_words(size: int | None) -> str:
    if size is None:
        return "?"
    if size < 1000:
        return f"{size} B"
    for unit, scale in (("kB", 1e3), ("MB", 1e6)):
        if size < scale * 1000:
            return f"{size / scale:.1f} {unit}"
    return f"{size / 1e9:.1f} GB"


@dataclass(frozen=True)
class Cached:
    """One cached remote catalog as found on disk.

    `state` is "ok" (bytes match the recorded sha256), "corrupted" (they do not, or the
    metadata is unreadable) or "missing" (metadata without its file, or the reverse).
    Only an "ok" copy may ever be used.
    """

    name: str
    path: Path
    meta: dict
    state: str
    detail: str = ""

    @property
    def usable(self) -> bool:
        return self.state == "ok"

    @property
    def url(self) -> str | None:
        return self.meta.get("url")


def paths_for(name: str) -> tuple[Path, Path]:
    folder = cache_dir()
    return folder / f"{name}.toml", folder / f"{name}.json"


def _pending_path(name: str) -> Path:
    return cache_dir() / f".{name}.pending.json"


_held: dict[str, int] = {}
"""Names this process holds the lock of (name -> fd); a nested lock of the same name is a no-op."""


class LockTimeout(Exception):
    """Another process held the lock for longer than the timeout."""


@contextlib.contextmanager
def lock(name: str, *, shared: bool = False, timeout_s: float = 120.0):
    """Hold the lock of `name` (exclusive, or shared for reading) for the `with` block."""
    if name in _held:
        yield
        return
    folder = cache_dir()
    if not folder.is_dir():
        if shared:  # nothing to read yet, and reading creates nothing
            yield
            return
        locations.ensure_dir(folder)
    try:
        fd = os.open(folder / f".{name}.lock", os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), locations.file_mode())
    except OSError:
        if shared:  # a read-only cache can still be read
            yield
            return
        raise
    try:
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        give_up = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > give_up:
                    raise LockTimeout(f"another advisor process has been updating the cached catalog {name!r} "
                                      f"for more than {timeout_s:g} s") from None
                time.sleep(0.02)
        _held[name] = fd
        try:
            yield
        finally:
            del _held[name]
    finally:
        os.close(fd)  # releases the flock


def _load_meta(path: Path) -> dict | str:
    """The metadata object in `path`, or why it cannot be used."""
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        return f"its metadata is unreadable ({type(exc).__name__})"
    if not isinstance(loaded, dict) or not loaded:
        return "its metadata is not a JSON object"
    return loaded


def read(name: str, *, verify: bool = True, wait_s: float = 120.0) -> Cached | None:
    """The cached copy called `name` (checked against its sha256), or None if there is none.

    Waits at most `wait_s` for a pull in progress; after that it reads anyway (the sha256
    check still refuses a half-committed copy).
    """
    try:
        with lock(name, shared=True, timeout_s=wait_s):
            return _read(name, verify=verify)
    except LockTimeout:
        return _read(name, verify=verify)


def _read(name: str, *, verify: bool) -> Cached | None:
    data_path, meta_path = paths_for(name)
    pending = _pending_path(name)
    has_pending = pending.exists()
    if not data_path.exists() and not meta_path.exists() and not has_pending:
        return None
    actual: str | None = None
    if has_pending:  # a store() was cut short: the metadata that matches the data is the true one
        candidate = _load_meta(pending)
        if isinstance(candidate, dict) and data_path.is_file():
            try:
                actual = sha256_file(data_path)
            except OSError:
                actual = None
            if actual is not None and candidate.get("sha256") == actual:
                return Cached(name, data_path, candidate, "ok")
    if not meta_path.exists():
        return Cached(name, data_path, {}, "missing", "its metadata file is missing")
    meta = _load_meta(meta_path)
    if isinstance(meta, str):
        return Cached(name, data_path, {}, "corrupted", meta)
    if not data_path.is_file():
        return Cached(name, data_path, meta, "missing", "its catalog file is missing")
    if verify:
        try:
            actual = actual or sha256_file(data_path)
        except OSError as exc:
            return Cached(name, data_path, meta, "corrupted", f"it cannot be read ({exc.strerror or exc})")
        if actual != meta.get("sha256"):
            return Cached(name, data_path, meta, "corrupted",
                          "its bytes no longer match the recorded sha256")
    return Cached(name, data_path, meta, "ok")


def names() -> list[str]:
    """Every cached catalog name (from either of its two files), sorted."""
    folder = cache_dir()
    if not folder.is_dir():
        return []
    found = {
        p.stem for p in folder.iterdir()
        if p.suffix in (".toml", ".json") and not p.name.startswith(".") and _NAME_OK.match(p.stem)
    }
    return sorted(found)


def entries(*, verify: bool = True, wait_s: float = 120.0) -> list[Cached]:
    return [c for c in (read(n, verify=verify, wait_s=wait_s) for n in names()) if c is not None]


def name_for_url(url: str) -> str:
    """The name this URL is cached under: an existing entry for it, else a new free name."""
    matching = [c for c in entries(verify=False, wait_s=0.5) if c.url == url]
    if matching:
        matching.sort(key=lambda c: c.meta.get("checked_at") or c.meta.get("fetched_at") or "")
        return matching[-1].name
    base = derive_name(url)
    existing = read(base, verify=False, wait_s=0.5)
    if existing is None or existing.url in (None, url):
        return base
    suffix = hashlib.sha256(url.encode("utf-8")).hexdigest()[:8]
    return f"{base[:71]}-{suffix}"


def temp_file(name: str) -> tuple[int, Path]:
    """A new temp file in the cache folder (same filesystem as the final copy), named after its process."""
    return locations.create_temp(paths_for(name)[0], ".part")


def _meta_text(meta: dict) -> str:
    return json.dumps(meta, indent=2, sort_keys=True) + "\n"


def store(name: str, fetched_file: Path, meta: dict) -> Cached:
    """Commit a validated, fsynced temp file as `name` together with its metadata (see the module doc).

    The caller holds `lock(name)`.
    """
    data_path, meta_path = paths_for(name)
    pending = _pending_path(name)
    locations.write_atomic(pending, _meta_text(meta))
    os.replace(fetched_file, data_path)
    _fsync_dir(data_path.parent)
    os.replace(pending, meta_path)
    _fsync_dir(data_path.parent)
    return Cached(name, data_path, meta, "ok")


def touch(cached: Cached, **changes) -> Cached:
    """Rewrite an intact copy's metadata (e.g. `checked_at` after a 304); its bytes stay."""
    meta = {**cached.meta, **changes}
    locations.write_atomic(paths_for(cached.name)[1], _meta_text(meta))
    return Cached(cached.name, cached.path, meta, cached.state, cached.detail)


def clean(name: str | None = None) -> int:
    """Remove temp files left by killed runs: all of `name`'s (the caller holds its lock), and any
    other whose process is gone. A cut-short store() of `name` is rolled forward or back."""
    folder = cache_dir()
    if not folder.is_dir():
        return 0
    removed = locations.clean_stale_temps(folder)
    if name is None:
        return removed
    data_path, meta_path = paths_for(name)
    for leftover in folder.glob(f".{glob_escape(data_path.name)}.*.part"):
        try:
            leftover.unlink()
            removed += 1
        except OSError:
            pass
    pending = _pending_path(name)
    if pending.exists():
        current = _read(name, verify=True)
        try:
            if current is not None and current.usable and current.meta.get("sha256") != _meta_sha(meta_path):
                os.replace(pending, meta_path)  # the data is the new copy: finish the commit
            else:
                pending.unlink()  # the data is the old copy: forget the half-made commit
        except OSError:
            pass
    return removed


def _meta_sha(meta_path: Path) -> str | None:
    meta = _load_meta(meta_path) if meta_path.exists() else None
    return meta.get("sha256") if isinstance(meta, dict) else None


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def drop(name: str) -> bool:
    """Remove `name` (both files and any leftover temp files); False if there was nothing."""
    removed = False
    with lock(name):
        clean(name)
        for path in (*paths_for(name), _pending_path(name)):
            try:
                path.unlink()
                removed = removed or path != _pending_path(name)
            except FileNotFoundError:
                pass
    return removed


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
