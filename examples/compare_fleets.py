"""Compare fleets from Python: build the workload and fleets in code, print, save JSON atomically.

    python examples/compare_fleets.py [OUT.json]

Without OUT.json the result goes to a temp dir (its path is printed on stderr).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from advisor import api
from advisor.locations import write_atomic
from advisor.report.fleet import render_comparison


def main(argv: list[str]) -> int:
    catalog, _warnings = api.load_catalog()
    workload = api.workload_from_dict({
        "name": "v4-pro-chat",
        "classes": [{"name": "chat", "model": "deepseek_v4_pro", "isl": 8192, "osl": 1024, "min_tok_s_per_user": 10}],
        "demand": {"concurrent_users": 3000, "utilisation": 0.6},
        "datacenter": {"region": "us"},
    })
    fleets = {
        "name": "scripted",
        "workload": workload,
        "baseline": "b300",
        "fleets": [
            {"name": "b300", "members": [{"system": "nvidia_hgx_b300", "count": 3}]},
            {"name": "mi355x", "members": [{"system": "amd_mi355x_8x", "count": 4, "usd_per_gpu": 25000}]},
            {"name": "mixed", "members": [{"system": "nvidia_hgx_b300", "count": 2}, {"system": "amd_mi355x_8x", "count": 2}]},
        ],
    }
    cmp = api.compare_fleets(catalog, fleets)
    for f in cmp.fleets:
        cost = f"${f.usd_per_mtok:.3f}/Mtok" if f.usd_per_mtok is not None else "no cost"
        print(f"{f.name:8} {f.status:14} {f.gpus:4d} GPUs  capacity {f.capacity_users:8,.0f} users  {cost}  {f.all_in_mw:.3f} MW")
    out = Path(argv[1]) if len(argv) > 1 else Path(tempfile.mkdtemp(prefix="advisor-")) / "comparison.json"
    write_atomic(out, render_comparison(cmp, "json"))
    print(f"saved {out}", file=sys.stderr)
    return 0 if cmp.any_meets_demand else 3


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
