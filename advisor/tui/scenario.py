"""The built-in scenario and the scenario file format (workload TOML), without Textual.

Kept free of Textual so tests and the benchmark can build scenarios without an app.
"""

from __future__ import annotations

from advisor import api
from advisor.domain.workload import Workload

DEFAULT_SCENARIO: dict = {
    "name": "deepseek-v4-pro-chat",
    "description": "DeepSeek V4 Pro 8K/1K chat at ~10 tok/s/user for 4,000 concurrent users",
    "classes": [
        {"name": "chat", "model": "deepseek_v4_pro", "isl": 8192, "osl": 1024,
         "min_tok_s_per_user": 10, "max_ttft_s": 10},
    ],
    "demand": {"concurrent_users": 4000, "utilisation": 0.6},
    "datacenter": {"cooling": "both", "max_rack_kw": 150, "region": "us"},
    "procurement": {"mode": "both", "horizon_years": 4},
}
"""What the TUI opens with when no file is given (examples/workloads/deepseek_v4_chat.toml)."""


def default_workload(*, days_since_release: float | None = None) -> Workload:
    """The built-in scenario; pass `days_since_release` to pin results to a date (tests do)."""
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in DEFAULT_SCENARIO.items()}
    if days_since_release is not None:
        data["procurement"] = {**data["procurement"], "days_since_release": days_since_release}
    return api.workload_from_dict(data, origin="<built-in scenario>")


def workload_to_toml(workload: Workload) -> str:
    """A workload as the TOML `advisor recommend` reads; only what differs from the defaults."""
    import tomli_w

    data = workload.model_dump(mode="json", exclude_defaults=True, exclude_none=True)
    # required keys are always written, so the file stands on its own
    data.setdefault("name", workload.name)
    return tomli_w.dumps(data)
