"""Browse the catalog: accelerators, systems, ecosystems, models; filter; sources of the selected entry."""

from __future__ import annotations

import re

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Static, TabbedContent, TabPane

from advisor.domain.catalog import Catalog
from advisor.report.columns import CATALOG_COLUMNS, catalog_row
from advisor.tui.widgets.footer import FittingFooter

_CORPUS = re.compile(r"^code-corpus file id \d+\s*\((?P<title>.+)\)\s*$", re.S)
_URL = re.compile(r"https?://\S+")


def source_label(source: str) -> str:
    """A source as a reader can use it: its URL, or its title for an indexed file (no opaque ids)."""
    m = _CORPUS.match(source.strip())
    if m:
        return m.group("title").strip()
    url = _URL.search(source)
    if url and url.group(0) != source.strip():
        title = (source[: url.start()] + source[url.end():]).strip(" -–:()[],")
        return f"{title}: {url.group(0)}" if title else url.group(0)
    return source.strip()

KINDS = ("accelerators", "systems", "ecosystems", "models")
"""The kinds browsed here; their columns are the CLI's (advisor.report.columns)."""


class CatalogScreen(Screen):
    """One table per kind; the filter matches any cell; the pane below shows where the facts come from."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", tooltip="Back to the ranking", id="back"),
        Binding("ctrl+f", "focus_filter", "Filter", tooltip="Type to filter the entries", id="catalog-filter"),
    ]

    def __init__(self, catalog: Catalog, *, kind: str = "accelerators", query: str = "") -> None:
        super().__init__()
        self.catalog = catalog
        self.initial_kind = kind
        self.initial_query = query

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(self.initial_query, placeholder="filter (id, vendor, any column)", id="catalog-filter", compact=True)
        with TabbedContent(id="catalog-tabs", initial=f"kind-{self.initial_kind}"):
            for kind in KINDS:
                with TabPane(kind.capitalize(), id=f"kind-{kind}"):
                    yield DataTable(id=f"table-{kind}", cursor_type="row", zebra_stripes=True)
        yield Static(id="catalog-sources")
        yield FittingFooter()

    def on_mount(self) -> None:
        for kind in KINDS:
            table = self.query_one(f"#table-{kind}", DataTable)
            for col in CATALOG_COLUMNS[kind]:
                table.add_column(col.header)
        self.fill(self.initial_query)
        self._only_visible_tab_focusable()
        self.query_one("#catalog-filter", Input).focus()

    def fill(self, query: str) -> None:
        q = query.strip().lower()
        for kind in KINDS:
            table = self.query_one(f"#table-{kind}", DataTable)
            table.clear()
            for entry in self.catalog.entries[kind].values():
                cells = catalog_row(self.catalog, kind, entry)
                if q and not any(q in str(c).lower() for c in cells + [entry.name]):
                    continue
                table.add_row(*cells, key=entry.id)
            self.query_one(f"#kind-{kind}", TabPane)
            self.query_one("#catalog-tabs", TabbedContent).get_tab(f"kind-{kind}").label = (
                f"{kind.capitalize()} ({table.row_count})")
        self._show_current()

    def action_focus_filter(self) -> None:
        self.query_one("#catalog-filter", Input).focus()

    @on(Input.Changed, "#catalog-filter")
    def _filter(self, event: Input.Changed) -> None:
        self.fill(event.value)
        # nothing here but matches elsewhere: show the first tab that has some
        tabs = self.query_one("#catalog-tabs", TabbedContent)
        active = (tabs.active or "").removeprefix("kind-")
        if active and not self.query_one(f"#table-{active}", DataTable).row_count:
            for kind in KINDS:
                if self.query_one(f"#table-{kind}", DataTable).row_count:
                    tabs.active = f"kind-{kind}"
                    break

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        kind = (event.data_table.id or "").removeprefix("table-")
        active = (self.query_one("#catalog-tabs", TabbedContent).active or "").removeprefix("kind-")
        if kind == active and event.row_key is not None and event.row_key.value:
            self.show_sources(kind, event.row_key.value)  # hidden tables never speak for the visible one

    @on(TabbedContent.TabActivated)
    def _tab(self) -> None:
        self._only_visible_tab_focusable()
        self._show_current()

    def _only_visible_tab_focusable(self) -> None:
        """Tab and Enter reach only the table that is showing (hidden ones stay out of the focus chain)."""
        active = self.query_one("#catalog-tabs", TabbedContent).active
        for kind in KINDS:
            self.query_one(f"#table-{kind}", DataTable).can_focus = active == f"kind-{kind}"

    @on(Input.Submitted, "#catalog-filter")
    def _to_table(self) -> None:
        active = (self.query_one("#catalog-tabs", TabbedContent).active or "").removeprefix("kind-")
        if active:
            self.query_one(f"#table-{active}", DataTable).focus()

    def _show_current(self) -> None:
        active = (self.query_one("#catalog-tabs", TabbedContent).active or "").removeprefix("kind-")
        if not active:
            return
        table = self.query_one(f"#table-{active}", DataTable)
        if table.row_count:
            ident = table.coordinate_to_cell_key(Coordinate(max(table.cursor_row, 0), 0)).row_key.value
            if ident is not None:
                self.show_sources(active, ident)
        else:
            self.query_one("#catalog-sources", Static).update("no entry matches the filter")

    def show_sources(self, kind: str, ident: str) -> None:
        entry = self.catalog.entries[kind].get(ident)
        if entry is None:
            return
        layer = self.catalog.source_of(kind, entry.id)
        lines = [f"[b]{entry.name}[/b] ({kind[:-1]} {entry.id}) · layer: {layer} · as of {entry.as_of}"]
        if entry.estimated:
            lines.append(f"estimated: {', '.join(entry.estimated)}")
        lines += [f"• {source_label(s)}" for s in entry.sources]
        if entry.notes:
            lines.append(entry.notes)
        from rich.markup import escape

        self.query_one("#catalog-sources", Static).update(lines[0] + "\n" + escape("\n".join(lines[1:])))
