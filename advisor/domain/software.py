"""Software ecosystems (CUDA, ROCm, CANN, ...) and their maturity curves."""

from __future__ import annotations

from pydantic import Field

from advisor.domain.base import Days, Entry, Fraction01, FractionOrZero, Precision, Strict


class Maturity(Strict):
    """Throughput as a fraction of mature, over days since a model's release.

    fraction(d) = day0_fraction ** max(0, 1 - d / days_to_mature): a straight line in
    log space from day 0 to maturity (ROCm on DeepSeek V4 Pro: ~1% on day 0, 110x by day 26).
    """

    day0_fraction: Fraction01 = Field( description="Fraction of mature throughput on the model's release day.")
    days_to_mature: Days = Field( description="Days after release until throughput is mature.")


class Ecosystem(Entry):
    """A vendor software stack used to serve LLMs."""

    vendor: str
    frameworks: list[str] = Field(min_length=1)
    precisions: list[Precision] = Field(min_length=1, description="Precisions the stack serves LLMs in.")
    maturity: Maturity
    risk: FractionOrZero = Field( description="Ecosystem risk for scoring: 0 = none (mature, day-0 support), 1 = high.")
