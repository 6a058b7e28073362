"""The Textual shell over advisor.api. Importing this package imports Textual.

`run` is the one entry point: inputs are validated by the caller (advisor.cli.tui_cmd),
the slow preparation (calibration factors) happens here, before App.run.
"""

from __future__ import annotations

from pathlib import Path

from advisor.domain.catalog import Catalog
from advisor.domain.workload import Workload


def run(catalog: Catalog, workload: Workload | None = None, *, workload_path: str | Path | None = None) -> int:
    """Open the TUI on a validated catalog and scenario (the built-in one when None); returns the exit code."""
    from advisor import api
    from advisor.tui.app import AdvisorApp
    from advisor.tui.scenario import default_workload

    factors = api.factors(catalog)  # cached on disk after the first call; ~0.1 s to read
    app = AdvisorApp(catalog, workload or default_workload(), factors=factors, workload_path=workload_path)
    app.run()
    return int(app.return_code or 0)
