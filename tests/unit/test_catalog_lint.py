"""Sanity lint: physical ranges, precision order, benchmark consistency, system power."""

from __future__ import annotations

from advisor.catalog import load_catalog
from tests.conftest import MINI

BENCH = (MINI / "benchmarks.toml").read_text()
ACCEL = (MINI / "accelerators.toml").read_text()


def _lint(tmp_path, mini_builtin, text: str, strict: bool = False):
    overlay = tmp_path / "o.toml"
    overlay.write_text(text)
    try:
        _, warnings = load_catalog([overlay], strict=strict)
    except Exception as exc:  # CatalogError in strict mode
        return [p.message for p in exc.problems]
    return [p.message for p in warnings]


def test_clean_catalog_has_no_lint(tmp_path, mini_builtin):
    assert _lint(tmp_path, mini_builtin, ACCEL + BENCH, strict=True) == []


def test_ranges(tmp_path, mini_builtin):
    text = (ACCEL.replace("tdp_watts = 700", "tdp_watts = 7")
            .replace("memory_gb = 192", "memory_gb = 192000")
            .replace("fp8 = 2615", "fp8 = 52300"))
    messages = _lint(tmp_path, mini_builtin, text)
    assert any("7 W is outside 30..3000 W" in m for m in messages)
    assert any("192000 GB is above 1024 GB" in m for m in messages)
    assert any("52300 dense fp8 TFLOPS is above 30000" in m for m in messages)


def test_int8_below_bf16(tmp_path, mini_builtin):
    messages = _lint(tmp_path, mini_builtin, ACCEL.replace("int8 = 1979", "int8 = 500"))
    assert any("expected int8 >= bf16" in m for m in messages)


def test_relative_within_tolerance_is_fine(tmp_path, mini_builtin):
    assert _lint(tmp_path, mini_builtin, BENCH.replace("relative = 1.1", "relative = 1.3"), strict=True) == []
    messages = _lint(tmp_path, mini_builtin, BENCH.replace("relative = 1.1", "relative = 1.5"))
    assert any("stated relative figure 1.5x" in m for m in messages)


def test_output_above_total(tmp_path, mini_builtin):
    messages = _lint(tmp_path, mini_builtin, BENCH.replace("output_tok_s_per_gpu = 1500", "output_tok_s_per_gpu = 3500"))
    assert any("exceeds the total 3000" in m for m in messages)
    # on an output basis the same numbers are not a contradiction
    text = BENCH.replace("output_tok_s_per_gpu = 1500", "output_tok_s_per_gpu = 3500").replace(
        'throughput_basis = "total"', 'throughput_basis = "output"')
    assert not any("exceeds the total" in m for m in _lint(tmp_path, mini_builtin, text))


def test_disaggregated_gpu_split(tmp_path, mini_builtin):
    text = BENCH.replace('framework = "vllm"\nscenario = "offline"',
                         'framework = "vllm"\ndisaggregated = true\nprefill_gpus = 2\ndecode_gpus = 4\nscenario = "offline"', 1)
    messages = _lint(tmp_path, mini_builtin, text)
    assert any("2 + 4 = 6, not n_accelerators = 8" in m for m in messages)


def test_disaggregated_output_is_per_decode_gpu(tmp_path, mini_builtin):
    # As InferenceX publishes: output per decode GPU, input per prefill GPU, total per GPU overall.
    split = 'framework = "vllm"\ndisaggregated = true\nprefill_gpus = 4\ndecode_gpus = 4\nscenario = "offline"'
    text = BENCH.replace('framework = "vllm"\nscenario = "offline"', split, 1)
    assert _lint(tmp_path, mini_builtin, text.replace("output_tok_s_per_gpu = 1500", "output_tok_s_per_gpu = 3100"), strict=True) == []
    messages = _lint(tmp_path, mini_builtin, text.replace("output_tok_s_per_gpu = 1500", "output_tok_s_per_gpu = 6100"))
    assert any("3050 tok/s per GPU (6100 per decode GPU x 4 / 8 GPUs) exceeds the total 3000" in m for m in messages)
