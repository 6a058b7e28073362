"""Pydantic domain models: catalog entries, workloads, results. No I/O, no numpy maths."""

from advisor.domain.base import Entry, Precision, normalise_id
from advisor.domain.hardware import Accelerator, System
from advisor.domain.software import Ecosystem
from advisor.domain.llm import LLM
from advisor.domain.measured import BenchmarkPoint
from advisor.domain.pricing import PricePoint, Defaults
from advisor.domain.catalog import Catalog, KINDS

__all__ = [
    "Entry", "Precision", "normalise_id", "Accelerator", "System", "Ecosystem", "LLM",
    "BenchmarkPoint", "PricePoint", "Defaults", "Catalog", "KINDS",
]
