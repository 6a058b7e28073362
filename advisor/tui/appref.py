"""A typed handle on the running AdvisorApp for screens and widgets (Textual types `self.app` as App[Any])."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:  # advisor.tui.app imports the screens: a run-time import here would be a cycle
    from textual.app import App

    from advisor.tui.app import AdvisorApp


class _HasApp(Protocol):
    @property
    def app(self) -> App[Any]: ...


class AdvisorAppMixin:
    """Mix into a Screen or Widget that reads the advisor's state (catalog, workload, ranking, layout)."""

    @property
    def advisor_app(self: _HasApp) -> AdvisorApp:
        """`self.app`, typed as the AdvisorApp it always is in this package."""
        return cast("AdvisorApp", self.app)
