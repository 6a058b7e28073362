"""report.table: fitting a table to the terminal without ever cutting or splitting a figure."""

from __future__ import annotations

import re

from advisor.report.table import GAP, PIPE_WIDTH, fit_widths, output_width, render_table

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_natural_widths_are_kept_when_they_fit():
    assert fit_widths(["a", "b"], [["x", "1"]], [False, True], [False, False], 80) is None


def test_text_gives_way_and_figures_stay_whole():
    cols = ["metric", *[f"fleet_{i}" for i in range(6)]]
    rows = [["capex_usd_for_the_whole_fleet", *["4,025,000"] * 6],
            ["status", *["demand not met: chat short of 3,412 users"] * 6]]
    widths = fit_widths(cols, rows, [False] + [True] * 6, [False] * 7, 80)
    assert sum(widths) + GAP * 6 <= 80
    assert all(w >= len("4,025,000") for w in widths[1:])
    text = ANSI.sub("", render_table(cols, rows, numeric=[False] + [True] * 6, tty=True, width=80))
    assert max(len(line) for line in text.splitlines()) <= 80
    assert text.count("4,025,000") == 6 and "…" in text


def test_prose_wraps_instead_of_ending_in_an_ellipsis():
    reason = "needs 0.90 TB of weights plus KV cache for 9216 tokens; 2x boxes hold 0.22 TB"
    text = render_table(["system", "reason"], [["amd_ryzen_ai_max_395_box", reason]], wrap=[False, True],
                        tty=False, width=50)
    assert max(len(line) for line in text.splitlines()) <= 50
    body = text.splitlines()[2:]
    assert " ".join(line.split("| ", 1)[1].strip() for line in body) == reason  # every word, none cut
    assert body[0].startswith("amd_ryzen_ai_max_395") and "…" in body[0]  # the id gives way with an ellipsis


def test_piped_tables_are_never_wrapped_unless_columns_is_set(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    assert output_width(tty=False) == PIPE_WIDTH
    monkeypatch.setenv("COLUMNS", "72")
    assert output_width(tty=False) == 72
    monkeypatch.setenv("COLUMNS", "wide")
    assert output_width(tty=False) == PIPE_WIDTH
