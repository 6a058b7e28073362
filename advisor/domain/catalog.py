"""The validated, merged catalog, with lookups by id or alias and provenance."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from advisor.domain.base import Entry, normalise_id
from advisor.domain.hardware import Accelerator, System
from advisor.domain.llm import LLM
from advisor.domain.measured import BenchmarkPoint
from advisor.domain.pricing import Defaults, PricePoint
from advisor.domain.software import Ecosystem
from advisor.errors import close_matches, did_you_mean

KINDS: dict[str, tuple[str, type[Entry]]] = {
    # kind (plural, CLI) -> (TOML table name, model)
    "accelerators": ("accelerator", Accelerator),
    "systems": ("system", System),
    "ecosystems": ("ecosystem", Ecosystem),
    "models": ("model", LLM),
    "benchmarks": ("benchmark", BenchmarkPoint),
    "prices": ("price", PricePoint),
}
TABLE_TO_KIND = {table: kind for kind, (table, _) in KINDS.items()}


class LookupError_(KeyError):
    """An id that names nothing; carries the close matches among `choices` (ids and aliases)."""

    def __init__(self, kind: str, ident: str, choices: Iterable[str]) -> None:
        key, choices = normalise_id(ident), list(choices)
        self.kind, self.ident = kind, ident
        self.suggestions = close_matches(key, choices, n=3, cutoff=0.5)
        super().__init__(f"no {kind[:-1]} with id {ident!r}.{did_you_mean(key, choices, n=3, cutoff=0.5)}")

    def __str__(self) -> str:  # KeyError quotes its arg; we want plain text
        return str(self.args[0])


@dataclass(frozen=True)
class Catalog:
    """Entries by kind and id, the defaults, and which layer each entry came from."""

    entries: dict[str, dict[str, Entry]]
    defaults: Defaults
    provenance: dict[tuple[str, str], str] = field(default_factory=dict)
    layers: tuple[str, ...] = ()

    # typed views -------------------------------------------------------
    # `entries` maps each kind to entries of that kind's model (KINDS), which a dict keyed by a
    # runtime kind string cannot say to mypy: the ignore[return-value] below narrow Entry to it.
    @property
    def accelerators(self) -> dict[str, Accelerator]:
        return self.entries["accelerators"]  # type: ignore[return-value]

    @property
    def systems(self) -> dict[str, System]:
        return self.entries["systems"]  # type: ignore[return-value]

    @property
    def ecosystems(self) -> dict[str, Ecosystem]:
        return self.entries["ecosystems"]  # type: ignore[return-value]

    @property
    def models(self) -> dict[str, LLM]:
        return self.entries["models"]  # type: ignore[return-value]

    @property
    def benchmarks(self) -> dict[str, BenchmarkPoint]:
        return self.entries["benchmarks"]  # type: ignore[return-value]

    @property
    def prices(self) -> dict[str, PricePoint]:
        return self.entries["prices"]  # type: ignore[return-value]

    # lookups -----------------------------------------------------------
    def get(self, kind: str, ident: str) -> Entry:
        """An entry by id or alias, any case, hyphens or underscores."""
        table = self.entries[kind]
        if ident in table:  # the common case: an id as the catalog spells it
            return table[ident]
        key = normalise_id(ident)
        if key in table:
            return table[key]
        for entry in table.values():
            if key in entry.aliases:
                return entry
        names = list(table) + [a for e in table.values() for a in e.aliases]
        raise LookupError_(kind, ident, names)

    def find(self, ident: str) -> tuple[str, Entry]:
        """An entry of any kind by id or alias (first kind that has it)."""
        errors = []
        for kind in KINDS:
            try:
                return kind, self.get(kind, ident)
            except LookupError_ as exc:
                errors.extend(exc.suggestions)
        raise LookupError_("entrys", ident, errors)

    def accelerator(self, ident: str) -> Accelerator:
        return self.get("accelerators", ident)  # type: ignore[return-value]

    def system(self, ident: str) -> System:
        return self.get("systems", ident)  # type: ignore[return-value]

    def model(self, ident: str) -> LLM:
        return self.get("models", ident)  # type: ignore[return-value]

    def ecosystem(self, ident: str) -> Ecosystem:
        return self.get("ecosystems", ident)  # type: ignore[return-value]

    def default_system(self, accelerator_id: str) -> System:
        acc = self.accelerator(accelerator_id)
        candidates = [s for s in self.systems.values() if s.accelerator == acc.id]
        if not candidates:
            raise LookupError_("systems", f"(a system holding {acc.id})", [])
        for s in candidates:
            if s.default:
                return s
        return candidates[0]

    def system_or_accelerator(self, ident: str) -> System:
        """A system by id, or the default system of an accelerator id."""
        try:
            return self.system(ident)
        except LookupError_ as sys_err:
            try:
                return self.default_system(ident)
            except LookupError_:
                raise sys_err from None

    def prices_for(self, system: System) -> list[PricePoint]:
        return [
            p for p in self.prices.values()
            if p.system == system.id or (p.system is None and p.accelerator == system.accelerator)
        ]

    def source_of(self, kind: str, ident: str) -> str:
        return self.provenance.get((kind, ident), "built-in")
