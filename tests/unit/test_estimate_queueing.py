"""Issue 11 item 3 through api.estimate and the CLI: `--concurrency` reports the running batch (capped by the KV
cache at the real context), the queued requests and TTFT p50/p99; throughput saturates past the KV capacity."""

from __future__ import annotations

import json

import numpy as np
import pytest

from advisor import api
from advisor.errors import InfeasibleError

pytestmark = pytest.mark.real_catalog

H200 = dict(system="nvidia_hgx_h200", model="deepseek_v3", isl=8192, osl=1024, precision="fp8", spec_decode="none")


def at(catalog, fac, concurrency, **kw):
    return api.estimate(catalog, **{**H200, **kw}, concurrency=concurrency, fac=fac)


@pytest.fixture(scope="module")
def cap(catalog, fac):
    r = at(catalog, fac, 64, gpus=8)
    return r["concurrency"]["kv_capacity_sequences_per_replica"]


def test_below_the_kv_capacity_every_request_runs(catalog, fac, cap):
    assert 64 < cap < 4096  # 8K-token contexts fill 8 H200s' KV cache well before the batch axis ends
    q = at(catalog, fac, 64, gpus=8)["concurrency"]
    assert (q["running_batch"], q["queued_requests"], q["saturated"]) == (64, 0, False)
    assert q["concurrency_per_replica"] == 64


def test_the_kv_capacity_is_found_to_the_sequence(catalog, fac, cap):
    full = at(catalog, fac, cap, gpus=8)
    assert full["concurrency"]["queued_requests"] == 0 and full["point"].batch == cap
    over = at(catalog, fac, cap + 1, gpus=8)
    assert over["concurrency"]["queued_requests"] == 1 and over["concurrency"]["running_batch"] == cap
    # the memory the engine counts at the capacity is within one sequence of the usable memory
    usable_gb = catalog.accelerator("nvidia_h200_sxm").usable_memory_gb * 2**30 / 1e9
    assert full["point"].mem_used_gb_per_gpu <= usable_gb


