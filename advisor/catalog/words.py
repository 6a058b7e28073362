"""Talking about TOML in TOML's words: type names, value display, did-you-mean."""

from __future__ import annotations

import datetime as dt
import types
import typing

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from advisor.errors import did_you_mean as _did_you_mean


def did_you_mean(word: str, choices) -> str:
    """The nearest spelling of `word` among `choices`, as a sentence, or nothing (see advisor.errors)."""
    return _did_you_mean(str(word), choices)


_TOML_TYPES: tuple[tuple[type, str], ...] = (
    # first match wins: bool before int (bool is an int), datetime before date
    (bool, "boolean"), (int, "integer"), (float, "float"), (str, "string"),
    (dict, "table"), (list, "array"), (dt.datetime, "datetime"), (dt.date, "date"),
)
"""TOML's name for each Python type a parsed document holds."""


def type_of(value: object) -> str:
    """The TOML name of a parsed value's type."""
    return next((name for kind, name in _TOML_TYPES if isinstance(value, kind)), type(value).__name__)


def show_value(value, limit: int = 60) -> str:
    """`string 'lots'`, `integer 3`, `boolean true`, `table {...}`: type and a short value."""
    if isinstance(value, bool):
        shown = "true" if value else "false"
    elif isinstance(value, str):
        shown = repr(value[: limit + 10])
    elif isinstance(value, dict):
        items = list(value.items())[:10]
        shown = "{" + ", ".join(f"{str(k)[:20]} = {show_value(v, 20).split(' ', 1)[-1]}" for k, v in items) + "}"
    elif isinstance(value, list):
        shown = "[" + ", ".join(show_value(v, 20).split(" ", 1)[-1] for v in value[:10]) + "]"
    else:
        shown = str(value)
    if len(shown) > limit:
        shown = shown[: limit - 3] + "..."
    return f"{type_of(value)} {shown}"


_SCALARS = {kind: name for kind, name in _TOML_TYPES if kind in (str, int, float, bool)}


def type_words(annotation) -> str:
    """A field's expected type in TOML words: `float`, `array of strings`, `one of 'a', 'b'`."""
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table"
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return " or ".join(type_words(a) for a in inner)
    if origin is list:
        item = type_words(args[0]) if args else "value"
        plural = item if item.startswith("one of") else item + "s"
        return f"array of {plural}"
    if origin is dict:
        return "table"
    return getattr(annotation, "__name__", str(annotation))


_BY_TYPE = {
    "float_type": "expected a float",
    "float_parsing": "expected a float",
    "int_type": "expected an integer",
    "int_parsing": "expected an integer",
    "int_from_float": "expected an integer, not a fraction",
    "string_type": "expected a string",
    "bool_type": "expected a boolean (true or false)",
    "bool_parsing": "expected a boolean (true or false)",
    "list_type": "expected an array",
    "dict_type": "expected a table",
    "model_type": "expected a table",
    "model_attributes_type": "expected a table",
}

_REWORDS = (
    ("Input should be", "should be"),
    ("String should", "string should"),
    ("List should", "array should"),
    ("Dictionary should", "table should"),
    ("a valid dictionary", "a table"),
    ("a valid list", "an array"),
    ("a valid string", "a string"),
    ("a valid integer", "an integer"),
    ("a valid number", "a float"),
    ("a valid boolean", "a boolean"),
)


def message_for(error: ErrorDetails) -> str:
    """One pydantic error dict as a sentence in TOML words (without the input)."""
    kind = error.get("type", "")
    if kind in _BY_TYPE:
        return _BY_TYPE[kind]
    if kind == "literal_error":
        return "expected " + error.get("ctx", {}).get("expected", error["msg"].removeprefix("Input should be "))
    msg = str(error.get("msg", ""))
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    for old, new in _REWORDS:
        msg = msg.replace(old, new)
    return msg
