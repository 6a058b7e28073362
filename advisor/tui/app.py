"""AdvisorApp: holds the validated catalog and the current Workload, ranks it in a worker."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import TabbedContent
from textual.worker import Worker, WorkerState, get_current_worker

from advisor import api
from advisor.domain.catalog import Catalog
from advisor.domain.results import Recommendation
from advisor.domain.workload import Workload
from advisor.errors import AdvisorError
from advisor.locations import write_atomic
from advisor.tui import export
from advisor.tui.commands import AdvisorCommands
from advisor.tui.keyorder import OrderedKeysMixin
from advisor.tui.messages import EngineFailed, ResultsReady
from advisor.tui.scenario import workload_to_toml
from advisor.tui.screens.main import MainScreen

NARROW_BELOW = 100
"""Terminal width (columns) under which the layout is narrow."""
RANKINGS_KEPT = 32
"""Recommendations memoised by workload (undo, toggling a value back and forth: no engine run)."""



GRIDS_KEPT = 8
"""Throughput grids the app keeps for reuse (one per class and grid-changing setting)."""


class GridCache(OrderedDict[Any, Any]):
    """The newest GRIDS_KEPT grids by key, safe to share between ranking workers."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def get(self, key: object, default: object = None) -> object:
        with self._lock:
            return super().get(key, default)

    def __setitem__(self, key: object, value: object) -> None:
        with self._lock:
            super().__setitem__(key, value)
            self.move_to_end(key)
            while len(self) > GRIDS_KEPT:
                self.popitem(last=False)

