"""The user-cache store of remote catalogs: one `NAME.toml` + `NAME.json` (metadata) each.

Standard library only. Nothing here touches the network (that is `remote.py`); this
module names, lists, checks (sha256), stores and drops cached copies. A copy is stored
only by `store()`, which moves an already fsynced, already validated temp file into
place with `os.replace`, so a reader sees the old copy or the new one, never half.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
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


def read(name: str, *, verify: bool = True) -> Cached | None:
    """The cached copy called `name` (checked against its sha256), or None if there is none."""
    data_path, meta_path = paths_for(name)
    if not data_path.exists() and not meta_path.exists():
        return None
    meta: dict = {}
    if meta_path.exists():
        try:
            loaded = json.loads(meta_path.read_text(encoding="utf-8"))
            meta = loaded if isinstance(loaded, dict) else {}
            if not meta:
                return Cached(name, data_path, {}, "corrupted", "its metadata is not a JSON object")
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            return Cached(name, data_path, {}, "corrupted", f"its metadata is unreadable ({exc})")
    else:
        return Cached(name, data_path, {}, "missing", "its metadata file is missing")
    if not data_path.is_file():
        return Cached(name, data_path, meta, "missing", "its catalog file is missing")
    if verify:
        try:
            actual = sha256_file(data_path)
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


def entries(*, verify: bool = True) -> list[Cached]:
    return [c for c in (read(n, verify=verify) for n in names()) if c is not None]


def name_for_url(url: str) -> str:
    """The name this URL is cached under: an existing entry for it, else a new free name."""
    matching = [c for c in entries(verify=False) if c.url == url]
    if matching:
        matching.sort(key=lambda c: c.meta.get("checked_at") or c.meta.get("fetched_at") or "")
        return matching[-1].name
    base = derive_name(url)
    existing = read(base, verify=False)
    if existing is None or existing.url in (None, url):
        return base
    suffix = hashlib.sha256(url.encode("utf-8")).hexdigest()[:8]
    return f"{base[:71]}-{suffix}"


def temp_file(name: str) -> tuple[int, Path]:
    """A new temp file in the cache folder (same filesystem as the final copy)."""
    import tempfile

    folder = locations.ensure_dir(cache_dir())
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=folder)
    return fd, Path(tmp)


def store(name: str, fetched_file: Path, meta: dict) -> Cached:
    """Move a validated, fsynced temp file into place as `name`, then write its metadata."""
    data_path, meta_path = paths_for(name)
    os.replace(fetched_file, data_path)
    _fsync_dir(data_path.parent)
    locations.write_atomic(meta_path, json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return Cached(name, data_path, meta, "ok")


def touch(cached: Cached, **changes) -> Cached:
    """Rewrite an intact copy's metadata (e.g. `checked_at` after a 304); its bytes stay."""
    meta = {**cached.meta, **changes}
    locations.write_atomic(paths_for(cached.name)[1], json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return Cached(cached.name, cached.path, meta, cached.state, cached.detail)


def drop(name: str) -> bool:
    """Remove `name` (both files and any leftover temp files); False if there was nothing."""
    removed = False
    for path in paths_for(name):
        try:
            path.unlink()
            removed = True
        except FileNotFoundError:
            pass
    folder = cache_dir()
    if folder.is_dir():
        mine = re.compile(rf"^\.{re.escape(name)}\.[A-Za-z0-9_]+\.part$")
        for leftover in folder.glob(".*.part"):
            if not mine.match(leftover.name):
                continue
            try:
                leftover.unlink()
            except OSError:
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
