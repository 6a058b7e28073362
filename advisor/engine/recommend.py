"""From a workload to ranked, sized, costed and explained options.

1. Hard constraints remove systems (engine.constraints), each removal kept with its reason.
2. Per traffic class, one grid pass over the remaining systems finds the best operating
   point meeting the class SLOs; the fleet is sized to the concurrency target with headroom
   and spare replicas (engine.options). In budget mode ([objective] maximise = "users") each
   option is sized instead to the most concurrent users the budget buys.
3. Options (system x buy/rent, plus a mixed fleet where classes prefer different systems) are
   costed, inefficient ones removed (unless kept), scored (engine.scoring) and ranked
   deterministically; each carries p_lowest_cost (engine.confidence), a tie mark and a
   ranking reason (engine.ranking).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from advisor.domain import System
from advisor.domain.results import Exclusion, Option
from advisor.domain.workload import Weights
from advisor.engine import confidence, ranking, scoring
from advisor.engine.constraints import Reason, inefficiency, open_modes, procurement_exclusion
from advisor.engine.context import Context, class_results
from advisor.engine.explain import class_exclusion
from advisor.engine.grid import Grid
from advisor.engine.options import Candidate, Served, build_candidate, point_usd_per_gpu_hour, served, spend

MAX_USERS = 10**9
"""Budget mode never searches beyond this many concurrent users."""


@dataclass(frozen=True)
class Ranked:
    """recommend()'s answer: options (after --top), every exclusion, and what was computed over all of them."""

    options: list[Option]
    excluded: list[Exclusion]
    lowest_cost: str | None = None
    best_score: str | None = None
    monte_carlo: dict[str, Any] = field(default_factory=dict)
    priced: list[tuple[str, str]] = field(default_factory=list)
    """(system id, buy | rent) of every ranked option's members, before --top: the prices the ranking used."""


def recommend(ctx: Context, systems: list[System], grids: dict[str, tuple[Grid, float]], top: int | None = None, *,
              keep_inefficient: bool = False, client: Any = None, n_draws: int = confidence.DRAWS) -> Ranked:
    """Options ranked by score (or by users within the budget), and every exclusion.

    `grids`: class name -> (grid over `systems`, days). `client`: run the Monte Carlo on a cluster
    (anything with .map/.gather); the answer is the same as without.
    """
    wl = ctx.workload
    results = class_results(ctx, grids, by_cost=True)
    excluded: list[Exclusion] = []
    candidates: list[tuple[str, dict[str, Served]]] = []
    per_class_best: dict[str, list[tuple[str, Served]]] = {tc.name: [] for tc in wl.classes}
    for i, s in enumerate(systems):
        no_mode = procurement_exclusion(ctx, s)
        if no_mode is not None:
            excluded.append(no_mode)
            continue
        failed = [(tc, class_exclusion(ctx, results[tc.name], s, i)) for tc in wl.classes if not results[tc.name].ok[i]]
        for mode in open_modes(ctx, s):
            price = point_usd_per_gpu_hour(ctx, s, mode)
            cells = {}
            for tc in wl.classes:
                cr = results[tc.name]
                if cr.ok[i]:
                    cells[tc.name] = served(ctx, cr, s, i, price)
                    per_class_best[tc.name].append((mode, cells[tc.name]))
            if failed:
                excluded += [Exclusion(system=s.id, procurement=mode, constraint=r.value, reason=why) for _, (r, why) in failed]
                continue
            candidates.append((mode, cells))
    if len(wl.classes) > 1:  # a mixed fleet: each class on its own cheapest system, when they differ
        for mode in ("buy", "rent"):
            choice = {}
            for tc in wl.classes:
                opts = [sv for m_, sv in per_class_best[tc.name] if m_ == mode and sv.point.usd_per_mtok is not None]
                if opts:
                    choice[tc.name] = min(opts, key=lambda sv: (sv.point.usd_per_mtok, sv.system.id))
            if len(choice) == len(wl.classes) and len({sv.system.id for sv in choice.values()}) > 1:
                candidates.append((mode, choice))
    budget_mode = wl.objective.maximise == "users"
    options: list[Candidate] = []
    for mode, cells in candidates:
        users = max_users(ctx, mode, cells) if budget_mode else None
        ids = sorted({sv.system.id for sv in cells.values()})
        if users == 0:
            excluded += [Exclusion(system=sid, procurement=mode, constraint=Reason.BUDGET.value,
                                   reason=f"the budget does not buy one replica per class ({mode})") for sid in ids]
            continue
        cand, why = build_candidate(ctx, mode, cells, users)
        if cand is None:
            assert why is not None
            excluded += [Exclusion(system=sid, procurement=mode, constraint=why[0].value, reason=why[1]) for sid in ids]
        else:
            if users is not None:
                cand.fields["max_concurrent_users"] = float(users)
            options.append(cand)
    if not keep_inefficient:
        options, out = drop_inefficient(options, budget_mode, wl.weights)
        excluded += out
    ranked, info = rank(ctx, options, client=client, n_draws=n_draws)
    priced: list[tuple[str, str]] = list(dict.fromkeys((sid, str(o.procurement)) for o in ranked for sid in o.systems))
    return Ranked(ranked[:top] if top else ranked, _dedupe(excluded), priced=priced, **info)


