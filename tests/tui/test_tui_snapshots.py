"""SVG snapshots of the main and detail screens at 100x30 (deterministic: days_since_release pinned).

Update with `pytest tests/tui --snapshot-update` only after looking at the new SVGs.
"""

from __future__ import annotations

from tests.tui.helpers import settle


def test_main_screen(make_app, snap_compare):
    app = make_app()

    async def run_before(pilot):
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_detail_screen(make_app, snap_compare):
    app = make_app()

    async def run_before(pilot):
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)
