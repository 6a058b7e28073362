"""Turn the current Recommendation into a file: JSON, CSV or Markdown.

Uses advisor.report's renderers when they exist; small local ones otherwise.
"""

from __future__ import annotations

import csv
import importlib
import io
from pathlib import Path

from advisor.domain.results import Recommendation

FORMATS = {".json": "json", ".csv": "csv", ".md": "md", ".markdown": "md"}
"""File extension -> export format."""


def format_for(path: str | Path) -> str | None:
    return FORMATS.get(Path(path).suffix.lower())


def _report_renderer(name: str):
    try:
        module = importlib.import_module("advisor.report.recommendation")
    except ImportError:
        return None
    return getattr(module, name, None)


COLUMNS = ("rank", "label", "procurement", "gpus", "racks", "all_in_mw", "usd_per_mtok", "capex_usd",
           "annual_opex_usd", "score", "mode", "binding_constraint")


def _csv(rec: Recommendation) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for o in rec.options:
        writer.writerow([getattr(o, c) for c in COLUMNS])
    return buf.getvalue()


def _markdown(rec: Recommendation) -> str:
    lines = [f"# {rec.workload.get('name', 'workload')}", "", "| " + " | ".join(COLUMNS) + " |",
             "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(str(getattr(o, c)) for c in COLUMNS) + " |" for o in rec.options]
    if rec.excluded:
        lines += ["", "## Excluded", "", "| system | procurement | constraint | reason |", "|---|---|---|---|"]
        lines += [f"| {e.system} | {e.procurement} | {e.constraint} | {e.reason.replace('|', '/')} |" for e in rec.excluded]
    return "\n".join(lines) + "\n"


def render(rec: Recommendation, fmt: str) -> str:
    """The recommendation in `fmt` ("json", "csv" or "md")."""
    if fmt == "json":
        return rec.model_dump_json(indent=2) + "\n"
    local = {"csv": _csv, "md": _markdown}[fmt]
    shared = _report_renderer({"csv": "to_csv", "md": "to_markdown"}[fmt])
    return (shared or local)(rec)
