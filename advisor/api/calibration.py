"""Fitted factors for a catalog: fitted once per (catalog content, engine and domain code), then cached.

The fit machinery (engine.calibration, crossval) is imported only when a fit runs.

The cache entry holds the fit on all points without leave-one-out: the factors and error bands
every command uses. `calibrate()` (with leave-one-out) reports more, but never writes that entry,
so running `advisor calibrate` cannot change what later commands print. An entry that cannot be
read is refitted with a one-line note on stderr (logging, so stdout stays data only); the newest
`cachekeys.KEEP_ENTRIES` entries are kept.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor import cachekeys, locations
from advisor.catalog import content
from advisor.domain import Catalog
from advisor.engine.factors import Factors

if TYPE_CHECKING:
    from advisor.engine.calibration import CalibrationReport

CALIBRATION_FILE = "calibration.json"
"""A fit shipped with the catalog (used when its key matches)."""
FIT_KINDS = ("accelerators", "systems", "ecosystems", "models", "benchmarks")
"""Catalog kinds the fit depends on."""
LOO_ONLY = ("loo_median_abs_error_pct", "loo_p80_abs_error_pct", "loo_worst_abs_error_pct", "loo_worst_ratio",
            "loo_points_off_by_more_than_2x")


def _note(message: str, *args: object) -> None:
    """A one-line note through logging (stderr, never stdout); logging is imported only when there is one."""
    import logging

    logging.getLogger(__name__).warning(message, *args)


def catalog_hash(catalog: Catalog) -> str:
    """A digest of every entry of the kinds the fit reads (catalog.content: kept with the catalog snapshot)."""
    return content.digest(catalog, FIT_KINDS)


def calibration_key(catalog: Catalog) -> str:
    """What the fit depends on: the catalog's content and the engine's and domain's code."""
    return f"{catalog_hash(catalog)}-{cachekeys.code_fingerprint('engine', 'domain')}"


def cache_folder() -> Path:
    return locations.user_cache_dir() / "calibration"


def _entry(key: str) -> Path:
    return cache_folder() / f"{key}.json"


def without_loo(summary: dict[str, Any]) -> dict[str, Any]:
    """A fit summary without leave-one-out figures: those keys None (not 0) when LOO never ran."""
    def clean(d: dict[str, Any]) -> dict[str, Any]:
        if all(d.get(k) is None for k in LOO_ONLY if k != "loo_points_off_by_more_than_2x"):
            d = {**d, **{k: None for k in LOO_ONLY if k in d}}
        return {k: clean(v) if isinstance(v, dict) else v for k, v in d.items()}
    return clean(summary)


def _from_doc(doc: dict[str, Any]) -> Factors:
    return Factors.from_dict({**doc["factors"], "summary": doc.get("summary", {})})


def _read(path: Path, key: str) -> Factors:
    doc = json.loads(path.read_text())
    if doc.get("key") != key:
        raise ValueError("key mismatch")
    return _from_doc(doc)


def _store(key: str, report: CalibrationReport) -> dict[str, Any]:
    """Write the cache entry of a fit without leave-one-out (once per key); returns the entry."""
    doc = {"key": key, "loo": False, "factors": report.factors.to_dict(),
           "summary": without_loo(report.summary.get("all", {}))}
    try:
        locations.write_atomic(_entry(key), json.dumps(doc, indent=1))
        cachekeys.prune(cache_folder(), "*.json")
    except OSError:
        pass  # a read-only cache only costs speed
    return doc


def factors(catalog: Catalog) -> Factors:
    """Fitted factors for this catalog: shipped, cached, or fitted now (without leave-one-out) and cached."""
    key = calibration_key(catalog)
    shipped = locations.builtin_catalog_dir() / CALIBRATION_FILE
    if shipped.is_file():
        try:
            return _read(shipped, key)
        except (OSError, ValueError, KeyError, TypeError):
            pass  # shipped for another catalog or code
    entry = _entry(key)
    if entry.is_file():
        try:
            return _read(entry, key)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            _note("advisor: note: calibration cache entry %s unreadable (%s); refitting", entry.name,
                        type(exc).__name__)
    from advisor.engine import calibration  # the fit machinery, only when a fit runs

    return _from_doc(_store(key, calibration.fit(catalog, loo=False)))


def calibrate(catalog: Catalog, *, loo: bool = True) -> CalibrationReport:
    """Fit the engine to the catalog's measured points; with leave-one-out errors by default.

    Returns engine.calibration.CalibrationReport (factors, per-point rows, summary). Never replaces
    the cached factors that other commands use (those come from the fit without leave-one-out).
    """
    from advisor.engine import calibration

    report = calibration.fit(catalog, loo=loo)
    if not loo:
        report = dataclasses.replace(report, summary=without_loo(report.summary),
                                     factors=dataclasses.replace(report.factors, summary=without_loo(report.factors.summary)))
        key = calibration_key(catalog)
        if not _entry(key).is_file():
            _store(key, report)
    return report


def grouped_cv(catalog: Catalog) -> dict[str, Any]:
    """Grouped cross-validation of the engine (held-out chip, model, ecosystem...): crossval.grouped_cv's JSON."""
    from advisor.engine import crossval

    return crossval.grouped_cv(catalog)
