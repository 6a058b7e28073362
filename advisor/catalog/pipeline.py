"""The validation pipeline: sources -> per-file validation -> merge -> references -> defaults -> lint.

`collect` runs it in full and gathers every problem. `load.load_catalog` calls it only when no
valid snapshot of the same inputs exists (catalog/snapshot.py), so a warm run imports none of this.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from advisor.catalog import sources
from advisor.catalog.lint import lint
from advisor.catalog.merge import Layer, Merged, merge
from advisor.catalog.parse import read_text
from advisor.catalog.references import check_references
from advisor.catalog.validate import problems_from_error, validate_text
from advisor.domain import Catalog, Defaults
from advisor.errors import Problem, display_path


@dataclass
class Outcome:
    """What one load found: the catalog (None when there are errors), errors, warnings."""

    catalog: Catalog | None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    files_by_layer: dict[str, set[str]] = field(default_factory=dict)


def _read_layer(label: str, files: list[Path]) -> Layer:
    layer = Layer(label)
    for path in files:
        origin = display_path(path)
        text, problems = read_text(path, origin)
        if text is None:
            parsed = validate_text("", origin)
            parsed.problems.extend(problems)
        else:
            parsed = validate_text(text, origin)
        layer.files.append(parsed)
    return layer


def _defaults(merged: Merged) -> tuple[Defaults | None, list[Problem]]:
    if merged.defaults_raw is None:
        where = merged.layers[-1] if merged.layers else None
        return None, [Problem(None, "defaults", f"no [defaults] table in any catalog layer ({', '.join(merged.layers) or where})")]
    site = merged.defaults_site
    assert site is not None, "a layer that gives [defaults] also gives where they are written"
    try:
        return Defaults.model_validate(merged.defaults_raw, strict=True), []
    except ValidationError as exc:
        def locate(loc):
            return site.line_of(loc[0]) if loc and isinstance(loc[0], str) else site.line

        problems = problems_from_error(exc, Defaults, origin=site.file, label="defaults", locate=locate)
        return None, problems


def collect(
    overlays: Sequence[str | Path] = (), *, strict: bool = False, resolve_url: Callable[[str], Path] | None = None,
    builtin: bool = True, quiet_builtin_seeds: bool = False,
) -> Outcome:
    """Load everything and collect every problem; raises only for a source it cannot reach.

    `resolve_url` turns a catalog URL into a validated local file (load.resolve_url); without it
    a URL overlay is a problem.

    With `quiet_builtin_seeds`, lint on the built-in catalog's `calibrate = false` points
    (known, deliberately kept seed claims) is not reported; `catalog validate` reports it.
    """
    layers: list[Layer] = []
    problems: list[Problem] = []
    if builtin:
        files, missing = sources.builtin_files()
        problems += missing
        layers.append(_read_layer(sources.BUILTIN_LABEL, files))
    for source in overlays:
        label, files, missing = sources.overlay_files(source, resolve_url=resolve_url)
        problems += missing
        layers.append(_read_layer(label, files))
    for layer in layers:
        for parsed in layer.files:
            problems += parsed.problems
    merged = merge(layers)
    problems += merged.problems
    problems += check_references(merged)
    defaults, bad_defaults = _defaults(merged)
    problems += bad_defaults

    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity != "error"]
    for finding in lint(merged):
        if quiet_builtin_seeds and not finding.escalate and merged.provenance.get(finding.entry) == sources.BUILTIN_LABEL:
            continue
        if strict and finding.escalate:
            p = finding.problem
            errors.append(Problem(p.file, p.key, p.message, p.line, severity="error"))
        else:
            warnings.append(finding.problem)

    files_by_layer = {layer.label: {f.file for f in layer.files} for layer in layers}
    if errors or defaults is None:
        return Outcome(None, errors, warnings, files_by_layer)
    catalog = Catalog(
        entries=merged.entries, defaults=defaults, provenance=merged.provenance, layers=tuple(merged.layers),
    )
    return Outcome(catalog, errors, warnings, files_by_layer)
