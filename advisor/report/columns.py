"""The columns of each kind of catalog entry: one definition, used by `advisor catalog list` and the TUI browser.

A column is a header (with its unit), where its value comes from, and whether it is a
number (right-aligned). A path is a dotted field path (`dense_tflops.fp8`) or a derived
value (`:layer`, `:cooling`, `:target`). Estimated values are marked with a `*`.
"""

from __future__ import annotations

from typing import NamedTuple

from advisor.report.format import text


class Column(NamedTuple):
    header: str
    path: str
    numeric: bool


ESTIMATED_MARK = "*"

CATALOG_COLUMNS: dict[str, tuple[Column, ...]] = {
    "accelerators": (
        Column("id", "id", False), Column("vendor", "vendor", False), Column("memory_gb", "memory_gb", True),
        Column("mem_bw_tb_s", "mem_bw_tb_s", True), Column("bf16_tflops", "dense_tflops.bf16", True),
        Column("fp8_tflops", "dense_tflops.fp8", True), Column("fp4_tflops", "dense_tflops.fp4", True),
        Column("tdp_watts", "tdp_watts", True), Column("scale_up_domain", "scale_up_domain", True),
        Column("ecosystem", "ecosystem", False), Column("cooling", ":cooling", False), Column("layer", ":layer", False),
    ),
    "systems": (
        Column("id", "id", False), Column("accelerator", "accelerator", False), Column("kind", "kind", False),
        Column("accelerators_per_system", "accelerators_per_system", True), Column("system_kw", "system_kw", True),
        Column("cooling", "cooling", False), Column("default", "default", False),
        Column("procurement", "procurement", False), Column("layer", ":layer", False),
    ),
    "ecosystems": (
        Column("id", "id", False), Column("vendor", "vendor", False), Column("frameworks", "frameworks", False),
        Column("precisions", "precisions", False), Column("day0_fraction", "maturity.day0_fraction", True),
        Column("days_to_mature", "maturity.days_to_mature", True), Column("risk", "risk", True),
        Column("layer", ":layer", False),
    ),
    "models": (
        Column("id", "id", False), Column("developer", "developer", False),
        Column("architecture", "architecture", False), Column("total_params_b", "total_params_b", True),
        Column("active_params_b", "active_params_b", True), Column("attention", "attention", False),
        Column("max_context", "max_context", True), Column("native_precision", "native_precision", False),
        Column("release_date", "release_date", False), Column("layer", ":layer", False),
    ),
    "benchmarks": (
        Column("id", "id", False), Column("accelerator", "accelerator", False), Column("model", "model", False),
        Column("precision", "precision", False), Column("n_accelerators", "n_accelerators", True),
        Column("framework", "framework", False), Column("isl", "isl", True), Column("osl", "osl", True),
        Column("basis", "throughput_basis", False), Column("tok_s_per_gpu", "tok_s_per_gpu", True),
        Column("tok_s_per_user", "tok_s_per_user", True), Column("calibrate", "calibrate", False),
        Column("layer", ":layer", False),
    ),
    "prices": (
        Column("id", "id", False), Column("for", ":target", False), Column("kind", "kind", False),
        Column("tier", "tier", False), Column("usd", "usd", True), Column("unit", "unit", False),
        Column("as_of", "as_of", False), Column("layer", ":layer", False),
    ),
}


def field(entry, path: str):
    """The value at a dotted path of an entry (attributes or table keys), None where it stops."""
    value = entry
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
        if value is None:
            return None
    return value


def cell(catalog, kind: str, entry, path: str) -> str:
    """One cell of an entry's row; estimated values end with ESTIMATED_MARK."""
    if path == ":layer":
        return catalog.source_of(kind, entry.id)
    if path == ":cooling":
        return ", ".join(sorted({s.cooling for s in catalog.systems.values() if s.accelerator == entry.id}))
    if path == ":target":
        return entry.system or f"{entry.accelerator} (accelerator)"
    value = text(field(entry, path))
    if value and entry.is_estimated(path):
        value += ESTIMATED_MARK
    return value


def catalog_row(catalog, kind: str, entry) -> list[str]:
    """An entry's cells, in CATALOG_COLUMNS[kind] order."""
    return [cell(catalog, kind, entry, col.path) for col in CATALOG_COLUMNS[kind]]
