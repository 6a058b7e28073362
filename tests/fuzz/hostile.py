"""Hostile inputs for the CLI, shared by tests/fuzz and benchmarks/fuzz.py.

`make_case(rng, folder)` turns a `random.Random` into one case: the files it wrote into
`folder` and the argv to run. Cases mutate the examples (workload, fleets, sweep files),
a catalog overlay, `--set` arguments and other CLI arguments with values users and servers
really send by mistake or on purpose: NaN, infinities, 1e308, 1e-308, negative and zero
values, numbers as strings, integers of 5,000 digits, nesting 1,000 levels deep, huge
strings, unknown keys and ids. `run(argv)` runs the CLI in-process and `check(result)`
lists what a case did wrong (exit code, traceback, non-finite or negative figures).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import random
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import tomli_w

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
WORKLOADS = sorted((EXAMPLES / "workloads").glob("*.toml"))
FLEETS = sorted((EXAMPLES / "fleets").glob("*.toml"))
SWEEPS = sorted((EXAMPLES / "sweeps").glob("*.toml"))

# Raw TOML literals (the text after `key = `).
HOSTILE = [
    "nan", "inf", "-inf", "+inf", "-nan", "-1", "0", "0.0", "-0.0", "1e308", "-1e308", "1e-308", "5e-324",
    "1e400", "1e-400", "9223372036854775807", "-9223372036854775808", "1" * 5000, "-" + "7" * 4400,
    '"8192"', '"nan"', '""', "true", "false", "[]", "{}", "[1, 2]", '["a"]', "{ x = 1 }", "1979-05-27",
    '"' + "x" * 20_000 + '"', '"no_such_id"', "0.5", "2", "1e9", "1e-9", "123456789", "3.0e12",
]


def deep(n: int, kind: str = "array") -> str:
    return "[" * n + "1" + "]" * n if kind == "array" else "{ a = " * n + "1" + " }" * n


def hostile_literal(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.06:
        return deep(rng.choice([50, 400, 1000, 3000]), rng.choice(["array", "table"]))
    return rng.choice(HOSTILE)


@dataclass
class Case:
    kind: str
    argv: list[str]
    note: str


@dataclass
class Result:
    argv: list[str]
    code: int
    stdout: str
    stderr: str
    seconds: float


# --- documents ------------------------------------------------------------------------------

def _leaves(value, path=()):
    """(path, value) of every scalar and list leaf in a parsed TOML document."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
        for i, v in enumerate(value):
            yield from _leaves(v, (*path, i))
    else:
        yield path, value


def _set(doc, path, value):
    node = doc
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value


def _get(doc, path):
    node = doc
    for p in path:
        node = node[p]
    return node


def _delete(doc, path):
    node = doc
    for p in path[:-1]:
        node = node[p]
    if isinstance(node, dict):
        node.pop(path[-1], None)


def mutate_text(rng: random.Random, doc: dict, *, protect=()) -> str:
    """`doc` as TOML with 1-3 leaves replaced by hostile literals, deleted, or an unknown key added."""
    import copy

    doc = copy.deepcopy(doc)
    leaves = [p for p, _ in _leaves(doc) if p and p[0] not in protect]
    raw: dict[str, str] = {}
    for n in range(rng.randint(1, 3)):
        if not leaves:
            break
        path = rng.choice(leaves)
        op = rng.random()
        value = _get(doc, path)
        if op < 0.35 and isinstance(value, (int, float)) and not isinstance(value, bool):
            # a plausible change: often still valid, so the engine runs and its output is checked
            factor = rng.choice([0.001, 0.1, 0.5, 0.9, 1.1, 2, 10, 1000])
            _set(doc, path, type(value)(value * factor) if isinstance(value, float) else max(1, int(value * factor)))
        elif op < 0.8:
            marker = f"__HOSTILE_{n}__"
            raw[marker] = hostile_literal(rng)
            _set(doc, path, marker)
        elif op < 0.9:
            _delete(doc, path)
            leaves = [p for p, _ in _leaves(doc) if p and p[0] not in protect]
        else:
            node = doc
            for p in path[:-1]:
                node = node[p]
            if isinstance(node, dict):
                node[rng.choice(["isl_", "usd_per_gpu_hours", "x", "max_rack_kW"])] = 1
    text = tomli_w.dumps(doc)
    for marker, literal in raw.items():
        text = text.replace(f'"{marker}"', literal)
    return text


def _load(path: Path) -> dict:
    import tomllib

    return tomllib.loads(path.read_text())


# --- cases -------------------------------------------------------------------------------------

