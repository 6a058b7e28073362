"""Fleet comparisons and sensitivity sweeps: the API behind `advisor compare` and `advisor sweep`.

Re-exported by `advisor.api`. Domain objects in, domain objects out; no printing.

Splitting a sweep for Dask or Ray
---------------------------------
`sweep()` runs everything in this process (numpy over all scenarios at once, plus a
thread pool over the distinct grid-changing values). To spread a very large sweep over a
cluster without the core depending on Dask or Ray, use `sweep_chunks(sweep_obj, n)`:
it splits the scenario grid along its grid-changing axes (days_since_release, isl, osl,
then min_tok_s_per_user; else the first axis) into up to `n` independent SweepFile
objects whose scenario grids partition the original. Each chunk is a plain pydantic
object (picklable, JSON-able via model_dump), so:

    chunks = api.sweep_chunks(sweep_obj, 64)
    futures = client.map(lambda ch: api.sweep(catalog, ch), chunks)      # Dask
    # or: ray.get([ray.remote(api.sweep).remote(catalog, ch) for ch in chunks])
    results = [f.result() for f in futures]
    merged = api.merge_sweeps(results)

Each worker evaluates only the grids its chunk needs, so no grid is computed twice.
`merge_sweeps` concatenates the rows, renumbers scenarios, and recomputes the summary.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from advisor.domain import Catalog


# --- loading ------------------------------------------------------------------------------

def _load_with_workload(path, model, sets: Sequence[str], ref_keys: dict[str, type]):
    """Read a TOML document whose `workload` (or `fleets`) key may be a path relative to it."""
    from advisor.catalog.documents import apply_sets, load_document, read_document, validate_data
    from advisor.catalog.locate import Locator
    from advisor.errors import InputError, Problem, display_path

    p = Path(path)
    origin, text, data = read_document(p)
    own_sets, forwarded = [], {k: [] for k in ref_keys}
    for s in sets:
        head = s.split("=", 1)[0].strip().split(".")[0]
        if head in ref_keys and isinstance(data.get(head), str):
            forwarded[head].append(s.split(".", 1)[1] if "." in s.split("=", 1)[0] else s)
        else:
            own_sets.append(s)
    data = apply_sets(data, own_sets) if own_sets else data
    for key, loader in ref_keys.items():
        ref = data.get(key)
        if isinstance(ref, str):
            target = (p.parent / ref) if not Path(ref).is_absolute() else Path(ref)
            if not target.is_file():
                line = Locator(text).top_level_line(key)
                raise InputError([Problem(origin, key, f"{ref!r} not found (looked for {display_path(target)})", line)])
            data[key] = loader(target, forwarded[key])
    try:
        obj = validate_data(data, model, origin=origin, text=text)
    except InputError as exc:
        raise InputError([_relocate(pr, text) for pr in exc.problems], exc.summary) from None
    _SOURCES[id(obj)] = (origin, text, obj)
    return obj


_SOURCES: dict[int, tuple[str, str, object]] = {}
"""id(loaded document) -> (origin, text, the document): lets later checks (system ids) name file and line."""


def _nested_line(text: str, outer: str, i: int, inner: str, j: int, key: str | None) -> int | None:
    """Line of `key` in the j-th [[outer.inner]] of the i-th [[outer]] (nested arrays of tables)."""
    import re

    from advisor.catalog.locate import Locator

    loc = Locator(text)
    heads = loc.headers
    outer_lines = [n for n, name, arr in heads if arr and name == outer]
    if i >= len(outer_lines):
        return None
    start = outer_lines[i]
    end = next((n for n in outer_lines if n > start), len(loc.lines) + 1)
    inner_lines = [n for n, name, arr in heads if arr and name == f"{outer}.{inner}" and start < n < end]
    if j >= len(inner_lines):
        return start
    head = inner_lines[j]
    stop = next((n for n, _, _ in heads if n > head), len(loc.lines) + 1)
    if key:
        pat = re.compile(rf"""^\s*["']?{re.escape(key)}["']?\s*=""")
        for n in range(head + 1, stop):
            if pat.match(loc.lines[n - 1]):
                return n
    return head


def _relocate(problem, text: str):
    """Sharper lines for keys inside nested arrays of tables (fleets[i].members[j].key, axes[i].key)."""
    import dataclasses
    import re

    if not problem.key:
        return problem
    m = re.match(r"^fleets\[(\d+)\]\.members\[(\d+)\](?:\.(\w+))?", problem.key)
    if m:
        line = _nested_line(text, "fleets", int(m.group(1)), "members", int(m.group(2)), m.group(3))
        return dataclasses.replace(problem, line=line or problem.line)
    return problem


def load_fleets(path, *, sets: Sequence[str] = ()):
    """A fleets TOML file as domain.fleet.FleetsFile; `workload = "x.toml"` is read relative to it.

    `--set` overrides apply to the file; `workload.<key>=...` reach a referenced workload file.
    """
    from advisor.catalog.documents import load_document
    from advisor.domain.fleet import FleetsFile
    from advisor.domain.workload import Workload

    return _load_with_workload(path, FleetsFile, sets, {"workload": lambda t, s: load_document(t, Workload, sets=s)})


def load_sweep(path, *, sets: Sequence[str] = ()):
    """A sweep TOML file as domain.fleet.SweepFile (workload or fleets given inline or by path)."""
    from advisor.catalog.documents import load_document
    from advisor.domain.fleet import SweepFile
    from advisor.domain.workload import Workload

    return _load_with_workload(path, SweepFile, sets, {
        "workload": lambda t, s: load_document(t, Workload, sets=s),
        "fleets": lambda t, s: load_fleets(t, sets=s),
    })


def _fleets_obj(fleets) -> object:
    from advisor.catalog.documents import validate_data
    from advisor.domain.fleet import FleetsFile

    if isinstance(fleets, FleetsFile):
        return fleets
    if isinstance(fleets, (str, Path)):
        return load_fleets(fleets)
    return validate_data(dict(fleets), FleetsFile, origin="<fleets>")


def _source_of(obj) -> tuple[str | None, str]:
    got = _SOURCES.get(id(obj))
    return (got[0], got[1]) if got and got[2] is obj else (None, "")


def _check_fleet_ids(catalog: Catalog, ff) -> None:
    """Unknown system ids -> InputError naming file, line and key (fleets[i].members[j].system), with did-you-mean."""
    from advisor.catalog.locate import Locator
    from advisor.domain.catalog import LookupError_
    from advisor.errors import InputError, Problem

    origin, text = _source_of(ff)
    problems = []
    for i, f in enumerate(ff.fleets):
        for j, m in enumerate(f.members):
            try:
                catalog.system_or_accelerator(m.system)
            except LookupError_ as exc:
                line = _nested_line(text, "fleets", i, "members", j, "system") if text else None
                problems.append(Problem(origin, f"fleets[{i}].members[{j}].system", f"fleet {f.name!r}: {exc.args[0]}", line))
    for k, tc in enumerate(ff.workload.classes):
        try:
            catalog.model(tc.model)
        except LookupError_ as exc:
            line = Locator(text).top_level_line("workload") if text else None
            problems.append(Problem(origin, f"workload.classes[{k}].model", exc.args[0], line))
    if problems:
        raise InputError(problems)


def _context(catalog: Catalog, wl, fac):
    from advisor.engine import costs
    from advisor.engine import recommend as rec

    pr, dc = wl.procurement, wl.datacenter
    fin = costs.FinanceInputs.from_defaults(
        catalog.defaults, years=pr.horizon_years, cost_of_capital=pr.cost_of_capital, usd_per_kwh=dc.usd_per_kwh,
        pue_air=dc.pue_air, pue_liquid=dc.pue_liquid, hosting_usd_per_kw_month=dc.hosting_usd_per_kw_month,
        utilisation=wl.demand.utilisation, price_tier=pr.price_tier,
    )
    return rec.Context(catalog=catalog, workload=wl, factors=fac, fin=fin, hall=dc.cooling)


def _assumptions(ctx, days: dict[str, float]):
    from advisor.domain.results import Assumption

    f = ctx.fin
    return [
        Assumption(name="amortisation_years", value=f.years, unit="years", source="workload or catalog defaults"),
        Assumption(name="cost_of_capital", value=f.cost_of_capital, unit="per year", source="workload or catalog defaults"),
        Assumption(name="usd_per_kwh", value=f.usd_per_kwh, unit="USD/kWh", source="workload or catalog defaults"),
        Assumption(name="pue_air", value=f.pue_air, unit="", source="workload or catalog defaults"),
        Assumption(name="pue_liquid", value=f.pue_liquid, unit="", source="workload or catalog defaults"),
        Assumption(name="hosting_usd_per_kw_month", value=f.hosting_usd_per_kw_month, unit="USD/kW-month", source="workload or catalog defaults"),
        Assumption(name="install_fraction", value=f.install_fraction, unit="fraction of capex", source="catalog defaults"),
        Assumption(name="utilisation", value=f.utilisation, unit="fraction of peak", source="workload or catalog defaults"),
        Assumption(name="price_tier", value=f.price_tier, unit="", source="workload or catalog defaults"),
        *[Assumption(name=f"days_since_release.{k}", value=v, unit="days", source="workload or today's date") for k, v in days.items()],
    ]


# --- compare --------------------------------------------------------------------------------

def compare_fleets(catalog: Catalog, fleets, *, fac=None):
    """Fleets side by side for their workload: capacity at the SLOs, costs, power, concentration.

    `fleets`: a FleetsFile, a path to a fleets TOML file, or a dict in that schema.
    Returns domain.results_fleet.FleetComparison; never raises for unmet demand
    (`any_meets_demand` says whether any fleet meets it).
    """
    from advisor.api import factors
    from advisor.engine import fleet as fleet_engine
    from advisor.engine.build import grid_for

    ff = _fleets_obj(fleets)
    _check_fleet_ids(catalog, ff)
    fac = fac or factors(catalog)
    wl = ff.workload
    ctx = _context(catalog, wl, fac)
    systems, seen = [], set()
    for f in ff.fleets:
        for m in f.members:
            s = catalog.system_or_accelerator(m.system)
            if s.id not in seen:
                seen.add(s.id)
                systems.append(s)
    grids = {
        tc.name: grid_for(catalog, systems, catalog.model(tc.model), fac, isl=tc.isl, osl=tc.osl, precision=tc.precision,
                          spec_decode=tc.spec_decode, days_since_release=wl.procurement.days_since_release)
        for tc in wl.classes
    }
    assumptions = _assumptions(ctx, {k: v[1] for k, v in grids.items()})
    return fleet_engine.compare(ctx, ff, systems, grids, assumptions, list(catalog.layers))


def fleets_schema() -> dict:
    from advisor.domain.fleet import FleetsFile

    return FleetsFile.model_json_schema()


def sweep_schema() -> dict:
    from advisor.domain.fleet import SweepFile

    return SweepFile.model_json_schema()


# --- sweeps ---------------------------------------------------------------------------------

def check_sweep_size(sw, *, max_scenarios: int | None = None, force: bool = False) -> int:
    """The number of scenarios; UsageError (exit 2) above the maximum unless forced."""
    from advisor.errors import InputError, Problem

    n = sw.scenario_count
    cap = max_scenarios if max_scenarios is not None else sw.max_scenarios
    if n > cap and not force:
        origin, _ = _source_of(sw)
        sizes = " x ".join(f"{a.count()} {a.label}" for a in sw.axes)
        raise InputError([Problem(origin, "axes", f"{n:,} scenarios ({sizes}) exceed the maximum of {cap:,}; "
                                                  "use --force, --max-scenarios N, or fewer values")])
    return n


def _check_axis_systems(catalog: Catalog, sw) -> None:
    from advisor.catalog.locate import Locator
    from advisor.domain.catalog import LookupError_
    from advisor.errors import InputError, Problem

    origin, text = _source_of(sw)
    problems = []
    for i, ax in enumerate(sw.axes):
        if ax.system is None:
            continue
        try:
            s = catalog.system_or_accelerator(ax.system)
        except LookupError_ as exc:
            line = Locator(text).key_line("axes", i, ("system",)) if text else None
            problems.append(Problem(origin, f"axes[{i}].system", exc.args[0], line))
            continue
        if ax.system not in (s.id, s.accelerator):
            object.__setattr__(ax, "system", s.id)  # an alias: the id from here on
    if problems:
        raise InputError(problems)


def sweep(catalog: Catalog, sweep_obj, *, progress: Callable[[int, int], None] | None = None, workers: int | None = None,
          max_scenarios: int | None = None, force: bool = False, fac=None):
    """Every scenario of the sweep's axes x every option; returns domain.results_fleet.SweepResult.

    Options: each system of the catalog (or procurement.systems) x buy/rent, each serving the
    whole workload on its own (no mixed fleets), or the fleets of a fleets file. Does not call
    recommend() per scenario: one grid per distinct (isl, osl, days_since_release), one
    argmax per SLO floor, then numpy over all scenarios for prices, power, utilisation and
    concurrency. Grids are evaluated in a thread pool of `workers` (default: all cores).
    `progress(done, total)` is called as grids finish. isl/osl axes set every class's lengths.
    """
    import time

    import numpy as np

    from advisor.api import factors
    from advisor.domain.fleet import AXIS_UNITS, SweepFile
    from advisor.domain.results_fleet import SweepResult
    from advisor.engine import fleet as fe
    from advisor.engine import recommend as rec

    t0 = time.perf_counter()
    sw = sweep_obj if isinstance(sweep_obj, SweepFile) else (
        load_sweep(sweep_obj) if isinstance(sweep_obj, (str, Path)) else _validate_sweep_dict(sweep_obj))
    check_sweep_size(sw, max_scenarios=max_scenarios, force=force)
    _check_axis_systems(catalog, sw)
    wl = sw.base_workload
    if sw.fleets is not None:
        _check_fleet_ids(catalog, sw.fleets)
    else:
        for tc in wl.classes:
            from advisor.api import _lookup

            _lookup(catalog, "model", tc.model)
    fac = fac or factors(catalog)
    ctx = _context(catalog, wl, fac)
    # the scenario grid
    axes = list(sw.axes)
    levels = [np.asarray(a.resolved(), dtype=float) for a in axes]
    shape = tuple(len(v) for v in levels)
    N = int(np.prod(shape))
    idx = np.unravel_index(np.arange(N), shape)
    values = {a.label: levels[i][idx[i]] for i, a in enumerate(axes)}
    # throughput keys: distinct (isl, osl, days, floor) combinations
    tkey_axes = [a for a in ("isl", "osl", "days_since_release", "min_tok_s_per_user") if a in values]
    if tkey_axes:
        stacked = np.stack([values[a] for a in tkey_axes])
        uniq, key_index = np.unique(stacked, axis=1, return_inverse=True)
        key_index = key_index.ravel()
        keys = [tuple(float(uniq[tkey_axes.index(a), k]) if a in tkey_axes else None
                      for a in ("isl", "osl", "days_since_release", "min_tok_s_per_user")) for k in range(uniq.shape[1])]
    else:
        key_index = np.zeros(N, dtype=np.int64)
        keys = [(None, None, None, None)]
    # systems
    if sw.fleets is not None:
        systems, seen = [], set()
        for f in sw.fleets.fleets:
            for m in f.members:
                s = catalog.system_or_accelerator(m.system)
                if s.id not in seen:
                    seen.add(s.id)
                    systems.append(s)
    else:
        pr = wl.procurement
        from advisor.api import _lookup

        cands = [_lookup(catalog, "system_or_accelerator", s) for s in pr.systems] if pr.systems else list(catalog.systems.values())
        systems, _ = rec.prefilter(ctx, cands)
    tables = fe.cell_tables(ctx, systems, keys, workers=workers, progress=progress)
    if sw.fleets is not None:
        opt = fe.fleet_options(ctx, sw.fleets, systems, tables, key_index, axes, values)
    else:
        opt = fe.workload_options(ctx, systems, tables, key_index, axes, values)
    labels = opt["labels"]
    O = len(labels)
    win = fe.winners(opt["feasible"], opt["usd_per_mtok"])
    winners = np.array(labels + [""], dtype=object)[np.where(win >= 0, win, O)] if O else np.full(N, "", dtype=object)
    units = {a.label: AXIS_UNITS[a.name] for a in axes}
    summary = fe.summarise(values, units, win, labels)
    rows = {
        "scenario": np.repeat(np.arange(N), O),
        "option": np.tile(np.array(labels, dtype=object), N),
        "system": np.tile(np.array(opt["systems"], dtype=object), N),
        "procurement": np.tile(np.array(opt["procurement"], dtype=object), N),
        "feasible": opt["feasible"].ravel(),
        "reason": np.array(fe.REASONS, dtype=object)[opt["reason"].ravel()],
        "gpus": np.asarray(opt["gpus"]).ravel(),
        "capex_usd": np.asarray(opt["capex_usd"], dtype=float).ravel(),
        "annual_total_usd": np.asarray(opt["annual_total_usd"], dtype=float).ravel(),
        "usd_per_mtok": np.asarray(opt["usd_per_mtok"], dtype=float).ravel(),
        "all_in_mw": np.asarray(opt["all_in_mw"], dtype=float).ravel(),
        "tok_s_per_user": np.asarray(opt["tok_s_per_user"], dtype=float).ravel(),
        "is_winner": (np.arange(O)[None, :] == win[:, None]).ravel() if O else np.zeros(0, bool),
    }
    return SweepResult(
        name=sw.name, axes=values, axis_units=units, options=labels, rows=rows, winners=list(winners), summary=summary,
        n_scenarios=N, grid_evaluations=tables.grid_evaluations, seconds=time.perf_counter() - t0,
        assumptions=[a.model_dump(mode="json") for a in _assumptions(ctx, {})],
    )


def _validate_sweep_dict(data: dict):
    from advisor.catalog.documents import validate_data
    from advisor.domain.fleet import SweepFile

    return validate_data(dict(data), SweepFile, origin="<sweep>")


_SPLIT_ORDER = ("days_since_release", "isl", "osl", "min_tok_s_per_user")


def sweep_chunks(sweep_obj, n_chunks: int) -> list:
    """Split a sweep into up to `n_chunks` independent SweepFile objects that partition its scenarios.

    Splits the values of one axis into contiguous groups: the first grid-changing axis with
    more than one value (days_since_release, isl, osl, then min_tok_s_per_user), else the
    longest axis. Run each chunk with sweep() anywhere (Dask, Ray, processes) and join the
    results with merge_sweeps(). Never more chunks than that axis has values.
    """
    from advisor.domain.fleet import SweepFile

    sw = sweep_obj if isinstance(sweep_obj, SweepFile) else load_sweep(sweep_obj)
    if n_chunks < 1:
        from advisor.errors import UsageError

        raise UsageError("n_chunks must be at least 1")
    pick = next((i for name in _SPLIT_ORDER for i, a in enumerate(sw.axes) if a.name == name and a.count() > 1), None)
    if pick is None:
        pick = max(range(len(sw.axes)), key=lambda i: sw.axes[i].count())
    vals = sw.axes[pick].resolved()
    k = max(1, min(n_chunks, len(vals)))
    bounds = [round(i * len(vals) / k) for i in range(k + 1)]
    out = []
    for i in range(k):
        part = vals[bounds[i]:bounds[i + 1]]
        ax = sw.axes[pick].model_copy(update={"values": part, "start": None, "stop": None, "steps": None, "step": None})
        axes = list(sw.axes)
        axes[pick] = ax
        out.append(sw.model_copy(update={"axes": axes, "name": f"{sw.name}#{i + 1}of{k}"}))
    return out


def merge_sweeps(results: Sequence) -> object:
    """Join the results of sweep_chunks() chunks (same options and axes) into one SweepResult."""
    import numpy as np

    from advisor.domain.results_fleet import SweepResult
    from advisor.engine import fleet as fe

    if not results:
        raise ValueError("nothing to merge")
    first = results[0]
    labels = list(first.options)
    offsets = np.cumsum([0] + [r.n_scenarios for r in results[:-1]])
    axes = {a: np.concatenate([np.asarray(r.axes[a]) for r in results]) for a in first.axes}
    rows = {}
    for c in first.rows:
        parts = [np.asarray(r.rows[c]) + off if c == "scenario" else np.asarray(r.rows[c]) for r, off in zip(results, offsets)]
        rows[c] = np.concatenate(parts)
    winners = [w for r in results for w in r.winners]
    lookup = {lab: i for i, lab in enumerate(labels)}
    win = np.array([lookup.get(w, -1) for w in winners])
    return SweepResult(
        name=first.name.split("#")[0], axes=axes, axis_units=dict(first.axis_units), options=labels, rows=rows,
        winners=winners, summary=fe.summarise(axes, first.axis_units, win, labels), n_scenarios=len(winners),
        grid_evaluations=sum(r.grid_evaluations for r in results), seconds=sum(r.seconds for r in results),
        assumptions=list(first.assumptions),
    )
