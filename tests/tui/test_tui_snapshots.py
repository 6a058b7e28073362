"""SVG snapshots at 80x24 (narrow: form drawer, key columns, stacked compare) and 160x50 (wide).

Deterministic: days_since_release pinned. Update with `pytest tests/tui --snapshot-update` only
after looking at the new SVGs.
"""

from __future__ import annotations

import pytest

from tests.tui.helpers import settle

NARROW, WIDE = (80, 24), (160, 50)


@pytest.mark.parametrize("size", [NARROW, WIDE], ids=["80x24", "160x50"])
def test_main_screen(make_app, snap_compare, size):
    app = make_app()

    async def run_before(pilot):
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_main_screen_form_drawer_80x24(make_app, snap_compare):
    app = make_app()

    async def run_before(pilot):
        await settle(app, pilot)
        await pilot.press("f6")
        await settle(app, pilot)
        app.focused.cursor_blink = False  # a blinking cursor would make the picture depend on timing
        await pilot.pause()

    assert snap_compare(app, terminal_size=NARROW, run_before=run_before)


@pytest.mark.parametrize("size", [NARROW, WIDE], ids=["80x24", "160x50"])
def test_excluded_tab(make_app, snap_compare, size):
    app = make_app()

    async def run_before(pilot):
        await settle(app, pilot)
        await pilot.press("f3")
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [NARROW, WIDE], ids=["80x24", "160x50"])
def test_detail_screen(make_app, snap_compare, size):
    app = make_app()

    async def run_before(pilot):
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [NARROW, WIDE], ids=["80x24", "160x50"])
def test_compare_screen(make_app, snap_compare, size):
    app = make_app()

    async def run_before(pilot):
        await settle(app, pilot)
        await pilot.press("f4")
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_catalog_screen_80x24(make_app, snap_compare):
    app = make_app()

    async def run_before(pilot):
        await settle(app, pilot)
        await pilot.press("f5", *"kimi")
        await settle(app, pilot)
        await pilot.press("enter")  # the filter hands over to the visible table
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=NARROW, run_before=run_before)


def test_main_screen_budget_mode_80x24(make_app, snap_compare):
    """Budget mode at 80 columns: the compact column set keeps max users (the figure it ranks by)."""
    from advisor import api
    from advisor.tui.scenario import default_workload
    from tests.tui.helpers import DAYS

    data = default_workload(days_since_release=DAYS).model_dump(mode="json", exclude_none=True)
    data["objective"] = {"maximise": "users"}
    data["procurement"]["budget_usd"] = 5e8
    app = make_app(api.workload_from_dict(data))

    async def run_before(pilot):
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=NARROW, run_before=run_before)