SET_KEYS = [
    "classes.0.isl", "classes.0.osl", "classes.0.share", "classes.0.min_tok_s_per_user", "classes.0.max_ttft_s",
    "classes.0.model", "demand.concurrent_users", "demand.requests_per_s", "demand.utilisation",
    "datacenter.max_rack_kw", "datacenter.usd_per_kwh", "datacenter.site_mw", "datacenter.pue_air",
    "datacenter.hosting_usd_per_kw_month", "procurement.horizon_years", "procurement.budget_usd",
    "procurement.usd_per_gpu_hour.nvidia_hgx_h200", "procurement.usd_per_gpu.nvidia_hgx_b200",
    "procurement.cost_of_capital", "weights.cost", "weights.power", "name.x", "demand.concurrent_users.deeper",
    "classes.9.isl", "classes.nope.isl", "", ".", "a..b", "procurement.days_since_release",
]


def _set_arg(rng: random.Random) -> str:
    key = rng.choice(SET_KEYS)
    if rng.random() < 0.1:
        return key  # no '='
    value = hostile_literal(rng) if rng.random() < 0.85 else rng.choice(["=", "[", "{", "'", '"'])
    return f"{key}={value}"


def workload_case(rng: random.Random, folder: Path) -> Case:
    src = rng.choice(WORKLOADS)
    path = folder / "workload.toml"
    path.write_text(mutate_text(rng, _load(src)))
    argv = ["recommend", str(path), "--json"]
    if rng.random() < 0.3:
        argv += ["--set", _set_arg(rng)]
    return Case("workload", argv, src.name)


def set_case(rng: random.Random, folder: Path) -> Case:
    src = rng.choice(WORKLOADS)
    argv = ["recommend", str(src), "--json"]
    for _ in range(rng.randint(1, 3)):
        argv += ["--set", _set_arg(rng)]
    return Case("set", argv, src.name)


def fleets_case(rng: random.Random, folder: Path) -> Case:
    src = rng.choice(FLEETS)
    path = folder / "fleets.toml"
    path.write_text(mutate_text(rng, _load(src)))
    return Case("fleets", ["compare", str(path), "--json"], src.name)


def sweep_case(rng: random.Random, folder: Path) -> Case:
    src = rng.choice(SWEEPS)
    doc = _load(src)
    for key in ("workload", "fleets"):
        if isinstance(doc.get(key), str):
            doc[key] = str((src.parent / doc[key]).resolve())
    path = folder / "sweep.toml"
    path.write_text(mutate_text(rng, doc, protect=("workload", "fleets") if rng.random() < 0.8 else ()))
    argv = ["sweep", str(path), "--format", "json", "--max-scenarios", "2000"]
    return Case("sweep", argv, src.name)


OVERLAY_BASE = {
    "system": [{
        "id": "fuzz_box", "name": "Fuzz box", "sources": ["test"], "as_of": "2026-01-01",
        "accelerator": "nvidia_h200_sxm", "accelerators_per_system": 8, "cooling": "air", "system_kw": 10.2,
        "max_systems_per_rack": 4,
    }],
    "price": [{
        "id": "fuzz_box_rent", "sources": ["test"], "as_of": "2026-01-01", "system": "fuzz_box",
        "kind": "rental", "tier": "neocloud_tco", "usd": 3.5, "unit": "per_gpu_hour",
    }],
    "defaults": {"id": "defaults", "sources": ["test"], "as_of": "2026-01-01", "usd_per_kwh": 0.1,
                 "hours_per_year": 8760, "utilisation": 0.6, "hosting_usd_per_kw_month": 150},
}


def overlay_case(rng: random.Random, folder: Path) -> Case:
    path = folder / "overlay.toml"
    if rng.random() < 0.1:
        n = rng.choice([1, 50, 300])
        path.write_text("".join(f"[[tbl{i}]]\nx = 1\n" for i in range(n)))
    else:
        path.write_text(mutate_text(rng, OVERLAY_BASE))
    if rng.random() < 0.5:
        return Case("overlay", ["catalog", "validate", str(path)], "overlay")
    wl = str(EXAMPLES / "workloads" / "coding_assistant.toml")
    return Case("overlay", ["recommend", wl, "--json", "--catalog", str(path)], "overlay")


