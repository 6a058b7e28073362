"""A footer that shows only the bindings that fit, in the order the screen declares them.

Textual's Footer lays every shown binding out and lets the row overflow, so at 80 columns the
last keys ran into the command-palette key ("paletteQ"). This one drops the bindings that do not
fit (F1 help and the command palette list them all) and recomposes when the width changes.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer

GAP = 2
"""Cells between two keys, and around the palette key."""


def key_width(key) -> int:
    """Cells a FooterKey takes (it carries key_display and description)."""
    if not hasattr(key, "key_display"):
        return 0
    return len(key.key_display) + (1 + len(key.description) if key.description else 0) + GAP


class FittingFooter(Footer):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("compact", True)
        super().__init__(**kwargs)
        self._width = 0

    def compose(self) -> ComposeResult:
        items = list(super().compose())
        palette = [k for k in items if k.has_class("-command-palette")]
        keys = [k for k in items if k not in palette]
        budget = (self.size.width or self.app.size.width) - sum(key_width(k) for k in palette)
        kept = []
        for key in keys:
            width = key_width(key)
            if width > budget:
                break
            budget -= width
            kept.append(key)
        self.styles.grid_size_columns = max(len(kept), 1)
        yield from kept
        yield from palette

    def on_resize(self) -> None:
        if self.size.width != self._width:
            self._width = self.size.width
            self.call_after_refresh(self.recompose)
