"""Reading the user's documents (workload, fleets, sweep files) and the catalog.

`read_*` return a `Loaded` (the document, where it came from, its text) so that later checks,
such as unknown model or system ids, can name file, line and key; `load_*` return the document.
The fleet and sweep models are imported by the functions that read them, so `recommend` does not pay for them.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel

from advisor.catalog.documents import apply_sets_traced, blame_sets, load_document, read_document, validate_data
from advisor.catalog.load import load_catalog as _load_catalog
from advisor.catalog.parse import path_problem
from advisor.catalog.locate import Locator
from advisor.domain import Catalog
from advisor.domain.workload import Workload
from advisor.errors import InputError, Problem, display_path

if TYPE_CHECKING:
    from advisor.domain.fleet import FleetsFile, SweepFile

T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True)
class Loaded(Generic[T]):
    """A validated document, the origin its messages name (a path, or "<fleets>" for a dict) and its TOML text."""

    value: T
    origin: str | None = None
    text: str = ""
    sets: dict[str, str] = dataclasses.field(default_factory=dict)
    """{dotted key: the --set argument that wrote it}: problems with those values name the argument, not a line."""


def load_catalog(overlays: Sequence[str | Path] = (), *, strict: bool = False,
                 allow_http: bool = False) -> tuple[Catalog, list[Problem]]:
    """The built-in catalog merged with overlays (files, folders, URLs), last wins by id.

    Returns the catalog and its lint warnings; raises CatalogError with every problem.
    """
    return _load_catalog(overlays, strict=strict, allow_http=allow_http)


# --- workloads --------------------------------------------------------------------------------

def read_workload(path: str | Path, *, sets: Sequence[str] = ()) -> Loaded[Workload]:
    origin, text, data = read_document(path)
    data, written = apply_sets_traced(data, list(sets)) if sets else (data, {})
    try:
        value = validate_data(data, Workload, origin=origin, text=text)
    except InputError as exc:
        raise InputError(blame_sets(exc.problems, written), exc.summary) from None
    return Loaded(value, origin, text, written)


def load_workload(path: str | Path, *, sets: Sequence[str] = ()) -> Workload:
    """A workload TOML file (with --set overrides) as a domain Workload; InputError on problems."""
    return read_workload(path, sets=sets).value


def workload_from_dict(data: dict[str, Any], *, sets: Sequence[str] = (), origin: str = "<workload>") -> Workload:
    return validate_data(dict(data), Workload, origin=origin, sets=list(sets))


def _as(obj: object, model: type[T], read: Callable[[str | Path], Loaded[T]], origin: str) -> Loaded[T]:
    """Any accepted form of a document (Loaded, the model, a path, a dict) as a Loaded one."""
    if isinstance(obj, Loaded):
        return obj
    if isinstance(obj, model):
        return Loaded(obj)
    if isinstance(obj, (str, Path)):
        return read(obj)
    if not isinstance(obj, dict):
        raise TypeError(f"expected a {model.__name__}, a path or a dict, got {type(obj).__name__}")
    return Loaded(validate_data(dict(obj), model, origin=origin), origin)


def as_workload(workload: Workload | Loaded[Workload] | str | Path | dict[str, Any]) -> Loaded[Workload]:
    return _as(workload, Workload, read_workload, "<workload>")


# --- fleets and sweeps ------------------------------------------------------------------------

def _read_with_refs(path: str | Path, model: type[T], sets: Sequence[str],
                    ref_keys: dict[str, Callable[[Path, list[str]], object]]) -> Loaded[T]:
    """Read a TOML document whose `workload` (or `fleets`) key may be a path relative to it."""
    p = Path(path)
    origin, text, data = read_document(p)
    own_sets: list[str] = []
    forwarded: dict[str, list[str]] = {k: [] for k in ref_keys}
    for s in sets:
        head = s.split("=", 1)[0].strip().split(".")[0]
        if head in ref_keys and isinstance(data.get(head), str):
            forwarded[head].append(s.split(".", 1)[1] if "." in s.split("=", 1)[0] else s)
        else:
            own_sets.append(s)
    data, written = apply_sets_traced(data, own_sets) if own_sets else (data, {})
    for key, loader in ref_keys.items():
        ref = data.get(key)
        if isinstance(ref, str):
            target = (p.parent / ref) if not Path(ref).is_absolute() else Path(ref)
            bad = path_problem(target, origin)
            if bad is not None:
                raise InputError([Problem(origin, key, bad.message, Locator(text).top_level_line(key))])
            if not target.is_file():
                line = Locator(text).top_level_line(key)
                raise InputError([Problem(origin, key, f"{ref!r} not found (looked for {display_path(target)})", line)])
            data[key] = loader(target, forwarded[key])
    try:
        obj = validate_data(data, model, origin=origin, text=text)
    except InputError as exc:
        raise InputError(blame_sets([_relocate(pr, text) for pr in exc.problems], written), exc.summary) from None
    return Loaded(obj, origin, text, written)


def nested_line(text: str, outer: str, i: int, inner: str, j: int, key: str | None) -> int | None:
    """Line of `key` in the j-th [[outer.inner]] of the i-th [[outer]] (nested arrays of tables)."""
    loc = Locator(text)
    heads = loc.headers
    outer_lines = [n for n, name, arr in heads if arr and name == outer]
    if i >= len(outer_lines):
        return None
    start = outer_lines[i]
    end = next((n for n in outer_lines if n > start), len(loc.lines) + 1)
    inner_lines = [n for n, name, arr in heads if arr and name == f"{outer}.{inner}" and start < n < end]
    if j >= len(inner_lines):
        return start
    head = inner_lines[j]
    stop = next((n for n, _, _ in heads if n > head), len(loc.lines) + 1)
    if key:
        pat = re.compile(rf"""^\s*["']?{re.escape(key)}["']?\s*=""")
        for n in range(head + 1, stop):
            if pat.match(loc.lines[n - 1]):
                return n
    return head


def _relocate(problem: Problem, text: str) -> Problem:
    """Sharper lines for keys inside nested arrays of tables (fleets[i].members[j].key)."""
    if not problem.key:
        return problem
    m = re.match(r"^fleets\[(\d+)\]\.members\[(\d+)\](?:\.(\w+))?", problem.key)
    if m:
        line = nested_line(text, "fleets", int(m.group(1)), "members", int(m.group(2)), m.group(3))
        return dataclasses.replace(problem, line=line or problem.line)
    return problem


def _workload_ref(target: Path, sets: list[str]) -> Workload:
    return load_document(target, Workload, sets=sets)


def read_fleets(path: str | Path, *, sets: Sequence[str] = ()) -> Loaded[FleetsFile]:
    """A fleets TOML file; `workload = "x.toml"` is read relative to it, `workload.<key>=...` sets reach it."""
    from advisor.domain.fleet import FleetsFile

    return _read_with_refs(path, FleetsFile, sets, {"workload": _workload_ref})


def load_fleets(path: str | Path, *, sets: Sequence[str] = ()) -> FleetsFile:
    """A fleets TOML file as domain.fleet.FleetsFile (see read_fleets)."""
    return read_fleets(path, sets=sets).value


def as_fleets(fleets: FleetsFile | Loaded[FleetsFile] | str | Path | dict[str, Any]) -> Loaded[FleetsFile]:
    from advisor.domain.fleet import FleetsFile

    return _as(fleets, FleetsFile, read_fleets, "<fleets>")


def read_sweep(path: str | Path, *, sets: Sequence[str] = ()) -> Loaded[SweepFile]:
    """A sweep TOML file (workload or fleets given inline or by path)."""
    from advisor.domain.fleet import SweepFile

    return _read_with_refs(path, SweepFile, sets, {
        "workload": _workload_ref,
        "fleets": lambda t, s: load_fleets(t, sets=s),
    })


def load_sweep(path: str | Path, *, sets: Sequence[str] = ()) -> SweepFile:
    """A sweep TOML file as domain.fleet.SweepFile (see read_sweep)."""
    return read_sweep(path, sets=sets).value


def as_sweep(sweep: SweepFile | Loaded[SweepFile] | str | Path | dict[str, Any]) -> Loaded[SweepFile]:
    from advisor.domain.fleet import SweepFile

    return _as(sweep, SweepFile, read_sweep, "<sweep>")
