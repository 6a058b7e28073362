"""The scenario form: workload, demand, datacenter, procurement, objective and budget, and score weights.

The form reads and marks fields; it does not rank. It posts `Edited` on every change,
and its owner decides when to validate (`collect`) and mark (`mark_problems`).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from advisor.domain.catalog import Catalog
from advisor.domain.workload import Workload
from advisor.errors import Problem
from advisor.tui.widgets.class_editor import ClassEditor
from advisor.tui.widgets.form_field import FieldSpec, FormField

COOLING = (("both (air or liquid)", "both"), ("air only", "air"), ("liquid only", "liquid"))
PROCUREMENT = (("buy or rent", "both"), ("buy", "buy"), ("rent", "rent"))
OBJECTIVES = (("best score", "score"), ("most users in budget", "users"))
BUDGET_BASIS = (("all cost (TCO)", "tco"), ("capex (rent: rent)", "capex"))
RUN = "run"
"""The pseudo-section of settings that are not part of the workload (how to rank it: keep_inefficient)."""
REGIONS = ("global", "us", "eu", "china")


def data_section(group: str, spec: FieldSpec) -> str:
    """The workload section a field of a form group edits (a group may show fields of another section)."""
    return str(spec.extra.get("section", group))


def section_specs(catalog: Catalog) -> dict[str, list[FieldSpec]]:
    """The non-class fields by form group ("" is the top level); a group is the workload section its fields
    edit, unless a field names another in `extra["section"]` (the objective group shows the budget)."""
    tiers = sorted({p.tier for p in catalog.prices.values()})
    vendors = tuple(sorted({a.vendor for a in catalog.accelerators.values()}))
    regions = tuple(dict.fromkeys(REGIONS + tuple(sorted({r for s in catalog.systems.values()
                                                          for r in s.regions + s.excluded_regions}))))
    return {
        "": [FieldSpec("name", "scenario", "str")],
        "demand": [
            FieldSpec("concurrent_users", "concurrency", "int", optional=True, minimum=1, placeholder="users",
                      tooltip="Peak requests in flight across the mix (or give requests/s)"),
            FieldSpec("requests_per_s", "requests/s", "float", optional=True, minimum=0, placeholder="or rate",
                      tooltip="Peak arrival rate, converted with Little's law (give this or concurrency)"),
            FieldSpec("utilisation", "utilisation", "float", optional=True, minimum=0, maximum=1,
                      tooltip="Average load as a fraction of the peak"),
        ],
        "datacenter": [
            FieldSpec("cooling", "cooling", "select", options=COOLING),
            FieldSpec("max_rack_kw", "rack kW", "float", minimum=0, tooltip="Power a rack position can draw, kW"),
            FieldSpec("site_mw", "site MW", "float", optional=True, minimum=0, placeholder="no cap",
                      tooltip="All-in power budget of the site, MW"),
            FieldSpec("usd_per_kwh", "$/kWh", "float", optional=True, minimum=0, tooltip="Electricity price"),
            FieldSpec("pue_air", "PUE air", "float", optional=True, minimum=1, maximum=3),
            FieldSpec("pue_liquid", "PUE liquid", "float", optional=True, minimum=1, maximum=3),
            FieldSpec("region", "region", "str", known=regions, tooltip="Where the fleet runs: global, us, eu, china, ..."),
            FieldSpec("allow_liquid_retrofit", "retrofit", "bool", placeholder="liquid retrofit",
                      tooltip="Let liquid-only systems into an air hall at the retrofit cost"),
        ],
        "procurement": [
            FieldSpec("mode", "buy/rent", "select", options=PROCUREMENT),
            FieldSpec("horizon_years", "horizon yrs", "float", optional=True, minimum=0, maximum=15),
            FieldSpec("price_tier", "price tier", "select", optional=True,
                      options=tuple((t, t) for t in tiers), placeholder=f"default ({catalog.defaults.price_tier})"),
            FieldSpec("allowed_vendors", "vendors", "list", known=vendors, placeholder="all",
                      tooltip="Comma-separated vendors to allow (empty = all)"),
            FieldSpec("allowed_ecosystems", "ecosystems", "list", known=tuple(sorted(catalog.ecosystems)),
                      placeholder="all", tooltip="Comma-separated ecosystems to allow (empty = all)"),
            FieldSpec("days_since_release", "model age d", "float", optional=True, minimum=0, placeholder="from today",
                      tooltip="Software maturity: days since the models' release (empty: counted to today)"),
            FieldSpec("spare_replicas", "spare replicas", "int", optional=True, minimum=0, placeholder="0",
                      tooltip="Redundancy N+k: spare replicas added to every class (a per-class table in the "
                              "scenario file is kept while this is empty)"),
            FieldSpec("headroom_target", "headroom", "float", optional=True, minimum=0, maximum=10, placeholder="0.2",
                      tooltip="Spare capacity above peak demand every class is sized for (fraction, default 0.2)"),
        ],
        "objective": [
            FieldSpec("maximise", "maximise", "select", options=OBJECTIVES,
                      tooltip="Rank by the weighted score, or by the most concurrent users the budget serves at the "
                              "SLOs (needs a budget; demand is then optional)"),
            FieldSpec("budget_usd", "budget $", "float", optional=True, minimum=0, placeholder="no cap",
                      tooltip="Spending cap (what it caps: budget basis)", extra={"section": "procurement"}),
            FieldSpec("budget_basis", "budget basis", "select", options=BUDGET_BASIS,
                      tooltip="tco: all cost over the horizon (buy and rent alike); capex: the purchase (rent: rent "
                              "over the horizon)", extra={"section": "procurement"}),
            FieldSpec("keep_inefficient", "inefficient", "bool", placeholder="keep inefficient",
                      tooltip="Rank options needing over 10x the GPUs of the best one, or stuck at batch 1 "
                              "(not saved in the scenario: like --keep-inefficient)", extra={"section": RUN}),
        ],
        "weights": [
            FieldSpec(k, label, "float", minimum=0)
            for k, label in (("cost", "w cost"), ("ecosystem_risk", "w eco risk"), ("power", "w power"),
                             ("headroom", "w headroom"), ("vendor_diversity", "w diversity"))
        ],
    }


TITLES = {"demand": "Demand", "datacenter": "Datacenter", "procurement": "Procurement",
          "objective": "Objective & budget", "weights": "Score weights"}
DEMAND_KEYS = ("concurrent_users", "requests_per_s")
USERS_MODE_PLACEHOLDER = "optional: budget"
"""What the demand fields say in users mode (the budget sizes the fleet; shares still split the classes)."""
_CLASS_KEY = re.compile(r"^classes\[(\d+)\]\.(\w+)")


class ScenarioForm(VerticalScroll):
    """Every editable part of a Workload; keys it does not show are kept from the loaded one."""

    class Edited(Message):
        """Some field changed (valid or not)."""

    def __init__(self, catalog: Catalog, workload: Workload, *, keep_inefficient: bool = False,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.keep_inefficient = keep_inefficient
        """The run option shown by the keep-inefficient box (kept across Open, never saved in the scenario)."""
        self.catalog = catalog
        self.specs = section_specs(catalog)
        self._next_uid = 0
        self.base: dict = {}
        self._set_base(workload)

    def _set_base(self, workload: Workload) -> None:
        self.base = workload.model_dump(mode="json", exclude_none=True)
        models = {m.id: m.name for m in self.catalog.models.values()}
        for cls in workload.classes:  # a file may name a model by an alias: offer it as written (the select needs it)
            if cls.model not in models:
                try:
                    models[cls.model] = f"{self.catalog.model(cls.model).name} ({cls.model})"
                except LookupError:
                    models[cls.model] = cls.model
        self.models = sorted(((name, ident) for ident, name in models.items()), key=lambda p: p[0].lower())
        self.base[RUN] = {"keep_inefficient": self.keep_inefficient}
        spares = self.base.get("procurement", {}).get("spare_replicas")
        self._spares_by_class = spares if isinstance(spares, dict) else None
        """A per-class spare_replicas table from the file: kept while the (one integer) field is empty."""

    def _demand_is_placeholder(self) -> bool:
        demand = self.base.get("demand", {})
        return demand.get("concurrent_users") == 1 and "requests_per_s" not in demand

    @property
    def users_mode(self) -> bool:
        return bool(self.base.get("objective", {}).get("maximise") == "users")

    def _uid(self) -> int:
        self._next_uid += 1
        return self._next_uid

    def compose(self) -> ComposeResult:
        yield Static("", id="form-error")
        for section, specs in self.specs.items():
            if section == "":
                yield Label("Workload", classes="section-title")
                for spec in specs:
                    yield FormField(spec, self.base.get(spec.key), field_id=f"f-{spec.key}")
                with Vertical(id="classes"):
                    for data in self.base["classes"]:
                        yield ClassEditor(data, uid=self._uid(), models=self.models)
                yield Button("+ Add class", id="add-class", compact=True, tooltip="Add a traffic class")
                continue
            yield Label(TITLES[section], classes="section-title")
            for spec in specs:
                where = data_section(section, spec)
                value = self.base.get(where, {}).get(spec.key)
                if section == "demand" and spec.key in DEMAND_KEYS and self.users_mode:
                    spec = replace(spec, placeholder=USERS_MODE_PLACEHOLDER)
                    if self._demand_is_placeholder():
                        value = None  # the one-user stand-in the workload puts in when [demand] is left out
                if spec.key == "spare_replicas" and isinstance(value, dict):
                    spec = replace(spec, placeholder="per class (file)")
                    value = None
                yield FormField(spec, value, field_id=f"f-{where}-{spec.key}")

    async def load(self, workload: Workload) -> None:
        """Show another workload (after Open)."""
        self._set_base(workload)
        await self.recompose()

    # --- classes -------------------------------------------------------------------
    def editors(self) -> list[ClassEditor]:
        return list(self.query(ClassEditor))

    async def add_traffic_class(self) -> ClassEditor:
        editors = self.editors()
        first = editors[0].collect()[0] if editors else {}
        taken = {e.collect()[0].get("name") for e in editors}
        n = len(editors) + 1
        while f"class{n}" in taken:
            n += 1
        data = {"name": f"class{n}", "model": first.get("model", self.models[0][1]),
                "isl": first.get("isl", 1024), "osl": first.get("osl", 1024), "share": 0.1,
                "min_tok_s_per_user": first.get("min_tok_s_per_user", 0)}
        editor = ClassEditor(data, uid=self._uid(), models=self.models)
        await self.query_one("#classes").mount(editor)
        editor.scroll_visible()
        self.post_message(self.Edited())
        return editor

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "add-class":
            event.stop()
            await self.add_traffic_class()

    async def on_class_editor_remove_requested(self, event: ClassEditor.RemoveRequested) -> None:
        event.stop()
        if len(self.editors()) <= 1:
            self.notify("A scenario needs at least one traffic class.", severity="warning")
            return
        await event.editor.remove()
        self.post_message(self.Edited())

    # --- edits ---------------------------------------------------------------------
    def on_input_changed(self, event: Input.Changed) -> None:
        self.post_message(self.Edited())

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "f-objective-maximise":
            self._show_objective(event.value == "users")
        self.post_message(self.Edited())

    def _show_objective(self, users: bool) -> None:
        """Users mode: the demand fields say they are optional (the budget sizes the fleet)."""
        self.set_class(users, "-users-mode")
        fields = self.section_fields()
        for key in DEMAND_KEYS:
            field = fields.get(("demand", key))
            if field is not None and isinstance(field.control, Input):
                plain = next(spec.placeholder for spec in self.specs["demand"] if spec.key == key)
                field.control.placeholder = USERS_MODE_PLACEHOLDER if users else plain

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self.post_message(self.Edited())

    def section_fields(self) -> dict[tuple[str, str], FormField]:
        out = {}
        for f in self.query(FormField):
            if f.field_id.startswith("f-"):
                parts = f.field_id[2:].split("-", 1)
                out[(parts[0], parts[1]) if len(parts) == 2 else ("", parts[0])] = f
        return out

    def collect(self) -> tuple[dict[str, Any] | None, int]:
        """(workload dict, number of unreadable fields); the dict is None when any field is unreadable."""
        data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in self.base.items() if k != RUN}
        bad = 0
        for (section, key), f in self.section_fields().items():
            ok, value = f.read()
            bad += not ok
            if section == RUN:
                if ok:
                    setattr(self, key, bool(value))
                continue
            target = data if section == "" else data.setdefault(section, {})
            if value is None and key == "spare_replicas" and self._spares_by_class is not None:
                target[key] = dict(self._spares_by_class)  # the file's per-class table stands while the field is empty
            elif value is None or value == []:
                target.pop(key, None)
            else:
                target[key] = value
        classes = []
        for editor in self.editors():
            cls, ok = editor.collect()
            bad += not ok
            classes.append(cls)
        data["classes"] = classes
        return (None if bad else data), bad

    def mark_problems(self, problems: list[Problem]) -> list[str]:
        """Put each problem on its field; returns the ones no field owns."""
        fields = self.section_fields()
        editors = self.editors()
        for f in self.query(FormField):
            if f.model_error is not None:
                f.set_model_error(None)
        loose: list[str] = []
        for p in problems:
            key = p.key or ""
            m = _CLASS_KEY.match(key)
            target = None
            if m and int(m.group(1)) < len(editors):
                target = editors[int(m.group(1))].fields().get(m.group(2))
            elif "." in key:
                section, rest = key.split(".", 1)
                target = fields.get((section, rest.split(".")[0].split("[")[0]))
            elif key in ("name",):
                target = fields.get(("", key))
            elif "budget_usd" in p.message and ("procurement", "budget_usd") in fields:
                target = fields[("procurement", "budget_usd")]  # "maximise = 'users' needs procurement.budget_usd"
            elif key == "demand":
                for k in ("concurrent_users", "requests_per_s"):
                    fields[("demand", k)].set_model_error(p.message)
                continue
            if target is None and "share" in p.message:
                for e in editors:
                    e.fields()["share"].set_model_error(p.message)
                continue
            if target is not None:
                target.set_model_error(p.message)
            else:
                loose.append((f"{key}: " if key else "") + p.message)
        error = self.query_one("#form-error", Static)
        text = "\n".join(loose)
        if text != getattr(self, "_loose_text", ""):  # an unchanged message costs no layout pass
            self._loose_text = text
            error.update(text)
            error.set_class(bool(loose), "-shown")
        return loose
