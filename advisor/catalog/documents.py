"""User documents (workload, fleets, sweep files) -> domain models, with file, line and key in every problem.

Shares the catalog's TOML vocabulary and line locating. `--set key.path=value` overrides
any field before validation.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from advisor.catalog.locate import Locator
from advisor.catalog.parse import parse_toml, parse_value, path_problem, read_text
from advisor.catalog.words import did_you_mean, message_for, show_value
from advisor.errors import InputError, Problem, UsageError, display_path, echo

M = TypeVar("M", bound=BaseModel)


def _arg(assignment: str) -> str:
    """How a --set argument is named in messages (cut to 80 characters)."""
    return f"--set {echo(assignment)}"


def parse_set(assignment: str) -> tuple[list[str], object]:
    """`datacenter.cooling=air` -> (['datacenter', 'cooling'], 'air'); values are TOML when they parse.

    The value goes through the same guarded parser as files (depth, integer size, length).
    """
    if "=" not in assignment:
        raise UsageError(f"{_arg(assignment)}: expected KEY.PATH=VALUE")
    key, raw = assignment.split("=", 1)
    path = [p.strip() for p in key.strip().split(".")]
    if not key.strip() or any(not p for p in path):
        raise UsageError(f"{_arg(assignment)}: the key must be names separated by single dots, like demand.utilisation")
    value, problems = parse_value(raw.strip(), _arg(assignment))
    if problems:
        raise UsageError(problems[0].format())
    return path, value


def apply_sets(data: dict, sets: list[str]) -> dict:
    """Apply overrides in order; list items are addressed by index or by their `name`.

    Every argument is checked against the document before any is applied: a path through
    a value (`--set name.x=1` where `name` is a string) is a UsageError naming the argument.
    """
    import copy

    return apply_sets_traced(data, sets)[0]


def apply_sets_traced(data: dict, sets: Sequence[str]) -> tuple[dict, dict[str, str]]:
    """apply_sets, and {dotted key as problems name it (`classes[0].isl`): the --set argument that wrote it}."""
    import copy

    parsed = [(assignment, *parse_set(assignment)) for assignment in sets]  # every argument's grammar first
    out = copy.deepcopy(data)
    written: dict[str, str] = {}
    for assignment, path, value in parsed:
        node = out
        loc: list[str | int] = []
        for part in path[:-1]:
            nxt = _child(node, part, assignment)
            loc.append(_index(node, part, assignment) if isinstance(node, list) else part)
            if nxt is None:
                nxt = {}
                node[part] = nxt
            node = nxt
        last = path[-1]
        if isinstance(node, list):
            i = _index(node, last, assignment)
            node[i] = value
            loc.append(i)
        elif isinstance(node, dict):
            node[last] = value
            loc.append(last)
        else:
            raise UsageError(f"{_arg(assignment)}: {'.'.join(path[:-1])!r} is a value, not a table")
        written[_dotted(tuple(loc))] = assignment
    return out, written


def blame_sets(problems: list[Problem], written: dict[str, str]) -> list[Problem]:
    """Problems about a value a --set argument wrote name that argument, not a line of the file."""
    if not written:
        return problems
    out = []
    for pr in problems:
        key = pr.key or ""
        hit = next((a for k, a in written.items() if key == k or key.startswith(k + ".") or key.startswith(k + "[")), None)
        out.append(Problem(_arg(hit), pr.key, pr.message, None, pr.severity) if hit else pr)
    return out


def _index(items: list, part: str, assignment: str) -> int:
    if part.isdigit() and len(part) < 10 and int(part) < len(items):
        return int(part)
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("name") == part:
            return i
    names = [str(x.get("name")) for x in items if isinstance(x, dict)]
    raise UsageError(f"{_arg(assignment)}: no item {echo(part)} (items are 0..{len(items) - 1} or by name)."
                     f"{did_you_mean(part, names)}")


def _child(node, part: str, assignment: str):
    if isinstance(node, list):
        return node[_index(node, part, assignment)]
    if not isinstance(node, dict):
        raise UsageError(f"{_arg(assignment)}: {echo(part)} is inside a value, not a table")
    child = node.get(part)
    if child is not None and not isinstance(child, (dict, list)):
        raise UsageError(f"{_arg(assignment)}: {echo(part)} is a value ({show_value(child)}), not a table")
    return child


def load_document(path: Path | str, model: type[M], *, sets: Sequence[str] = ()) -> M:
    """Read, override, validate. Raises InputError naming file, line and key for every problem."""
    origin, text, data = read_document(path)
    return validate_data(data, model, origin=origin, text=text, sets=list(sets))


def read_document(path: Path | str) -> tuple[str, str, dict]:
    """(origin for messages, text, parsed TOML) of a user file; InputError if it cannot be read or parsed."""
    p = Path(path)
    bad = path_problem(p, echo(str(p)))
    if bad:
        raise InputError([bad])
    origin = display_path(p)
    if not p.is_file():
        raise InputError([Problem(origin, None, "no such file" if not p.exists() else "not a file")])
    text, problems = read_text(p, origin)
    if text is None:
        raise InputError(problems)
    data, problems = parse_toml(text, origin)
    if data is None:
        raise InputError(problems)
    return origin, text, data


def validate_data(data: dict, model: type[M], *, origin: str, text: str = "", sets: Sequence[str] = ()) -> M:
    data, written = apply_sets_traced(data, list(sets)) if sets else (data, {})
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(blame_sets(problems_from(exc, model, origin, text), written)) from None


def problems_from(exc: ValidationError, model: type[BaseModel], origin: str, text: str) -> list[Problem]:
    loc_lines = Locator(text) if text else None
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        key = _dotted(loc)
        msg = message_for(err)
        if err["type"] == "extra_forbidden":
            holder = _fields_at(model, loc[:-1])
            msg = f"unknown key {echo(str(loc[-1]))}.{did_you_mean(str(loc[-1]), holder)}"
        elif err["type"] == "missing":
            msg = f"missing required field {str(loc[-1])!r}"
        elif "input" in err and not isinstance(err["input"], (dict, list)):
            msg = f"{msg} (got {show_value(err['input'])})"
        out.append(Problem(origin, key or None, msg, _line(loc_lines, loc)))
    return out


def _dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        text = str(part) if len(str(part)) <= 60 else str(part)[:59] + "…"
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + text
    return out


def _line(loc_lines: Locator | None, loc: tuple) -> int | None:
    if loc_lines is None or not loc:
        return None
    head = str(loc[0])
    if len(loc) > 1 and isinstance(loc[1], int):
        return loc_lines.key_line(head, loc[1], tuple(loc[2:])) or loc_lines.top_level_line(head)
    if len(loc) > 1:
        return loc_lines.key_line(head, None, tuple(loc[1:])) or loc_lines.top_level_line(head)
    return loc_lines.top_level_line(head)


def _fields_at(model: type[BaseModel], loc: tuple) -> list[str]:
    import typing

    current = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(str(part))
        if field is None:
            return []
        cands = [field.annotation, *typing.get_args(field.annotation)]
        cands += [a for c in cands for a in typing.get_args(c)]
        nested = [c for c in cands if isinstance(c, type) and issubclass(c, BaseModel)]
        if not nested:
            return []
        current = nested[0]
    return list(current.model_fields)
