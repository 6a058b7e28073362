"""Where things live: the built-in catalog and the user's dirs; and the one atomic writer.

Reading a location creates nothing; only `write_atomic` and `ensure_dir` write.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

APP_NAME = "advisor"


def builtin_catalog_dir() -> Path:
    """The built-in catalog: the checkout's `catalog/` first, else the one in the wheel."""
    checkout = Path(__file__).resolve().parent.parent / "catalog"
    if (checkout / "accelerators.toml").is_file():
        return checkout
    beside = Path(__file__).resolve().parent / "_catalog"  # an installed wheel, unpacked (the usual case)
    if (beside / "accelerators.toml").is_file():
        return beside
    from importlib import resources  # e.g. a zipped install; ~3 ms to import, so only here

    shipped = Path(str(resources.files("advisor") / "_catalog"))
    return shipped


def user_config_dir() -> Path:
    from platformdirs import user_config_path

    return Path(os.environ.get("ADVISOR_CONFIG_DIR") or user_config_path(APP_NAME))


def user_data_dir() -> Path:
    from platformdirs import user_data_path

    return Path(os.environ.get("ADVISOR_DATA_DIR") or user_data_path(APP_NAME))


def user_cache_dir() -> Path:
    from platformdirs import user_cache_path

    return Path(os.environ.get("ADVISOR_CACHE_DIR") or user_cache_path(APP_NAME))


def ensure_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


TEMP_SUFFIXES = (".tmp", ".part")
STALE_AFTER_S = 24 * 3600.0
"""A temp file whose writer cannot be told alive is removed after this long."""

_umask: int | None = None


def file_mode() -> int:
    """The mode a new file gets from the user's umask (normally 0644); read once per process."""
    global _umask
    if _umask is None:
        current = os.umask(0o022)
        os.umask(current)
        _umask = current
    return 0o666 & ~_umask


def temp_name(target: Path, suffix: str = ".tmp") -> str:
    """`.NAME.PID.RANDOM.tmp`: hidden, next to `target`, and naming the process that writes it."""
    return f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}{suffix}"


def create_temp(target: Path, suffix: str = ".tmp") -> tuple[int, Path]:
    """A new temp file (fd, path) next to `target` with the umask's mode, created exclusively."""
    ensure_dir(target.parent)
    for _ in range(100):
        tmp = target.parent / temp_name(target, suffix)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), file_mode())
        except FileExistsError:
            continue
        return fd, tmp
    raise FileExistsError(f"no free temp file name next to {target}")


_TEMP = re.compile(r"^\..+\.(\d+)\.[0-9a-f]{8}\.(tmp|part)$")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True
    return True


def clean_stale_temps(folder: Path | str, *, stale_after_s: float = STALE_AFTER_S) -> int:
    """Remove temp files left in `folder` by writers that died (or older than `stale_after_s`).

    Called where caches are opened. Returns how many were removed.
    """
    import time

    removed = 0
    try:
        candidates = [p for p in Path(folder).iterdir() if p.name.startswith(".") and p.name.endswith(TEMP_SUFFIXES)]
    except OSError:
        return 0
    now = time.time()
    for p in candidates:
        m = _TEMP.match(p.name)
        try:
            old = now - p.stat().st_mtime > stale_after_s
        except OSError:
            continue
        if (m and not _alive(int(m.group(1)))) or old:
            try:
                p.unlink()
                removed += 1
            except OSError:
                pass
    return removed


def _fsync_dir(folder: Path) -> None:
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def _create_from(tmp: Path, target: Path) -> None:
    """Move `tmp` to `target` only if `target` does not exist, atomically (FileExistsError if it does)."""
    try:
        os.link(tmp, target)  # atomic create: FileExistsError if another writer won
    except FileExistsError:
        raise
    except OSError:
        # A filesystem without hard links: claim the name exclusively, then fill it by rename.
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, file_mode())
        os.close(fd)
        os.replace(tmp, target)
        return
    os.unlink(tmp)


def write_atomic(path: Path | str, data: bytes | str, *, overwrite: bool = True) -> Path:
    """Write `data` to `path` through a temp file in the same folder, fsync, then rename or link.

    A reader sees the old file or the new one, never half of either. With
    `overwrite=False` the file is created atomically (`os.link` of the temp file, which
    fails if the target exists): of several concurrent writers exactly one wins and the
    others get FileExistsError, the target untouched. The file gets the user's umask mode
    (normally 0644). The temp file is removed on any failure; one left by a killed
    process is removed by `clean_stale_temps` on the next start.
    """
    target = Path(path)
    if not overwrite and target.exists():
        raise FileExistsError(str(target))
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = create_temp(target)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, target)
        else:
            _create_from(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_dir(target.parent)
    return target
