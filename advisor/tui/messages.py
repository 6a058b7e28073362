"""App-wide messages: results from the engine workers, and their failures."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from advisor.domain.results import Recommendation
from advisor.domain.workload import Workload


@dataclass
class ResultsReady(Message):
    """The engine ranked a workload (posted from the engine thread)."""

    workload: Workload
    recommendation: Recommendation
    elapsed_s: float
    keep_inefficient: bool = False
    """Whether inefficient options were kept in this ranking."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ResultsReady)


@dataclass
class EngineFailed(Message):
    """The engine raised for a workload; the last good ranking stays on screen."""

    workload: Workload | None
    error: str


@dataclass
class FrontierReady(Message):
    """Pareto fronts for the detail screen's plot (posted from a frontier worker)."""

    fronts: dict
    error: str | None = None
