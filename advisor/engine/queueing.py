"""Queueing: what happens to TTFT and throughput when requests wait.

Two waits, both estimated with an M/M/1 queue (exponential waits: P(W > t) = rho exp(-(mu - lambda) t)):
- for prefill: a replica (aggregated) or the prefill pool (disaggregated) prefills one request at a time;
  requests arrive at lambda = B / t_life and are served at mu = 1 / t_prefill, so rho = B t_prefill / t_life.
  The wait's quantile q is ln(rho / (1 - q)) / (mu - lambda) (0 where rho <= 1 - q).
- for a slot: the running batch can never exceed what the KV cache holds at the real context
  (ISL + OSL tokens per sequence: the grid's `fits`). Concurrency beyond that waits in a queue; with every
  slot busy, slots free at running / t_life per second, so a queued request waits queued / that rate
  (p50), and p99 adds the prefill wait's tail. Throughput saturates at the running batch's.

`ttft_quantiles` is the vectorised part the grid uses (`ttft_p99_s`); `at_concurrency` answers
"what if C users share this configuration" for one cell's layout, precision and MTP choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np

from advisor.engine.types import FloatArray

class _Setup(Protocol):
    @property
    def osl(self) -> int: ...


class GridLike(Protocol):
    """What at_concurrency reads of an engine.grid.Grid (a Protocol: grid imports this module)."""

    @property
    def shape(self) -> tuple[int, ...]: ...
    @property
    def batches(self) -> FloatArray: ...
    @property
    def metrics(self) -> Mapping[str, Any]: ...
    @property
    def setup(self) -> _Setup | None: ...

P50, P99 = 0.5, 0.99


def prefill_wait(t_prefill: FloatArray, t_life: FloatArray, batch: FloatArray, q: float) -> FloatArray:
    """Quantile q of the wait for prefill (M/M/1, one request prefilled at a time)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # in place where it can: whole grids
        lam = np.divide(batch, t_life)
        mu = 1.0 / np.asarray(t_prefill, dtype=float)
        rho = np.asarray(lam / mu, dtype=float)
        wait: FloatArray = np.asarray(rho / (1.0 - q), dtype=float)
        np.maximum(wait, 1.0, out=wait)
        np.log(wait, out=wait)  # ln(rho / (1 - q)), 0 where rho <= 1 - q
        den = np.asarray(np.subtract(mu, lam), dtype=float)
        np.maximum(den, 1e-12, out=den)
        np.divide(wait, den, out=wait)
        wait[~(rho < 1.0)] = np.inf  # an unstable queue (and NaN) waits forever
    return wait


def slot_wait(queued: FloatArray, running: FloatArray, t_life: FloatArray) -> FloatArray:
    """Wait for a running slot of a request with `queued` requests ahead of it on a replica whose `running`
    slots are all busy: slots free at running / t_life per second (0 where nothing queues)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out: FloatArray = np.where(queued > 0, queued * t_life / np.maximum(running, 1e-300), 0.0)
    return out


def ttft_quantiles(ttft: FloatArray, t_prefill: FloatArray, t_life: FloatArray, batch: FloatArray) -> tuple[FloatArray, FloatArray]:
    """(p50, p99) TTFT of a replica running `batch` sequences with no slot queue: the base TTFT plus the
    prefill wait's quantile."""
    return (ttft + prefill_wait(t_prefill, t_life, batch, P50), ttft + prefill_wait(t_prefill, t_life, batch, P99))


@dataclass(frozen=True)
class ConcurrencyResult:
    """One configuration at a given concurrency (per replica figures, and the whole deployment's)."""

    concurrency: float  # users (requests in flight) on the deployment
    replicas: int
    kv_batch_cap: float  # the largest running batch per replica that fits in memory (the grid's fit)
    running_batch: float  # per replica
    queued_requests: float  # on the deployment, waiting for a slot
    tok_s_per_user: float
    output_tok_s_per_gpu: float
    total_tok_s_per_gpu: float
    ttft_p50_s: float
    ttft_p99_s: float


