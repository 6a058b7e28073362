"""Issue 12 item 2: memory messages that are true. Need = weights + KV at the context and batch considered x
(1 + kv_reserve_fraction) + runtime_reserve_gb per GPU, from the fit mask's own figure; hold = the replica
considered; the smallest layout that would fit, if any."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from advisor import api
from advisor.errors import InfeasibleError

pytestmark = pytest.mark.real_catalog

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples" / "workloads").glob("*.toml"))


def _num(text: str, pattern: str) -> float:
    m = re.search(pattern, text)
    assert m, (pattern, text)
    return float(m.group(1).replace(",", ""))


def _parts(text: str) -> dict[str, float]:
    return {
        "need_tb": _num(text, r"needs ([0-9.]+) TB per replica"),
        "hold_tb": _num(text, r"holds ([0-9.]+) TB"),
        "weights_gb": _num(text, r"weights ([0-9,.]+) GB"),
        "kv_gb": _num(text, r"KV cache ([0-9,.]+) GB"),
        "reserve_gb": _num(text, r"runtime reserve ([0-9,.]+) GB"),
        "gpus": _num(text, r"a ([0-9]+)x .* replica holds"),
        "per_gpu_gb": _num(text, r"\(([0-9,.]+) GB usable per GPU\)"),
    }


@pytest.fixture(scope="module")
def exclusions(catalog, fac):
    out = []
    for path in EXAMPLES:
        wl = api.load_workload(path)
        rec = api.recommend(catalog, wl, fac=fac, keep_inefficient=True)
        out += [(path.stem, e) for e in rec.excluded if e.constraint == "memory"]
    return out


def test_every_memory_exclusion_of_the_examples_needs_more_than_it_holds(catalog, exclusions):
    assert len(exclusions) >= 5
    reserve = catalog.defaults.runtime_reserve_gb
    for name, e in exclusions:
        p = _parts(e.reason)
        assert p["need_tb"] > p["hold_tb"], (name, e.reason)
        # the parts add up to the need (rounding of the printed figures aside)
        assert p["weights_gb"] + p["kv_gb"] + p["reserve_gb"] == pytest.approx(p["need_tb"] * 1e3, abs=6), e.reason
        # runtime reserve: runtime_reserve_gb per GPU of the replica held up against the need
        assert p["reserve_gb"] == pytest.approx(reserve * p["gpus"], abs=0.05), e.reason
        # the capacity is the replica's, in decimal units (catalog capacities are GiB)
        s = catalog.systems[e.system]
        usable = catalog.accelerator(s.accelerator).usable_memory_gb * 2**30 / 1e9
        assert p["per_gpu_gb"] == pytest.approx(usable, abs=0.05)
        assert p["hold_tb"] == pytest.approx(p["gpus"] * usable / 1e3, abs=0.006)
        assert "paging reserve" in e.reason


def test_need_and_hold_disagree_with_the_fit_mask_nowhere(catalog, fac):
    """memory_need reads the mask's own mem_used: need > hold exactly where a cell does not fit."""
    from advisor.domain.base import PRECISION_ORDER
    from advisor.engine.build import grid_for
    from advisor.engine.explain import memory_need

    systems = [catalog.systems[s] for s in ("nvidia_hgx_h100", "amd_mi355x_8x", "nvidia_l40s_8x")]
    model = catalog.model("deepseek_v3")
    g, _ = grid_for(catalog, systems, model, fac, isl=8192, osl=1024, spec_decode="none")
    seen = set()
    for i in range(len(systems)):
        for k in range(len(g.layouts)):
            for p in ("fp8", "fp4", "int4"):
                for b in (0, 16, 32, 47):
                    at = (i, k, PRECISION_ORDER.index(p), 0, b)
                    n = memory_need(catalog, g, i, model, p, k, b)
                    if np.isfinite(g.metrics["t_step_s"][at]):
                        fits = bool(g.metrics["fits"][at])
                        assert (n.need_gb > n.hold_gb) == (not fits), (systems[i].id, k, p, b)
                        seen.add(fits)
                    assert n.kv_gb > 0 and n.weights_gb > 0
    assert seen == {True, False}  # both sides of the edge were checked


def test_weights_are_the_model_at_its_precision(catalog, fac):
    """The weights (need - KV - reserve) of a tensor-parallel replica are the model's parameters at its bytes."""
    from advisor.engine.arch import PREC_INDEX, WEIGHT_BYTES, coeffs
    from advisor.engine.build import grid_for
    from advisor.engine.explain import memory_need

    model = catalog.model("llama_3_3_70b")
    g, _ = grid_for(catalog, [catalog.systems["nvidia_hgx_h100"]], model, fac, isl=4096, osl=512, spec_decode="none")
    for p in ("bf16", "fp8"):
        n = memory_need(catalog, g, 0, model, p, 2, 10)  # 4-GPU tensor parallel
        assert n.weights_gb == pytest.approx(coeffs(model).total_params * float(WEIGHT_BYTES[PREC_INDEX[p]]) / 1e9, rel=1e-6)


def test_estimate_on_one_mi355x_names_the_one_gpu_replica_and_a_fit_that_does_fit(catalog, fac):
    for kw in ({"gpus": 1}, {"gpus": 1, "concurrency": 1}):
        with pytest.raises(InfeasibleError) as err:
            api.estimate(catalog, system="amd_mi355x_8x", model="deepseek_v3", isl=8192, osl=1024, fac=fac, **kw)
        text = str(err.value)
        p = _parts(text)
        assert p["gpus"] == 1 and "a 1x AMD Instinct MI355X" in text and "16x" not in text
        assert p["need_tb"] > p["hold_tb"]
        fit = int(_num(text, r"a ([0-9]+)-GPU replica would fit"))
        precision = re.search(r" (\w+) needs ", text).group(1)
        got = api.estimate(catalog, system="amd_mi355x_8x", model="deepseek_v3", isl=8192, osl=1024, fac=fac,
                           gpus=fit, concurrency=1, precision=precision)
        assert got["point"].gpus_per_replica == fit
        if fit > 1:  # and one GPU fewer would not
            with pytest.raises(InfeasibleError):
                api.estimate(catalog, system="amd_mi355x_8x", model="deepseek_v3", isl=8192, osl=1024, fac=fac,
                             gpus=fit - 1, concurrency=1, precision=precision)


def test_no_replica_fits_says_how_many_it_would_take(catalog, fac):
    with pytest.raises(InfeasibleError) as err:
        api.estimate(catalog, system="nvidia_l40s_8x", model="kimi_k2", isl=8192, osl=1024, precision="fp8", fac=fac)
    text = str(err.value)
    p = _parts(text)
    need = int(_num(text, r"needs at least ([0-9]+) of them"))
    per_gpu = p["per_gpu_gb"] - catalog.defaults.runtime_reserve_gb
    assert need == int(np.ceil((p["weights_gb"] + p["kv_gb"]) / per_gpu - 1e-6))
    assert need > 16 and p["gpus"] == 16
