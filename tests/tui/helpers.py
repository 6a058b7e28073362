"""Helpers for the TUI tests."""

from __future__ import annotations

DAYS = 120.0
"""days_since_release pinned for every test scenario, so results do not move with the date."""


async def settle(app, pilot, *, debounce: bool = False) -> None:
    """Let an edit pass the debounce, the engine worker finish and its message land."""
    if debounce:
        from advisor.tui.screens.main import DEBOUNCE_S

        await pilot.pause(DEBOUNCE_S + 0.1)
    from advisor.tui.screens.main import MainScreen

    main = app.screen_stack[0] if app.screen_stack else None
    for _ in range(200):  # the form mounts after the first paint (Lazy)
        if isinstance(main, MainScreen) and main.query("#form"):
            break
        await pilot.pause(0.01)
    await app.workers.wait_for_complete()
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    await tables_sized(app, pilot)
    await underlines_placed(app, pilot)


async def underlines_placed(app, pilot) -> None:
    """A tab's underline is re-measured after its label changes ("Ranking" -> "Ranking (29)"), one refresh
    later; place it now (Textual's own method, no animation) so a snapshot never catches the old width."""
    from textual.widgets import Tabs

    await pilot.pause()
    for tabs in app.screen.query(Tabs):
        tabs._highlight_active(animate=False)
    await pilot.pause()


async def tables_sized(app, pilot) -> None:
    """DataTables size their columns when idle; a snapshot must not catch them half-way."""
    from textual.widgets import DataTable

    for _ in range(200):
        pending = [t for t in app.screen.query(DataTable)
                   if t.row_count and t.virtual_size.height < t.row_count + int(t.show_header)]
        if not pending:
            return
        await pilot.pause(0.01)


CHAR_KEYS = {".": "full_stop", "/": "slash", "-": "minus", "_": "underscore", " ": "space"}


async def burst(app, pilot, *keys: str) -> None:
    """Send keys the way one terminal read delivers them: all queued at once, nothing handled in between.

    (Pilot.press waits for the app to go idle after every key, which hides ordering bugs.)
    Single characters are typed; longer names ("backspace", "tab", "ctrl+s") are keys.
    """
    from textual import events

    for key in keys:
        if len(key) == 1:
            app.post_message(events.Key(CHAR_KEYS.get(key, key), key))
        else:
            app.post_message(events.Key(key, None))
    for _ in range(300):
        await pilot.pause(0.01)
        if not getattr(app, "_keys_waiting", None) and getattr(app, "_fence_pending", None) is None:
            break
    await pilot.pause()
