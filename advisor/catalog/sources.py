"""Sources (the built-in folder, overlay files, folders, URLs) -> the files of each layer."""

from __future__ import annotations

from pathlib import Path

from advisor import locations
from advisor.errors import CatalogError, Problem, display_path

BUILTIN_LABEL = "built-in"


def is_url(source: str | Path) -> bool:
    return isinstance(source, str) and source.lower().startswith(("http://", "https://"))


def builtin_files() -> tuple[list[Path], list[Problem]]:
    folder = locations.builtin_catalog_dir()
    files = sorted(folder.glob("*.toml")) if folder.is_dir() else []
    if not files:
        return [], [Problem(display_path(folder), None, "the built-in catalog is missing: no .toml files here")]
    return files, []


def user_overlay_dir() -> Path:
    """The user's own catalog folder (`advisor model import` writes here); every command loads it."""
    return locations.user_config_dir() / "catalog"


def user_overlays() -> list[Path]:
    """[the user overlay folder] when it holds .toml files, else []: loaded before any --catalog overlay."""
    folder = user_overlay_dir()
    return [folder] if folder.is_dir() and any(folder.glob("*.toml")) else []


def resolve_remote(url: str, *, allow_http: bool) -> Path:
    """A URL's catalog as a local path (fetched or cached) via advisor.catalog.remote."""
    try:
        # Deferred: remote catalogs pull in httpx, and most runs never name a URL.
        from advisor.catalog import remote
    except ModuleNotFoundError as exc:
        if exc.name != "advisor.catalog.remote":
            raise
        raise CatalogError([Problem(url, None, "remote catalogs are not available in this build of advisor")]) from None
    return Path(remote.resolve(url, allow_http=allow_http))


def overlay_files(source: str | Path, *, allow_http: bool) -> tuple[str, list[Path], list[Problem]]:
    """(layer label, its .toml files in order, problems) for one overlay source."""
    if is_url(source):
        label = str(source)
        path = resolve_remote(label, allow_http=allow_http)
    else:
        path = Path(source).expanduser()
        label = display_path(path)
    if path.is_dir():
        files = sorted(path.glob("*.toml"))
        if not files:
            return label, [], [Problem(label, None, "this folder holds no .toml catalog files")]
        return label, files, []
    if path.is_file():
        return label, [path], []
    return label, [], [Problem(label, None, "no such catalog file or folder")]
