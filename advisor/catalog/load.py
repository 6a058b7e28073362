"""Loading a catalog: a valid snapshot of the same inputs (snapshot.py), else the whole pipeline (pipeline.py).

Also the glue of remote catalogs (fetched by remote.py, validated here) and `validate_paths`.
The pipeline (validation, merge, references, lint) is imported only when it runs: a warm
`load_catalog` reads the snapshot and imports none of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.catalog import snapshot, sources
from advisor.domain import Catalog
from advisor.errors import AdvisorError, CatalogError, Problem, display_path

if TYPE_CHECKING:
    from advisor.catalog.pipeline import Outcome


def collect(overlays: Sequence[str | Path] = (), *, strict: bool = False, allow_http: bool = False,
            builtin: bool = True, quiet_builtin_seeds: bool = False) -> Outcome:
    """Run the whole pipeline and collect every problem (pipeline.collect, with URLs fetched and validated)."""
    from advisor.catalog import pipeline

    return pipeline.collect(overlays, strict=strict, builtin=builtin, quiet_builtin_seeds=quiet_builtin_seeds,
                            resolve_url=lambda url: resolve_url(url, allow_http=allow_http))


def load_catalog(
    overlays: Sequence[str | Path] = (), *, strict: bool = False, allow_http: bool = False, builtin: bool = True,
) -> tuple[Catalog, list[Problem]]:
    """The built-in catalog merged with overlays (files, folders, URLs) in order, last wins by id.

    Returns the catalog and its lint warnings. Raises CatalogError listing every error;
    with `strict`, lint findings are errors (except on `calibrate = false` benchmarks).
    Lint on the built-in catalog's own `calibrate = false` points is left out here (known
    seed claims, reported by `validate_paths`); on overlay points it is returned.
    The user overlay folder (`sources.user_overlay_dir()`, where `advisor model import` writes)
    is loaded first among the overlays whenever it holds .toml files.
    """
    if builtin:  # the user's own overlay folder (advisor model import) sits between built-in and --catalog
        overlays = [*sources.user_overlays(), *overlays]
    snapshot.open_cache()
    snap_key = snapshot.key(overlays, strict) if builtin else None
    if snap_key and (cached := snapshot.read(snap_key)) is not None:
        return cached
    outcome = collect(overlays, strict=strict, allow_http=allow_http, builtin=builtin, quiet_builtin_seeds=True)
    if outcome.catalog is not None and snap_key:
        snapshot.write(snap_key, (outcome.catalog, outcome.warnings))
    if outcome.catalog is None:
        n = len(outcome.errors)
        raise CatalogError(outcome.errors, summary=f"{n} problem{'s' if n != 1 else ''} in the catalog; nothing was loaded")
    return outcome.catalog, outcome.warnings


# remote catalogs: fetched by advisor.catalog.remote, validated here ---------------------------

def check_overlay(path: Path, url: str) -> list[str]:
    """A downloaded catalog validated completely, as an overlay on the built-in catalog.

    Per-file rules first (UTF-8, guarded TOML, schema, duplicate ids), then the whole
    pipeline (references, defaults, lint). Raises CatalogError with problems named by
    `url`; returns the lint warnings about this file.
    """
    from advisor.catalog.validate import check_file, rejected

    check_file(path, url)
    origin = display_path(path)

    def renamed(p: Problem) -> Problem:
        if p.file not in (origin, str(path)):
            return p
        return Problem(url, p.key, p.message, p.line, p.severity)

    outcome = collect([path])
    errors = [renamed(p) for p in outcome.errors]
    if errors or outcome.catalog is None:
        errors = errors or [Problem(url, None, "the catalog did not load as an overlay on the built-in catalog")]
        raise CatalogError(errors, summary=rejected(url, len(errors)))
    mine = [renamed(p) for p in outcome.warnings]
    return [p.format().removeprefix("warning: ") for p in mine if p.file == url]


def resolve_url(url: str, *, allow_http: bool = False, **kwargs) -> Path:
    """`--catalog URL`: the fetched (fully validated) or last good cached copy, as a local path."""
    try:
        # Deferred: remote catalogs pull in httpx, and most runs never name a URL.
        from advisor.catalog import remote
    except ImportError as exc:
        if getattr(exc, "name", None) not in (None, "advisor.catalog.remote"):
            raise
        raise CatalogError([Problem(url, None, "remote catalogs are not available in this build of advisor")]) from None
    return Path(remote.resolve(url, allow_http=allow_http, check=check_overlay, **kwargs))


def pull(url: str, **kwargs):
    """`advisor catalog pull`: fetch, validate completely (check_overlay) and cache; never falls back."""
    from advisor.catalog import remote

    return remote.pull(url, check=check_overlay, **kwargs)


def _is_builtin(source: str | Path) -> bool:
    if sources.is_url(source):
        return False
    try:
        return Path(source).resolve() == sources.locations.builtin_catalog_dir().resolve()
    except OSError:
        return False


def validate_paths(
    paths: Sequence[str | Path], *, strict: bool = False, allow_http: bool = False,
) -> list[Problem]:
    """Every problem (errors and warnings) in each path, validated as an overlay on the built-in catalog.

    Problems in the built-in catalog itself are reported only when an overlay causes them
    (e.g. an overlay accelerator whose new TDP no longer fits a built-in system). The
    built-in folder itself, given as a path, is validated on its own.
    """
    baseline: set[str] = set()
    baseline_errors = 0
    if any(not _is_builtin(p) for p in paths):
        base = collect((), strict=strict)
        baseline = {p.format() for p in base.errors + base.warnings}
        baseline_errors = len(base.errors)
    out: list[Problem] = []
    seen: set[str] = set()
    if baseline_errors:
        out.append(Problem(None, None, f"the built-in catalog itself has {baseline_errors} error(s); "
                                       "run `advisor catalog validate` on its folder to see them"))
    for path in paths:
        own = _is_builtin(path)
        try:
            outcome = collect([path], strict=strict, allow_http=allow_http, builtin=not own)
        except AdvisorError as exc:
            found = [Problem(str(path), None, line) for line in exc.lines()]
            if isinstance(exc, CatalogError):
                found = exc.problems
        else:
            mine = set().union(*[f for label, f in outcome.files_by_layer.items() if label != sources.BUILTIN_LABEL] or [set()])
            found = [
                p for p in outcome.errors + outcome.warnings
                if own or p.file in mine or p.format() not in baseline
            ]
        for p in found:
            text = p.format()
            if text not in seen:
                seen.add(text)
                out.append(p)
    return out
