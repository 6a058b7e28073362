"""Output that fits (issue 12, item 10): tables within the terminal width, plots off stdout when it carries
data and without colour under NO_COLOR, and exclusions listed in CSV/Markdown when nothing is feasible."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from types import SimpleNamespace

import pytest

from advisor.cli import main
from tests.conftest import ROOT, real_catalog_present

pytestmark = pytest.mark.skipif(not real_catalog_present(), reason="needs the built-in catalog")

CHAT = str(ROOT / "examples" / "workloads" / "deepseek_v4_chat.toml")
POWER = str(ROOT / "examples" / "sweeps" / "power_price.toml")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
INFEASIBLE = ["--set", "classes.chat.min_tok_s_per_user=5000"]


@pytest.fixture(scope="module")
def rec():
    from advisor import api

    catalog, _ = api.load_catalog()
    return api.recommend(catalog, api.load_workload(CHAT))


def _header(text: str, first: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.split()[:1] == [first])
    return line.split()


def test_recommend_table_fits_80_columns_through_rich(rec):
    from advisor.report.recommendation import to_table

    text = ANSI.sub("", to_table(rec, tty=True, width=80))
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    header = _header(text, "rank")
    assert "usd_per_mtok" in header and "score" in header
    assert "capex_usd" not in header  # the compact set
    # numbers are never split: every option's $/Mtok and score appear whole, on its own row
    for o in rec.options:
        row = next(line for line in lines if line.split()[:1] == [str(o.rank)])
        assert f"{o.usd_per_mtok:.4f}" in row and f"{o.score:.1f}" in row


def test_recommend_table_is_never_wrapped_when_wide(rec):
    from advisor.report.recommendation import option_columns, to_table

    text = to_table(rec, tty=True, width=80, wide=True)
    header = _header(ANSI.sub("", text), "rank")
    assert [c.header for c in option_columns(rec.options)] == header  # every column with data, budget-only ones absent
    assert "p_lowest_cost" in header and "max_concurrent_users" not in header
    assert max(len(ANSI.sub("", line)) for line in text.splitlines()) > 80


def test_a_narrow_terminal_still_shows_whole_numbers(rec):
    from advisor.report.recommendation import to_table

    text = ANSI.sub("", to_table(rec, tty=True, width=60))
    assert max(len(line) for line in text.splitlines()) <= 60
    assert all(f"{o.usd_per_mtok:.4f}" in text for o in rec.options)


def test_columns_only_for_fields_the_options_have():
    from advisor.report.recommendation import option_columns

    plain = SimpleNamespace(rank=1, label="x", procurement="buy", usd_per_mtok=0.1, score=50.0)
    assert "p_lowest_cost" not in [c.header for c in option_columns([plain], compact=True)]
    with_p = SimpleNamespace(**vars(plain), p_lowest_cost=0.4)
    compact = [c.header for c in option_columns([with_p], compact=True)]
    assert compact == ["rank", "option", "procurement", "usd_per_mtok", "score", "p_lowest_cost"]


def test_recommend_wide_flag_and_columns_env(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["recommend", CHAT, "--format", "table"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 80 and "capex_usd" not in out
    assert main(["recommend", CHAT, "--format", "table", "--wide"]) == 0
    assert "capex_usd" in capsys.readouterr().out


def test_sweep_plot_with_json_keeps_stdout_json_alone(capsys):
    assert main(["sweep", POWER, "--plot", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["kind"] == "sweep"
    assert "usd_per_mtok along usd_per_kwh" in err


def test_sweep_plot_with_csv_keeps_stdout_csv_alone(capsys):
    assert main(["sweep", POWER, "--plot", "--format", "csv"]) == 0
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and set(rows[0]) >= {"scenario", "usd_per_mtok"}
    assert "usd_per_mtok along" in err and "usd_per_mtok along" not in out


@pytest.mark.parametrize("no_color", ["1", None])
def test_plots_honour_no_color_on_a_terminal(capsys, monkeypatch, no_color):
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["frontier", "--system", "amd_mi355x_8x", "--model", "deepseek_v3", "--isl", "1024", "--osl", "1024",
                 "--json", "--plot"]) == 0
    out, err = capsys.readouterr()
    json.loads(out)
    assert "Pareto fronts" in err
    assert ("\x1b[" in err) is (no_color is None)


def test_use_colour_needs_a_terminal_and_no_no_color(monkeypatch):
    from advisor.report.plot import use_colour

    tty, pipe = SimpleNamespace(isatty=lambda: True), SimpleNamespace(isatty=lambda: False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_colour(tty) and not use_colour(pipe)
    monkeypatch.setenv("NO_COLOR", "")  # empty means unset (no-color.org)
    assert use_colour(tty)
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_colour(tty)


def test_csv_with_no_feasible_option_lists_the_exclusions(capsys):
    assert main(["recommend", CHAT, *INFEASIBLE, "--format", "csv"]) == 3
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows and list(rows[0]) == ["system", "procurement", "constraint", "reason"]
    assert any("cannot reach 5000 tok/s/user" in r["reason"] for r in rows)
    assert all(r["system"] and r["constraint"] for r in rows)
    assert "no option meets the constraints" in err


def test_markdown_with_no_feasible_option_lists_the_exclusions(capsys):
    assert main(["recommend", CHAT, *INFEASIBLE, "--format", "md"]) == 3
    out = capsys.readouterr().out
    assert "No option meets the constraints." in out
    assert "| system | procurement | constraint | reason |" in out
    assert "cannot reach 5000 tok/s/user" in out
