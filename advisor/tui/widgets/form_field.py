"""One labelled field of the scenario form: parses its text, and shows why it is wrong."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.app import ComposeResult
from textual.widget import Widget
from textual.suggester import SuggestFromList
from textual.validation import Function, Integer, Number, ValidationResult, Validator
from textual.widgets import Checkbox, Input, Label, Select, Static

NUMBER_KINDS = ("int", "float")


@dataclass(frozen=True)
class FieldSpec:
    """What one field edits and how its text is read."""

    key: str
    """The workload key under its section (`max_rack_kw`), or the class field."""
    label: str
    kind: str
    """int | float | str | list | select | bool"""
    optional: bool = False
    """Empty means "not set" (the catalog default applies)."""
    minimum: float | None = None
    maximum: float | None = None
    options: tuple[tuple[str, str], ...] = ()
    """(label, value) pairs for a select."""
    known: tuple[str, ...] = ()
    """Allowed words for a list field, and suggestions for a text field."""
    placeholder: str = ""
    tooltip: str = ""
    extra: dict = field(default_factory=dict)


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _split(text: str) -> list[str]:
    return [w.strip() for w in text.split(",") if w.strip()]


class FormField(Widget):
    """A label and one control on a line, and the reason it is invalid below it.

    Three widgets a field (the error line is mounted only when first needed): the form has
    ~35 fields and every widget costs start-up time.
    """

    def __init__(self, spec: FieldSpec, value: Any, *, field_id: str) -> None:
        super().__init__(classes="form-field")
        self.spec = spec
        self.initial = value
        self.field_id = field_id
        self.local_error: str | None = None
        """Why the text cannot be read (set as the user types)."""
        self.model_error: str | None = None
        """Why the scenario refuses the value (set after validation)."""

    # --- building ------------------------------------------------------------------
    def _validators(self) -> list[Validator]:
        s = self.spec
        if s.kind == "int":
            return [Integer(minimum=s.minimum, maximum=s.maximum, failure_description="must be a whole number"
                            + (f" >= {s.minimum:g}" if s.minimum is not None else ""))]
        if s.kind == "float":
            return [Number(minimum=s.minimum, maximum=s.maximum, failure_description="must be a number"
                           + (f" between {s.minimum:g} and {s.maximum:g}" if s.maximum is not None and s.minimum is not None
                              else f" >= {s.minimum:g}" if s.minimum is not None else ""))]
        if s.kind == "list" and s.known:
            known = {k.lower() for k in s.known}

            def check(text: str) -> bool:
                return all(w.lower() in known for w in _split(text))

            return [Function(check, f"unknown; known: {', '.join(s.known)}")]
        if s.kind == "str" and not s.optional:
            return [Function(lambda t: bool(t.strip()), "must not be empty")]
        return []

    def compose(self) -> ComposeResult:
        s = self.spec
        yield Label(s.label, classes="field-label")
        if s.kind in ("select",):
            yield Select(list(s.options), value=self.initial if self.initial is not None else Select.NULL,
                         allow_blank=s.optional, compact=True, id=self.field_id, prompt=s.placeholder or "default",
                         tooltip=s.tooltip or None)
        elif s.kind == "bool":
            yield Checkbox(s.placeholder, bool(self.initial), compact=True, id=self.field_id, tooltip=s.tooltip or None)
        else:
            yield Input(
                _fmt(self.initial), placeholder=s.placeholder or ("default" if s.optional else ""),
                validators=self._validators(), validate_on=["changed"], valid_empty=s.optional,
                compact=True, id=self.field_id, tooltip=s.tooltip or None,
                suggester=SuggestFromList(list(s.known), case_sensitive=False) if s.kind == "str" and s.known else None,
            )

    # --- reading -------------------------------------------------------------------
    @property
    def control(self):
        return self.query_one(f"#{self.field_id}")

    def read(self) -> tuple[bool, Any]:
        """(ok, value): the parsed value, None for an empty optional field."""
        s, control = self.spec, self.control
        if isinstance(control, Select):
            return True, (None if control.value is Select.NULL else control.value)
        if isinstance(control, Checkbox):
            return True, control.value
        text = control.value.strip()
        if s.optional and not text:
            return True, None
        result: ValidationResult | None = control.validate(text)
        if result is not None and not result.is_valid:
            return False, None
        if s.kind == "int":
            return True, int(float(text))
        if s.kind == "float":
            return True, float(text)
        if s.kind == "list":
            return True, _split(text)
        return True, text

    # --- marking -------------------------------------------------------------------
    def _unchanged(self, event, value) -> bool:
        """Controls post Changed when they mount; only real edits should travel up."""
        if value == getattr(self, "_last", _fmt(self.initial) if self.spec.kind not in ("select", "bool") else self.initial):
            event.stop()
            return True
        self._last = value
        return False

    def on_select_changed(self, event: Select.Changed) -> None:
        self._unchanged(event, None if event.value is Select.NULL else event.value)

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self._unchanged(event, bool(event.value) if self.initial is not None else event.value)

    def on_input_changed(self, event: Input.Changed) -> None:
        if self._unchanged(event, event.value):
            return
        result = event.validation_result
        self.local_error = None if result is None or result.is_valid else "; ".join(result.failure_descriptions)
        self.model_error = None
        self._show()

    def set_model_error(self, message: str | None) -> None:
        self.model_error = message
        self._show()

    def _show(self) -> None:
        message = self.local_error or self.model_error
        if message == getattr(self, "_shown", None):
            return  # unchanged: no restyle (a class change re-applies CSS to the field and may re-lay it out)
        self._shown = message
        self.set_class(bool(message), "-invalid")
        control = self.control
        control.set_class(bool(message), "-invalid")
        errors = self.query(".field-error")
        if errors:
            errors.first(Static).update(message or "")
        elif message:
            self.mount(Static(message, classes="field-error"))

    @property
    def error_text(self) -> str:
        """The reason shown under the field ("" when valid)."""
        return (self.local_error or self.model_error or "") if self.has_class("-invalid") else ""
