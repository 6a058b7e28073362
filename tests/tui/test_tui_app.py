"""Pilot tests: real key presses against the real engine and the built-in catalog."""

from __future__ import annotations

import json
import tomllib

from textual.widgets import Input, Select

from advisor import api
from advisor.tui.screens.main import MainScreen
from tests.tui.helpers import settle


def liquid_only(app, option) -> bool:
    return any(app.catalog.systems[s].cooling == "liquid" for s in option.systems)


async def test_startup_shows_a_ranking(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        assert screen.ranking.row_count == len(app.recommendation.options) > 0
        assert screen.ranking.has_focus
        assert "options" in str(screen.query_one("#status").render())


async def test_cooling_air_via_the_form_excludes_liquid_only_systems(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        before = app.recommendation
        assert any(liquid_only(app, o) for o in before.options)
        select = app.screen.query_one("#f-datacenter-cooling", Select)
        select.focus()
        await pilot.press("enter", "down", "enter")  # both -> air only
        assert select.value == "air"
        await settle(app, pilot, debounce=True)
        after = app.recommendation
        assert after is not before and after.options
        # the hall binds owned systems only (issue 12 item 1): rented liquid-cooled capacity stays
        assert not any(liquid_only(app, o) for o in after.options if o.procurement == "buy")
        cooling = [e for e in after.excluded if e.constraint == "cooling"]
        assert all(e.procurement == "buy" for e in cooling)
        assert cooling and all("liquid" in e.reason for e in cooling)
        # the Excluded tab lists them, reached with its key
        await pilot.press("f3")
        table = app.screen.query_one("#excluded")
        assert table.has_focus
        rows = [r for r in table.rows_by_key.values() if not isinstance(r, str)]
        for e in after.excluded:  # every exclusion is listed, buy and rent merged when the reason is the same
            assert any(r.system == e.system and r.constraint == e.constraint and e.procurement in r.procurement
                       and r.reason == e.reason for r in rows)


async def test_editing_a_class_slo_reranks(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        before = [o.id for o in app.recommendation.options]
        field = app.screen.query_one("#class1-min_tok_s_per_user", Input)
        field.focus()
        await pilot.press("6", "0")  # focus selects all: "10" becomes "60"
        assert field.value == "60"
        await settle(app, pilot, debounce=True)
        assert app.workload.classes[0].min_tok_s_per_user == 60
        after = [o.id for o in app.recommendation.options]
        assert after[:3] != before[:3]
        assert app.screen.ranking.row_count == len(after)


async def test_invalid_input_is_marked_and_the_last_ranking_stays(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        before, rows = app.recommendation, app.screen.ranking.row_count
        field = app.screen.query_one("#f-datacenter-max_rack_kw", Input)
        field.focus()
        await pilot.press("a", "b", "c")
        await settle(app, pilot, debounce=True)
        wrapper = field.parent
        assert field.has_class("-invalid") and wrapper.has_class("-invalid")
        assert "number" in str(wrapper.query_one(".field-error").render())
        assert wrapper.query_one(".field-error").display
        assert app.recommendation is before and app.screen.ranking.row_count == rows
        assert app.form_error and "invalid" in str(app.screen.query_one("#status").render())
        # fixing it clears the mark and ranks again
        await pilot.press("end", "backspace", "backspace", "backspace", "8", "0")
        await settle(app, pilot, debounce=True)
        assert not field.has_class("-invalid") and app.form_error is None
        assert app.workload.datacenter.max_rack_kw == 80


async def test_class_shares_that_do_not_add_up_are_marked(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        before = app.recommendation
        await pilot.press("ctrl+n")  # add a class with share 0.1: shares add up to 1.1
        await settle(app, pilot, debounce=True)
        assert len(app.screen.form.editors()) == 2
        share = app.screen.query_one("#class1-share", Input)
        assert share.has_class("-invalid")
        assert app.recommendation is before
        share.focus()
        await pilot.press("0", ".", "9")
        await settle(app, pilot, debounce=True)
        assert app.form_error is None and len(app.workload.classes) == 2
        assert app.recommendation is not before
        # remove the second class with the mouse
        editor = app.screen.form.editors()[1]
        editor.query_one(".remove-class").press()
        await pilot.pause()
        assert len(app.screen.form.editors()) == 1


async def test_save_then_open_round_trips_the_scenario(make_app, tmp_path):
    from advisor.tui.screens.confirm import ConfirmScreen

    app = make_app()
    first, second = tmp_path / "scenario.toml", tmp_path / "again.toml"
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        select = app.screen.query_one("#f-datacenter-cooling", Select)
        select.focus()
        await pilot.press("enter", "down", "enter")
        await settle(app, pilot, debounce=True)
        edited = app.workload
        assert edited.datacenter.cooling == "air"

        await pilot.press("ctrl+s")
        app.screen.query_one("#path", Input).value = str(first)
        await pilot.press("enter")
        await pilot.pause()
        assert first.is_file()
        assert api.load_workload(first) == edited

        await pilot.press("ctrl+o")
        app.screen.query_one("#path", Input).value = str(first)
        await pilot.press("enter")
        await settle(app, pilot, debounce=True)
        assert app.workload == edited
        assert app.screen.query_one("#f-datacenter-cooling", Select).value == "air"

        await pilot.press("ctrl+s")
        app.screen.query_one("#path", Input).value = str(second)
        await pilot.press("enter")
        await pilot.pause()
        assert second.read_bytes() == first.read_bytes()
        assert tomllib.loads(first.read_text())["procurement"]["days_since_release"] == 120

        # never overwrite silently: "n" keeps the file, "y" replaces it
        first.write_text("# keep me\n")
        for answer in ("n", "y"):
            await pilot.press("ctrl+s")
            app.screen.query_one("#path", Input).value = str(first)
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press(answer)
            await pilot.pause()
            if answer == "n":
                assert first.read_text() == "# keep me\n"
        assert first.read_bytes() == second.read_bytes()


async def test_export_json_matches_the_schema_and_csv_md_render(make_app, tmp_path):
    import jsonschema

    from advisor.tui import export

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        field = app.screen.query_one("#f-datacenter-max_rack_kw", Input)
        field.focus()
        await pilot.press("ctrl+e")  # works from inside a field too
        app.screen.query_one("#path", Input).value = str(tmp_path / "ranking.json")
        await pilot.press("enter")
        await pilot.pause()
    doc = json.loads((tmp_path / "ranking.json").read_text())
    jsonschema.validate(doc, api.recommendation_schema())
    assert len(doc["options"]) == len(app.recommendation.options)
    assert export.render(app.recommendation, "csv").splitlines()[0].startswith("rank")
    assert "|" in export.render(app.recommendation, "md")
    assert export.format_for("x.md") == "md" and export.format_for("x.txt") is None


async def test_detail_screen_explains_the_option_and_plots_the_front(make_app):
    from advisor.tui.screens.detail import DetailScreen

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("down", "enter")  # the second option
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, DetailScreen)
        option = app.recommendation.options[1]
        assert screen.option.id == option.id
        assert option.binding_constraint in str(screen.query_one("#detail-binding").render())
        assert screen.query_one("#detail-classes").row_count == len(option.classes)
        assert screen.query_one("#detail-cost").row_count >= 8
        await pilot.press("n")
        await settle(app, pilot)
        assert screen.option.id == app.recommendation.options[2].id
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_compare_catalog_help_theme_and_palette(make_app):
    from advisor.tui.screens.catalog_browser import CatalogScreen
    from advisor.tui.screens.compare import CompareScreen
    from advisor.tui.screens.help import HelpScreen

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("f4")
        assert isinstance(app.screen, CompareScreen)
        assert len(app.screen.options) == 3
        await pilot.press("escape", "f5")
        assert isinstance(app.screen, CatalogScreen)
        await pilot.press("ctrl+f", *"mi355")
        await pilot.pause()
        table = app.screen.query_one("#table-accelerators")
        assert 0 < table.row_count < len(app.catalog.accelerators)
        assert "http" in str(app.screen.query_one("#catalog-sources").render())
        await pilot.press("escape", "f1")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        dark = app.current_theme.dark
        await pilot.press("f9")
        assert app.current_theme.dark != dark
        # the command palette reaches the same actions
        await pilot.press("ctrl+p", *"compare the top")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CompareScreen)
