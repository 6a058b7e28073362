"""`advisor catalog list|show|validate|schema` through main(argv): stdout data, stderr lines, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib

import jsonschema
import pytest

from advisor.cli import main
from tests.conftest import BAD, DATA, MINI, REAL_CATALOG, ROOT, real_catalog_present

OVERLAY = DATA / "overlays" / "override.toml"


def test_list_json_all_kinds(mini_builtin, capsys):
    assert main(["catalog", "list", "--json"]) == 0
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert set(data) == {"accelerators", "systems", "ecosystems", "models", "benchmarks", "prices"}
    assert [a["id"] for a in data["accelerators"]] == ["nvidia_h100", "amd_mi300x"]
    assert data["accelerators"][0]["layer"] == "built-in"
    assert data["accelerators"][0]["dense_tflops"]["fp8"] == 1979
    assert err == ""


def test_list_json_one_kind_with_overlay_and_vendor(mini_builtin, capsys):
    assert main(["catalog", "list", "--kind", "accelerators", "--vendor", "amd", "--json", "--catalog", str(OVERLAY)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(a["id"], a["memory_gb"]) for a in data] == [("amd_mi300x", 200.0)]
    assert data[0]["layer"].endswith("override.toml")


def test_list_vendor_filters_systems_through_their_accelerator(mini_builtin, capsys):
    assert main(["catalog", "list", "--kind", "systems", "--vendor", "NVIDIA", "--json"]) == 0
    assert [s["id"] for s in json.loads(capsys.readouterr().out)] == ["hgx_h100"]


def test_list_table_piped_does_not_wrap(mini_builtin, capsys):
    assert main(["catalog", "list", "--kind", "accelerators"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("id "))
    for column in ("memory_gb", "mem_bw_tb_s", "bf16_tflops", "fp8_tflops", "fp4_tflops", "tdp_watts", "ecosystem", "cooling"):
        assert column in header
    rows = [line for line in lines if line.startswith(("nvidia_h100", "amd_mi300x"))]
    assert len(rows) == 2  # one line per entry: nothing wrapped
    assert "\x1b[" not in out  # no colour codes in a pipe
    assert "air_or_liquid" in rows[1]


def test_list_table_all_kinds_and_estimated_mark(mini_builtin, capsys):
    assert main(["catalog", "list"]) == 0
    out = capsys.readouterr().out
    for kind in ("accelerators (2)", "systems (2)", "ecosystems (2)", "models (1)", "benchmarks (2)", "prices (2)"):
        assert kind in out


def test_show_text_marks_estimates_sources_and_layer(mini_builtin, capsys):
    assert main(["catalog", "show", "MI300X"]) == 0
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.strip().startswith("scale_up_gb_s"))
    assert "448" in line and "estimated" in line
    assert "https://www.amd.com/en/products/accelerators/instinct/mi300/mi300x.html" in out
    assert "layer: built-in" in out
    assert "bf16 = 1307, fp8 = 2615" in out


def test_show_json(mini_builtin, capsys):
    assert main(["catalog", "show", "hgx_h100", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["catalog_kind"] == "systems" and data["kind"] == "node" and data["layer"] == "built-in" and data["system_kw"] == 10.2


def test_show_defaults(mini_builtin, capsys):
    assert main(["catalog", "show", "defaults", "--json", "--catalog", str(OVERLAY)]) == 0
    assert json.loads(capsys.readouterr().out)["usd_per_kwh"] == 0.2


def test_show_unknown_id_exits_2_with_did_you_mean(mini_builtin, capsys):
    assert main(["catalog", "show", "nvidia_h10"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("advisor: error: ") and "Did you mean 'nvidia_h100'" in err


def test_validate_clean(mini_builtin, capsys):
    assert main(["catalog", "validate", str(OVERLAY), "--strict"]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "1 path valid" in err


def test_validate_bad_files_exit_2_one_line_per_problem(mini_builtin, capsys):
    paths = [BAD / "syntax.toml", BAD / "wrong_type.toml", BAD / "unknown_key.toml", BAD / "dangling_ref.toml"]
    assert main(["catalog", "validate", *map(str, paths)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert all(line.startswith("advisor: error: ") for line in lines)
    problems = lines[:-1]
    assert len(problems) == 4
    assert any(line.endswith("syntax.toml:5: TOML syntax error: Illegal character '\\n' (at line 5, column 17)") for line in problems)
    assert any('wrong_type.toml:11: accelerator "wrong_type_chip" > memory_gb: expected a float' in line for line in problems)
    assert any("unknown_key.toml:10:" in line and "Did you mean 'memory_gb'?" in line for line in problems)
    assert any("dangling_ref.toml:7:" in line and "Did you mean 'nvidia_h100'?" in line for line in problems)
    assert "4 errors" in lines[-1]


def test_validate_lint_is_a_warning_unless_strict(mini_builtin, capsys):
    path = str(BAD / "lint_range.toml")
    assert main(["catalog", "validate", path]) == 0
    assert "advisor: warning: " in capsys.readouterr().err
    assert main(["catalog", "validate", path, "--strict"]) == 2
    assert "advisor: error: " in capsys.readouterr().err


def test_schema_of_a_file_validates_fixture_and_real_files(capsys):
    assert main(["catalog", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator.check_schema(schema)
    files = sorted(MINI.glob("*.toml")) + [OVERLAY]
    if real_catalog_present():
        files += [p for p in sorted(REAL_CATALOG.glob("*.toml")) if p.name != "benchmarks.toml"]
    for path in files:
        jsonschema.validate(json.loads(json.dumps(tomllib.loads(path.read_text()), default=str)), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(tomllib.loads((BAD / "unknown_key.toml").read_text()), schema)


def test_schema_of_one_kind(capsys):
    assert main(["catalog", "schema", "accelerator"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "memory_gb" in schema["properties"] and "memory_gb" in schema["required"]
    assert main(["catalog", "schema", "defaults"]) == 0
    assert "usd_per_kwh" in json.loads(capsys.readouterr().out)["properties"]
    assert main(["catalog", "schema", "acelerators"]) == 2
    assert "Did you mean 'accelerators'?" in capsys.readouterr().err


def test_python_m_advisor_validate_exits_2(subprocess_env):
    result = subprocess.run(
        [sys.executable, "-m", "advisor", "catalog", "validate", str(BAD / "syntax.toml")],
        cwd=ROOT, env=subprocess_env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert "syntax.toml:5: TOML syntax error" in result.stderr
    assert result.stderr.startswith("advisor: error: ")


def test_catalog_commands_import_no_numpy_or_textual(subprocess_env):
    code = (
        "import sys, pathlib\n"
        "from advisor import locations\n"
        f"locations.builtin_catalog_dir = lambda: pathlib.Path({str(MINI)!r})\n"
        "from advisor.cli import main\n"
        "for argv in (['catalog', 'list', '--json'], ['catalog', 'show', 'mi300x'], ['catalog', 'schema'],\n"
        f"             ['catalog', 'validate', {str(OVERLAY)!r}]):\n"
        "    assert main(argv) == 0, argv\n"
        "bad = [m for m in ('numpy', 'textual') if m in sys.modules]\n"
        "print('LOADED', bad, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=subprocess_env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "LOADED []" in result.stderr
