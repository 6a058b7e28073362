"""Sweep electricity price x GPU price from Python; print where the lowest-cost option changes; save the CSV atomically.

    python examples/sweep_power_price.py [OUT.csv]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from advisor import api
from advisor.locations import write_atomic
from advisor.report.fleet import sweep_csv


def main(argv: list[str]) -> int:
    catalog, _warnings = api.load_catalog()
    sweep = {
        "name": "power-price",
        "workload": {
            "classes": [{"name": "chat", "model": "deepseek_v4_pro", "isl": 8192, "osl": 1024, "min_tok_s_per_user": 10}],
            "demand": {"concurrent_users": 4000},
            "procurement": {"mode": "buy", "systems": ["nvidia_hgx_b300", "amd_mi355x_8x", "nvidia_gb300_nvl72_rack"]},
        },
        "axes": [
            {"name": "usd_per_kwh", "start": 0.02, "stop": 0.40, "step": 0.02},
            {"name": "usd_per_gpu_multiplier", "system": "amd_mi355x_8x", "values": [0.7, 1.0, 1.3]},
        ],
    }
    result = api.sweep(catalog, sweep)
    print(f"{result.n_scenarios} scenarios x {len(result.options)} options in {result.seconds:.2f} s")
    for line in result.summary:
        print(line)
    out = Path(argv[1]) if len(argv) > 1 else Path(tempfile.mkdtemp(prefix="advisor-")) / "sweep.csv"
    write_atomic(out, sweep_csv(result))
    print(f"saved {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
