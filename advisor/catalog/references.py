"""Cross references between merged entries: every id named must exist (with did-you-mean)."""

from __future__ import annotations

from advisor.catalog.merge import Merged
from advisor.catalog.words import did_you_mean
from advisor.domain import KINDS, normalise_id
from advisor.errors import Problem, echo

# (kind holding the reference, field, kind referred to)
REFERENCES: tuple[tuple[str, str, str], ...] = (
    ("systems", "accelerator", "accelerators"),
    ("accelerators", "ecosystem", "ecosystems"),
    ("benchmarks", "accelerator", "accelerators"),
    ("benchmarks", "model", "models"),
    ("benchmarks", "relative_to", "benchmarks"),
    ("prices", "system", "systems"),
    ("prices", "accelerator", "accelerators"),
)


def _known(merged: Merged, kind: str) -> set[str]:
    """Ids that exist, plus ids whose entries failed validation (no cascade of problems)."""
    names = set(merged.entries[kind]) | merged.failed_ids[kind]
    if kind == "models":  # benchmarks name models as published; aliases count
        names |= {a for entry in merged.entries[kind].values() for a in entry.aliases}
    return names


def check_references(merged: Merged) -> list[Problem]:
    problems = []
    for kind, field_name, target in REFERENCES:
        known = _known(merged, target)
        table, target_table = KINDS[kind][0], KINDS[target][0]
        choices: list[str] | None = None
        for ident, entry in merged.entries[kind].items():
            ref = getattr(entry, field_name, None)
            if ref is None:
                continue
            probe = normalise_id(ref) if target == "models" else ref
            if probe in known:
                continue
            site = merged.sites[(kind, ident)]
            if choices is None:
                choices = sorted(merged.entries[target]) + (
                    sorted(a for e in merged.entries[target].values() for a in e.aliases) if target == "models" else []
                )
            hint = did_you_mean(ref, choices)
            problems.append(Problem(
                site.file, f"{table} {echo(ident, 60)} > {field_name}".replace("'", '"'),
                f"no {target_table} with id {echo(ref)}.{hint}", site.line_of(field_name),
            ))
    return problems
