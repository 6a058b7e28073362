"""Render a Recommendation: JSON (schema-versioned), a terminal table, CSV, Markdown."""

from __future__ import annotations

import csv
import io

from advisor.domain.results import Recommendation
from advisor.report.table import fmt_number, render_table

OPTION_COLUMNS = (
    ("rank", "rank"), ("option", "label"), ("procurement", "procurement"), ("gpus", "gpus"), ("racks", "racks"),
    ("all_in_mw", "all_in_mw"), ("usd_per_mtok", "usd_per_mtok"), ("usd_per_mtok_output", "usd_per_mtok_output"),
    ("capex_usd", "capex_usd"), ("annual_opex_usd", "annual_opex_usd"), ("score", "score"), ("tied", "tied"),
    ("p_lowest_cost", "p_lowest_cost"), ("mode", "mode"), ("error_band_pct", "error_band_pct"),
)
BASIS_NOTE = ("usd_per_mtok: all cost per million input + output tokens; usd_per_mtok_output: decode GPU time per "
              "million output tokens; p_lowest_cost: chance of the lowest $/Mtok of all feasible options; "
              "tied: within the combined error of the option above")


def to_json(rec: Recommendation) -> str:
    return rec.model_dump_json(indent=2)


def _money(v: float) -> str:
    if v >= 1e6:
        return f"{v / 1e6:,.2f}M"
    if v >= 1e3:
        return f"{v / 1e3:,.1f}k"
    return f"{v:,.0f}"


def _row(o) -> list[str]:
    return [
        str(o.rank), o.label, o.procurement, str(o.gpus), str(o.racks), f"{o.all_in_mw:.3f}",
        f"{o.usd_per_mtok:.4f}", f"{o.usd_per_mtok_output:.4f}", _money(o.capex_usd), _money(o.annual_opex_usd),
        f"{o.score:.1f}", "tied" if o.tied else "", f"{o.p_lowest_cost:.0%}" if o.p_lowest_cost is not None else "-",
        o.mode, f"{o.error_band_pct:.0f}",
    ]


def to_table(rec: Recommendation, *, explain: int = 3, tty: bool | None = None) -> str:
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
    out = []
    if rec.options:
        out.append(render_table([c for c, _ in OPTION_COLUMNS], [_row(o) for o in rec.options], title=title,
                                numeric=[False, False, False, True, True, True, True, True, True, True, True, False, True,
                                         False, True], tty=tty))
        out.append(BASIS_NOTE)
        for o in rec.options[:explain]:
            out.append(f"#{o.rank} {o.label} ({o.procurement}), binding: {o.binding_constraint}")
            if o.ranking_reason:
                out.append(f"    below #{o.rank - 1}: {o.ranking_reason}")
            out.extend(f"    {line}" for line in o.explanation)
            out.append("")
    else:
        out.append(f"{title}\nno option meets the constraints\n")
    if rec.excluded:
        rows = [[e.system, e.procurement, e.constraint, e.reason] for e in rec.excluded]
        out.append(render_table(["excluded system", "procurement", "constraint", "reason"], rows,
                                title=f"excluded ({len(rec.excluded)})", tty=tty))
    return "\n".join(out)


def to_csv(rec: Recommendation) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
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
        lines.append("| " + " | ".join(c for c, _ in OPTION_COLUMNS) + " |")
        lines.append("|" + "---|" * len(OPTION_COLUMNS))
        for o in rec.options:
            lines.append("| " + " | ".join(cell.replace("|", "/") for cell in _row(o)) + " |")
        lines.append("")
        for o in rec.options[:3]:
            lines.append(f"## #{o.rank} {o.label} ({o.procurement})")
            lines.extend(f"- {line}" for line in o.explanation)
            lines.append("")
    else:
        lines.append("No option meets the constraints.\n")
    if rec.excluded:
        lines += ["## Excluded", "", "| system | procurement | constraint | reason |", "|---|---|---|---|"]
        lines += [f"| {e.system} | {e.procurement} | {e.constraint} | {e.reason.replace('|', '/')} |" for e in rec.excluded]
    lines += ["", "## Assumptions", ""] + [f"- {a.name} = {fmt_number(a.value) if isinstance(a.value, (int, float)) else a.value} {a.unit} ({a.source})" for a in rec.assumptions]
    return "\n".join(lines) + "\n"


RENDERERS = {"json": to_json, "table": to_table, "csv": to_csv, "md": to_markdown}
