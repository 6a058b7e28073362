"""Ids the user wrote (models, systems) checked against the catalog: file:line:key and did-you-mean for each miss."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from advisor.api.loading import Loaded, nested_line
from advisor.catalog.documents import blame_sets
from advisor.catalog.locate import Locator
from advisor.domain import LLM, Catalog, System
from advisor.domain.catalog import LookupError_
from advisor.domain.workload import Workload
from advisor.errors import InputError, Problem, UnknownIdError, did_you_mean, echo

if TYPE_CHECKING:  # annotations only: recommend does not import the fleet models
    from advisor.domain.fleet import FleetsFile, SweepFile

SYSTEM = "system or accelerator"


def _choices(catalog: Catalog, kind: str) -> list[str]:
    if kind == SYSTEM:
        return [*catalog.systems, *catalog.accelerators]
    return list(catalog.models)


def unknown(catalog: Catalog, kind: str, ident: str) -> str:
    """The message for an id that names nothing (echoed id cut to 80 characters)."""
    return f"no {kind} with id {echo(ident)}.{did_you_mean(ident, _choices(catalog, kind), n=3)}"


def system(catalog: Catalog, ident: str) -> System:
    """A system (or an accelerator's default system) named on the command line; UnknownIdError (exit 2)."""
    try:
        return catalog.system_or_accelerator(ident)
    except LookupError_:
        raise UnknownIdError(SYSTEM, ident, _choices(catalog, SYSTEM)) from None


def model(catalog: Catalog, ident: str) -> LLM:
    try:
        return catalog.model(ident)
    except LookupError_:
        raise UnknownIdError("model", ident, _choices(catalog, "model")) from None


def _raise(problems: list[Problem]) -> None:
    if problems:
        raise InputError(problems)


def _class_problems(catalog: Catalog, wl: Workload, origin: str | None, text: str, prefix: str) -> Iterable[Problem]:
    loc = Locator(text) if text else None
    for k, tc in enumerate(wl.classes):
        try:
            catalog.model(tc.model)
        except LookupError_:
            line = None
            if loc is not None:
                line = (loc.key_line("classes", k, ("model",)) if not prefix
                        else loc.top_level_line(prefix.rstrip(".")))
            yield Problem(origin, f"{prefix}classes[{k}].model", unknown(catalog, "model", tc.model), line)


def _system_problems(catalog: Catalog, wl: Workload, origin: str | None, text: str, prefix: str) -> Iterable[Problem]:
    loc = Locator(text) if text else None
    for k, sid in enumerate(wl.procurement.systems):
        try:
            catalog.system_or_accelerator(sid)
        except LookupError_:
            line = None
            if loc is not None:
                line = (loc.key_line("procurement", None, ("systems",)) if not prefix
                        else loc.top_level_line(prefix.rstrip(".")))
            yield Problem(origin, f"{prefix}procurement.systems[{k}]", unknown(catalog, SYSTEM, sid), line)


def rental_tiers(catalog: Catalog) -> list[str]:
    """Every tier of an hourly price in the catalog (what procurement.price_tier may name)."""
    return sorted({p.tier for p in catalog.prices.values() if p.unit == "per_gpu_hour"})


def regions(catalog: Catalog) -> list[str]:
    """Regions a workload may name: the catalog defaults' list and every region a system is sold or blocked in."""
    out = {r.lower() for r in catalog.defaults.regions}
    for s in catalog.systems.values():
        out |= {r.lower() for r in (*s.regions, *s.excluded_regions)}
    return sorted(out)


def _choice_problems(catalog: Catalog, wl: Workload, origin: str | None, text: str, prefix: str) -> Iterable[Problem]:
    """datacenter.region and procurement.price_tier name a known region / a rental tier of the catalog's prices."""
    loc = Locator(text) if text else None
    checks = [("datacenter", "region", wl.datacenter.region, regions(catalog), "region"),
              ("procurement", "price_tier", wl.procurement.price_tier, rental_tiers(catalog), "rental price tier")]
    for table, key, value, choices, kind in checks:
        if value is None or value.lower() in choices:
            continue
        line = None
        if loc is not None:
            line = loc.key_line(table, None, (key,)) if not prefix else loc.top_level_line(prefix.rstrip("."))
        yield Problem(origin, f"{prefix}{table}.{key}",
                      f"no {kind} {echo(value)}.{did_you_mean(value, choices, n=3)} (known: {', '.join(choices)})", line)


def check_workload(catalog: Catalog, doc: Loaded[Workload]) -> None:
    """Every class model, procurement system, region and price tier of a workload names a catalog entry, else InputError."""
    wl = doc.value
    _raise(blame_sets([*_class_problems(catalog, wl, doc.origin, doc.text, ""),
                       *_system_problems(catalog, wl, doc.origin, doc.text, ""),
                       *_choice_problems(catalog, wl, doc.origin, doc.text, "")], doc.sets))


def fleet_problems(catalog: Catalog, ff: FleetsFile, origin: str | None, text: str) -> list[Problem]:
    problems = []
    for i, f in enumerate(ff.fleets):
        for j, m in enumerate(f.members):
            try:
                catalog.system_or_accelerator(m.system)
            except LookupError_:
                line = nested_line(text, "fleets", i, "members", j, "system") if text else None
                problems.append(Problem(origin, f"fleets[{i}].members[{j}].system",
                                        f"fleet {echo(f.name)}: {unknown(catalog, SYSTEM, m.system)}", line))
    problems += _class_problems(catalog, ff.workload, origin, text, "workload.")
    problems += _choice_problems(catalog, ff.workload, origin, text, "workload.")
    return problems


def check_fleets(catalog: Catalog, doc: Loaded[FleetsFile]) -> None:
    """Every member system and class model of a fleets file names a catalog entry, else InputError."""
    _raise(fleet_problems(catalog, doc.value, doc.origin, doc.text))


def check_sweep(catalog: Catalog, doc: Loaded[SweepFile]) -> SweepFile:
    """Ids of a sweep file (axis systems, the workload's or fleets' ids); returns it with axis aliases resolved to ids."""
    sw = doc.value
    loc = Locator(doc.text) if doc.text else None
    problems, axes = [], []
    for i, ax in enumerate(sw.axes):
        if ax.system is None:
            axes.append(ax)
            continue
        try:
            s = catalog.system_or_accelerator(ax.system)
        except LookupError_:
            line = loc.key_line("axes", i, ("system",)) if loc is not None else None
            problems.append(Problem(doc.origin, f"axes[{i}].system", unknown(catalog, SYSTEM, ax.system), line))
            axes.append(ax)
            continue
        axes.append(ax if ax.system in (s.id, s.accelerator) else ax.model_copy(update={"system": s.id}))
    if sw.fleets is not None:
        # a fleets file given by path was checked for its own syntax; its ids are named by key here
        line = loc.top_level_line("fleets") if loc is not None else None
        problems += [Problem(doc.origin, f"fleets > {p.key}", p.message, line) for p in fleet_problems(catalog, sw.fleets, None, "")]
    else:
        problems += _class_problems(catalog, sw.base_workload, doc.origin, doc.text, "workload.")
        problems += _system_problems(catalog, sw.base_workload, doc.origin, doc.text, "workload.")
        problems += _choice_problems(catalog, sw.base_workload, doc.origin, doc.text, "workload.")
    _raise(problems)
    return sw.model_copy(update={"axes": axes}) if axes != list(sw.axes) else sw
