"""Ask for a file path (save, open, export)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static


class PathPrompt(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel", id="prompt-cancel")]

    def __init__(self, title: str, default: str = "", *, hint: str = "", ok: str = "OK") -> None:
        super().__init__()
        self.title_text = title
        self.default = default
        self.hint = hint
        self.ok = ok

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"[b]{self.title_text}[/b]", classes="dialog-text")
            yield Input(self.default, placeholder="path", id="path")
            if self.hint:
                yield Static(self.hint, classes="dialog-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.ok, id="ok", variant="primary")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._done()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._done()
        else:
            self.dismiss(None)

    def _done(self) -> None:
        path = self.query_one("#path", Input).value.strip()
        self.dismiss(path or None)