def args_case(rng: random.Random, folder: Path) -> Case:
    wl = str(rng.choice(WORKLOADS))
    choices = [
        ["recommend", wl, "--json", "--catalog", "/" + "x" * rng.choice([300, 5000, 70000])],
        ["recommend", wl, "--json", "--catalog", "/tmp/" + "/".join(["d" * 200] * 30)],
        ["recommend", "/" + "w" * 5000 + ".toml", "--json"],
        ["recommend", wl, "--json", "--catalog", "https://user:pw@127.0.0.1:9/x.toml"],
        ["recommend", wl, "--json", "--catalog", "ftp://127.0.0.1/x.toml"],
        ["recommend", wl, "--json", "--catalog", "http://[::1"],
        ["estimate", "--system", "nvidia_hgx_b200", "--model", "llama_3_3_70b", "--isl", rng.choice(["nan", "1e308", "-1", "0", "1" * 5000, "8192"]),
         "--osl", "1024", "--json"],
        ["estimate", "--system", "nvidia_hgx_b200", "--model", "llama_3_3_70b", "--isl", "1024", "--osl", "128",
         "--usd-per-gpu-hour", rng.choice(["nan", "inf", "-1", "0", "1e308", "1e-308"]), "--json"],
        ["estimate", "--system", "nvidia_hgx_b200", "--model", "llama_3_3_70b", "--isl", "1024", "--osl", "128",
         "--utilisation", rng.choice(["nan", "inf", "-1", "0", "1e-308", "2"]), "--json"],
        ["estimate", "--system", "x" * rng.choice([10, 100_000]), "--model", "llama_3_3_70b", "--isl", "1024", "--osl", "128"],
        ["estimate", "--system", "nvidia_hgx_b200", "--model", "llama_3_3_70b", "--isl", "1024", "--osl", "128",
         "--gpus", rng.choice(["nan", "0", "-8", "1e308", "1" * 5000]), "--concurrency", "8", "--json"],
        ["sweep", str(SWEEPS[0]), "--format", "json", "--max-scenarios", rng.choice(["nan", "-1", "0", "1" * 5000])],
        ["catalog", "show", "\x00" + "y" * 1000],
        ["catalog", "validate", "/" + "v" * 5000],
    ]
    return Case("args", rng.choice(choices), "args")


MAKERS = {
    "workload": workload_case, "set": set_case, "fleets": fleets_case, "sweep": sweep_case,
    "overlay": overlay_case, "args": args_case,
}


def make_case(rng: random.Random, folder: Path, kind: str | None = None) -> Case:
    kind = kind or rng.choice(list(MAKERS))
    return MAKERS[kind](rng, folder)


# --- running and checking ----------------------------------------------------------------------

class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


def run(argv: list[str], *, timeout_s: float = 120.0) -> Result:
    """The CLI in-process; stdout and stderr captured. A run past `timeout_s` is a hang (code -1)."""
    from advisor.cli import main

    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
            except Hang:
                code = -1
            except BaseException as exc:  # escaped main(): as bad as a traceback
                import traceback

                err.write("Traceback (most recent call last):\n" + "".join(traceback.format_exception(exc)))
                code = 1
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    return Result(argv, int(code), out.getvalue(), err.getvalue(), time.perf_counter() - started)


COST_OR_RATE = ("usd", "tok_s", "throughput", "cost", "watts", "kw", "gpus")


def _numbers(value, path=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _numbers(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _numbers(v, f"{path}[{i}]")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield path, value


def _strict_json(text: str):
    def bad(token):
        raise ValueError(f"non-finite number {token} in JSON output")

    return json.loads(text, parse_constant=bad)


def check(result: Result) -> list[str]:
    """What is wrong with one run (empty when nothing is)."""
    wrong = []
    if result.code == -1:
        wrong.append("hang")
    elif result.code not in (0, 2, 3):
        wrong.append(f"exit code {result.code}")
    if "Traceback (most recent call last)" in result.stderr:
        wrong.append("traceback on stderr")
    if len(result.stderr) > 200_000:
        wrong.append(f"{len(result.stderr)} characters on stderr")
    if result.code in (0, 3) and ("--json" in result.argv or "json" in result.argv) and result.stdout.strip():
        try:
            doc = _strict_json(result.stdout)
        except ValueError as exc:
            wrong.append(f"stdout is not finite JSON: {str(exc)[:200]}")
        else:
            for path, number in _numbers(doc):
                if not math.isfinite(number):
                    wrong.append(f"{path} = {number}")
                    break
                leaf = path.rsplit(".", 1)[-1].lower()
                if number < 0 and any(w in leaf for w in COST_OR_RATE) and "delta" not in leaf and "vs" not in leaf \
                        and "change" not in leaf and "saving" not in leaf and "diff" not in leaf:
                    wrong.append(f"{path} = {number} (a cost or rate below 0)")
                    break
    return wrong
