"""Accelerators (one chip) and systems (the buyable unit that holds them)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from advisor.domain.base import (
    PRECISION_ORDER, ComputePrecision, Count, Entry, GbPerS, Gigabytes, Kilowatts, Precision, TbPerS, Tflops, Watts,
    compute_precision,
)

Cooling = Literal["air", "liquid", "air_or_liquid"]
"""What a system needs: air-cooled only, liquid required, or either."""

Procurement = Literal["buy", "rent"]


def _buy_and_rent() -> list[Procurement]:
    return ["buy", "rent"]


class Accelerator(Entry):
    """One accelerator chip (GPU, NPU, TPU, APU), with dense peak figures."""

    vendor: str = Field(min_length=1)
    ecosystem: str = Field(description="Id of the software ecosystem (cuda, rocm, cann, ...).")
    form_factor: str = ""
    memory_gb: Gigabytes = Field( description="Nominal memory capacity per accelerator, GB.")
    memory_usable_gb: Gigabytes | None = Field(default=None, description="Capacity software can use, GB (defaults to 92% of memory_gb).")
    memory_type: str = ""
    mem_bw_tb_s: TbPerS = Field( description="Memory bandwidth, TB/s.")
    dense_tflops: dict[ComputePrecision, Tflops] = Field(
        description="Dense (no 2:4 sparsity) tensor peak per precision, TFLOPS.", min_length=1
    )
    tdp_watts: Watts = Field( description="Board power per accelerator, W.")
    scale_up_domain: Count = Field( description="Accelerators sharing the scale-up fabric.")
    scale_up_tech: str = ""
    scale_up_gb_s: GbPerS = Field(default=0.0, description="Scale-up bandwidth per accelerator, per direction, GB/s.")
    scale_out_gb_s: GbPerS = Field(default=50.0, description="Scale-out (NIC) bandwidth per accelerator, per direction, GB/s.")
    launch_year: int = Field(ge=2015, le=2035)

    @property
    def usable_memory_gb(self) -> float:
        return self.memory_usable_gb if self.memory_usable_gb is not None else 0.92 * self.memory_gb

    @property
    def precisions(self) -> list[str]:
        """Precisions the chip runs: its listed compute formats, and the weight-only formats where it has a 16-bit peak."""
        return [p for p in PRECISION_ORDER if self.dense_tflops.get(compute_precision(p), 0.0) > 0]  # type: ignore[call-overload]


class System(Entry):
    """A buyable or rentable unit: an 8-GPU HGX node, an NVL72 rack, a workstation."""

    accelerator: str = Field(description="Id of the accelerator this system holds.")
    kind: Literal["node", "rack", "workstation", "pod", "cloud_instance"] = "node"
    accelerators_per_system: Count
    default: bool = Field(default=False, description="The system used when only the accelerator is named.")
    cooling: Cooling
    system_kw: Kilowatts = Field( description="IT power of one system at load, kW.")
    max_systems_per_rack: Count = Field(default=1, description="Systems that fit one rack physically.")
    scale_up_domain: Count | None = Field(default=None, description="Accelerators per scale-up domain in this system (defaults to the accelerator's, capped by the system).")
    procurement: list[Procurement] = Field(default_factory=_buy_and_rent, min_length=1)
    regions: list[str] = Field(default_factory=lambda: ["global"], description="Regions where it can be had; 'global' = everywhere not excluded.")
    excluded_regions: list[str] = Field(default_factory=list, description="Regions where export rules or sales block it.")

    @property
    def rack_kw(self) -> float:
        return self.system_kw * self.max_systems_per_rack

    def available_in(self, region: str) -> bool:
        r = region.lower()
        if r in (x.lower() for x in self.excluded_regions):
            return False
        regions = [x.lower() for x in self.regions]
        return "global" in regions or r in regions or r == "global"

    @model_validator(mode="after")
    def _check(self) -> System:
        if self.scale_up_domain is not None and self.scale_up_domain > max(self.accelerators_per_system, 1) * 4096:
            raise ValueError("scale_up_domain is implausibly large")
        return self
