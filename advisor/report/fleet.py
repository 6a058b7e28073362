"""Fleet comparisons and sweeps as text: table (rich), JSON (schema-versioned), CSV, Markdown.

Every renderer returns a string; the CLI writes it to stdout. Numbers carry their unit in
the column name (usd_per_mtok, all_in_mw, ...).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence

from advisor.report.format import dumps, number
from advisor.report.table import COMPACT_BELOW, PIPE_WIDTH, output_width, render_table

# fields of each fleet (units in their names), one row each in the side-by-side table
_FLEET_FIELDS = (
    "status", "procurement", "systems", "gpus", "demand_users", "capacity_users", "utilisation", "demand_met",
    "capex_usd", "annual_capital_usd", "annual_power_usd", "annual_hosting_usd", "annual_maintenance_usd",
    "annual_rental_usd", "annual_opex_usd", "annual_total_usd", "usd_per_mtok", "it_mw", "all_in_mw", "racks",
    "cooling", "top_vendor", "vendor_concentration", "top_ecosystem", "ecosystem_concentration", "mode",
    "error_band_pct", "gpus_unused",
)
_CLASS_FIELDS = (
    "demand_users", "capacity_users", "utilisation", "capacity_total_tok_s", "demand_total_tok_s", "tok_s_per_user",
    "gpus", "usd_per_mtok", "demand_met",
)
_DIFF_FIELDS = ("delta_usd_per_mtok", "delta_usd_per_mtok_pct", "delta_capex_usd", "delta_annual_total_usd",
                "delta_all_in_mw", "delta_capacity_users_pct")


def _cell(v) -> str:
    """A comparison cell: a {system: count} mapping as `3x a + 2x b`, any figure through `number`."""
    if isinstance(v, dict):
        return " + ".join(f"{n}x {k}" for k, n in v.items())
    return number(v, 4, missing="-", nonfinite="-")


def comparison_grid(cmp) -> tuple[list[str], list[list[str]]]:
    """(columns, rows): one row per metric (unit in its name), one column per fleet."""
    cols = ["metric"] + [f.name for f in cmp.fleets]
    rows = [[name] + [_cell(getattr(f, name)) for f in cmp.fleets] for name in _FLEET_FIELDS]
    for i, tc in enumerate(cmp.fleets[0].classes if cmp.fleets else []):
        for name in _CLASS_FIELDS:
            rows.append([f"{tc.traffic_class}.{name}"] + [_cell(getattr(f.classes[i], name)) for f in cmp.fleets])
    if cmp.baseline:
        for name in _DIFF_FIELDS:
            rows.append([f"vs_{cmp.baseline}.{name}"] + [_cell((f.vs_baseline or {}).get(name)) for f in cmp.fleets])
    return cols, rows


def _notes(cmp) -> list[str]:
    out = []
    for f in cmp.fleets:
        for c in f.classes:
            if c.reason:
                out.append(f"{f.name}: class '{c.traffic_class}': {c.reason}")
        for n in f.notes:
            out.append(f"{f.name}: {n}")
    return out


def render_comparison(cmp, fmt: str = "table", *, tty: bool | None = None, wide: bool = False) -> str:
    if fmt == "json":
        return cmp.model_dump_json(indent=2) + "\n"
    if fmt == "csv":
        return comparison_csv(cmp)
    cols, rows = comparison_grid(cmp)
    met = [f.name for f in cmp.fleets if f.demand_met]
    caption = ("meets the demand: " + ", ".join(met)) if met else "no fleet meets the demand"
    if fmt == "md":
        return _markdown(cols, rows, title=f"Fleet comparison: {cmp.name}", notes=[caption, *_notes(cmp)])
    numeric = [False] + [True] * (len(cols) - 1)
    text = render_table(cols, rows, title=f"fleet comparison: {cmp.name} (baseline: {cmp.baseline or 'none'})",
                        numeric=numeric, tty=tty, width=PIPE_WIDTH if wide else None)
    notes = _notes(cmp)
    return text + caption + "\n" + "".join(f"note: {n}\n" for n in notes)


def comparison_csv(cmp) -> str:
    """One row per fleet x traffic class; fleet columns repeat on each of its classes."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    fleet_cols = [c for c in _FLEET_FIELDS if c != "systems"]
    diff_cols = [f"vs_baseline_{d}" for d in _DIFF_FIELDS] if cmp.baseline else []
    w.writerow(["fleet", "systems", *fleet_cols, "traffic_class", *[f"class_{c}" for c in _CLASS_FIELDS], *diff_cols])
    for f in cmp.fleets:
        systems = ";".join(f"{k}:{n}" for k, n in f.systems.items())
        for c in f.classes:
            w.writerow([f.name, systems, *[_csv(getattr(f, k)) for k in fleet_cols], c.traffic_class,
                        *[_csv(getattr(c, k)) for k in _CLASS_FIELDS],
                        *([_csv((f.vs_baseline or {}).get(d)) for d in _DIFF_FIELDS] if cmp.baseline else [])])
    return buf.getvalue()


