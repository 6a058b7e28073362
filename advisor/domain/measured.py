"""Measured benchmark points: what real stacks did on real hardware."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from advisor.domain.base import Count, Entry, Precision, Ratio, Seconds, TokPerS


class BenchmarkPoint(Entry):
    """One measured serving point. Kind name in files: [[benchmark]].

    Two throughput bases exist: InferenceX counts input+output tokens per GPU
    (`throughput_basis = "total"`), MLPerf counts output tokens only (`"output"`).
    """

    name: str = ""
    accelerator: str
    model: str
    precision: Precision
    n_accelerators: Count
    framework: str
    disaggregated: bool = False
    prefill_gpus: Count | None = Field(default=None, description="Disaggregated runs: GPUs doing prefill.")
    decode_gpus: Count | None = Field(default=None, description="Disaggregated runs: GPUs doing decode.")
    scenario: Literal["online", "offline", "server"]
    throughput_basis: Literal["total", "output"]
    isl: Count = Field( description="Input tokens per request (nominal).")
    osl: Count = Field( description="Output tokens per request (nominal).")
    concurrency: Count | None = Field(default=None, description="Concurrent requests across the whole system.")
    tok_s_per_gpu: TokPerS = Field( description="Throughput per GPU on the stated basis, as published.")
    output_tok_s_per_gpu: TokPerS | None = None
    input_tok_s_per_gpu: TokPerS | None = None
    tok_s_per_user: TokPerS | None = Field(default=None, description="Median decode rate per user (1/TPOT).")
    ttft_s: Seconds | None = None
    spec_decode: Literal["none", "mtp"] = "none"
    parallelism: str = ""
    model_as_published: str = ""
    system_as_published: str = ""
    calibrate: bool = Field(default=True, description="Use this point to fit the engine.")
    calibrate_reason: str = Field(default="", description="Why a point is kept out of the fit (calibrate = false): the layout, precision or claim today's engine cannot replay.")
    precision_as_published: str = Field(default="", description="The source's own precision name where `precision` had to be mapped (e.g. 'int4 (GPTQ W4A16)').")
    relative_to: str | None = Field(default=None, description="Id of the point a stated relative figure compares against.")
    relative: Ratio | None = Field(default=None, description="Relative figure as published (this / relative_to).")

    @model_validator(mode="after")
    def _check(self) -> BenchmarkPoint:
        if self.disaggregated and self.calibrate and not (self.prefill_gpus and self.decode_gpus):
            raise ValueError("a disaggregated point used for calibration needs prefill_gpus and decode_gpus")
        if (self.relative is None) != (self.relative_to is None):
            raise ValueError("relative and relative_to go together")
        return self
