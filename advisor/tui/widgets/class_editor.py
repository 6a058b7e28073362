"""The fields of one traffic class (model, ISL/OSL, share, SLOs), with a remove button."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Label

from advisor.domain.base import PRECISION_ORDER
from advisor.tui.widgets.form_field import FieldSpec, FormField

PRECISIONS = (("auto", "auto"), *((name, name) for name in PRECISION_ORDER))
"""The precision select: auto, then every format the engine knows, in its order."""
SPEC_DECODE = (("auto", "auto"), ("none", "none"), ("mtp", "mtp"))


def class_specs(models: list[tuple[str, str]]) -> list[FieldSpec]:
    """The class fields; `models` are (label, id) pairs for the model picker."""
    return [
        FieldSpec("name", "name", "str"),
        FieldSpec("model", "model", "select", options=tuple(models), tooltip="Type to search the catalog's models"),
        FieldSpec("isl", "ISL tokens", "int", minimum=1, maximum=4_194_304, tooltip="Input tokens per request"),
        FieldSpec("osl", "OSL tokens", "int", minimum=1, maximum=1_048_576, tooltip="Output tokens per request"),
        FieldSpec("share", "share", "float", minimum=0, maximum=1, tooltip="Share of concurrent users in this class (all add up to 1)"),
        FieldSpec("min_tok_s_per_user", "min tok/s/user", "float", minimum=0, tooltip="SLO: minimum decode tokens/s per user (0 = none)"),
        FieldSpec("max_ttft_s", "max TTFT s", "float", optional=True, minimum=0, placeholder="none",
                  tooltip="SLO: maximum median time to first token, seconds (empty = none)"),
        FieldSpec("max_ttft_p99_s", "max TTFT p99 s", "float", optional=True, minimum=0, placeholder="none",
                  tooltip="SLO: maximum 99th-percentile time to first token, queueing included, seconds (empty = none)"),
        FieldSpec("precision", "precision", "select", options=PRECISIONS),
        FieldSpec("spec_decode", "spec decode", "select", options=SPEC_DECODE),
    ]


class ClassEditor(Vertical):
    """One traffic class; `uid` keeps widget ids unique as classes come and go."""

    class RemoveRequested(Message):
        def __init__(self, editor: ClassEditor) -> None:
            super().__init__()
            self.editor = editor

    def __init__(self, data: dict, *, uid: int, models: list[tuple[str, str]]) -> None:
        super().__init__(classes="class-editor")
        self.data = dict(data)
        """The class as loaded; keys the form does not show are kept as they were."""
        self.uid = uid
        self.models = models

    def compose(self) -> ComposeResult:
        with Horizontal(classes="class-title"):
            yield Label(f"Class {self.data.get('name', '')}", classes="class-name")
            yield Button("Remove", id=f"remove-class-{self.uid}", classes="remove-class", compact=True,
                         tooltip="Remove this traffic class")
        for spec in class_specs(self.models):
            value = self.data.get(spec.key)
            if value is None and spec.key == "share":
                value = 1.0
            if value is None and spec.key == "min_tok_s_per_user":
                value = 0
            if value is None and spec.kind == "select" and not spec.optional:
                value = spec.options[0][1]
            yield FormField(spec, value, field_id=f"class{self.uid}-{spec.key}")

    def fields(self) -> dict[str, FormField]:
        return {f.spec.key: f for f in self.query(FormField)}

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.has_class("remove-class"):
            event.stop()
            self.post_message(self.RemoveRequested(self))

    def collect(self) -> tuple[dict[str, Any], bool]:
        """(class dict, ok)."""
        out, ok = dict(self.data), True
        for key, f in self.fields().items():
            good, value = f.read()
            ok &= good
            if value is None:
                out.pop(key, None)
            else:
                out[key] = value
        return out, ok
