"""The class editor's precision select offers every precision the engine knows (advisor.domain.base.PRECISION_ORDER)."""

from __future__ import annotations

from textual.widgets import Select

from advisor.domain.base import PRECISION_ORDER
from tests.tui.helpers import settle


async def test_precision_select_offers_q3_and_a_q3_class_reaches_the_workload(make_app):
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        select = app.screen.query_one("#class1-precision", Select)
        overlay_values = [value for _, value in select._options]  # (label, value) pairs, the blank first if any
        assert [v for v in overlay_values if v != Select.BLANK] == ["auto", *PRECISION_ORDER]
        select.focus()
        select.value = "q3"  # raises InvalidSelectValueError if the select does not offer it
        await settle(app, pilot, debounce=True)
        assert app.form_error is None
        assert app.workload.classes[0].precision == "q3"
