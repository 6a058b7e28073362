"""The one Python API every shell calls (CLI, TUI, scripts).

Domain objects in, domain objects out; no printing, no Textual.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from advisor.domain import Catalog
from advisor.errors import Problem


def load_catalog(
    overlays: Sequence[str | Path] = (), *, strict: bool = False, allow_http: bool = False
) -> tuple[Catalog, list[Problem]]:
    """The built-in catalog merged with overlays (files, folders, URLs), last wins by id.

    Returns the catalog and its lint warnings; raises CatalogError with every problem.
    """
    from advisor.catalog import load_catalog as _load

    return _load(overlays, strict=strict, allow_http=allow_http)


# --- calibration -------------------------------------------------------------------

CALIBRATION_FILE = "calibration.json"


_KEYS: dict[int, tuple[Catalog, str]] = {}


def _calibration_key(catalog: Catalog) -> str:
    """A hash of everything the fit depends on (memoised per catalog object)."""
    hit = _KEYS.get(id(catalog))
    if hit is not None and hit[0] is catalog:
        return hit[1]
    key = _compute_calibration_key(catalog)
    if len(_KEYS) > 8:
        _KEYS.clear()
    _KEYS[id(catalog)] = (catalog, key)
    return key


def _compute_calibration_key(catalog: Catalog) -> str:
    import hashlib
    import json

    blob = {
        kind: sorted((e.model_dump_json() for e in catalog.entries[kind].values()))
        for kind in ("accelerators", "systems", "ecosystems", "models", "benchmarks")
    }
    return hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()[:32]


def calibrate(catalog: Catalog, *, loo: bool = True):
    """Fit the engine to the catalog's measured points; with leave-one-out errors.

    Returns engine.calibration.CalibrationReport (factors, per-point rows, summary).
    """
    from advisor.engine import calibration

    report = calibration.fit(catalog, loo=loo)
    _store_factors(catalog, report, loo=loo)
    return report


def _store_factors(catalog: Catalog, report, *, loo: bool) -> None:
    import json

    from advisor.locations import user_cache_dir, write_atomic

    doc = {"key": _calibration_key(catalog), "loo": loo, "factors": report.factors.to_dict(),
           "summary": report.summary["all"]}
    try:
        write_atomic(user_cache_dir() / "calibration" / f"{doc['key']}.json", json.dumps(doc, indent=1))
    except OSError:
        pass  # a read-only cache only costs speed


def factors(catalog: Catalog):
    """Fitted factors for this catalog: shipped, cached, or fitted now (without LOO) and cached."""
    import json

    from advisor.engine.factors import Factors
    from advisor.locations import builtin_catalog_dir, user_cache_dir

    key = _calibration_key(catalog)
    for path in (builtin_catalog_dir() / CALIBRATION_FILE, user_cache_dir() / "calibration" / f"{key}.json"):
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if doc.get("key") == key:
            return Factors.from_dict({**doc["factors"], "summary": doc.get("summary", {})})
    from advisor.engine import calibration

    report = calibration.fit(catalog, loo=False)
    _store_factors(catalog, report, loo=False)
    return report.factors


# --- estimate and frontier ------------------------------------------------------------

def _grid_for(catalog: Catalog, systems, model, *, fac=None, **kw):
    from advisor.engine.build import grid_for

    return grid_for(catalog, systems, model, fac or factors(catalog), **kw)


def _check_workload_shape(isl: int, osl: int) -> None:
    from advisor.errors import UsageError

    if isl < 1 or osl < 1:
        raise UsageError("--isl and --osl must be positive token counts")


def estimate(
    catalog: Catalog, *, system: str, model: str, isl: int, osl: int, precision: str = "auto",
    min_tok_s_per_user: float = 0.0, max_ttft_s: float | None = None, gpus: int | None = None,
    concurrency: int | None = None, spec_decode: str = "auto", accept: float | None = None,
    days_since_release: float | None = None, price_tier: str | None = None, usd_per_gpu_hour: float | None = None,
    utilisation: float | None = None, usd_per_kwh: float | None = None, pue: float | None = None, fac=None,
) -> dict:
    """The best operating point of one model on one system (or the exact one asked for), with costs.

    `system` may be a system id or an accelerator id (its default system). Raises
    InfeasibleError when nothing fits or the floor cannot be reached.
    """
    import numpy as np

    from advisor.engine import select
    from advisor.errors import InfeasibleError, UsageError

    _check_workload_shape(isl, osl)
    sysobj = _lookup(catalog, "system_or_accelerator", system)
    m = _lookup(catalog, "model", model)
    if spec_decode == "mtp" and not m.mtp_layers:
        raise UsageError(f"{m.name} has no MTP layers, so --spec-decode mtp cannot apply (use none or auto)")
    if (gpus is None) != (concurrency is None):
        raise UsageError("--gpus and --concurrency go together (they replay one exact operating point)")
    layouts = batches = None
    if gpus is not None:
        if gpus < 1 or concurrency < 1:
            raise UsageError("--gpus and --concurrency must be at least 1")
        layouts, batches = np.array([float(gpus)]), np.array([float(concurrency)])
    grid, days = _grid_for(catalog, [sysobj], m, isl=isl, osl=osl, precision=precision, spec_decode=spec_decode,
                           accept=accept, days_since_release=days_since_release, layouts=layouts, batches=batches, fac=fac)
    mask = select.slo_mask(grid, min_tok_s_per_user, max_ttft_s)
    idx, ok = select.best_per_system(grid, mask)
    if not ok[0]:
        from advisor.engine.explain import why_no_point

        _, reason = why_no_point(catalog, grid, 0, sysobj, m, isl=isl, osl=osl, precision=precision,
                                 min_tok_s_per_user=min_tok_s_per_user, max_ttft_s=max_ttft_s)
        raise InfeasibleError(f"{sysobj.name}: {reason}")
    c = select.cell(grid, 0, int(idx[0]))
    point, assumptions = _price_point(
        catalog, sysobj, m, c, isl, osl, grid, days, price_tier=price_tier, usd_per_gpu_hour=usd_per_gpu_hour,
        utilisation=utilisation, usd_per_kwh=usd_per_kwh, pue=pue,
        exact=(gpus is not None),
    )
    return {"point": point, "assumptions": assumptions}


def _lookup(catalog: Catalog, method: str, ident: str):
    from advisor.domain.catalog import LookupError_
    from advisor.errors import UsageError

    try:
        return getattr(catalog, method)(ident)
    except LookupError_ as exc:
        raise UsageError(str(exc)) from None


def _price_point(catalog, sysobj, m, c, isl, osl, grid, days, *, price_tier=None, usd_per_gpu_hour=None,
                 utilisation=None, usd_per_kwh=None, pue=None, exact=False, _prices=None):
    from advisor.domain.results import Assumption, OperatingPoint
    from advisor.engine import costs, tco

    d = catalog.defaults
    fin = costs.FinanceInputs.from_defaults(d, price_tier=price_tier, utilisation=utilisation, usd_per_kwh=usd_per_kwh)
    used_pue, cooling = costs.pue_for(sysobj, "both", fin)
    if pue is not None:
        used_pue = pue
    assumptions = [
        Assumption(name="utilisation", value=fin.utilisation, unit="fraction", source="command line" if utilisation else "catalog defaults"),
        Assumption(name="pue", value=used_pue, unit="", source="command line" if pue else f"catalog defaults ({cooling})"),
        Assumption(name="usd_per_kwh", value=fin.usd_per_kwh, unit="USD/kWh", source="command line" if usd_per_kwh else "catalog defaults"),
        Assumption(name="days_since_release", value=days, unit="days", source="computed from today's date"),
    ]
    if usd_per_gpu_hour is not None:
        price = usd_per_gpu_hour
        assumptions.append(Assumption(name="usd_per_gpu_hour", value=price, unit="USD/GPU-hour", source="command line"))
    else:
        key = (sysobj.id, fin.price_tier)
        if _prices is not None and key in _prices:
            pp = _prices[key]
        else:
            pp = costs.any_hourly_price(catalog, sysobj, fin.price_tier)
            if _prices is not None:
                _prices[key] = pp
        price = pp.usd if pp else None
        assumptions.append(Assumption(name="usd_per_gpu_hour", value=price, unit="USD/GPU-hour",
                                      source=f"catalog price {pp.id} ({pp.tier}, {pp.as_of})" if pp else "no price in catalog"))
    watts = costs.it_watts_per_gpu(sysobj) * used_pue
    acc = catalog.accelerator(sysobj.accelerator)
    mode = grid.factors.mode(acc.ecosystem, c["precision"])
    band = grid.factors.band(acc.ecosystem, c["precision"])
    measured = _measured_match(catalog, acc.id, m.id, c, isl, osl, exact)
    out_tps, tot_tps, usr, ttft = c["output_tok_s_per_gpu"], c["total_tok_s_per_gpu"], c["tok_s_per_user"], c["ttft_s"]
    if measured is not None:
        mode, band = "measured", 0.0
        if measured.throughput_basis == "total":
            tot_tps = measured.tok_s_per_gpu
            out_tps = measured.output_tok_s_per_gpu or tot_tps * osl / (isl + osl)
        else:
            out_tps = measured.output_tok_s_per_gpu or measured.tok_s_per_gpu
            tot_tps = out_tps * (isl + osl) / osl
        usr = measured.tok_s_per_user or usr
        ttft = measured.ttft_s or ttft
    in_tps = tot_tps - out_tps
    extra = {}
    if price is not None:
        extra = {
            "usd_per_gpu_hour": price,
            "usd_per_mtok": float(tco.usd_per_mtok(price, tot_tps, fin.utilisation)),
            "usd_per_mtok_input": float(tco.split_usd_per_mtok(price, out_tps, in_tps, fin.utilisation)[0]),
            "usd_per_mtok_output": float(tco.split_usd_per_mtok(price, out_tps, in_tps, fin.utilisation)[1]),
        }
    point = OperatingPoint(
        system=sysobj.id, accelerator=acc.id, model=m.id, isl=isl, osl=osl, precision=c["precision"],
        gpus_per_replica=c["gpus_per_replica"], batch=c["batch"], spec_decode=c["spec_decode"],
        output_tok_s_per_gpu=out_tps, total_tok_s_per_gpu=tot_tps, tok_s_per_user=usr, ttft_s=ttft,
        mem_used_gb_per_gpu=c["mem_used_gb"], fits=c["fits"], bound=c["bound"], mode=mode, error_band_pct=round(band, 1),
        days_since_release=days, measured_id=measured.id if measured is not None else None,
        tok_s_per_mw=float(tco.tok_s_per_mw(tot_tps, watts)), joules_per_token=float(tco.joules_per_token(tot_tps, watts)),
        all_in_watts_per_gpu=watts, **extra,
    )
    return point, assumptions


def _measured_match(catalog, acc_id, model_id, c, isl, osl, exact):
    """A calibration point measured at this very setup (same chip, model, precision, lengths, layout, batch)."""
    if not exact:
        return None  # only an exact replay (--gpus/--concurrency) can match; skip the scan per front point
    for b in catalog.benchmarks.values():
        if (b.accelerator == acc_id and catalog.model(b.model).id == model_id and b.precision == c["precision"]
                and b.isl == isl and b.osl == osl and not b.disaggregated and b.calibrate and exact
                and b.n_accelerators == c["gpus_per_replica"] and b.concurrency == c["batch"]
                and b.spec_decode == c["spec_decode"]):
            return b
    return None


def frontier(
    catalog: Catalog, *, systems: Sequence[str], model: str, isl: int, osl: int, precision: str = "auto",
    spec_decode: str = "auto", days_since_release: float | None = None, price_tier: str | None = None,
    usd_per_gpu_hour: float | None = None, utilisation: float | None = None, accept: float | None = None, fac=None,
) -> dict:
    """The Pareto front of (tok/s/user, tok/s/GPU) for each system, in one grid pass."""
    from advisor.engine import select

    _check_workload_shape(isl, osl)
    m = _lookup(catalog, "model", model)
    sys_objs = [_lookup(catalog, "system_or_accelerator", s) for s in systems] if systems else list(catalog.systems.values())
    grid, days = _grid_for(catalog, sys_objs, m, isl=isl, osl=osl, precision=precision, spec_decode=spec_decode,
                           accept=accept, days_since_release=days_since_release, fac=fac)
    fronts, assumptions, prices = {}, None, {}
    for i, s in enumerate(sys_objs):
        pts = []
        for flat in select.front(grid, i):
            p, assumptions = _price_point(catalog, s, m, select.cell(grid, i, flat), isl, osl, grid, days,
                                          price_tier=price_tier, usd_per_gpu_hour=usd_per_gpu_hour, utilisation=utilisation,
                                          _prices=prices)
            pts.append(p)
        fronts[s.id] = pts
    return {"model": m.id, "isl": isl, "osl": osl, "fronts": fronts, "assumptions": assumptions or [],
            "grid_points": grid.size}


# --- recommendations -------------------------------------------------------------------

def load_workload(path, *, sets: Sequence[str] = ()):
    """A workload TOML file (with --set overrides) as a domain Workload; InputError on problems."""
    from advisor.catalog.documents import load_document
    from advisor.domain.workload import Workload

    return load_document(path, Workload, sets=list(sets))


def workload_from_dict(data: dict, *, sets: Sequence[str] = (), origin: str = "<workload>"):
    from advisor.catalog.documents import validate_data
    from advisor.domain.workload import Workload

    return validate_data(dict(data), Workload, origin=origin, sets=list(sets))


def recommend(catalog: Catalog, workload, *, top: int | None = None, fac=None):
    """Rank sized, costed options for a workload; returns domain.results.Recommendation.

    Never raises for infeasibility: an empty `options` list comes with every exclusion.
    """
    from advisor.domain.results import Assumption, Recommendation
    from advisor.engine import costs
    from advisor.engine import recommend as rec
    from advisor.engine.build import grid_for

    fac = fac or factors(catalog)
    wl, d = workload, catalog.defaults
    for tc in wl.classes:
        _lookup(catalog, "model", tc.model)
    pr, dc = wl.procurement, wl.datacenter
    fin = costs.FinanceInputs.from_defaults(
        d, years=pr.horizon_years, cost_of_capital=pr.cost_of_capital, usd_per_kwh=dc.usd_per_kwh,
        pue_air=dc.pue_air, pue_liquid=dc.pue_liquid, hosting_usd_per_kw_month=dc.hosting_usd_per_kw_month,
        utilisation=wl.demand.utilisation, price_tier=pr.price_tier,
    )
    ctx = rec.Context(catalog=catalog, workload=wl, factors=fac, fin=fin, hall=dc.cooling)
    systems = [_lookup(catalog, "system_or_accelerator", s) for s in pr.systems] if pr.systems else list(catalog.systems.values())
    kept, excluded = rec.prefilter(ctx, systems)
    grids = {}
    if kept:
        for tc in wl.classes:
            grids[tc.name] = grid_for(
                catalog, kept, catalog.model(tc.model), fac, isl=tc.isl, osl=tc.osl, precision=tc.precision,
                spec_decode=tc.spec_decode, days_since_release=pr.days_since_release,
            )
        options, more = rec.recommend(ctx, kept, grids, top=top)
    else:
        options, more = [], []
    src = lambda given, what="workload": what if given is not None else "catalog defaults"  # noqa: E731
    assumptions = [
        Assumption(name="amortisation_years", value=fin.years, unit="years", source=src(pr.horizon_years)),
        Assumption(name="cost_of_capital", value=fin.cost_of_capital, unit="per year", source=src(pr.cost_of_capital)),
        Assumption(name="residual_fraction", value=fin.residual_fraction, unit="fraction", source="catalog defaults"),
        Assumption(name="maintenance_fraction_per_year", value=fin.maintenance_fraction_per_year, unit="fraction", source="catalog defaults"),
        Assumption(name="install_fraction", value=fin.install_fraction, unit="fraction of capex", source="catalog defaults"),
        Assumption(name="usd_per_kwh", value=fin.usd_per_kwh, unit="USD/kWh", source=src(dc.usd_per_kwh)),
        Assumption(name="pue_air", value=fin.pue_air, unit="", source=src(dc.pue_air)),
        Assumption(name="pue_liquid", value=fin.pue_liquid, unit="", source=src(dc.pue_liquid)),
        Assumption(name="hosting_usd_per_kw_month", value=fin.hosting_usd_per_kw_month, unit="USD/kW-month", source=src(dc.hosting_usd_per_kw_month)),
        Assumption(name="liquid_retrofit_usd_per_kw", value=fin.liquid_retrofit_usd_per_kw, unit="USD/kW", source="catalog defaults"),
        Assumption(name="utilisation", value=fin.utilisation, unit="fraction of peak", source=src(wl.demand.utilisation)),
        Assumption(name="price_tier", value=fin.price_tier, unit="", source=src(pr.price_tier)),
        Assumption(name="mtp_acceptance", value=round(fac.shared["accept"], 3), unit="fraction", source="calibration fit"),
    ] + [
        Assumption(name=f"days_since_release.{tc.name}", value=grids[tc.name][1] if tc.name in grids else None,
                   unit="days", source=src(pr.days_since_release, "workload") if pr.days_since_release is not None else "today's date")
        for tc in wl.classes
    ]
    return Recommendation(
        workload=wl.model_dump(mode="json"), assumptions=assumptions, options=options,
        excluded=sorted(excluded + more, key=lambda e: (e.constraint, e.system, e.procurement)),
        catalog=list(catalog.layers), calibration=dict(fac.summary),
    )


def recommendation_schema() -> dict:
    from advisor.domain.results import Recommendation

    return Recommendation.model_json_schema()


def workload_schema() -> dict:
    from advisor.domain.workload import Workload

    return Workload.model_json_schema()


from advisor.api_fleet import (  # noqa: E402,F401  fleets and sweeps (issue 5)
    check_sweep_size, compare_fleets, fleets_schema, load_fleets, load_sweep, merge_sweeps,
    sweep, sweep_chunks, sweep_schema,
)