class AdvisorApp(OrderedKeysMixin, App[int]):
    """The interactive advisor. Built from objects already validated (see advisor.tui.run)."""

    TITLE = "advisor"
    CSS_PATH = "app.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW_BELOW, "-wide")]  # classes on each screen
    """Below 100 columns the form becomes a drawer and the tables keep their key columns."""
    COMMANDS = App.COMMANDS | {AdvisorCommands}
    BINDINGS = [
        Binding("f1", "help", "Help", tooltip="List every key", id="help"),
        Binding("question_mark", "help", "Help", show=False, tooltip="List every key", id="help-alt"),
        Binding("f9", "toggle_theme", "Theme", tooltip="Switch between the light and dark theme", id="theme"),
        Binding("ctrl+q", "quit", "Quit", tooltip="Leave advisor", id="quit", priority=True),
    ]

    workload: var[Workload] = var(None, init=False)  # type: ignore[arg-type]
    """The last valid scenario (the form may hold an invalid edit on top of it)."""
    recommendation: var[Recommendation | None] = var(None, init=False)
    """The ranking of `workload` (or of the last workload that ranked)."""
    keep_inefficient: var[bool] = var(False, init=False)
    """Rank options needing over 10x the GPUs of the best one, or stuck at batch 1 (--keep-inefficient);
    a way of ranking, not part of the scenario (never saved)."""
    engine_error: var[str | None] = var(None, init=False)
    """Why the engine failed on the latest workload, if it did."""
    form_error: var[str | None] = var(None, init=False)
    """Why the form's current content is not a valid scenario, if it is not."""

    def __init__(self, catalog: Catalog, workload: Workload, *, factors=None, workload_path: str | Path | None = None,
                 dark: bool = True) -> None:
        super().__init__()
        self.catalog = catalog
        self.factors = factors
        self.workload_path = Path(workload_path) if workload_path else None
        self.export_path: Path | None = None
        self.last_rank_s: float | None = None
        """Engine time of the last ranking, seconds (read by benchmarks/tui.py)."""
        self.saved_workload: Workload = workload
        """The scenario as last opened or saved: quitting with another one asks first."""
        self.keymap_problems: list[str] = []
        self.keymap: dict[str, str] = {}
        self._grids: GridCache = GridCache()
        """The user's remaps in effect (binding id -> key), from the [keymap] table."""
        self._rankings: OrderedDict[str, Recommendation] = OrderedDict()
        self._rankings_lock = threading.Lock()
        self.set_reactive(AdvisorApp.workload, workload)
        if not dark:  # textual-dark is the default; setting it again would restyle everything once more
            self.theme = "textual-light"

    def get_default_screen(self) -> Screen:
        return MainScreen()

    def on_mount(self) -> None:
        self.sub_title = self.workload.name
        self.rank(self.workload)
        self.apply_user_keymap()

    @property
    def narrow(self) -> bool:
        return self.size.width < NARROW_BELOW

    @property
    def dirty(self) -> bool:
        """Unsaved changes: the scenario differs from the one opened or saved, or the form holds an edit."""
        return self.workload != self.saved_workload or self.form_error is not None

    # --- keys ---------------------------------------------------------------------------
    def all_bindings(self) -> list[tuple[str, list]]:
        """(section, bindings) for every screen: F1 help and the keymap check read this."""
        from advisor.tui.screens.catalog_browser import CatalogScreen
        from advisor.tui.screens.compare import CompareScreen
        from advisor.tui.screens.confirm import ConfirmScreen
        from advisor.tui.screens.detail import DetailScreen
        from advisor.tui.screens.path_prompt import PathPrompt

        return [("Everywhere", self.BINDINGS), ("Main screen", MainScreen.BINDINGS),
                ("Option detail", DetailScreen.BINDINGS), ("Compare", CompareScreen.BINDINGS),
                ("Catalog", CatalogScreen.BINDINGS), ("Dialogs", ConfirmScreen.BINDINGS + PathPrompt.BINDINGS)]

    def apply_user_keymap(self) -> None:
        """Read [keymap] from the config file and apply the good entries; notify the bad ones."""
        from advisor.tui.keymap import binding_ids, config_path, load_keymap

        known = set().union(*(binding_ids(b) for _, b in self.all_bindings()))
        path = config_path()
        self.keymap, self.keymap_problems = load_keymap(path, known)
        if self.keymap:
            self.set_keymap(self.keymap)
        if self.keymap_problems:
            self.notify("\n".join(self.keymap_problems), title="Key remaps skipped", severity="error", timeout=15)

    @property
    def main_screen(self) -> MainScreen:
        return cast(MainScreen, self.screen_stack[0])

    # --- the engine ---------------------------------------------------------------------
    def watch_workload(self, workload: Workload) -> None:
        self.sub_title = workload.name
        self.rank(workload)

    def watch_keep_inefficient(self) -> None:
        self.rank(self.workload)

    @work(thread=True, exclusive=True, exit_on_error=False, group="engine", description="Ranking")
    def rank(self, workload: Workload) -> None:
        started = time.perf_counter()
        keep = self.keep_inefficient
        key = f"{keep}:{workload.model_dump_json()}"
        message: ResultsReady | EngineFailed
        try:
            with self._rankings_lock:
                rec = self._rankings.get(key)
                if rec is not None:
                    self._rankings.move_to_end(key)
            if rec is None:
                # cost-only edits (prices, power, weights, demand) reuse the class grids: no engine pass
                rec = api.recommend(self.catalog, workload, fac=self.factors, grid_cache=self._grids,
                                    keep_inefficient=keep)
                with self._rankings_lock:
                    self._rankings[key] = rec
                    while len(self._rankings) > RANKINGS_KEPT:
                        self._rankings.popitem(last=False)
        except AdvisorError as exc:
            message = EngineFailed(workload, str(exc))
        else:
            message = ResultsReady(workload, rec, time.perf_counter() - started, keep)
        if not get_current_worker().is_cancelled:
            self.post_message(message)

    @on(ResultsReady)
    def _results(self, message: ResultsReady) -> None:
        if message.workload != self.workload or message.keep_inefficient != self.keep_inefficient:
            return  # a newer edit is being ranked
        self.last_rank_s = message.elapsed_s
        self.log.info(f"ranked {message.workload.name} in {message.elapsed_s * 1000:.0f} ms")
        self.engine_error = None
        self.recommendation = message.recommendation

    @on(EngineFailed)
    def _failed(self, message: EngineFailed) -> None:
        self.engine_error = message.error

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.group == "engine":
            error = event.worker.error
            self.engine_error = f"internal error: {type(error).__name__}: {error}"

    # --- navigation -------------------------------------------------------------------
    def action_help(self) -> None:
        from advisor.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        """Quit; with unsaved changes, ask first."""
        from advisor.tui.screens.confirm import ConfirmScreen

        if not self.dirty:
            self.exit(0)
            return
        if isinstance(self.screen, ConfirmScreen):
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self.exit(0)

        what = "The form holds an invalid edit" if self.form_error else "The scenario has unsaved changes"
        self.push_screen(ConfirmScreen(f"{what}.\nQuit without saving? (Ctrl+S saves)", yes="Quit", no="Stay"),
                         answer)

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def action_open_detail(self, rank: int | None = None) -> None:
        from advisor.tui.screens.detail import DetailScreen

        rec = self.recommendation
        if rec is None or not rec.options:
            self.notify("No option to explain: see the Excluded tab.", severity="warning")
            return
        option = self.main_screen.selected_option() if rank is None else None
        index = next((i for i, o in enumerate(rec.options) if (option and o.id == option.id) or o.rank == rank), 0)
        self.push_screen(DetailScreen(list(rec.options), index, self.workload))

    def action_show_excluded(self) -> None:
        self._to_main()
        self.main_screen.query_one("#tabs", TabbedContent).active = "tab-excluded"
        self.main_screen.query_one("#excluded").focus()

    def action_compare(self) -> None:
        from advisor.tui.screens.compare import CompareScreen

        rec = self.recommendation
        if rec is None or not rec.options:
            self.notify("Nothing to compare yet.", severity="warning")
            return
        # api.compare_fleets may land later; until then the top 3 options side by side
        self.push_screen(CompareScreen(list(rec.options[:3])))

    def action_catalog(self, kind: str = "accelerators", query: str = "") -> None:
        from advisor.tui.screens.catalog_browser import CatalogScreen

        self.push_screen(CatalogScreen(self.catalog, kind=kind, query=query))

    def _to_main(self) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()

    # --- files ------------------------------------------------------------------------
    def action_save(self) -> None:
        from advisor.tui.screens.path_prompt import PathPrompt

        default = str(self.workload_path or Path.cwd() / f"{self.workload.name}.toml")
        hint = "The form has invalid fields: the last valid scenario is saved." if self.form_error else ""
        self.push_screen(PathPrompt("Save scenario as (workload TOML)", default, hint=hint, ok="Save"),
                         self.save_to)

    def save_to(self, path: str | None) -> None:
        if not path:
            return
        text = workload_to_toml(self.workload)

        saved_workload = self.workload

        def saved(target: Path) -> None:
            self.workload_path = target
            self.saved_workload = saved_workload
            self.notify(f"Saved scenario to {target}")

        self._write(Path(path).expanduser(), text, saved)

    def action_load(self) -> None:
        from advisor.tui.screens.path_prompt import PathPrompt

        default = str(self.workload_path or Path.cwd())
        self.push_screen(PathPrompt("Open scenario (workload TOML)", default, ok="Open"), self.load_from)

    async def load_from(self, path: str | None) -> None:
        if not path:
            return
        try:
            workload = api.load_workload(Path(path).expanduser())
        except AdvisorError as exc:
            self.notify("\n".join(exc.lines()), title="Cannot open the scenario", severity="error", timeout=10)
            return
        self.workload_path = Path(path).expanduser()
        self._to_main()
        await self.main_screen.form.load(workload)
        self.form_error = None
        self.workload = workload
        self.saved_workload = workload
        self.notify(f"Opened {self.workload_path}")

    def action_export(self) -> None:
        from advisor.tui.screens.path_prompt import PathPrompt

        if self.recommendation is None:
            self.notify("Nothing to export yet.", severity="warning")
            return
        default = str(self.export_path or Path.cwd() / f"{self.workload.name}.json")
        self.push_screen(PathPrompt("Export the ranking to", default, hint="Format from the extension: .json, .csv or .md",
                                    ok="Export"), self.export_to)

    def export_to(self, path: str | None) -> None:
        if not path:
            return
        target = Path(path).expanduser()
        fmt = export.format_for(target)
        if fmt is None:
            self.notify(f"{target.name}: use a .json, .csv or .md file name", severity="error")
            return
        rec = self.recommendation
        if rec is None:
            self.notify("Nothing to export yet.", severity="warning")
            return
        text = export.render(rec, fmt)

        def exported(done: Path) -> None:
            self.export_path = done
            self.notify(f"Exported {fmt.upper()} to {done}")

        self._write(target, text, exported)

    def _write(self, target: Path, text: str, done) -> None:
        """Write without overwriting; an existing file is replaced only after a yes."""
        from advisor.tui.screens.confirm import ConfirmScreen

        try:
            write_atomic(target, text, overwrite=False)
        except FileExistsError:
            def answer(yes: bool | None) -> None:
                if yes:
                    try:
                        write_atomic(target, text, overwrite=True)
                    except OSError as exc:
                        self.notify(f"Cannot write {target}: {exc}", severity="error")
                        return
                    done(target)

            self.push_screen(ConfirmScreen(f"{target} exists.\nOverwrite it?"), answer)
            return
        except OSError as exc:
            self.notify(f"Cannot write {target}: {exc}", severity="error")
            return
        done(target)

    # --- scenario edits from the palette -------------------------------------------------
    async def use_model(self, model_id: str) -> None:
        """Serve every class with this model (command palette)."""
        data = self.workload.model_dump(mode="json", exclude_none=True)
        for cls in data["classes"]:
            cls["model"] = model_id
        workload = api.workload_from_dict(data)
        self._to_main()
        await self.main_screen.form.load(workload)
        self.workload = workload

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Toggle light/dark theme", "Switch between textual-light and textual-dark",
                            self.action_toggle_theme)