def max_users(ctx: Context, mode: str, cells: dict[str, Served]) -> int:
    """The most concurrent users (whole) this option serves within procurement.budget_usd (0: not even one)."""
    budget = ctx.workload.procurement.budget_usd
    assert budget is not None
    if spend(ctx, mode, cells, 1) > budget:
        return 0
    lo, hi = 1, 2
    while hi < MAX_USERS and spend(ctx, mode, cells, hi) <= budget:
        lo, hi = hi, hi * 2
    hi = min(hi, MAX_USERS)
    while hi - lo > 1:  # spend(lo) <= budget < spend(hi); spend never falls as users grow
        mid = (lo + hi) // 2
        if spend(ctx, mode, cells, mid) <= budget:
            lo = mid
        else:
            hi = mid
    return lo


def drop_inefficient(cands: list[Candidate], budget_mode: bool,
                     weights: Weights) -> tuple[list[Candidate], list[Exclusion]]:
    """Remove options stuck at batch 1, then (not in budget mode) those needing over 10x the GPUs of the best one."""
    keep, out = [], []
    for c in cands:
        why = inefficiency(c.fields["gpus"], 0, c.batch_one_replicas)
        (keep.append(c) if why is None else out.append((c, why)))
    if keep and not budget_mode:
        best = keep[_best_index(keep, weights)]
        kept = []
        for c in keep:
            why = inefficiency(c.fields["gpus"], best.fields["gpus"], 0)
            (kept.append(c) if why is None else out.append((c, why)))
        keep = kept
    excl = [Exclusion(system=sid, procurement=c.fields["procurement"], constraint=Reason.INEFFICIENT.value,
                      reason=f"{c.fields['label']}: {why}") for c, why in out for sid in c.fields["systems"]]
    return keep, excl


def _best_index(cands: list[Candidate], weights: Weights) -> int:
    sc = scoring.scores([c.metrics for c in cands], weights)
    return min(range(len(cands)), key=lambda k: (-round(sc[k][0], 9), cands[k].fields["usd_per_mtok"], cands[k].fields["id"]))


def _dedupe(ex: list[Exclusion]) -> list[Exclusion]:
    seen, out = set(), []
    for e in ex:
        k = (e.system, e.procurement, e.reason)
        if k not in seen:
            seen.add(k)
            out.append(e)
    return sorted(out, key=lambda e: (e.constraint, e.system, e.procurement))


def _facts(c: Candidate, score: float, terms: dict[str, float]) -> ranking.Facts:
    f = c.fields
    return ranking.Facts(usd_per_mtok=f["usd_per_mtok"], all_in_mw=f["all_in_mw"], racks=f["racks"],
                         ecosystems=f["ecosystems"], ecosystem_risk=c.metrics.ecosystem_risk,
                         headroom_pct=100 * c.metrics.headroom, top_vendor_share=c.metrics.top_vendor_share,
                         terms=terms, score=score)


def rank(ctx: Context, candidates: list[Candidate], *, client: Any = None,
         n_draws: int = confidence.DRAWS) -> tuple[list[Option], dict[str, Any]]:
    """Options by score (budget mode: by users, then score; ties: cheaper, then id), numbered from 1,
    with p_lowest_cost over all of them, tie marks and ranking reasons."""
    weights = ctx.workload.weights
    budget_mode = ctx.workload.objective.maximise == "users"
    scored = scoring.scores([c.metrics for c in candidates], weights)
    order = sorted(range(len(candidates)), key=lambda k: (
        -(candidates[k].fields.get("max_concurrent_users") or 0.0) if budget_mode else 0.0,
        -round(scored[k][0], 9), candidates[k].fields["usd_per_mtok"], candidates[k].fields["id"]))
    cands = [candidates[k] for k in order]
    sc = [scored[k] for k in order]
    parts = [dataclasses.replace(p, option=o) for o, c in enumerate(cands) for p in c.parts]
    usd = [c.fields["usd_per_mtok"] for c in cands]
    samples = confidence.draws(usd, parts, utilisation=ctx.fin.utilisation, n_draws=n_draws, client=client)
    p_low = confidence.p_lowest(samples)
    score_samples = confidence.score_draws(samples, [s for s, _ in sc], [t["cost"] for _, t in sc], weights.cost)
    errors = ranking.score_errors(score_samples)
    users = [float(c.fields.get("max_concurrent_users") or 0.0) for c in cands]
    # budget mode ranks by users: ties and reasons compare the users each budget buys, draw by draw
    user_samples = ranking.users_draws(samples, usd, users) if budget_mode else None
    ties = ranking.tied(user_samples if user_samples is not None else score_samples)
    p_more = ranking.share_above(user_samples) if user_samples is not None else []
    facts = [_facts(c, s, t) for c, (s, t) in zip(cands, sc)]
    out = []
    for i, (c, (s, t)) in enumerate(zip(cands, sc)):
        why = ranking.reason(facts[i], facts[i - 1], weights) if i else ""
        if i and budget_mode:
            why = ranking.users_reason(users[i], users[i - 1], p_more[i], why)
        out.append(Option(rank=i + 1, score=round(s, 3), score_terms={k: round(v, 4) for k, v in t.items()},
                          score_error=round(float(errors[i]), 3), tied=ties[i], ranking_reason=why,
                          p_lowest_cost=round(float(p_low[i]), 6), **c.fields))
    info: dict[str, Any] = dict(
        lowest_cost=min(out, key=lambda o: (o.usd_per_mtok, o.id)).id if out else None,
        best_score=out[0].id if out else None,
        monte_carlo=dict(draws=n_draws, seed=confidence.SEED, options=len(out),
                         price_sigma=dict(confidence.PRICE_SIGMA), utilisation_spread=confidence.UTILISATION_SPREAD,
                         ecosystem_correlation=confidence.ECOSYSTEM_CORRELATION,
                         sigma="ln(1 + error_band_pct/100) / 1.2816 per (accelerator, model)"),
    )
    return out, info
