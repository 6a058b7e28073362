"""Issue 14 (TUI v2), points 3-10: pilot tests with real key events against the real engine."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input

from advisor import api
from advisor.tui.screens.confirm import ConfirmScreen
from advisor.tui.screens.main import MainScreen
from tests.tui.helpers import burst, settle


# --- 3. input never lost --------------------------------------------------------------------------
async def test_a_burst_through_invalid_values_keeps_every_key_and_ranks_the_final_value(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        rack = app.screen.query_one("#f-datacenter-max_rack_kw", Input)
        rack.focus()
        await pilot.pause()
        # "a", "ab" are invalid; the backspaces must run before the digits that follow them
        await burst(app, pilot, "a", "b", "backspace", "backspace", "2", "0")
        assert rack.value == "20"
        util = app.screen.query_one("#f-demand-utilisation", Input)
        util.focus()
        await pilot.pause()
        await burst(app, pilot, "2", "backspace", "0", ".", "5")  # "2" is out of range (max 1)
        assert util.value == "0.5"
        slo = app.screen.query_one("#class1-min_tok_s_per_user", Input)
        slo.focus()
        await pilot.pause()
        await burst(app, pilot, "x", "backspace", "2", "0")
        assert slo.value == "20"
        await settle(app, pilot, debounce=True)
        assert app.form_error is None
        wl = app.workload
        assert (wl.datacenter.max_rack_kw, wl.demand.utilisation, wl.classes[0].min_tok_s_per_user) == (20, 0.5, 20)
        assert app.recommendation.workload["datacenter"]["max_rack_kw"] == 20
        assert app.recommendation.workload["demand"]["utilisation"] == 0.5


async def test_keys_after_tab_go_to_the_next_field(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        slo = app.screen.query_one("#class1-min_tok_s_per_user", Input)
        ttft = app.screen.query_one("#class1-max_ttft_s", Input)
        slo.focus()
        await pilot.pause()
        await burst(app, pilot, "1", "2", "tab", "3", "4")
        assert (slo.value, ttft.value) == ("12", "34")
        await settle(app, pilot, debounce=True)
        assert app.workload.classes[0].min_tok_s_per_user == 12 and app.workload.classes[0].max_ttft_s == 34


async def test_pilot_press_bursts_reach_the_field(make_app):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        field = app.screen.query_one("#class1-isl", Input)
        field.focus()
        await pilot.press("a", "backspace", "4", "0", "9", "6")
        assert field.value == "4096"
        await settle(app, pilot, debounce=True)
        assert app.workload.classes[0].isl == 4096


async def test_a_file_name_typed_right_after_ctrl_s_lands_in_the_prompt(make_app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await burst(app, pilot, "ctrl+s", *"saved1.tomx", "backspace", "l", "enter")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert (tmp_path / "saved1.toml").is_file()
        assert api.load_workload(tmp_path / "saved1.toml") == app.workload
        assert app.screen.query_one("#f-name", Input).value == app.workload.name  # nothing typed into the form


# --- 4. excluded tab ------------------------------------------------------------------------------
async def test_excluded_tab_groups_by_constraint_with_buy_rent_and_the_full_reason(make_app):
    from advisor.tui.widgets.excluded_table import ExcludedRow

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("f3")
        await settle(app, pilot)
        table = app.screen.query_one("#excluded", DataTable)
        assert [str(c.label) for c in table.columns.values()] == ["system", "buy/rent", "reason"]
        keys = [k for k in table.rows_by_key]
        groups = [k for k in keys if k.startswith("group:")]
        assert len(groups) == len({e.constraint for e in app.recommendation.excluded}) >= 2
        # each group's rows follow its header
        current = None
        for key in keys:
            row = table.rows_by_key[key]
            if isinstance(row, str):
                current = row
            else:
                assert isinstance(row, ExcludedRow) and row.constraint == current
                assert row.procurement in ("buy", "rent", "buy, rent")
        # the longest reason is cut in the table at 80 columns, and whole in the pane below
        longest = max(app.recommendation.excluded, key=lambda e: len(e.reason))
        target = next(k for k in keys if not isinstance(table.rows_by_key[k], str)
                      and table.rows_by_key[k].reason == longest.reason)
        await pilot.press(*["down"] * keys.index(target))
        await pilot.pause()
        pane = str(app.screen.query_one("#excluded-reason").render())
        assert longest.reason in pane.replace("\n", " ") or longest.reason.split()[-1] in pane


# --- 5. catalog -----------------------------------------------------------------------------------
async def test_catalog_filter_focus_visible_tab_only_and_readable_sources(make_app):
    from advisor.tui.screens.catalog_browser import CatalogScreen, source_label

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("f5")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CatalogScreen)
        assert app.focused is screen.query_one("#catalog-filter")
        # Tab cycles through the filter, the tab bar and the visible table only
        seen = []
        for _ in range(6):
            await pilot.press("tab")
            seen.append(app.focused)
        tables = [w for w in seen if isinstance(w, DataTable)]
        assert tables and all(t.id == "table-accelerators" for t in tables)
        # a filter that only matches a model shows the Models tab; Enter hands over to that table
        screen.query_one("#catalog-filter").focus()
        await pilot.pause()
        await pilot.press(*"deepseek_v4_pro")
        await pilot.press("enter")
        await pilot.pause()
        assert screen.query_one("#catalog-tabs").active == "kind-models"
        assert app.focused is screen.query_one("#table-models")
        sources = str(screen.query_one("#catalog-sources").render())
        assert "code-corpus file id" not in sources and "preset model DB" in sources
    assert source_label("code-corpus file id 1 (a title)") == "a title"
    assert source_label("https://example.com/x") == "https://example.com/x"


# --- 6. detail ------------------------------------------------------------------------------------
async def test_detail_shows_why_this_rank_and_a_legend_outside_the_plot(make_app):
    from advisor.tui.screens.detail import DetailScreen, why_rank_lines

    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, DetailScreen)
        why = str(screen.query_one("#detail-rank").render())
        assert "Why this rank" in why and "ahead of #2" in why and "binding constraint" in why
        for _ in range(100):
            if "chosen" in str(screen.query_one("#detail-legend").render()):
                break
            await pilot.pause(0.05)
        assert "chosen (" in str(screen.query_one("#detail-legend").render())
        canvas = screen.query_one("#detail-plot").plt.build()  # the plot itself carries no legend to cover points
        assert "chosen" not in canvas and screen.option.classes[0].system not in canvas
        options = app.recommendation.options
    # the engine's ranking_reason, p_lowest_cost and tie mark lead the block
    second = options[1].model_copy(update={"ranking_reason": "cheapest in 81% of draws", "p_lowest_cost": 0.81,
                                           "tied": True})
    lines = why_rank_lines(second, options, app.workload)
    assert lines[:3] == ["cheapest in 81% of draws", "P(lowest cost) 81%",
                         "tied with #1: the score gap is inside their combined error"]
    budget = second.model_copy(update={"max_concurrent_users": 1000.0})
    assert "tied with #1: the users within the budget gap" in why_rank_lines(budget, options, app.workload)[2]


async def test_ranking_shows_p_lowest_cost_when_the_options_carry_it(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        rec = app.recommendation
        options = [o.model_copy(update={"p_lowest_cost": 0.5 if o.rank == 1 else 0.1}) for o in rec.options]
        table = app.screen.ranking
        table.show(rec.model_copy(update={"options": options}))
        await pilot.pause()
        labels = [str(c.label) for c in table.columns.values()]
        assert labels == ["#", "option", "$/Mtok", "score", "p low"]
        assert table.get_row_at(0)[-1] == "0.50"


# --- 7. cursor follows the option -----------------------------------------------------------------
async def test_after_a_rerank_the_cursor_follows_the_option_and_marks_its_move(make_app):
    from advisor.tui.screens.detail import DetailScreen

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        table = app.screen.ranking
        table.focus()
        # pick an option that the edit below (cost weight 0) moves, from the same API the app ranks with
        from advisor import api

        after = api.recommend(app.catalog, app.workload.model_copy(
            update={"weights": app.workload.weights.model_copy(update={"cost": 0.0})}), fac=app.factors)
        new_ranks = {o.id: o.rank for o in after.options}
        old = next(o.rank for o in app.recommendation.options[1:] if new_ranks.get(o.id) not in (None, o.rank))
        await pilot.press(*["down"] * (old - 1))
        chosen = table.selected_option()
        assert chosen.rank == old
        weight = app.screen.query_one("#f-weights-cost", Input)
        weight.focus()
        await pilot.pause()
        await burst(app, pilot, "0")  # cost no longer counts: the ranking reshuffles
        await settle(app, pilot, debounce=True)
        new_rank = next(o.rank for o in app.recommendation.options if o.id == chosen.id)
        assert new_rank != old
        assert table.selected_option().id == chosen.id and table.cursor_row == new_rank - 1
        assert table.moved == (old, new_rank)
        assert ("▲" if new_rank < old else "▼") in str(table.get_row_at(new_rank - 1)[0])
        assert f"#{old} → #" in str(app.screen.query_one("#status").render())
        await pilot.press("ctrl+l", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, DetailScreen) and app.screen.option.id == chosen.id


# --- 8. quit asks first ---------------------------------------------------------------------------
async def test_quit_with_unsaved_changes_asks_first(make_app, tmp_path):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        field = app.screen.query_one("#f-datacenter-max_rack_kw", Input)
        field.focus()
        await pilot.press("9", "0")
        await settle(app, pilot, debounce=True)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen) and app.is_running
        # saved: quitting no longer asks
        app.save_to(str(tmp_path / "kept.toml"))
        await pilot.pause()
        assert not app.dirty
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running or not isinstance(app.screen, ConfirmScreen)
    assert app.return_code == 0


async def test_quit_after_yes_exits_and_clean_quit_does_not_ask(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#f-datacenter-max_rack_kw", Input).focus()
        await pilot.press("x")  # an invalid edit is an unsaved change too
        await pilot.pause()
        await settle(app, pilot, debounce=True)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await pilot.pause()
    assert app.return_code == 0

    clean = make_app()
    async with clean.run_test(size=(100, 30)) as pilot:
        await settle(clean, pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not isinstance(clean.screen, ConfirmScreen)
    assert clean.return_code == 0


# --- 9. file permissions --------------------------------------------------------------------------
async def test_every_tui_write_goes_through_write_atomic(make_app, tmp_path, monkeypatch):
    import advisor.tui.app as app_module

    written = []
    real = app_module.write_atomic
    monkeypatch.setattr(app_module, "write_atomic", lambda path, *a, **k: written.append(Path(path)) or real(path, *a, **k))
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        app.save_to(str(tmp_path / "s.toml"))
        app.export_to(str(tmp_path / "r.csv"))
        await pilot.pause()
    assert written == [tmp_path / "s.toml", tmp_path / "r.csv"]
    # and nothing in the TUI writes files another way
    root = Path(app_module.__file__).parent
    for source in root.rglob("*.py"):
        text = source.read_text()
        assert ".write_text(" not in text and ".write_bytes(" not in text, source
        assert not re.search(r"(?<![\w.])open\(|\.open\([^)]*[\"'][wax]", text), source


async def test_saved_and_exported_files_get_the_umask_permissions(make_app, tmp_path):
    old = os.umask(0o022)
    try:
        app = make_app()
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(app, pilot)
            app.save_to(str(tmp_path / "s.toml"))
            app.export_to(str(tmp_path / "r.json"))
            await pilot.pause()
    finally:
        os.umask(old)
    for name in ("s.toml", "r.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644, name


# --- 10. keymap -----------------------------------------------------------------------------------
def test_every_binding_has_an_id(make_app):
    from advisor.tui.screens.help import HelpScreen

    app = make_app()
    for _, bindings in app.all_bindings() + [("help", HelpScreen.BINDINGS)]:
        for b in bindings:
            assert b.id, b


async def test_keymap_from_the_config_file_remaps_and_bad_entries_only_notify(make_app, tmp_path, monkeypatch):
    from advisor.tui.screens.compare import CompareScreen
    from advisor.tui.screens.help import HelpScreen

    monkeypatch.setenv("ADVISOR_CONFIG_DIR", str(tmp_path))
    (tmp_path / "config.toml").write_text('[keymap]\ncompare = "ctrl+k"\ncompair = "x"\ndetail = 3\n')
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.keymap == {"compare": "ctrl+k"}
        problems = "\n".join(app.keymap_problems)
        assert "keymap.compair" in problems and "Did you mean 'compare'" in problems and "keymap.detail" in problems
        assert any("Key remaps skipped" in (n.title or "") for n in app._notifications)
        await pilot.press("f4")  # no longer bound
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        await pilot.press("ctrl+k")
        await pilot.pause()
        assert isinstance(app.screen, CompareScreen)
        await pilot.press("escape", "f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        from advisor.tui.screens.help import help_rows
        from advisor.tui.screens.main import MainScreen as Main

        rows = {ident: keys for keys, _, ident in help_rows(Main.BINDINGS, app.keymap)}
        assert rows["compare"] == "ctrl+k *" and rows["detail"] == "f2"


async def test_a_keymap_that_is_not_toml_is_a_notification(make_app, tmp_path, monkeypatch):
    monkeypatch.setenv("ADVISOR_CONFIG_DIR", str(tmp_path))
    (tmp_path / "config.toml").write_text("[keymap\ncompare = ")
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.keymap == {} and "not valid TOML" in app.keymap_problems[0]
        assert app.recommendation is not None


# --- 1. layout ------------------------------------------------------------------------------------
async def test_narrow_layout_collapses_the_form_and_keeps_key_columns(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        form, results = app.screen.query_one("#form"), app.screen.query_one("#results")
        assert not form.display and results.display
        assert [str(c.label) for c in app.screen.ranking.columns.values()] == ["#", "option", "$/Mtok", "score", "p low"]
        await pilot.press("f6")
        await pilot.pause()
        assert form.display and not results.display and form.has_focus_within
        await pilot.press("f6")
        await pilot.pause()
        assert not form.display and results.display and app.screen.ranking.has_focus
        await pilot.resize_terminal(160, 50)
        await settle(app, pilot)
        assert form.display and results.display
        assert "capex $" in [str(c.label) for c in app.screen.ranking.columns.values()]
