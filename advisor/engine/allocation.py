"""Sizing: users to replicas, systems to racks; and the greedy allocation of a given fleet's GPUs to classes.

A fleet's GPUs are given to classes greedily: classes in order of share, each takes replicas
on the fleet's system with the best tok/s/GPU for it until its demand is met (unmet demand is
reported); GPUs left over go to the classes by share, so capacity counts every GPU.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from advisor.domain import System
from advisor.domain.workload import TrafficClass, Workload
from advisor.engine.pricing import littles_law_users
from advisor.engine.select import Cell as GridCell


def systems_per_rack(s: System, max_rack_kw: float, owned: bool = True) -> int:
    """Systems a rack holds: the hall's rack kW limits owned ones; rented ones sit in the provider's racks."""
    if s.kind == "pod":
        return 1
    if not owned:
        return max(1, s.max_systems_per_rack)
    return max(1, min(s.max_systems_per_rack, int(max_rack_kw // s.system_kw)))


def racks_for(s: System, n_systems: int, max_rack_kw: float, owned: bool = True) -> int:
    """Racks for n systems (a pod spans racks by itself: its kW over `max_rack_kw`, a rack-count estimate)."""
    if s.kind == "pod":
        return n_systems * max(1, math.ceil(s.system_kw / max_rack_kw))
    return math.ceil(n_systems / systems_per_rack(s, max_rack_kw, owned))


def class_users(wl: Workload, tc: TrafficClass, point: GridCell) -> float:
    """Concurrent users of a class at peak; from requests/s via Little's law when given."""
    if wl.demand.concurrent_users is not None:
        return wl.demand.concurrent_users * tc.share
    return float(littles_law_users(wl.demand.requests_per_s, tc.share, point.ttft_s, tc.osl, point.tok_s_per_user))


def carried_batch(batch: float, gpus_per_replica: float, prefill_gpus_per_replica: float) -> float:
    """Sequences one replica's GPUs carry once its share of a disaggregated prefill pool is paid from the same
    fleet: batch x G / (G + prefill) (the batch itself when aggregated: no pool). Matches the per-GPU figures."""
    return batch * gpus_per_replica / (gpus_per_replica + prefill_gpus_per_replica) if prefill_gpus_per_replica > 0 \
        else float(batch)


def replicas_for(users: float, batch: int) -> int:
    """Whole replicas for `users` concurrent sequences at `batch` per replica (at least one)."""
    return max(1, math.ceil(users / batch - 1e-9))


@dataclass(frozen=True)
class Cell:
    """A class's best operating point on one system: one replica of `gpus_per_replica` GPUs."""

    batch: float  # sequences a replica of gpus_per_replica GPUs carries (disaggregated: net of its prefill pool share)
    gpus_per_replica: int
    tok_s_per_user: float
    total_tok_s_per_gpu: float
    output_tok_s_per_gpu: float
    users: float  # the class's demand in concurrent users if served at this point (Little's law for requests/s)


@dataclass
class Allocation:
    replicas: dict[str, dict[str, int]]  # class -> system -> replicas (demand + spare)
    demand_replicas: dict[str, dict[str, int]]
    served_users: dict[str, dict[str, float]]
    unmet_fraction: dict[str, float]
    free_gpus: dict[str, int]  # GPUs no class can use


def allocate(gpus: dict[str, int], classes: list[tuple[str, float]], cells: dict[str, dict[str, Cell | None]]) -> Allocation:
    """Greedy: classes by share (desc), each on the fleet's best tok/s/GPU system first, until met.

    `classes`: (name, share) in workload order; `cells[class][system]`: None when the class cannot run there.
    """
    order = sorted(range(len(classes)), key=lambda i: (-classes[i][1], i))
    names = [classes[i][0] for i in order]
    free = dict(gpus)
    reps: dict[str, dict[str, int]] = {c: {} for c in names}
    served: dict[str, dict[str, float]] = {c: {} for c in names}
    remaining = {c: 1.0 for c in names}
    for c in names:
        usable = {s: ce for s in free if (ce := cells[c].get(s)) is not None}
        for s in sorted(usable, key=lambda s: (-usable[s].total_tok_s_per_gpu, s)):
            if remaining[c] <= 1e-12:
                break
            ce = usable[s]
            need = math.ceil(remaining[c] * ce.users / ce.batch - 1e-9)
            take = min(need, free[s] // ce.gpus_per_replica)
            if take <= 0:
                continue
            free[s] -= take * ce.gpus_per_replica
            reps[c][s] = reps[c].get(s, 0) + take
            users = min(take * ce.batch, remaining[c] * ce.users)
            served[c][s] = served[c].get(s, 0.0) + users
            remaining[c] = max(0.0, remaining[c] - users / ce.users) if ce.users > 0 else 0.0
    demand_reps = {c: dict(v) for c, v in reps.items()}
    # spare GPUs: split among the classes that can use them, by share; the rest to the biggest
    share = dict(classes)
    for s in sorted(free):
        per = {c: ce.gpus_per_replica for c in names if (ce := cells[c].get(s)) is not None}
        able = list(per)
        if not able or free[s] <= 0:
            continue
        pool, total = free[s], sum(share[c] for c in able)
        for c in able:
            g = per[c]
            extra = int(pool * share[c] / total) // g
            if extra:
                reps[c][s] = reps[c].get(s, 0) + extra
                free[s] -= extra * g
        for c in able:
            g = per[c]
            if free[s] >= g:
                extra = free[s] // g
                reps[c][s] = reps[c].get(s, 0) + extra
                free[s] -= extra * g
    return Allocation(reps, demand_reps, served, remaining, free)
