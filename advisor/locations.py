"""Where things live: the built-in catalog and the user's dirs; and the one atomic writer.

Reading a location creates nothing; only `write_atomic` and `ensure_dir` write.
"""

from __future__ import annotations

import os
import tempfile
from importlib import resources
from pathlib import Path

APP_NAME = "advisor"


def builtin_catalog_dir() -> Path:
    """The built-in catalog: the checkout's `catalog/` first, else the one in the wheel."""
    checkout = Path(__file__).resolve().parent.parent / "catalog"
    if (checkout / "accelerators.toml").is_file():
        return checkout
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


def write_atomic(path: Path | str, data: bytes | str, *, overwrite: bool = True) -> Path:
    """Write `data` to `path` through a temp file in the same folder, fsync, rename.

    A reader sees the old file or the new one, never half of either. With
    `overwrite=False` an existing file raises FileExistsError and is left untouched.
    """
    target = Path(path)
    if not overwrite and target.exists():
        raise FileExistsError(str(target))
    ensure_dir(target.parent)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        if not overwrite and target.exists():
            raise FileExistsError(str(target))
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:
        dfd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass
    return target