def at_concurrency(grid: GridLike, s: int, flat: int, concurrency: float, replicas: int = 1) -> ConcurrencyResult:
    """`concurrency` users spread over `replicas` replicas of the layout/precision/MTP of cell `flat` of system s.

    The running batch is the concurrency per replica, capped by the KV cache (the largest batch of the grid's
    batch axis that fits); figures at the running batch are interpolated along the batch axis (log-log).
    """
    g, p, m, _ = np.unravel_index(flat, grid.shape[1:])
    batches = np.asarray(grid.batches, dtype=float)
    row = (s, g, p, m)
    fits = np.asarray(grid.metrics["fits"][row], dtype=bool) & np.isfinite(grid.metrics["t_step_s"][row])
    per_replica = max(concurrency / max(replicas, 1), 0.0)
    cap = float(batches[fits].max()) if fits.any() else 0.0
    running = min(per_replica, cap)
    if running <= 0:
        return ConcurrencyResult(concurrency, replicas, cap, 0.0, concurrency, 0.0, 0.0, 0.0, float("inf"), float("inf"))
    x = np.log(batches[fits])

    def at(key: str, b: float) -> float:
        y = np.asarray(grid.metrics[key][row], dtype=float)[fits]
        return float(np.exp(np.interp(np.log(max(b, batches[fits].min())), x, np.log(np.maximum(y, 1e-300)))))

    b = max(running, 1.0)
    usr = at("tok_s_per_user", b)
    out = at("output_tok_s_per_gpu", b) * running / b
    tot = at("total_tok_s_per_gpu", b) * running / b
    t_life = float(grid.setup.osl) / usr if grid.setup is not None else 1.0 / usr
    p50 = at("ttft_s", b)
    p99 = at("ttft_p99_s", b) if "ttft_p99_s" in grid.metrics else p50
    queued_per_replica = per_replica - running
    if queued_per_replica > 0:
        wait = float(slot_wait(np.asarray(queued_per_replica), np.asarray(running), np.asarray(t_life)))
        p50, p99 = p50 + wait, p99 + wait
    return ConcurrencyResult(
        concurrency=concurrency, replicas=replicas, kv_batch_cap=cap, running_batch=running,
        queued_requests=queued_per_replica * max(replicas, 1), tok_s_per_user=usr, output_tok_s_per_gpu=out,
        total_tok_s_per_gpu=tot, ttft_p50_s=p50, ttft_p99_s=p99,
    )



@dataclass(frozen=True)
class Rows:
    """`concurrency` users on one replica, for every (layout, precision, MTP) row of one system at once
    (arrays shaped (G, P, M)); `index` is the batch-axis position of the running batch (-1: nothing runs)."""

    concurrency: float
    index: np.ndarray
    kv_batch_cap: FloatArray  # the largest valid batch of the axis (what memory holds at the real context)
    running_batch: FloatArray
    queued_requests: FloatArray
    ttft_p50_s: FloatArray
    ttft_p99_s: FloatArray
    tok_s_per_user: FloatArray
    total_tok_s_per_gpu: FloatArray

    @property
    def runs(self) -> np.ndarray:
        return np.asarray(self.index >= 0)


def rows_at_concurrency(grid: GridLike, valid: np.ndarray, s: int, concurrency: float) -> Rows:
    """Every row of system s with `concurrency` users per replica, vectorised over (layout, precision, MTP).

    The running batch is the largest batch of the axis that is valid (fits in memory at the real context)
    and at most `concurrency`; the rest queue for a slot (slot_wait), on top of the cell's own TTFT p50/p99.
    Exact where `concurrency` and the KV capacity are batch-axis values (estimate builds the axis so).
    """
    batches = np.asarray(grid.batches, dtype=float)
    ok = np.asarray(valid[s], dtype=bool) & (batches <= concurrency)  # (G, P, M, B)
    B = ok.shape[-1]
    idx = np.where(ok.any(axis=-1), B - 1 - np.argmax(ok[..., ::-1], axis=-1), -1)
    cap_idx = np.where(np.asarray(valid[s]).any(axis=-1), B - 1 - np.argmax(np.asarray(valid[s])[..., ::-1], axis=-1), -1)
    take = np.maximum(idx, 0)[..., None]

    def at(key: str) -> FloatArray:
        v = np.take_along_axis(np.asarray(grid.metrics[key][s], dtype=float), take, axis=-1)[..., 0]
        return np.asarray(v, dtype=float)

    runs = idx >= 0
    running = np.where(runs, batches[np.maximum(idx, 0)], 0.0)
    cap = np.where(cap_idx >= 0, batches[np.maximum(cap_idx, 0)], 0.0)
    usr = at("tok_s_per_user")
    osl = float(grid.setup.osl) if grid.setup is not None else 1.0
    with np.errstate(divide="ignore"):
        t_life = osl / usr
    queued = np.maximum(concurrency - running, 0.0)
    wait = slot_wait(queued, running, t_life)
    p99 = at("ttft_p99_s") if "ttft_p99_s" in grid.metrics else at("ttft_s")
    inf = np.inf
    return Rows(
        concurrency=float(concurrency), index=idx, kv_batch_cap=cap, running_batch=running,
        queued_requests=np.where(runs, queued, concurrency),
        ttft_p50_s=np.where(runs, at("ttft_s") + wait, inf), ttft_p99_s=np.where(runs, p99 + wait, inf),
        tok_s_per_user=np.where(runs, usr, 0.0), total_tok_s_per_gpu=np.where(runs, at("total_tok_s_per_gpu"), 0.0),
    )