def test_beyond_the_kv_capacity_throughput_stops_growing_and_ttft_grows(catalog, fac, cap):
    runs = {c: at(catalog, fac, c, gpus=8) for c in (cap // 4, cap // 2, cap, 2 * cap, 4 * cap)}
    thr = {c: r["point"].total_tok_s_per_gpu for c, r in runs.items()}
    # throughput grows up to the capacity, then stays at the running batch's
    assert thr[cap // 4] < thr[cap // 2] <= thr[cap]
    assert thr[2 * cap] == pytest.approx(thr[cap]) and thr[4 * cap] == pytest.approx(thr[cap])
    for c in (2 * cap, 4 * cap):
        q = runs[c]["concurrency"]
        assert q["running_batch"] == cap and q["queued_requests"] == c - cap and q["saturated"]
    p50 = {c: r["concurrency"]["ttft_p50_s"] for c, r in runs.items()}
    p99 = {c: r["concurrency"]["ttft_p99_s"] for c, r in runs.items()}
    assert p50[4 * cap] > p50[2 * cap] > p50[cap]
    # a queue of Q requests waits about Q / (running / t_life): twice the queue, about twice the wait
    t_life = 1024 / runs[cap]["point"].tok_s_per_user
    assert p50[2 * cap] - p50[cap] == pytest.approx(cap * t_life / cap, rel=0.02)
    assert p50[4 * cap] - p50[cap] == pytest.approx(3 * t_life, rel=0.02)
    assert all(p99[c] >= p50[c] for c in runs)
    # the point itself carries the TTFT its users see
    assert runs[4 * cap]["point"].ttft_s == pytest.approx(p50[4 * cap])
    assert runs[4 * cap]["point"].ttft_p99_s == pytest.approx(p99[4 * cap])


def test_throughput_never_falls_as_concurrency_grows(catalog, fac, cap):
    """With the precision and MTP left to the advisor, rows hold different numbers of sequences (MTP's extra layer
    and draft tokens take KV room): one user beyond a fast row's capacity must not switch to a slower row that
    still runs everyone, so the concurrencies around every row's capacity are checked, not just round numbers."""
    kw = dict(gpus=8, precision="auto", spec_decode="auto")
    caps = set()
    for precision in ("fp8", "int4", "bf16"):
        for spec in ("none", "mtp"):
            try:
                r = at(catalog, fac, 64, gpus=8, precision=precision, spec_decode=spec)
            except InfeasibleError:
                continue
            caps.add(r["concurrency"]["kv_capacity_sequences_per_replica"])
    assert len(caps) > 1  # otherwise no row starts queueing before another and the edges below test nothing
    edges = {k + d for k in caps for d in (-1, 0, 1, 2)}
    concurrencies = sorted({8, 64, 512, 2 * cap, 8000} | edges)
    values = [at(catalog, fac, c, **kw)["point"].total_tok_s_per_gpu for c in concurrencies]
    assert values == sorted(values), list(zip(concurrencies, values))


def test_without_gpus_it_chooses_a_layout_that_runs_every_request(catalog, fac, cap):
    from advisor.engine.build import grid_for

    r = at(catalog, fac, 2 * cap)
    q = r["concurrency"]
    assert q["queued_requests"] == 0 and q["running_batch"] == 2 * cap
    # --gpus 8 (its tensor- and expert-parallel layouts; the row picked at 64 users) would queue half of them
    assert q["kv_capacity_sequences_per_replica"] >= 2 * cap > cap
    # more than any 8-GPU replica holds (tensor or expert parallel, data-parallel attention): a larger replica
    g, _ = grid_for(catalog, [catalog.systems[H200["system"]]], catalog.model(H200["model"]), fac, isl=8192, osl=1024,
                    precision="fp8", spec_decode="none", layouts=np.array([8.0, 8.0]), ep=np.array([0.0, 1.0]))
    assert set(g.layout_kinds) == {"tp", "ep"}
    held = g.batches[np.asarray(g.valid[0]).any(axis=(0, 1, 2))]
    beyond = int(g.batches[g.batches > held.max()][0])  # the next batch rung: no 8-GPU row fits it
    assert beyond > cap
    big = at(catalog, fac, beyond)
    assert big["concurrency"]["queued_requests"] == 0 and big["concurrency"]["running_batch"] == beyond
    assert big["point"].gpus_per_replica > 8


def test_a_ttft_slo_the_queue_breaks_is_infeasible_and_says_why(catalog, fac, cap):
    ok = at(catalog, fac, 4 * cap, gpus=8)["concurrency"]
    with pytest.raises(InfeasibleError) as err:
        at(catalog, fac, 4 * cap, gpus=8, max_ttft_s=ok["ttft_p50_s"] / 2)
    text = str(err.value)
    assert "median TTFT" in text and "queue" in text and str(cap) in text
    with pytest.raises(InfeasibleError) as err:
        at(catalog, fac, 4 * cap, gpus=8, max_ttft_p99_s=ok["ttft_p99_s"] / 2)
    assert "TTFT p99" in str(err.value)


def test_a_replica_that_cannot_hold_one_sequence_is_a_memory_message(catalog, fac):
    with pytest.raises(InfeasibleError) as err:
        at(catalog, fac, 16, gpus=1)
    assert "needs" in str(err.value) and "a 1x NVIDIA H200" in str(err.value)


def test_rows_at_concurrency_agree_with_at_concurrency(catalog, fac):
    """The vectorised rows and the one-cell function give the same answer on a grid's own batch axis."""
    from advisor.engine import queueing
    from advisor.engine.build import grid_for

    g, _ = grid_for(catalog, [catalog.systems["nvidia_hgx_h200"]], catalog.model("deepseek_v3"), fac, isl=8192, osl=1024)
    for c in (16.0, float(g.batches[30]), 5000.0):
        rows = queueing.rows_at_concurrency(g, g.valid, 0, c)
        for row in zip(*np.nonzero(rows.runs)):
            flat = int(np.ravel_multi_index((*row, 0), g.shape[1:]))
            one = queueing.at_concurrency(g, 0, flat, c)
            assert rows.running_batch[row] == one.running_batch
            assert rows.queued_requests[row] == pytest.approx(one.queued_requests)
            assert rows.ttft_p50_s[row] == pytest.approx(one.ttft_p50_s, rel=1e-9)
            assert rows.ttft_p99_s[row] == pytest.approx(one.ttft_p99_s, rel=1e-9)


# --- the CLI ---------------------------------------------------------------------------------------

ARGS = ["estimate", "--system", "nvidia_hgx_h200", "--model", "deepseek_v3", "--isl", "8192", "--osl", "1024",
        "--precision", "fp8", "--spec-decode", "none", "--gpus", "8"]


def test_cli_json_serialises_the_queue(capsys, cap):
    from advisor.cli import main

    assert main([*ARGS, "--concurrency", str(3 * cap), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["running_batch"] == cap and d["queued_requests"] == 2 * cap and d["saturated"] is True
    assert d["kv_capacity_sequences_per_replica"] == cap and d["concurrency_per_replica"] == 3 * cap
    assert d["ttft_p99_s"] >= d["ttft_p50_s"] > 0 and d["ttft_s"] == pytest.approx(d["ttft_p50_s"])
    assert d["batch"] == cap


def test_cli_table_prints_the_queue(capsys, cap):
    from advisor.cli import main

    assert main([*ARGS, "--concurrency", str(3 * cap), "--wide"]) == 0
    out = capsys.readouterr().out
    for label in ("running_batch", "queued_requests", "ttft_p50_s", "ttft_p99_s", "kv_capacity_sequences_per_replica",
                  "saturated"):
        assert label in out
    rows = {line.split("|")[0].strip(): line.split("|")[1].strip() for line in out.splitlines() if "|" in line}
    assert rows["queued_requests"].replace(",", "") == str(2 * cap)


def test_cli_without_concurrency_has_no_queue_but_a_p99(capsys):
    from advisor.cli import main

    assert main([*ARGS[:-2], "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert "queued_requests" not in d and d["ttft_p99_s"] >= d["ttft_s"]


def test_beyond_every_capacity_it_chooses_the_layout_that_queues_fewest(catalog, fac):
    kw = dict(system="nvidia_hgx_b200", model="deepseek_v3", isl=8192, osl=1024, fac=fac)
    chosen = api.estimate(catalog, **kw, concurrency=100_000)
    q = chosen["concurrency"]
    assert q["saturated"] and q["running_batch"] == q["kv_capacity_sequences_per_replica"]
    for g in (1, 2, 4, 8, 16):
        try:
            other = api.estimate(catalog, **kw, gpus=g, concurrency=100_000)["concurrency"]
        except InfeasibleError:
            continue
        assert other["queued_requests"] >= q["queued_requests"], g


def test_gpus_fixes_the_replica_size_not_its_layout(catalog, fac):
    """--gpus 8 on a MoE model considers the 8-GPU expert-parallel layout too, and says which one it used: DeepSeek's
    MLA KV is copied on every tensor-parallel rank, so at a load beyond what TP8 holds, EP8 runs every request."""
    from advisor.api.estimates import fixed_layouts

    assert fixed_layouts(8, catalog.model(H200["model"]))[1].tolist() == [0.0, 1.0]
    assert fixed_layouts(1, catalog.model(H200["model"]))[1].tolist() == [0.0]
    assert fixed_layouts(8, catalog.model("llama_3_3_70b"))[1].tolist() == [0.0]  # dense: no experts to split
    r = at(catalog, fac, 600, gpus=8, precision="fp8", spec_decode="none")
    assert r["point"].gpus_per_replica == 8 and r["point"].layout == "ep"
    assert r["concurrency"]["queued_requests"] == 0 and r["concurrency"]["kv_capacity_sequences_per_replica"] >= 600
