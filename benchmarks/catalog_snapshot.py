"""How fast can a validated catalog come back from the cache? pickle vs JSON/marshal + model_construct.

    python benchmarks/catalog_snapshot.py [--repeats 7]

Each way of rebuilding the built-in catalog's entries is timed in a fresh subprocess (the first
rebuild in a process is what a warm `advisor` run pays; later ones are faster), median of --repeats:
- validate: the full pipeline (TOML parse, pydantic validation, merge, references, lint), as on a cold run;
- pickle: pickle.loads of the (catalog, warnings, digests) snapshot (what catalog/snapshot.py stores);
- json + model_construct: json.loads of every entry's model_dump, then Model.model_construct per entry
  (nested models rebuilt too), trusting the cached values;
- marshal + model_construct: the same from marshal (Python's fastest serialiser of plain data).
Reading the file and computing the snapshot key are the same for all and left out.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PREPARE = r"""
import json, marshal, pickle, sys
from advisor.catalog import content, load
out = load.collect((), quiet_builtin_seeds=True)
cat = out.catalog
blob = {kind: [e.model_dump() for e in entries.values()] for kind, entries in cat.entries.items()}
folder = sys.argv[1]
open(folder + "/snap.pickle", "wb").write(pickle.dumps((cat, out.warnings, content.compute(cat)), protocol=5))
open(folder + "/snap.json", "w").write(json.dumps(blob))
open(folder + "/snap.marshal", "wb").write(marshal.dumps(blob))
"""

TIME = r"""
import json, marshal, pickle, sys, time
import advisor.domain
from advisor.domain import KINDS
from advisor.domain.software import Maturity
how, folder = sys.argv[1], sys.argv[2]

def construct(blob):
    out = {}
    for kind, rows in blob.items():
        cls = KINDS[kind][1]
        built = {}
        for row in rows:
            if kind == "ecosystems" and row.get("maturity") is not None:
                row = {**row, "maturity": Maturity.model_construct(**row["maturity"])}
            built[row["id"]] = cls.model_construct(**row)
        out[kind] = built
    return out

if how == "validate":
    t0 = time.perf_counter()
    from advisor.catalog import load
    load.collect((), quiet_builtin_seeds=True)
    t1 = time.perf_counter()
elif how == "pickle":
    data = open(folder + "/snap.pickle", "rb").read()
    t0 = time.perf_counter(); pickle.loads(data); t1 = time.perf_counter()
elif how == "json":
    data = open(folder + "/snap.json", "rb").read()
    t0 = time.perf_counter(); construct(json.loads(data)); t1 = time.perf_counter()
else:
    data = open(folder + "/snap.marshal", "rb").read()
    t0 = time.perf_counter(); construct(marshal.loads(data)); t1 = time.perf_counter()
print((t1 - t0) * 1e3)
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    ways = ("validate", "pickle", "json", "marshal")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-c", PREPARE, tmp], env=env, cwd=ROOT, check=True)
        sizes = {w: os.path.getsize(f"{tmp}/snap.{w}") for w in ("pickle", "json", "marshal")}
        times: dict[str, list[float]] = {w: [] for w in ways}
        for _ in range(args.repeats):  # interleaved, so load from other processes hits every way alike
            for w in ways:
                done = subprocess.run([sys.executable, "-c", TIME, w, tmp], env=env, cwd=ROOT, check=True,
                                      capture_output=True, text=True)
                times[w].append(float(done.stdout))
    labels = {"validate": "full validation (cold)", "pickle": "pickle.loads",
              "json": "json + model_construct", "marshal": "marshal + model_construct"}
    print(f"first rebuild in a fresh process, median of {args.repeats} (min in brackets)")
    for w in ways:
        size = f"{sizes[w] / 1e6:5.2f} MB" if w in sizes else ""
        print(f"{labels[w]:28s} {statistics.median(times[w]):7.1f} ms  ({min(times[w]):6.1f})  {size}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