def _csv(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "" if not math.isfinite(v) else repr(round(v, 6))
    return str(v)


def _markdown(cols, rows, *, title: str, notes: Sequence[str] = ()) -> str:
    esc = lambda s: str(s).replace("|", "\\|")  # noqa: E731
    out = [f"## {title}", "", "| " + " | ".join(map(esc, cols)) + " |", "|" + "|".join(["---"] + ["---:"] * (len(cols) - 1)) + "|"]
    out += ["| " + " | ".join(map(esc, r)) + " |" for r in rows]
    if notes:
        out += [""] + [f"- {esc(n)}" for n in notes]
    return "\n".join(out) + "\n"


# --- sweeps ---------------------------------------------------------------------------------

def render_sweep(res, fmt: str = "csv", *, tty: bool | None = None, max_table_rows: int = 200,
                 wide: bool = False) -> str:
    if fmt == "json":
        return dumps(res.to_dict(), indent=1) + "\n"
    if fmt == "csv":
        return sweep_csv(res)
    return sweep_table(res, tty=tty, max_rows=max_table_rows, wide=wide)


def sweep_csv(res) -> str:
    """The full grid: one row per scenario x option; axis values first, then the option's figures.

    Scenario columns are formatted once per scenario and option columns once per option;
    only the per-row figures are formatted per row.
    """
    import numpy as np

    axes = list(res.axes)
    cols = [c for c in res.rows if c != "scenario"]
    header = ",".join(["scenario", *axes, *cols])
    sc = np.asarray(res.rows["scenario"])
    if len(sc) == 0:
        return header + "\n"
    n_sc = res.n_scenarios
    scen_prefix = [str(i) for i in range(n_sc)]
    for a in axes:
        vals = _fmt_list(np.asarray(res.axes[a]))
        scen_prefix = [p + "," + v for p, v in zip(scen_prefix, vals)]
    per_row = [[scen_prefix[i] for i in sc.tolist()]]
    for c in cols:
        per_row.append(_fmt_list(np.asarray(res.rows[c])))
    lines = [",".join(t) for t in zip(*per_row)]
    return header + "\n" + "\n".join(lines) + "\n"


def _fmt_list(a) -> list[str]:
    """A column as CSV text cells: bools true/false, ints, floats %.10g, blanks for NaN/inf."""
    if a.dtype == bool:
        return ["true" if x else "false" for x in a.tolist()]
    if a.dtype.kind in "iu":
        return [str(x) for x in a.tolist()]
    if a.dtype.kind == "f":
        inf = float("inf")
        return [f"{x:.10g}" if (x == x and x != inf and x != -inf) else "" for x in a.tolist()]
    uniq = {x: _csv_text(str(x)) for x in set(a.tolist())}
    return [uniq[x] for x in a.tolist()]


def _csv_text(s: str) -> str:
    return '"' + s.replace('"', '""') + '"' if any(ch in s for ch in ',"\n') else s


def sweep_table(res, *, tty: bool | None = None, max_rows: int = 200, wide: bool = False,
                width: int | None = None) -> str:
    """Per scenario: the axis values, the lowest-$/Mtok option and its $/Mtok (and the second lowest unless the
    table is narrower than COMPACT_BELOW columns, or `wide`); then the summary in words."""
    import numpy as np

    axes = list(res.axes)
    n_opt = max(len(res.options), 1)
    cost = np.asarray(res.rows["usd_per_mtok"], dtype=float).reshape(-1, n_opt) if res.options else np.zeros((res.n_scenarios, 0))
    feas = np.asarray(res.rows["feasible"], dtype=bool).reshape(-1, n_opt) if res.options else np.zeros((res.n_scenarios, 0), bool)
    rows = []
    for sc in range(min(res.n_scenarios, max_rows)):
        c = np.where(feas[sc], cost[sc], np.inf)
        order = np.argsort(c, kind="stable")
        best = [i for i in order[:2] if np.isfinite(c[i])]
        rows.append([str(sc), *[_cell(float(res.axes[a][sc])) for a in axes], res.lowest_cost[sc] or "none",
                     _cell(float(c[best[0]])) if best else "-",
                     res.options[best[1]] if len(best) > 1 else "-", _cell(float(c[best[1]])) if len(best) > 1 else "-"])
    cols = ["scenario", *axes, "lowest_cost", "lowest_usd_per_mtok", "second_lowest_cost", "second_lowest_usd_per_mtok"]
    numeric = [True] + [True] * len(axes) + [False, True, False, True]
    width = PIPE_WIDTH if wide else (output_width(tty) if width is None else width)
    if width < COMPACT_BELOW:  # the second lowest goes first
        cols, numeric, rows = cols[:-2], numeric[:-2], [r[:-2] for r in rows]
    more = f" (first {max_rows} of {res.n_scenarios} scenarios; --format csv for all)" if res.n_scenarios > max_rows else ""
    text = render_table(cols, rows, title=f"sweep: {res.name}, {res.n_scenarios} scenarios x {len(res.options)} options{more}",
                        numeric=numeric, tty=tty, width=width)
    return text + "".join(f"{line}\n" for line in res.summary)


def render_sweep_plot(res, axis: str | None = None, *, colour: bool | None = None, top: int = 8) -> str:
    """$/Mtok of each option along one axis (the other axes at their first value), as a terminal plot."""
    import numpy as np

    from advisor.report.plot import render_lines

    axes = list(res.axes)
    if not axes or not res.options:
        return "nothing to plot\n"
    if axis is None:
        axis = next((a for a in axes if len(set(np.asarray(res.axes[a]).tolist())) > 1), axes[0])
    sel = np.ones(res.n_scenarios, dtype=bool)
    for a in axes:
        if a != axis:
            vals = np.asarray(res.axes[a])
            sel &= vals == vals[0]
    idx = np.flatnonzero(sel)
    n_opt = len(res.options)
    cost = np.asarray(res.rows["usd_per_mtok"], dtype=float).reshape(-1, n_opt)[idx]
    feas = np.asarray(res.rows["feasible"], dtype=bool).reshape(-1, n_opt)[idx]
    cost = np.where(feas, cost, np.nan)
    x = np.asarray(res.axes[axis])[idx]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # options infeasible all along the axis
        med = np.nanmedian(np.where(np.isfinite(cost), cost, np.nan), axis=0) if cost.size else np.array([])
    ranked = [i for i in np.argsort(np.where(np.isfinite(med), med, np.inf)) if np.isfinite(med[i])][:top]
    series = {res.options[i]: list(zip(x.tolist(), cost[:, i].tolist())) for i in ranked}
    others = [a for a in axes if a != axis]
    fixed = ", ".join(f"{a}={_cell(float(res.axes[a][0]))}" for a in others)
    return render_lines(series, title=f"usd_per_mtok along {axis}" + (f" ({fixed})" if fixed else ""),
                        xlabel=axis, ylabel="usd_per_mtok", colour=colour)
