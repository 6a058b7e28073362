"""Why a system has no operating point for a model: one sentence and the constraint it breaks.

Shared by `estimate` (its infeasible message) and `recommend` / fleets (their exclusions).
"""

from __future__ import annotations

from advisor.domain import LLM, Catalog, System
from advisor.engine import select
from advisor.engine.arch import PREC_INDEX, WEIGHT_BYTES
from advisor.engine.grid import Grid


def why_no_point(
    catalog: Catalog, grid: Grid, i: int, system: System, model: LLM, *, isl: int, osl: int, precision: str,
    min_tok_s_per_user: float, max_ttft_s: float | None, label: str | None = None,
) -> tuple[str, str]:
    """(constraint, reason) for system row i of `grid`, which has no cell meeting the SLOs."""
    acc = catalog.accelerator(system.accelerator)
    where = f" for class '{label}'" if label else ""
    if not grid.valid[i].any():
        precs = [p for p in acc.precisions if p in catalog.ecosystem(acc.ecosystem).precisions
                 and (precision == "auto" or p == precision)]
        if not precs:
            return "precision", (f"{acc.name} ({acc.ecosystem}) serves {', '.join(acc.precisions)}"
                                 + (f"; asked for {precision}" if precision != "auto" else ""))
        precs.sort(key=lambda p: float(WEIGHT_BYTES[PREC_INDEX[p]]))  # the narrowest first
        if isl + osl > model.max_context:
            return "context", f"{isl + osl} tokens{where} exceed {model.name}'s context of {model.max_context}"
        need_tb = model.total_params_b * 1e9 * float(WEIGHT_BYTES[PREC_INDEX[precs[0]]]) / 1e12
        n = int(grid.hw.max_gpus[i])
        have_tb = n * acc.usable_memory_gb * 2**30 / 1e12  # capacities are GiB
        return "memory", (f"{model.name} {precs[0]} needs {need_tb:.2f} TB of weights plus KV cache for {isl + osl} tokens; "
                          f"{n}x {acc.name} hold {have_tb:.2f} TB")
    best_user = select.max_tok_s_per_user(grid, i)
    if best_user < min_tok_s_per_user:
        return "slo", f"cannot reach {min_tok_s_per_user:g} tok/s/user{where} (best {best_user:.1f})"
    return "slo", f"no point meets TTFT <= {max_ttft_s:g} s at {min_tok_s_per_user:g} tok/s/user{where}"
