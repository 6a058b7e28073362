"""A sweep's cost side: every option (a system bought or rented, or a given fleet) in every scenario.

Prices, power and utilisation are numpy over all scenarios at once; each option is costed
by the one member-cost function (engine.pricing.gpu_hour_cost) with array prices.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from advisor.domain import System
from advisor.domain.fleet import FleetsFile
from advisor.engine import pricing
from advisor.engine.allocation import Cell, allocate, carried_batch
from advisor.engine.constraints import Reason, open_modes, over_budget, over_site_power, reason_code, sweep_reasons
from advisor.engine.context import Context
from advisor.engine.sweep_tables import CellTables


def price_arrays(axes: list[Any], values: dict[str, np.ndarray], base: np.ndarray, sys_ids: list[tuple[str, str]],
                 kind: str) -> np.ndarray:
    """(N, O) prices: the base per option, set by `usd_per_gpu[_hour]` axes, scaled by their multipliers.

    `sys_ids`: (system id, accelerator id) per option; an axis without `system` applies to all.
    """
    n = next(iter(values.values())).shape[0] if values else 1
    out = np.broadcast_to(base, (n, len(base))).copy()
    for suffix in ("", "_multiplier"):
        for ax in axes:
            if ax.name != kind + suffix:
                continue
            cols = [o for o, ids in enumerate(sys_ids) if ax.system is None or ax.system in ids]
            v = values[ax.label][:, None]
            out[:, cols] = v if not suffix else out[:, cols] * v
    return out


def _axis(values: dict[str, np.ndarray], name: str, default: float, n: int) -> np.ndarray:
    v = values.get(name)
    return np.full(n, float(default)) if v is None else v


def _base_price(ctx: Context, s: System, mode: str) -> float:
    got = ctx.member_price(s, mode)
    return got[0] if got else np.nan


def workload_options(ctx: Context, systems: list[System], tables: CellTables, key_index: np.ndarray,
                     axes: list[Any], values: dict[str, np.ndarray]) -> dict[str, Any]:
    """Every (system x buy/rent) option in every scenario at once: (N, O) arrays.

    Each option serves every class on its one system, sized as `recommend` sizes it.
    """
    wl, fin, hours = ctx.workload, ctx.fin, ctx.fin.hours_per_year
    opts = [(i, s, m) for i, s in enumerate(systems) for m in open_modes(ctx, s)]
    N, O = key_index.shape[0], len(opts)
    so = np.array([i for i, _, _ in opts], dtype=int)
    sys_ids = [(s.id, s.accelerator) for _, s, _ in opts]
    buy = np.array([m == "buy" for _, _, m in opts])
    capex = price_arrays(axes, values, np.array([_base_price(ctx, s, m) if m == "buy" else np.nan for _, s, m in opts],
                                                dtype=float), sys_ids, "usd_per_gpu")
    rent = price_arrays(axes, values, np.array([_base_price(ctx, s, m) if m == "rent" else np.nan for _, s, m in opts],
                                               dtype=float), sys_ids, "usd_per_gpu_hour")
    capex = np.where(buy, capex, np.nan)
    rent = np.where(buy, np.nan, rent)
    aps = np.array([s.accelerators_per_system for _, s, _ in opts], dtype=float)
    pue = np.array([pricing.pue_for(s, ctx.hall, fin)[0] for _, s, _ in opts])
    sys_kw = np.array([s.system_kw for _, s, _ in opts])
    kwh = _axis(values, "usd_per_kwh", fin.usd_per_kwh, N)
    util = _axis(values, "utilisation", fin.utilisation, N)[:, None]
    conc = values.get("concurrent_users")
    ok = np.ones((N, O), dtype=bool)
    fail = np.zeros((N, O), dtype=np.int8)
    pr = wl.procurement
    gpus_needed = np.zeros((N, O))
    stuck = np.zeros((N, O))  # replicas of classes at batch 1 (constraints.inefficiency)
    tokens = np.zeros((N, O))
    usr0 = None
    for c, tc in enumerate(wl.classes):
        def t(a: np.ndarray, c: int = c) -> np.ndarray:  # (K, C, S) -> (N, O)
            out: np.ndarray = a[key_index][:, c, :][:, so]
            return out

        okc, b, g, usr, ttft = t(tables.ok), t(tables.batch), t(tables.gpus_per_replica), t(tables.tok_s_per_user), t(tables.ttft_s)
        isl = _axis(values, "isl", tc.isl, N)[:, None]
        osl = _axis(values, "osl", tc.osl, N)[:, None]
        if conc is not None or wl.demand.concurrent_users is not None:
            base = conc if conc is not None else np.full(N, float(wl.demand.concurrent_users or 0))
            users = np.broadcast_to(base[:, None] * tc.share, (N, O))
        else:
            users = pricing.littles_law_users(wl.demand.requests_per_s, tc.share, ttft, osl, usr)
        bb = np.where(okc, b, 1.0)
        replicas = np.maximum(1.0, np.ceil(users * (1.0 + pr.headroom_target) / bb - 1e-9)) + pr.spares_for(tc.name)
        pf = t(tables.prefill_gpus_per_replica) if tables.prefill_gpus_per_replica is not None else 0.0
        gpus_needed += np.where(okc, replicas * g + np.ceil(replicas * pf - 1e-9), 0.0)  # with any prefill pool
        stuck += np.where(okc & (b == 1), replicas, 0.0)
        tokens += users * np.where(okc, usr, 0.0) * (isl + osl) / osl
        ok &= okc
        if tables.fail is not None:
            fc = t(tables.fail)
            fail = np.where((fail == 0) & ~okc, fc, fail).astype(np.int8)
        if usr0 is None:
            usr0 = np.where(okc, usr, np.nan)
    n_sys = np.ceil(gpus_needed / aps - 1e-9)
    gpus = n_sys * aps
    per_gpu_hour = np.empty((N, O))
    capex_per_gpu = np.empty((N, O))
    for o, (_, s, m) in enumerate(opts):
        unit = pricing.gpu_hour_cost(s, m, fin, ctx.hall, usd_per_gpu=np.nan_to_num(capex[:, o]),
                                     usd_per_gpu_hour=rent[:, o], usd_per_kwh=kwh)
        per_gpu_hour[:, o] = unit.total
        capex_per_gpu[:, o] = unit.capex_usd_per_gpu
    annual = gpus * hours * per_gpu_hour
    annual_tokens = pricing.annual_tokens(tokens, util, hours)
    priced = np.isfinite(np.where(buy, capex, rent))
    capex_total = np.where(buy, gpus * capex_per_gpu, 0.0)
    all_in_mw = n_sys * sys_kw * pue / 1000.0
    fail = np.where(~ok & (fail == 0), np.int8(reason_code(Reason.SLO)), fail).astype(np.int8)
    reason = sweep_reasons(fail, priced, over_site_power(ctx, all_in_mw, buy[None, :]), over_budget(ctx, buy, capex_total, annual))
    feasible = reason == reason_code(Reason.NONE)
    usd_per_mtok = np.where(feasible & (annual_tokens > 0), annual / np.where(annual_tokens > 0, annual_tokens, 1.0) * 1e6, np.nan)
    return dict(
        labels=[f"{m}:{s.id}" for _, s, m in opts], systems=[s.id for _, s, _ in opts], procurement=[m for _, _, m in opts],
        feasible=feasible, reason=reason, gpus=np.where(ok, gpus, 0).astype(np.int64),
        capex_usd=np.where(feasible, capex_total, np.nan), annual_total_usd=np.where(feasible, annual, np.nan),
        usd_per_mtok=usd_per_mtok, all_in_mw=np.where(ok, all_in_mw, np.nan), tok_s_per_user=usr0,
        ecosystem_risk=np.array([_risk(ctx, s) for _, s, _ in opts], dtype=float), top_vendor_share=np.ones(O),
        headroom=np.full(O, pr.headroom_target), batch_one_replicas=stuck.astype(np.int64),
    )


def _risk(ctx: Context, s: System) -> float:
    cat = ctx.catalog
    return cat.ecosystem(cat.accelerator(s.accelerator).ecosystem).risk


def fleet_options(ctx: Context, ff: FleetsFile, systems: list[System], tables: CellTables, key_index: np.ndarray,
                  axes: list[Any], values: dict[str, np.ndarray]) -> dict[str, Any]:
    """Every fleet of a fleets file in every scenario: allocation per distinct (throughput key, concurrency)."""
    wl, fin, hours, cat = ctx.workload, ctx.fin, ctx.fin.hours_per_year, ctx.catalog
    N, F = key_index.shape[0], len(ff.fleets)
    index = {s.id: i for i, s in enumerate(systems)}
    conc = values.get("concurrent_users")
    base_conc = wl.demand.concurrent_users
    conc_n = conc if conc is not None else np.full(N, float(base_conc or 0))
    group_keys, group_of = np.unique(np.stack([key_index.astype(float), conc_n]), axis=1, return_inverse=True)
    group_of = group_of.ravel()
    G = group_keys.shape[1]
    served_tps = np.zeros((G, F))
    stuck = np.zeros((G, F), dtype=np.int64)
    met = np.zeros((G, F), dtype=bool)
    usr0 = np.full((G, F), np.nan)
    fleet_gpus = []
    for f in ff.fleets:
        g: dict[str, int] = {}
        for m in f.members:
            s = cat.system_or_accelerator(m.system)
            g[s.id] = g.get(s.id, 0) + m.count * s.accelerators_per_system
        fleet_gpus.append(g)
    for gi in range(G):
        k, users_total = int(group_keys[0, gi]), float(group_keys[1, gi])
        cells: dict[str, dict[str, Cell | None]] = {}
        for c, tc in enumerate(wl.classes):
            cells[tc.name] = {}
            for sid, i in index.items():
                if not tables.ok[k, c, i]:
                    cells[tc.name][sid] = None
                    continue
                usr, ttft = tables.tok_s_per_user[k, c, i], tables.ttft_s[k, c, i]
                if conc is not None or base_conc is not None:
                    users = users_total * tc.share
                else:
                    users = float(pricing.littles_law_users(wl.demand.requests_per_s, tc.share, ttft, tc.osl, usr))
                pf = float(tables.prefill_gpus_per_replica[k, c, i]) if tables.prefill_gpus_per_replica is not None else 0.0
                batch = carried_batch(float(tables.batch[k, c, i]), float(tables.gpus_per_replica[k, c, i]), pf)
                cells[tc.name][sid] = Cell(batch, int(tables.gpus_per_replica[k, c, i]), float(usr),
                                           float(tables.total_tok_s_per_gpu[k, c, i]), float(tables.output_tok_s_per_gpu[k, c, i]), users)
        for fi, gpus in enumerate(fleet_gpus):
            sub = {tc.name: {sid: cells[tc.name][sid] for sid in gpus} for tc in wl.classes}
            a = allocate(gpus, [(tc.name, tc.share) for tc in wl.classes], sub)
            met[gi, fi] = all(v <= 1e-9 for v in a.unmet_fraction.values()) and any(
                any(r for r in a.replicas[c].values()) for c in a.replicas)
            tps = 0.0
            for tc in wl.classes:
                ratio = (tc.isl + tc.osl) / tc.osl  # isl/osl axes do not apply per class here: see sweep docs
                ok = {sid: ce for sid, ce in sub[tc.name].items() if ce is not None}
                tps += sum(u * ok[sid].tok_s_per_user for sid, u in a.served_users[tc.name].items()) * ratio
            served_tps[gi, fi] = tps
            stuck[gi, fi] = sum(r for tc in wl.classes for sid, r in a.replicas[tc.name].items()
                                if r and (ce := sub[tc.name][sid]) is not None and ce.batch == 1)
            main = [ce for sid in gpus if (ce := sub[wl.classes[0].name][sid]) is not None]
            if main:
                usr0[gi, fi] = max(main, key=lambda ce: ce.total_tok_s_per_gpu).tok_s_per_user
    # costs: per fleet member, vectorised over scenarios
    kwh = values.get("usd_per_kwh", np.full(N, fin.usd_per_kwh))
    util = values.get("utilisation", np.full(N, fin.utilisation))
    annual = np.zeros((N, F))
    capex_total = np.zeros((N, F))
    all_in = np.zeros(F)
    for fi, f in enumerate(ff.fleets):
        for m in f.members:
            s = cat.system_or_accelerator(m.system)
            mode = m.procurement or f.procurement
            n_gpu = m.count * s.accelerators_per_system
            pue, _ = pricing.pue_for(s, ctx.hall, fin)
            all_in[fi] += m.count * s.system_kw * pue / 1000.0
            given = m.usd_per_gpu if mode == "buy" else m.usd_per_gpu_hour
            base = given if given is not None else _base_price(ctx, s, mode)
            kind = "usd_per_gpu" if mode == "buy" else "usd_per_gpu_hour"
            price = (price_arrays(axes, values, np.array([base], dtype=float), [(s.id, s.accelerator)], kind)[:, 0]
                     if values else np.full(N, base))
            unit = pricing.gpu_hour_cost(s, mode, fin, ctx.hall, usd_per_gpu=price, usd_per_gpu_hour=price, usd_per_kwh=kwh)
            per_h = unit.total if mode in s.procurement else np.full(N, np.nan)
            if mode == "buy":
                capex_total[:, fi] += n_gpu * unit.capex_usd_per_gpu
            annual[:, fi] += n_gpu * hours * per_h
    toks = pricing.annual_tokens(served_tps[group_of], util[:, None], hours)
    met_n = met[group_of]
    reason = np.where(~met_n, np.int8(reason_code(Reason.DEMAND_NOT_MET)),
                      np.where(~np.isfinite(annual), np.int8(reason_code(Reason.PRICE)), np.int8(reason_code(Reason.NONE))))
    feasible = reason == reason_code(Reason.NONE)
    return dict(
        labels=[f.name for f in ff.fleets], systems=["+".join(sorted(g)) for g in fleet_gpus],
        procurement=[("mixed" if len({m.procurement or f.procurement for m in f.members}) > 1
                      else (f.members[0].procurement or f.procurement)) for f in ff.fleets],
        feasible=feasible, reason=reason,
        gpus=np.broadcast_to(np.array([sum(g.values()) for g in fleet_gpus]), (N, F)).astype(np.int64),
        capex_usd=capex_total, annual_total_usd=annual,
        usd_per_mtok=np.where(feasible & (toks > 0), annual / np.where(toks > 0, toks, 1.0) * 1e6, np.nan),
        all_in_mw=np.broadcast_to(all_in, (N, F)).astype(float), tok_s_per_user=usr0[group_of],
        ecosystem_risk=np.array([sum(g * _risk(ctx, cat.system_or_accelerator(sid)) for sid, g in gpus.items())
                                 / max(sum(gpus.values()), 1) for gpus in fleet_gpus]),
        top_vendor_share=np.array([_top_share(ctx, gpus) for gpus in fleet_gpus]),
        headroom=np.full(F, wl.procurement.headroom_target), batch_one_replicas=stuck[group_of],
    )


def _top_share(ctx: Context, gpus: dict[str, int]) -> float:
    by: dict[str, int] = {}
    for sid, g in gpus.items():
        v = ctx.catalog.accelerator(ctx.catalog.system_or_accelerator(sid).accelerator).vendor
        by[v] = by.get(v, 0) + g
    return max(by.values()) / max(sum(by.values()), 1) if by else 1.0
