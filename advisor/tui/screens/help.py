"""The keys of every screen, from their bindings (so the list cannot drift from the code)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


KEY_NAMES = {"question_mark": "?"}


def _rows(bindings) -> list[tuple[str, str]]:
    out = []
    for b in bindings:
        if isinstance(b, Binding) and (b.description or b.tooltip):
            keys = ", ".join(KEY_NAMES.get(k.strip(), k.strip()) for k in b.key.split(","))
            out.append((keys, b.tooltip or b.description))
    return out


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q,question_mark", "dismiss(None)", "Close", id="help-close")]

    def compose(self) -> ComposeResult:
        from rich.table import Table

        from advisor.tui.screens.catalog_browser import CatalogScreen
        from advisor.tui.screens.compare import CompareScreen
        from advisor.tui.screens.detail import DetailScreen
        from advisor.tui.screens.main import MainScreen

        table = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
        table.add_column(style="bold")
        table.add_column()
        sections = [("Everywhere", self.app.BINDINGS), ("Main screen", MainScreen.BINDINGS),
                    ("Option detail", DetailScreen.BINDINGS), ("Compare", CompareScreen.BINDINGS),
                    ("Catalog", CatalogScreen.BINDINGS)]
        for title, bindings in sections:
            table.add_row(f"[u]{title}[/u]", "")
            for keys, text in _rows(bindings):
                table.add_row(keys, text)
        table.add_row("", "")
        table.add_row("enter", "Open the highlighted option (ranking table)")
        table.add_row("tab / shift+tab", "Move between fields; mouse clicks work too")
        table.add_row("ctrl+p", "Command palette: every action, models, catalog entries, themes")
        with VerticalScroll(id="help-body"):
            yield Static("[b]advisor — keys[/b]  (Esc closes)", id="help-title")
            yield Static(table)
