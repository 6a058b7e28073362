"""How fast the TUI shows a ranking, and how fast an edit reaches the table (headless, real key events).

    python benchmarks/tui.py [--runs N] [--edits N] [--json]

Prints figures; asserts nothing. Goal: keystroke-to-table p50 <= 300 ms on a 2-core machine.

- first_ranking_ms: from App.run to the first ranking painted in the table.
- keystroke_to_table_ms: from the LAST key of an edit to the repainted table, debounce included.
  Each edit focuses a field (not timed), then sends its keys to the driver in one burst, as a
  terminal read delivers them, and the clock starts when the last key is sent. The table counts
  as repainted when it renders lines after showing the new ranking.
  Edits alternate cost-only fields ($/kWh, utilisation, horizon, weights) with grid-changing ones
  (ISL, min tok/s/user), so both re-rank paths are in the figures.

The catalog load and the calibration factors happen before App.run (as in advisor.tui.run) and
are reported separately. `--json` prints one JSON object and nothing else on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

EDITS: list[tuple[str, list[str]]] = [
    # (field id, values typed in turn; each replaces the whole field)
    ("#f-datacenter-usd_per_kwh", ["0.09", "0.12"]),
    ("#class1-min_tok_s_per_user", ["12", "10"]),
    ("#f-demand-utilisation", ["0.5", "0.7"]),
    ("#class1-isl", ["4096", "8192"]),
    ("#f-procurement-horizon_years", ["5", "3"]),
    ("#f-weights-cost", ["2", "1"]),
]
PATHS = {
    "#f-datacenter-usd_per_kwh": ("datacenter", "usd_per_kwh"), "#class1-min_tok_s_per_user": ("classes", 0, "min_tok_s_per_user"),
    "#f-demand-utilisation": ("demand", "utilisation"), "#class1-isl": ("classes", 0, "isl"),
    "#f-procurement-horizon_years": ("procurement", "horizon_years"), "#f-weights-cost": ("weights", "cost"),
}
"""Where each edited field lands in Recommendation.workload (the table must show the FINAL value's ranking)."""
COST_ONLY = {"#f-datacenter-usd_per_kwh", "#f-demand-utilisation", "#f-procurement-horizon_years", "#f-weights-cost"}


class Marks:
    """Time stamps taken by wrapping ResultsTable.show and ResultsTable.render_lines."""

    shown_at: float | None = None
    painted_at: float | None = None
    rec = None


def _instrument() -> None:
    from advisor.tui.widgets.results_table import ResultsTable

    show, render_lines = ResultsTable.show, ResultsTable.render_lines

    def timed_show(self, rec, *args, **kwargs):
        out = show(self, rec, *args, **kwargs)
        Marks.shown_at, Marks.painted_at, Marks.rec = time.perf_counter(), None, rec
        return out

    def timed_render_lines(self, crop):
        lines = render_lines(self, crop)
        if Marks.shown_at is not None and Marks.painted_at is None:
            Marks.painted_at = time.perf_counter()
        return lines

    ResultsTable.show, ResultsTable.render_lines = timed_show, timed_render_lines


async def _until(predicate, timeout: float = 30.0, step: float = 0.002) -> float:
    start = time.perf_counter()
    while not predicate():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("condition not met")
        await asyncio.sleep(step)
    return time.perf_counter()


def _key(ch: str):
    from textual import events

    names = {".": "full_stop", "-": "minus"}
    return events.Key(names.get(ch, ch), ch)


async def one_run(catalog, factors, n_edits: int) -> dict:
    from textual.widgets import Input

    from advisor.tui.app import AdvisorApp
    from advisor.tui.scenario import default_workload
    from advisor.tui.screens.main import MainScreen

    Marks.shown_at = Marks.painted_at = None
    app = AdvisorApp(catalog, default_workload(days_since_release=120), factors=factors)
    started = time.perf_counter()
    samples: list[tuple[str, float]] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await _until(lambda: isinstance(app.screen, MainScreen) and Marks.painted_at is not None)
        first = Marks.painted_at - started
        await _until(lambda: bool(app.screen.query("#class1-isl")))
        await app.workers.wait_for_complete()
        await pilot.pause(0.2)
        plan = [(fid, value) for i in range(n_edits) for fid, values in [EDITS[i % len(EDITS)]]
                for value in [values[(i // len(EDITS)) % len(values)]]]
        for fid, value in plan:
            field = app.screen.query_one(fid, Input)
            field.focus()
            await pilot.pause(0.05)  # focus selects the whole value: the burst replaces it
            before = app.recommendation
            Marks.shown_at = Marks.painted_at = None
            for ch in value:
                app._driver.send_message(_key(ch))
            typed = time.perf_counter()
            def final_ranking_painted() -> bool:
                if Marks.painted_at is None or Marks.rec is None or Marks.rec is before:
                    return False
                node = Marks.rec.workload
                for part in PATHS[fid]:
                    node = node[part]
                return float(node) == float(value)

            await _until(final_ranking_painted)
            assert field.value == value, (fid, field.value, value)
            samples.append((fid, Marks.painted_at - typed))
            await pilot.pause(0.1)
    return {"first_ranking_s": first, "edits": samples}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="apps started (default 2)")
    parser.add_argument("--edits", type=int, default=12, help="edits per run (default 12, at least 10 in all)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    t0 = time.perf_counter()
    from advisor import api

    catalog, _ = api.load_catalog()
    t1 = time.perf_counter()
    factors = api.factors(catalog)
    t2 = time.perf_counter()
    import textual.app  # noqa: F401

    from advisor.tui.screens import main as main_screen

    t3 = time.perf_counter()
    _instrument()
    runs = [asyncio.run(one_run(catalog, factors, max(args.edits, 1))) for _ in range(max(args.runs, 1))]
    firsts = [r["first_ranking_s"] * 1000 for r in runs]
    edits = [(fid, s * 1000) for r in runs for fid, s in r["edits"]]
    all_ms = [ms for _, ms in edits]
    cost_ms = [ms for fid, ms in edits if fid in COST_ONLY]
    grid_ms = [ms for fid, ms in edits if fid not in COST_ONLY]
    result = {
        "first_ranking_ms_p50": round(statistics.median(firsts), 1),
        "keystroke_to_table_ms_p50": round(statistics.median(all_ms), 1),
        "keystroke_to_table_ms_p90": round(_pct(all_ms, 0.9), 1),
        "cost_only_edit_ms_p50": round(statistics.median(cost_ms), 1) if cost_ms else None,
        "grid_edit_ms_p50": round(statistics.median(grid_ms), 1) if grid_ms else None,
        "edits": len(all_ms),
        "runs": len(runs),
        "debounce_ms": round(getattr(main_screen, "DEBOUNCE_S", float("nan")) * 1000, 1),
        "before_app_run_ms": {"load_catalog": round((t1 - t0) * 1000, 1), "factors": round((t2 - t1) * 1000, 1),
                              "import_textual": round((t3 - t2) * 1000, 1)},
    }
    if args.json:
        print(json.dumps(result))
        return
    b = result["before_app_run_ms"]
    print(f"before App.run: load_catalog {b['load_catalog']:.0f} ms, factors {b['factors']:.0f} ms, "
          f"import textual {b['import_textual']:.0f} ms")
    print(f"first ranking painted      p50 {result['first_ranking_ms_p50']:7.0f} ms  "
          f"(runs: {', '.join(f'{v:.0f}' for v in firsts)})")
    print(f"keystroke -> table         p50 {result['keystroke_to_table_ms_p50']:7.0f} ms  "
          f"p90 {result['keystroke_to_table_ms_p90']:.0f} ms  over {len(all_ms)} edits "
          f"(debounce {result['debounce_ms']:.0f} ms included)")
    print(f"  cost-only edits          p50 {result['cost_only_edit_ms_p50']:7.0f} ms  ({len(cost_ms)} edits)")
    print(f"  grid-changing edits      p50 {result['grid_edit_ms_p50']:7.0f} ms  ({len(grid_ms)} edits)")
    print("goal: keystroke -> table p50 <= 300 ms")


if __name__ == "__main__":
    main()
