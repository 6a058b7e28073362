"""A typed handle on the running AdvisorApp for screens and widgets (Textual types `self.app` as App[Any])."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, cast

from advisor.domain.catalog import Catalog
from advisor.domain.results import Recommendation
from advisor.domain.workload import Workload

if TYPE_CHECKING:
    from textual.app import App


class AdvisorApp(Protocol):
    """What screens and widgets read of the running app (advisor.tui.app.AdvisorApp). A Protocol, not an import:
    the app imports the screens, so importing it here, even for typing only, would close a cycle."""

    catalog: Catalog
    workload: Workload
    recommendation: Recommendation | None
    form_error: str | None
    engine_error: str | None
    keep_inefficient: bool
    keymap: dict[str, str]

    @property
    def narrow(self) -> bool: ...
    def all_bindings(self) -> list[tuple[str, list[Any]]]: ...
    def rank(self, workload: Workload) -> None: ...
    def action_open_detail(self, rank: int | None = None) -> None: ...


class _HasApp(Protocol):
    @property
    def app(self) -> App[Any]: ...


class AdvisorAppMixin:
    """Mix into a Screen or Widget that reads the advisor's state (catalog, workload, ranking, layout)."""

    @property
    def advisor_app(self: _HasApp) -> AdvisorApp:
        """`self.app`, typed as the AdvisorApp it always is in this package."""
        return cast("AdvisorApp", self.app)
