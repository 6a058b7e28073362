"""One file's parsed TOML -> domain entries, with every problem named by file, line and key.

Validation runs per file, before merging, so each problem points into the file it is in.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ValidationError

from advisor.catalog.locate import Locator
from advisor.catalog.parse import parse_toml, read_text
from advisor.catalog.words import did_you_mean, message_for, show_value, type_words
from advisor.domain import KINDS, Defaults, Entry
from advisor.errors import CatalogError, Problem, echo

TABLE_KIND = {table: kind for kind, (table, _) in KINDS.items()}
DEFAULTS_TABLE = "defaults"
KNOWN_TABLES = (*TABLE_KIND, DEFAULTS_TABLE)


@dataclass(frozen=True)
class Site:
    """Where one entry is written: file, header line, and the lines of its top-level keys.

    A key's line is looked up in the text when a message first asks for it (`locate`), not for
    every key of every entry up front: that was ~40% of a full catalog validation.
    """

    file: str
    line: int | None
    keys: frozenset[str] = frozenset()
    """The entry's top-level keys, as written."""
    locate: Callable[[tuple[str, ...]], int | None] | None = field(default=None, compare=False, repr=False)
    """(key,) -> its line in the file (the header line when not found)."""
    _lines: dict[str, int | None] = field(default_factory=dict, compare=False, repr=False)

    def line_of(self, key: str) -> int | None:
        """The line of a top-level key of this entry; the header line for a key it does not write."""
        if key not in self.keys or self.locate is None:
            return self.line
        if key not in self._lines:
            self._lines[key] = self.locate((key,))
        return self._lines[key]


@dataclass
class ParsedFile:
    """Everything one file contributed: valid entries, defaults, and problems."""

    file: str
    entries: dict[str, list[tuple[Entry, Site]]] = field(default_factory=lambda: {k: [] for k in KINDS})
    defaults_raw: dict | None = None
    defaults_site: Site | None = None
    defaults: Defaults | None = None
    failed_ids: dict[str, set[str]] = field(default_factory=lambda: {k: set() for k in KINDS})
    problems: list[Problem] = field(default_factory=list)


def entry_label(table: str, raw, index: int | None) -> str:
    """`accelerator "amd_mi300x"`, or `accelerator #3` when the entry has no usable id."""
    if index is None:
        return f"[{table}]"
    ident = raw.get("id") if isinstance(raw, dict) else None
    if isinstance(ident, str) and ident:
        return f'{table} "{ident}"' if len(ident) <= 60 else f"{table} {echo(ident, 60)}"
    return f"{table} #{index + 1}"


def key_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if part == "[key]":
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = str(part)
            out += ("." if out else "") + (text if len(text) <= 60 else text[:59] + "…")
    return out


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The nested model that holds the last element of `loc`."""
    current: type[BaseModel] = model
    for part in loc:
        if not isinstance(part, str) or part not in current.model_fields:
            return None
        annotation = current.model_fields[part].annotation
        candidates = [annotation, *typing.get_args(annotation)]
        nested = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if not nested:
            return None
        current = nested[0]
    return current


def problems_from_error(
    exc: ValidationError, model: type[BaseModel], *, origin: str, label: str,
    locate, skip_missing: bool = False,
) -> list[Problem]:
    """One Problem per pydantic error, in TOML words, at the line `locate(loc)` finds."""
    out = []
    for error in exc.errors(include_url=False):
        loc = tuple(error.get("loc", ()))
        kind = error.get("type", "")
        if kind == "missing" and skip_missing:
            continue
        name = loc[-1] if loc else ""
        holder = _model_at(model, loc[:-1]) if loc else model
        if kind == "extra_forbidden":
            choices = list(holder.model_fields) if holder else []
            message = f"unknown key {echo(str(name))}.{did_you_mean(str(name), choices)}"
            line = locate(loc)
        elif kind == "missing":
            expected = ""
            if holder and name in holder.model_fields:
                expected = f" (expected {type_words(holder.model_fields[name].annotation)})"
            message = f"missing required field {name!r}{expected}"
            line = locate(loc[:-1])
        else:
            message = message_for(error)
            if loc and "input" in error:
                message += f", got {show_value(error['input'])}"
            line = locate(loc)
        path = key_path(loc)
        key = f"{label} > {path}" if path else label
        out.append(Problem(origin, key, message, line))
    return out


def validate_text(text: str, origin: str) -> ParsedFile:
    """Parse and validate one catalog file's text; never raises for bad content."""
    result = ParsedFile(origin)
    data, syntax = parse_toml(text, origin)
    if data is None:
        result.problems.extend(syntax)
        return result
    where = Locator(text)
    for name, value in data.items():
        if name in TABLE_KIND:
            _validate_array(result, where, name, value)
        elif name == DEFAULTS_TABLE:
            _validate_defaults(result, where, value)
        else:
            short = echo(name)[1:-1] if len(name) > 60 else name
            shape = f"[[{short}]]" if isinstance(value, list) else f"[{short}]" if isinstance(value, dict) else short
            what = "table" if isinstance(value, (list, dict)) else "top-level key"
            hint = did_you_mean(name, KNOWN_TABLES)
            if not hint:
                hint = " Catalog files hold [[" + "]], [[".join(TABLE_KIND) + "]] and [defaults]."
            result.problems.append(
                Problem(origin, shape, f"unknown {what} {echo(name)}.{hint}", where.top_level_line(name))
            )
    _check_duplicates(result)
    return result


