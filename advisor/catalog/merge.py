"""Layers (built-in, then overlays in order) merged by id: last wins; provenance recorded."""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor.catalog.validate import ParsedFile, Site
from advisor.domain import KINDS, Entry
from advisor.errors import Problem


@dataclass
class Layer:
    """One source the user named (or the built-in catalog) and the files it holds."""

    label: str
    files: list[ParsedFile] = field(default_factory=list)


@dataclass
class Merged:
    """The merged entries with where each came from; problems of the merge itself."""

    entries: dict[str, dict[str, Entry]] = field(default_factory=lambda: {k: {} for k in KINDS})
    sites: dict[tuple[str, str], Site] = field(default_factory=dict)
    provenance: dict[tuple[str, str], str] = field(default_factory=dict)
    failed_ids: dict[str, set[str]] = field(default_factory=lambda: {k: set() for k in KINDS})
    defaults_raw: dict | None = None
    defaults_site: Site | None = None
    layers: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def merge(layers: list[Layer]) -> Merged:
    """Later layers replace earlier entries with the same (kind, id); [defaults] merge key by key.

    Within one layer an id may appear only once per kind (a folder's files are one layer).
    """
    out = Merged()
    for layer in layers:
        out.layers.append(layer.label)
        in_layer: dict[tuple[str, str], Site] = {}
        for parsed in layer.files:
            for kind, items in parsed.entries.items():
                table = KINDS[kind][0]
                for entry, site in items:
                    key = (kind, entry.id)
                    if key in in_layer and in_layer[key].file != site.file:
                        first = in_layer[key]
                        where = first.file + (f":{first.line}" if first.line else "")
                        out.problems.append(Problem(
                            site.file, f'{table} "{entry.id}"',
                            f"duplicate id {entry.id!r}: also defined at {where} in the same layer",
                            site.line,
                        ))
                        continue
                    in_layer[key] = site
                    out.entries[kind][entry.id] = entry
                    out.sites[key] = site
                    out.provenance[key] = layer.label
                out.failed_ids[kind] |= parsed.failed_ids[kind]
            if parsed.defaults_raw is not None:
                out.defaults_raw = {**(out.defaults_raw or {}), **parsed.defaults_raw}
                out.defaults_site = parsed.defaults_site
    return out
