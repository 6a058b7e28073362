"""Fleets to compare and sweeps to run: the files `advisor compare` and `advisor sweep` read.

A fleets file names fleets (system id x count, buy or rent, optional own prices), the
workload they serve (inline `[workload]` or `workload = "path.toml"`, resolved by the
loader) and optionally the baseline fleet. A sweep file names one workload (or a fleets
file) and the axes to vary. No I/O here.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field, model_validator

from advisor.domain.base import Count, Strict, UsdPrice
from advisor.domain.workload import Workload


class FleetMember(Strict):
    """`count` systems of one kind (a system id, or an accelerator id for its default system)."""

    system: str = Field(min_length=1, description="System id (or accelerator id) from the catalog.")
    count: int = Field(ge=1, le=1_000_000, description="Number of systems (nodes, racks, boxes), not GPUs.")
    procurement: Literal["buy", "rent"] | None = Field(default=None, description="Overrides the fleet's procurement.")
    usd_per_gpu: UsdPrice | None = Field(default=None, description="Own purchase price per GPU (buy).")
    usd_per_gpu_hour: UsdPrice | None = Field(default=None, description="Own price per GPU-hour (rent).")


class Fleet(Strict):
    name: str = Field(min_length=1)
    description: str = ""
    procurement: Literal["buy", "rent"] = "buy"
    members: list[FleetMember] = Field(min_length=1, description="What the fleet is made of; at least one member.")


class FleetsFile(Strict):
    """Named fleets side by side for one workload."""

    name: str = "fleets"
    description: str = ""
    workload: Workload = Field(description="Inline [workload] table, or workload = \"path.toml\" relative to this file.")
    baseline: str | None = Field(default=None, description="Name of the fleet the others are compared with.")
    fleets: list[Fleet] = Field(min_length=1)

    @model_validator(mode="after")
    def _names(self) -> FleetsFile:
        names = [f.name for f in self.fleets]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"fleet names must be unique (repeated: {', '.join(dup)})")
        if self.baseline is not None and self.baseline not in names:
            from difflib import get_close_matches

            close = get_close_matches(self.baseline, names, n=1, cutoff=0.5)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"baseline {self.baseline!r} is not one of the fleets ({', '.join(names)}).{hint}")
        return self


AxisName = Literal[
    "usd_per_kwh", "usd_per_gpu", "usd_per_gpu_multiplier", "usd_per_gpu_hour", "usd_per_gpu_hour_multiplier",
    "utilisation", "concurrent_users", "days_since_release", "min_tok_s_per_user", "isl", "osl",
]

GRID_AXES = frozenset({"days_since_release", "isl", "osl"})
"""Axes that change the throughput grid: one grid evaluation per distinct value."""
SELECT_AXES = frozenset({"min_tok_s_per_user"})
"""Axes that change which cell of a grid is chosen (not the grid itself)."""
COST_AXES = frozenset({"usd_per_kwh", "usd_per_gpu", "usd_per_gpu_multiplier", "usd_per_gpu_hour",
                       "usd_per_gpu_hour_multiplier", "utilisation", "concurrent_users"})
"""Axes applied vectorised across all scenarios at once."""

AXIS_UNITS = {
    "usd_per_kwh": "USD/kWh", "usd_per_gpu": "USD/GPU", "usd_per_gpu_multiplier": "x catalog price",
    "usd_per_gpu_hour": "USD/GPU-hour", "usd_per_gpu_hour_multiplier": "x catalog price", "utilisation": "fraction",
    "concurrent_users": "users", "days_since_release": "days", "min_tok_s_per_user": "tok/s/user",
    "isl": "tokens", "osl": "tokens",
}

AXIS_RANGES: dict[str, tuple[float, float]] = {
    "usd_per_kwh": (0.0, 10.0), "usd_per_gpu": (0.0, 1e9), "usd_per_gpu_multiplier": (0.0, 1000.0),
    "usd_per_gpu_hour": (0.0, 1e9), "usd_per_gpu_hour_multiplier": (0.0, 1000.0), "utilisation": (0.01, 1.0),
    "concurrent_users": (1.0, 1e9), "days_since_release": (0.0, 36_500.0), "min_tok_s_per_user": (0.0, 1e6),
    "isl": (1.0, 4_194_304.0), "osl": (1.0, 1_048_576.0),
}
"""Allowed values per axis (bounds inclusive; 0 only where the axis allows 0, see ZERO_OK_AXES)."""
ZERO_OK_AXES = frozenset({"days_since_release", "min_tok_s_per_user"})

FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


class Axis(Strict):
    """One thing to vary: `values = [...]`, or `start`/`stop` with `steps` (count) or `step` (increment)."""

    name: AxisName
    system: str | None = Field(default=None, description="Price axes only: the system (or accelerator) id it applies to; all systems when absent.")
    values: list[FiniteFloat] | None = Field(default=None, max_length=10_000_000, description="Values in the axis's range (AXIS_RANGES).")
    start: FiniteFloat | None = None
    stop: FiniteFloat | None = None
    steps: int | None = Field(default=None, ge=1, le=10_000_000, description="Number of values from start to stop inclusive.")
    step: FiniteFloat | None = Field(default=None, description="Increment from start up to stop inclusive.")

    @model_validator(mode="after")
    def _shape(self) -> Axis:
        ranged = self.start is not None or self.stop is not None or self.steps is not None or self.step is not None
        if self.values is not None and ranged:
            raise ValueError("give either values = [...] or start/stop with steps or step, not both")
        if self.values is None and not ranged:
            raise ValueError(f"axis {self.name!r} has no values: give values = [...] or start, stop and steps (or step)")
        if self.values is not None and not self.values:
            raise ValueError(f"axis {self.name!r} has no values (values = [])")
        ends = self.values if self.values is not None else []
        if ranged:
            start, stop = self.start, self.stop
            if start is None or stop is None:
                raise ValueError("a range needs both start and stop")
            if (self.steps is None) == (self.step is None):
                raise ValueError("a range needs exactly one of steps (a count) or step (an increment)")
            if self.step is not None:
                if self.step == 0 or (stop - start) * self.step < 0:
                    raise ValueError(f"step {self.step:g} never gets from {start:g} to {stop:g}")
                if abs(stop - start) / abs(self.step) > 10_000_000:
                    raise ValueError("step is too small: more than 10,000,000 values on one axis")
            ends = [start, stop]
        if self.system is not None and not self.name.startswith("usd_per_gpu"):
            raise ValueError(f"system applies to price axes only, not {self.name!r}")
        bad = [v for v in ends if not math.isfinite(v) or v < 0 or (v == 0 and self.name not in ZERO_OK_AXES)]
        if bad:
            raise ValueError(f"axis {self.name!r}: values must be positive (got {bad[0]:g})")
        if self.name == "utilisation" and any(v > 1 for v in ends):
            raise ValueError("utilisation is a fraction of the peak: values must be in (0, 1]")
        low, high = AXIS_RANGES[self.name]
        out = [v for v in ends if not low <= v <= high]
        if out:
            raise ValueError(f"axis {self.name!r}: values must be between {low:g} and {high:g} (got {out[0]:g})")
        return self

    def _span(self) -> tuple[float, float]:
        """start and stop of a range axis (`_shape` has made sure both are there when `values` is not)."""
        assert self.start is not None and self.stop is not None, "an axis without values has start and stop"
        return self.start, self.stop

    def count(self) -> int:
        if self.values is not None:
            return len(self.values)
        if self.steps is not None:
            return self.steps
        start, stop = self._span()
        assert self.step is not None, "a range without steps has a step"
        return int(math.floor((stop - start) / self.step + 1e-9)) + 1

    def resolved(self) -> list[float]:
        """The values in order (ranges inclusive of both ends; integer axes rounded)."""
        if self.values is not None:
            vals = list(self.values)
        elif self.steps is not None:
            start, stop = self._span()
            vals = [start] if self.steps == 1 else [
                start + (stop - start) * i / (self.steps - 1) for i in range(self.steps)]
        else:
            start, step = self._span()[0], self.step
            assert step is not None, "a range without steps has a step"
            vals = [start + i * step for i in range(self.count())]
        vals = [round(v, 12) for v in vals]
        if self.name in ("isl", "osl", "concurrent_users"):
            vals = [float(max(1, round(v))) for v in vals]
        return vals

    @property
    def label(self) -> str:
        return self.name + (f"[{self.system}]" if self.system else "")


class SweepFile(Strict):
    """One workload (or a fleets file) and the axes to vary; the scenarios are their full grid."""

    name: str = "sweep"
    description: str = ""
    workload: Workload | None = Field(default=None, description="Inline [workload] table, or workload = \"path.toml\".")
    fleets: FleetsFile | None = Field(default=None, description="fleets = \"path.toml\": sweep the fleets of that file instead of the catalog.")
    axes: list[Axis] = Field(min_length=1)
    max_scenarios: Count = Field(default=1_000_000, description="Refuse bigger sweeps unless forced.")
    plot_axis: str | None = Field(default=None, description="Axis drawn by --plot (default: the first with more than one value).")

    @model_validator(mode="after")
    def _check(self) -> SweepFile:
        if (self.workload is None) == (self.fleets is None):
            raise ValueError("give exactly one of workload (a table or a path) or fleets (a path)")
        labels = [a.label for a in self.axes]
        dup = sorted({x for x in labels if labels.count(x) > 1})
        if dup:
            raise ValueError(f"axes repeat: {', '.join(dup)}")
        if self.plot_axis is not None and self.plot_axis not in labels:
            raise ValueError(f"plot_axis {self.plot_axis!r} is not one of the axes ({', '.join(labels)})")
        return self

    @property
    def scenario_count(self) -> int:
        return math.prod(a.count() for a in self.axes)

    @property
    def base_workload(self) -> Workload:
        if self.workload is not None:
            return self.workload
        assert self.fleets is not None, "_check makes sure a sweep has a workload or fleets"
        return self.fleets.workload
