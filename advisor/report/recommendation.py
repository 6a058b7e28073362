"""Render a Recommendation: JSON (schema-versioned), a terminal table, CSV, Markdown."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any, NamedTuple

from advisor.domain.results import Recommendation
from advisor.report.format import money, number
from advisor.report.table import COMPACT_BELOW, PIPE_WIDTH, output_width, render_table

class OptionColumn(NamedTuple):
    header: str
    field: str
    """Attribute of the Option; the column is shown only when some option has it."""
    cell: Callable[[Any], str]
    numeric: bool
    compact: bool
    """In the compact set: what a table narrower than COMPACT_BELOW columns shows without --wide."""


OPTION_COLUMNS = (
    OptionColumn("rank", "rank", str, False, True),
    OptionColumn("option", "label", str, False, True),
    OptionColumn("procurement", "procurement", str, False, True),  # buy and rent of one system look alike otherwise
    OptionColumn("max_concurrent_users", "max_concurrent_users", lambda v: f"{v:,.0f}", True, True),  # budget mode
    OptionColumn("gpus", "gpus", str, True, False),
    OptionColumn("racks", "racks", str, True, False),
    OptionColumn("all_in_mw", "all_in_mw", lambda v: f"{v:.3f}", True, False),
    OptionColumn("usd_per_mtok", "usd_per_mtok", lambda v: f"{v:.4f}", True, True),
    OptionColumn("usd_per_mtok_output", "usd_per_mtok_output", lambda v: f"{v:.4f}", True, False),
    OptionColumn("capex_usd", "capex_usd", money, True, False),
    OptionColumn("annual_opex_usd", "annual_opex_usd", money, True, False),
    OptionColumn("score", "score", lambda v: f"{v:.1f}", True, True),
    OptionColumn("tied", "tied", lambda v: "tied" if v else "", False, False),
    OptionColumn("p_lowest_cost", "p_lowest_cost", lambda v: f"{v:.0%}", True, True),
    OptionColumn("mode", "mode", str, False, False),
    OptionColumn("error_band_pct", "error_band_pct", lambda v: f"{v:.0f}", True, False),
)
BASIS_NOTE = ("usd_per_mtok: all cost per million input + output tokens; usd_per_mtok_output: decode GPU time per "
              "million output tokens; p_lowest_cost: chance of the lowest $/Mtok of all feasible options; "
              "tied: within the combined error of the option above")


def option_columns(options, *, compact: bool = False) -> list[OptionColumn]:
    """The columns these options have data for (all, or the compact set)."""
    return [c for c in OPTION_COLUMNS if (c.compact or not compact)
            and any(getattr(o, c.field, None) is not None for o in options)]


def to_json(rec: Recommendation) -> str:
    return rec.model_dump_json(indent=2)


def _row(o, columns) -> list[str]:
    return [c.cell(getattr(o, c.field)) if getattr(o, c.field, None) is not None else "" for c in columns]


def to_table(rec: Recommendation, *, explain: int = 3, tty: bool | None = None, width: int | None = None,
             wide: bool = False) -> str:
    """The ranking, the top options explained, and the exclusions, fitted to `width` columns.

    Below COMPACT_BELOW columns only the compact column set is shown; `wide` shows every
    column at its natural width (lines may then be wider than the terminal).
    """
    wl = rec.workload
    classes = ", ".join(
        f"{c['name']}: {c['model']} {c['isl']}/{c['osl']} >= {c['min_tok_s_per_user']:g} tok/s/user"
        for c in wl["classes"]
    )
    users = wl["demand"].get("concurrent_users") or f"{wl['demand'].get('requests_per_s')} req/s"
    demand = f"{users} concurrent users"
    if rec.objective == "users":  # budget mode: the budget sizes each option
        demand = f"most concurrent users within ${wl['procurement']['budget_usd']:,.0f} ({wl['procurement']['budget_basis']})"
    title = f"{wl['name']}: {classes}; {demand}; hall {wl['datacenter']['cooling']}, {wl['datacenter']['max_rack_kw']:g} kW racks"
    width = PIPE_WIDTH if wide else (output_width(tty) if width is None else width)
    columns = option_columns(rec.options, compact=width < COMPACT_BELOW)
    out = []
    if rec.options:
        out.append(render_table([c.header for c in columns], [_row(o, columns) for o in rec.options], title=title,
                                numeric=[c.numeric for c in columns], tty=tty, width=width))
        out.extend(_fit(BASIS_NOTE, width))
        for o in rec.options[:explain]:
            out.extend(_fit(f"#{o.rank} {o.label} ({o.procurement}), binding: {o.binding_constraint}", width))
            if o.ranking_reason:
                out.extend(_fit(f"below #{o.rank - 1}: {o.ranking_reason}", width, indent="    "))
            for line in o.explanation:
                out.extend(_fit(line, width, indent="    "))
            out.append("")
    else:
        out.extend(_fit(title, width))
        out.append("no option meets the constraints\n")
    if rec.excluded:
        rows = [[e.system, e.procurement, e.constraint, e.reason] for e in rec.excluded]
        out.append(render_table(["excluded system", "procurement", "constraint", "reason"], rows,
                                title=f"excluded ({len(rec.excluded)})", wrap=[False, False, False, True],
                                tty=tty, width=width))
    return "\n".join(out)


def _fit(line: str, width: int, indent: str = "") -> list[str]:
    """One line of prose, wrapped at word boundaries to `width` columns."""
    if len(indent) + len(line) <= width:
        return [indent + line]
    import textwrap

    return textwrap.wrap(line, width, initial_indent=indent, subsequent_indent=indent + "  ",
                         break_long_words=False, break_on_hyphens=False) or [indent]


EXCLUSION_COLUMNS = ("system", "procurement", "constraint", "reason")


def to_csv(rec: Recommendation) -> str:
    """One row per option x traffic class; when no option is feasible (exit 3), one row per exclusion."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if not rec.options:
        w.writerow(EXCLUSION_COLUMNS)
        w.writerows([e.system, e.procurement, e.constraint, e.reason] for e in rec.excluded)
        return buf.getvalue()
    w.writerow(["rank", "option_id", "label", "procurement", "traffic_class", "system", "gpus", "racks", "all_in_mw",
                "usd_per_mtok", "capex_usd", "annual_opex_usd", "score", "mode", "error_band_pct",
                "class_gpus", "class_replicas", "gpus_per_replica", "batch", "precision", "spec_decode",
                "tok_s_per_user", "total_tok_s_per_gpu", "ttft_s", "headroom_pct", "usd_per_mtok_input",
                "usd_per_mtok_output", "usd_per_mtok_output_all_in", "p_lowest_cost", "tied", "ranking_reason",
                "max_concurrent_users"])
    for o in rec.options:
        for p in o.classes:
            w.writerow([o.rank, o.id, o.label, o.procurement, p.traffic_class, p.system, o.gpus, o.racks,
                        f"{o.all_in_mw:.6g}", f"{o.usd_per_mtok:.6g}", f"{o.capex_usd:.2f}", f"{o.annual_opex_usd:.2f}",
                        f"{o.score:.4g}", o.mode, f"{o.error_band_pct:.3g}", p.gpus, p.replicas, p.point.gpus_per_replica,
                        p.point.batch, p.point.precision, p.point.spec_decode, f"{p.point.tok_s_per_user:.6g}",
                        f"{p.point.total_tok_s_per_gpu:.6g}", f"{p.point.ttft_s:.4g}", f"{p.headroom_pct:.3g}",
                        f"{o.usd_per_mtok_input:.6g}", f"{o.usd_per_mtok_output:.6g}", f"{o.usd_per_mtok_output_all_in:.6g}",
                        "" if o.p_lowest_cost is None else f"{o.p_lowest_cost:.6g}", str(o.tied).lower(), o.ranking_reason,
                        "" if o.max_concurrent_users is None else f"{o.max_concurrent_users:.0f}"])
    return buf.getvalue()


