"""Command palette: every action of the app, plus models and catalog entries to jump to."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

ACTIONS: list[tuple[str, str, str]] = [
    ("Explain the selected option", "Binding constraint, costs, operating points, Pareto plot", "open_detail"),
    ("Show excluded options", "Every system ruled out, with the reason", "show_excluded"),
    ("Compare the top options", "The top options side by side", "compare"),
    ("Browse the catalog", "Accelerators, systems, ecosystems, models and their sources", "catalog"),
    ("Save scenario", "Write the scenario as a workload TOML", "save"),
    ("Open scenario", "Read a workload TOML", "load"),
    ("Export ranking", "JSON, CSV or Markdown", "export"),
    ("Help: keys", "Every key binding", "help"),
]


class AdvisorCommands(Provider):
    """Actions by name; "model <name>" serves the scenario with another model; catalog entries open the browser."""

    def _commands(self):
        app = self.app
        for title, help_text, action in ACTIONS:
            yield title, help_text, getattr(app, f"action_{action}")
        for m in app.catalog.models.values():
            yield f"Use model {m.name}", f"Serve every class with {m.id}", partial(app.use_model, m.id)
        for kind in ("accelerators", "systems", "ecosystems", "models"):
            for e in app.catalog.entries[kind].values():
                yield (f"Catalog: {e.name}", f"{kind[:-1]} {e.id}",
                       partial(app.action_catalog, kind, e.id))

    async def discover(self) -> Hits:
        for title, help_text, callback in list(self._commands())[: len(ACTIONS)]:
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
