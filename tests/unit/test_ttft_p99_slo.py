"""Issue 11 item 3: the `max_ttft_p99_s` SLO beside `max_ttft_s` (median), applied on the grid's `ttft_p99_s`."""

from __future__ import annotations

import pytest

from advisor import api
from advisor.errors import InfeasibleError

pytestmark = pytest.mark.real_catalog

SYSTEMS = ["nvidia_hgx_b200", "amd_mi355x_8x", "nvidia_hgx_h100", "nvidia_hgx_h200"]


def doc(**cls) -> dict:
    return {
        "classes": [{"name": "rag", "model": "llama_3_3_70b", "isl": 8192, "osl": 512, "min_tok_s_per_user": 20,
                     "max_ttft_s": 30, **cls}],
        "demand": {"concurrent_users": 1000},
        "procurement": {"mode": "rent", "systems": SYSTEMS, "days_since_release": 400},
    }


def rec(catalog, fac, **cls):
    return api.recommend(catalog, api.workload_from_dict(doc(**cls)), fac=fac, keep_inefficient=True)


def _p99s(r) -> dict[str, float]:
    return {o.id: o.classes[0].point.ttft_p99_s for o in r.options}


def test_a_loose_p99_changes_nothing(catalog, fac):
    base, loose = rec(catalog, fac), rec(catalog, fac, max_ttft_p99_s=100_000)
    assert [o.model_dump(exclude={"classes"}) for o in base.options] == [
        o.model_dump(exclude={"classes"}) for o in loose.options]
    assert [o.classes[0].point for o in base.options] == [o.classes[0].point for o in loose.options]
    assert all(o.classes[0].slo_max_ttft_p99_s == 100_000 for o in loose.options)


def test_a_tighter_p99_changes_the_points_and_every_point_meets_it(catalog, fac):
    base = rec(catalog, fac)
    p99 = _p99s(base)
    assert all(v is not None and v >= o.classes[0].point.ttft_s for v, o in zip(p99.values(), base.options))
    limit = sorted(p99.values())[len(p99) // 2] * 0.5  # half the median option's p99: binds on most of them
    tight = rec(catalog, fac, max_ttft_p99_s=limit)
    assert all(o.classes[0].point.ttft_p99_s <= limit for o in tight.options)
    changed = [oid for oid, v in _p99s(tight).items() if oid in p99 and v != p99[oid]]
    gone = set(p99) - set(_p99s(tight))
    assert changed or gone
    # a tighter SLO costs at least as much: never a cheaper option
    if tight.options:
        assert min(o.usd_per_mtok for o in tight.options) >= min(o.usd_per_mtok for o in base.options) * (1 - 1e-9)


def test_an_impossible_p99_excludes_with_the_reason(catalog, fac):
    r = rec(catalog, fac, max_ttft_p99_s=1e-4)
    assert not r.options
    slo = [e for e in r.excluded if e.constraint == "slo"]
    assert slo and all("TTFT p99 <= 0.0001 s (best" in e.reason for e in slo)


def test_estimate_honours_the_p99_ceiling(catalog, fac):
    kw = dict(system="nvidia_hgx_h100", model="llama_3_3_70b", isl=8192, osl=512, fac=fac)
    free = api.estimate(catalog, **kw)["point"]
    assert free.ttft_p99_s > free.ttft_s
    limit = free.ttft_p99_s / 3
    bound = api.estimate(catalog, **kw, max_ttft_p99_s=limit)["point"]
    assert bound.ttft_p99_s <= limit and bound.total_tok_s_per_gpu <= free.total_tok_s_per_gpu
    same = api.estimate(catalog, **kw, max_ttft_p99_s=free.ttft_p99_s * 2)["point"]
    assert same == free
    with pytest.raises(InfeasibleError, match="TTFT p99"):
        api.estimate(catalog, **kw, max_ttft_p99_s=1e-5)


@pytest.mark.parametrize("bad", [-1, 0, "3", float("nan"), float("inf")])
def test_the_field_is_a_positive_finite_number(bad):
    from advisor.errors import InputError

    with pytest.raises(InputError, match="max_ttft_p99_s"):
        api.workload_from_dict(doc(max_ttft_p99_s=bad))


def test_cli_flag(capsys):
    import json

    from advisor.cli import main

    args = ["estimate", "--system", "nvidia_hgx_h100", "--model", "llama_3_3_70b", "--isl", "8192", "--osl", "512",
            "--json"]
    assert main(args) == 0
    free = json.loads(capsys.readouterr().out)
    assert main(args + ["--max-ttft-p99", str(free["ttft_p99_s"] / 3)]) == 0
    bound = json.loads(capsys.readouterr().out)
    assert bound["ttft_p99_s"] <= free["ttft_p99_s"] / 3
