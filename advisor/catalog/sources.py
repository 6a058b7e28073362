"""Sources (the built-in folder, overlay files, folders, URLs) -> the files of each layer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from advisor import locations
from advisor.catalog.parse import path_problem
from advisor.errors import CatalogError, Problem, display_path, echo

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


def overlay_files(
    source: str | Path, *, resolve_url: Callable[[str], Path] | None = None,
) -> tuple[str, list[Path], list[Problem]]:
    """(layer label, its .toml files in order, problems) for one overlay source.

    A URL is turned into a local file by `resolve_url` (the loader's, which fetches and
    validates through advisor.catalog.remote); this module never imports the network side.
    """
    if is_url(source):
        label = str(source)
        if resolve_url is None:
            raise CatalogError([Problem(label, None, "remote catalogs are not available here")])
        path = Path(resolve_url(label))
    else:
        bad = path_problem(str(source), echo(str(source)))
        if bad:
            return bad.file or "", [], [bad]
        path = Path(source).expanduser()
        label = display_path(path)
    try:
        is_dir, is_file = path.is_dir(), path.is_file()
    except OSError as exc:
        return label, [], [Problem(label, None, f"cannot read: {exc.strerror or exc}")]
    if is_dir:
        files = sorted(path.glob("*.toml"))
        if not files:
            return label, [], [Problem(label, None, "this folder holds no .toml catalog files")]
        return label, files, []
    if is_file:
        return label, [path], []
    return label, [], [Problem(label, None, "no such catalog file or folder")]
