"""Golden outputs: what the commands print on a frozen factors fixture and a pinned date.

    python tests/golden/regen.py            # re-approve every golden file (after a deliberate change)
    python tests/golden/regen.py --check    # compare only; exit 1 and list the differences

`factors.json` is the frozen calibration (refit it with `--refit-factors`, which also
re-approves `calibration.json`). Everything else is produced from it, with ADVISOR_TODAY
pinned, so the files change only when the code or the catalog does. tests/test_golden.py
runs the same comparison. A change that moves numbers re-approves these files and lists
every re-approval in its closing note.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

TODAY = "2026-12-01"
WORKLOADS = sorted((ROOT / "examples" / "workloads").glob("*.toml"))
FLEETS = sorted((ROOT / "examples" / "fleets").glob("*.toml"))
SWEEPS = sorted((ROOT / "examples" / "sweeps").glob("*.toml"))
VOLATILE = {"seconds", "generated_at", "advisor_version"}
REL_TOL = 1e-7


def _clean(obj):
    """JSON-ready, volatile keys dropped (durations), numpy arrays as lists."""
    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        np = None
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items() if k not in VOLATILE}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if np is not None and isinstance(obj, np.ndarray):
        return _clean(obj.tolist())
    if np is not None and isinstance(obj, np.generic):
        return _clean(obj.item())
    if isinstance(obj, float) and not math.isfinite(obj):
        return repr(obj)
    return obj


def _dump(model) -> dict:
    if hasattr(model, "model_dump"):
        return _clean(model.model_dump(mode="python"))
    if dataclasses.is_dataclass(model):
        return _clean({f.name: getattr(model, f.name) for f in dataclasses.fields(model)})
    return _clean(model)


def frozen_factors():
    from advisor.engine.factors import Factors

    return Factors.from_dict(json.loads((HERE / "factors.json").read_text()))


def produce(*, refit: bool = False) -> dict[str, object]:
    """Every golden document, by file name (ADVISOR_TODAY pinned while they are made)."""
    before = os.environ.get("ADVISOR_TODAY")
    os.environ["ADVISOR_TODAY"] = TODAY
    try:
        return _produce(refit)
    finally:
        if before is None:
            os.environ.pop("ADVISOR_TODAY", None)
        else:
            os.environ["ADVISOR_TODAY"] = before


def _produce(refit: bool) -> dict[str, object]:
    from advisor import api

    catalog, _ = api.load_catalog()
    out: dict[str, object] = {}
    from advisor.engine import calibration

    report = calibration.fit(catalog, loo=False)
    if refit:
        (HERE / "factors.json").write_text(json.dumps(_clean(report.factors.to_dict()), indent=1, sort_keys=True) + "\n")
    out["calibration.json"] = {"summary": _clean(report.summary), "rows": _clean(report.rows),
                               "parameters": _clean(report.parameters)}
    fac = frozen_factors()
    for wf in WORKLOADS:
        wl = api.load_workload(wf)
        out[f"recommend_{wf.stem}.json"] = _dump(api.recommend(catalog, wl, fac=fac))
    for ff in FLEETS:
        out[f"compare_{ff.stem}.json"] = _dump(api.compare_fleets(catalog, ff, fac=fac))
    for sf in SWEEPS:
        out[f"sweep_{sf.stem}.json"] = _dump(api.sweep(catalog, sf, fac=fac, workers=1))
    est = []
    for system, model, isl, osl, floor in [("amd_mi355x", "deepseek_r1", 1024, 1024, 50.0),
                                           ("nvidia_b200_hgx", "llama_3_3_70b", 1024, 1024, 20.0),
                                           ("nvidia_gb300_nvl72_rack", "deepseek_v4_pro", 8192, 1024, 10.0)]:
        r = api.estimate(catalog, system=system, model=model, isl=isl, osl=osl, min_tok_s_per_user=floor, fac=fac)
        est.append(_clean({"point": r["point"].model_dump(mode="python"),
                           "assumptions": [a.model_dump(mode="python") for a in r["assumptions"]]}))
    out["estimate.json"] = est
    fr = api.frontier(catalog, systems=["nvidia_b200_hgx", "amd_mi355x"], model="deepseek_r1", isl=8192, osl=1024, fac=fac)
    out["frontier.json"] = _clean({**fr, "fronts": {k: [p.model_dump(mode="python") for p in v] for k, v in fr["fronts"].items()},
                                   "assumptions": [a.model_dump(mode="python") for a in fr["assumptions"]]})
    return out


def compare(a, b, path="$") -> list[str]:
    """Differences between two JSON-like documents; floats equal within REL_TOL."""
    if isinstance(a, float) or isinstance(b, float):
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and not isinstance(b, bool):
            if math.isclose(float(a), float(b), rel_tol=REL_TOL, abs_tol=1e-12):
                return []
        return [f"{path}: {a!r} != {b!r}"]
    if isinstance(a, dict) and isinstance(b, dict):
        diffs = []
        for k in sorted(set(a) | set(b)):
            if k not in a:
                diffs.append(f"{path}.{k}: missing in golden file (new)")
            elif k not in b:
                diffs.append(f"{path}.{k}: missing in output (dropped)")
            else:
                diffs += compare(a[k], b[k], f"{path}.{k}")
        return diffs
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: length {len(a)} != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in compare(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def check(docs: dict[str, object]) -> dict[str, list[str]]:
    problems = {}
    for name, doc in docs.items():
        path = HERE / name
        if not path.exists():
            problems[name] = ["golden file missing: run python tests/golden/regen.py"]
            continue
        golden = json.loads(path.read_text())
        diffs = compare(golden, json.loads(json.dumps(doc)))
        if diffs:
            problems[name] = diffs
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare only")
    ap.add_argument("--refit-factors", action="store_true", help="refit factors.json and calibration.json first")
    args = ap.parse_args()
    docs = produce(refit=args.refit_factors)
    if args.check:
        problems = check(docs)
        for name, diffs in problems.items():
            print(f"{name}: {len(diffs)} differences", file=sys.stderr)
            for d in diffs[:20]:
                print(f"  {d}", file=sys.stderr)
        return 1 if problems else 0
    for name, doc in docs.items():
        (HERE / name).write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
        print(f"approved {name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
