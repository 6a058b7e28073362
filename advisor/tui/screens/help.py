"""The keys of every screen, from their bindings (so the list cannot drift from the code).

Keys remapped in the config file's [keymap] table are shown as remapped; the id column is what
the table takes (binding id = "key").
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEY_NAMES = {"question_mark": "?"}


def _keys(text: str) -> str:
    return ", ".join(KEY_NAMES.get(k.strip(), k.strip()) for k in text.split(","))


def help_rows(bindings, keymap: dict[str, str]) -> list[tuple[str, str, str]]:
    """(keys, what it does, binding id) per binding, with the user's remaps applied."""
    out = []
    for b in bindings:
        if isinstance(b, Binding) and (b.description or b.tooltip):
            keys = keymap.get(b.id, b.key) if b.id else b.key
            out.append((_keys(keys) + (" *" if b.id in keymap else ""), b.tooltip or b.description, b.id or ""))
    return out


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q,question_mark", "dismiss(None)", "Close", id="help-close")]

    def compose(self) -> ComposeResult:
        from rich.markup import escape
        from rich.table import Table

        from advisor.tui.keymap import config_path

        table = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
        table.add_column(style="bold", no_wrap=True)
        table.add_column(ratio=1)
        table.add_column(style="dim", no_wrap=True)
        keymap = getattr(self.app, "keymap", {})
        for title, bindings in getattr(self.app, "all_bindings")():  # AdvisorApp's (app.py imports this screen)
            table.add_row(f"[u]{title}[/u]", "", "")
            for keys, text, ident in help_rows(bindings, keymap):
                table.add_row(escape(keys), escape(text), ident)
        table.add_row("", "", "")
        table.add_row("enter", "Open the highlighted option (ranking table)", "")
        table.add_row("tab / shift+tab", "Move between fields; mouse clicks work too", "")
        table.add_row("ctrl+p", "Command palette: every action, models, catalog entries, themes", "")
        remapped = " (* = remapped)" if keymap else ""
        note = (f"Remap keys in {config_path()} under [keymap]: binding id = \"key\", "
                f"e.g. compare = \"ctrl+k\"{remapped}.")
        with VerticalScroll(id="help-body"):
            yield Static("[b]advisor — keys[/b]  (Esc closes)", id="help-title")
            yield Static(table)
            yield Static(escape(note), id="help-keymap")