def _validate_array(result: ParsedFile, where: Locator, table: str, value) -> None:
    kind = TABLE_KIND[table]
    model = KINDS[kind][1]
    origin = result.file
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        result.problems.append(Problem(
            origin, f"[{table}]",
            f"'{table}' must be an array of tables: write [[{table}]] once per entry, not [{table}]",
            where.top_level_line(table),
        ))
        return
    for index, raw in enumerate(value):
        label = entry_label(table, raw, index)

        def locate(loc, _index=index):
            return where.key_line(table, _index, loc)

        try:
            entry = model.model_validate(raw, strict=True)
        except ValidationError as exc:
            result.problems.extend(problems_from_error(exc, model, origin=origin, label=label, locate=locate))
            if isinstance(raw.get("id"), str):
                result.failed_ids[kind].add(raw["id"])
            continue
        site = Site(origin, locate(()), frozenset(raw), locate)
        result.entries[kind].append((entry, site))


def _validate_defaults(result: ParsedFile, where: Locator, value) -> None:
    origin = result.file
    if not isinstance(value, dict):
        result.problems.append(Problem(
            origin, "[[defaults]]", "'defaults' must be a single table: write [defaults], not [[defaults]]",
            where.top_level_line(DEFAULTS_TABLE),
        ))
        return

    def locate(loc):
        return where.key_line(DEFAULTS_TABLE, None, loc)

    result.defaults_raw = value
    result.defaults_site = Site(origin, locate(()), frozenset(value), locate)
    try:
        result.defaults = Defaults.model_validate(value, strict=True)
    except ValidationError as exc:
        # An overlay may set only some defaults; completeness is checked after merging.
        problems = problems_from_error(exc, Defaults, origin=origin, label="defaults", locate=locate, skip_missing=True)
        result.problems.extend(problems)
        if problems:
            result.defaults_raw = None


def _check_duplicates(result: ParsedFile) -> None:
    for kind, items in result.entries.items():
        table = KINDS[kind][0]
        first: dict[str, Site] = {}
        kept = []
        for entry, site in items:
            if entry.id in first:
                result.problems.append(Problem(
                    result.file, f'{table} "{entry.id}"',
                    f"duplicate id {entry.id!r}: also defined at line {first[entry.id].line} of this file",
                    site.line,
                ))
                continue
            first[entry.id] = site
            kept.append((entry, site))
        result.entries[kind] = kept


def parse_catalog_text(text: str, origin: str) -> tuple[dict[str, list[Entry]], Defaults | None, list[Problem]]:
    """Validate one catalog file's text without touching disk.

    Returns entries by kind (the plural kind names of `domain.KINDS`), the file's
    `[defaults]` if it is complete, and every problem (syntax, schema, duplicate ids).
    Cross references and lint need the merged catalog and are not checked here.
    """
    parsed = validate_text(text, origin)
    entries = {kind: [entry for entry, _ in items] for kind, items in parsed.entries.items()}
    return entries, parsed.defaults, parsed.problems


def check_file(temp: Path, url: str) -> list[str]:
    """The per-file rules only (UTF-8, guarded TOML, schema, duplicate ids); CatalogError if broken.

    The loader passes a fuller `check` (the file as an overlay on the built-in catalog,
    cross-references included); this is the fallback when none is given.
    """
    text, problems = read_text(temp, url)
    if text is None:
        raise CatalogError(problems, summary=rejected(url, len(problems)))
    _entries, _defaults, problems = parse_catalog_text(text, url)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise CatalogError(errors, summary=rejected(url, len(errors)))
    return []


def rejected(url: str, n: int) -> str:
    return f"{n} problem{'s' * (n != 1)} in {url}; it was not cached (any cached copy is unchanged)"