def to_markdown(rec: Recommendation) -> str:
    lines = [f"# {rec.workload['name']}", ""]
    if rec.options:
        columns = option_columns(rec.options)
        lines.append("| " + " | ".join(c.header for c in columns) + " |")
        lines.append("|" + "---|" * len(columns))
        for o in rec.options:
            lines.append("| " + " | ".join(cell.replace("|", "/") for cell in _row(o, columns)) + " |")
        lines.append("")
        for o in rec.options[:3]:
            lines.append(f"## #{o.rank} {o.label} ({o.procurement})")
            lines.extend(f"- {line}" for line in o.explanation)
            lines.append("")
    else:
        lines.append("No option meets the constraints.\n")
    if rec.excluded:
        lines += ["## Excluded", "", "| " + " | ".join(EXCLUSION_COLUMNS) + " |", "|---|---|---|---|"]
        lines += [f"| {e.system} | {e.procurement} | {e.constraint} | {e.reason.replace('|', '/')} |" for e in rec.excluded]
    lines += ["", "## Assumptions", ""] + [f"- {a.name} = {number(a.value, 4, group=False)} {a.unit} ({a.source})" for a in rec.assumptions]
    return "\n".join(lines) + "\n"


RENDERERS = {"json": to_json, "table": to_table, "csv": to_csv, "md": to_markdown}
