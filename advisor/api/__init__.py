"""The one Python API every shell calls (CLI, TUI, scripts).

Domain objects in, domain objects out; no printing, no Textual. Modules: loading (documents
and the catalog), calibration (the factors cache), context (finance inputs and assumptions),
ids (unknown ids with file:line), estimates (estimate, frontier), recommendations (recommend), fleets
(compare_fleets), sweeps. Modules are plural nouns so that none shadows the function it re-exports.

The names below are re-exported lazily (PEP 562), so `advisor.api.load_catalog` (the catalog
commands) does not pay for numpy and the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.lazyexports import lazy_exports

_EXPORTS = {
    "advisor.api.calibration": ("calibrate", "factors", "grouped_cv"),
    "advisor.api.estimates": ("estimate", "frontier"),
    "advisor.api.fleets": ("compare_fleets", "fleets_schema"),
    "advisor.api.loading": ("Loaded", "load_catalog", "load_fleets", "load_sweep", "load_workload", "read_fleets",
                            "read_sweep", "read_workload", "workload_from_dict"),
    "advisor.api.recommendations": ("recommend", "recommendation_schema", "workload_schema"),
    "advisor.api.sweeps": ("check_sweep_size", "dask_client", "merge_sweeps", "sweep", "sweep_chunks", "sweep_schema"),
}
_MODULES = {*_EXPORTS, "advisor.api.context", "advisor.api.ids"}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_WHERE)

if TYPE_CHECKING:
    from advisor.api.calibration import calibrate, factors, grouped_cv
    from advisor.api.estimates import estimate, frontier
    from advisor.api.fleets import compare_fleets, fleets_schema
    from advisor.api.loading import (
        Loaded, load_catalog, load_fleets, load_sweep, load_workload, read_fleets, read_sweep, read_workload,
        workload_from_dict,
    )
    from advisor.api.recommendations import recommend, recommendation_schema, workload_schema
    from advisor.api.sweeps import check_sweep_size, dask_client, merge_sweeps, sweep, sweep_chunks, sweep_schema


__getattr__, __dir__ = lazy_exports("advisor.api", globals(), _WHERE, __all__, _MODULES)
