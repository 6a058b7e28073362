"""Every broken file in tests/data/bad/ yields a problem naming its file, line and key."""

from __future__ import annotations

import pytest

from advisor.catalog import load_catalog, validate_paths
from advisor.catalog.locate import Locator
from advisor.catalog.words import show_value, type_words
from advisor.errors import CatalogError
from tests.conftest import BAD

# file, line, key (substring), message (substring)
ERRORS = [
    ("syntax.toml", 5, None, "TOML syntax error"),
    ("wrong_type.toml", 11, 'accelerator "wrong_type_chip" > memory_gb', "expected a float, got string 'lots'"),
    ("missing_field.toml", 17, 'accelerator "missing_tdp_chip" > tdp_watts', "missing required field 'tdp_watts' (expected float)"),
    ("unknown_key.toml", 10, 'accelerator "typo_chip" > memroy', "unknown key 'memroy'. Did you mean 'memory_gb'?"),
    ("dangling_ref.toml", 7, 'system "dangling_node" > accelerator', "no accelerator with id 'nvidia_h10'. Did you mean 'nvidia_h100'?"),
    ("duplicate_id.toml", 11, 'system "twin_node"', "also defined at line 2"),
    ("unknown_table.toml", 2, "[[acelerator]]", "unknown table 'acelerator'. Did you mean 'accelerator'?"),
    ("table_not_array.toml", 2, "[system]", "write [[system]]"),
    ("bad_literal.toml", 9, 'system "odd_cooling_node" > cooling', "expected 'air', 'liquid' or 'air_or_liquid', got string 'water'"),
]

# file, line, key, message: warnings by default, errors with strict
LINT = [
    ("lint_range.toml", 10, 'accelerator "unit_slip_chip" > mem_bw_tb_s', "outside 0.05..30 TB/s"),
    ("lint_range.toml", 11, 'accelerator "unit_slip_chip" > dense_tflops.fp8', "expected fp8 >= bf16"),
    ("lint_relative.toml", 17, 'benchmark "bragging_point" > relative', "disagrees with the absolute ones"),
    ("lint_system_power.toml", 10, 'system "underpowered_node" > system_kw', "less than its accelerators alone draw"),
]


def _find(problems, name, line, key, message):
    for p in problems:
        if p.file.endswith(name) and p.line == line and (key is None or p.key == key) and message in p.message:
            return p
    raise AssertionError(f"no problem {name}:{line}: {key}: {message} in:\n" + "\n".join(p.format() for p in problems))


@pytest.mark.parametrize("name,line,key,message", ERRORS, ids=[e[0] for e in ERRORS])
def test_bad_file_names_file_line_key(mini_builtin, name, line, key, message):
    with pytest.raises(CatalogError) as info:
        load_catalog([BAD / name])
    problem = _find(info.value.problems, name, line, key, message)
    assert problem.severity == "error"
    assert problem.format().startswith(f"{problem.file}:{line}: ")


def test_every_bad_file_is_covered():
    covered = {e[0] for e in ERRORS} | {e[0] for e in LINT} | {"lint_relative_seed.toml"}
    assert covered == {p.name for p in BAD.glob("*.toml")}


@pytest.mark.parametrize("name,line,key,message", LINT, ids=[f"{e[0]}:{e[1]}" for e in LINT])
def test_lint_is_a_warning_and_an_error_with_strict(mini_builtin, name, line, key, message):
    _, warnings = load_catalog([BAD / name])
    assert _find(warnings, name, line, key, message).severity == "warning"
    with pytest.raises(CatalogError) as info:
        load_catalog([BAD / name], strict=True)
    assert _find(info.value.problems, name, line, key, message).severity == "error"


def test_calibrate_false_lint_stays_a_warning_with_strict(mini_builtin):
    name = "lint_relative_seed.toml"
    _, warnings = load_catalog([BAD / name], strict=True)
    problem = _find(warnings, name, 18, 'benchmark "seed_claim" > relative', "calibrate = false")
    assert "even with --strict" in problem.message
    assert problem.severity == "warning"


def test_validate_paths_collects_everything(mini_builtin):
    problems = validate_paths(sorted(BAD.glob("*.toml")), strict=True)
    errors = [p for p in problems if p.severity == "error"]
    assert len(errors) == len(ERRORS) + len(LINT)


def test_no_line_is_guessed_for_a_problem_outside_any_entry(mini_builtin, tmp_path):
    bad = tmp_path / "x.toml"
    bad.write_text("title = 'not a catalog key'\n")
    with pytest.raises(CatalogError) as info:
        load_catalog([bad])
    [p] = info.value.problems
    assert p.line == 1 and "unknown top-level key 'title'" in p.message


def test_missing_field_in_nested_table_points_at_the_table(mini_builtin, tmp_path):
    text = (BAD.parent / "mini" / "ecosystems.toml").read_text().replace("days_to_mature = 26\n", "day0_fracton = 2\n")
    bad = tmp_path / "eco.toml"
    bad.write_text(text)
    with pytest.raises(CatalogError) as info:
        load_catalog([bad])
    by_key = {p.key: p for p in info.value.problems}
    unknown = by_key['ecosystem "rocm" > maturity.day0_fracton']
    assert "Did you mean 'day0_fraction'?" in unknown.message
    assert unknown.line == text.splitlines().index("day0_fracton = 2") + 1
    missing = by_key['ecosystem "rocm" > maturity.days_to_mature']
    assert missing.line == text.splitlines().index("[ecosystem.maturity]") + 1


# the locate step on its own ----------------------------------------------------------------------

TEXT = """\
[[accelerator]]
id = "a"
dense_tflops = { bf16 = 1, fp8 = 2 }

[[accelerator]]
id = "b"
"memory_gb" = 3
sources = [
  "x",
]
[accelerator.dense_tflops]
fp8 = 9

[defaults]
usd_per_kwh = 0.1
"""


def test_locator_finds_keys_per_entry():
    where = Locator(TEXT)
    assert where.key_line("accelerator", 0, ("id",)) == 2
    assert where.key_line("accelerator", 1, ("id",)) == 6
    assert where.key_line("accelerator", 1, ("memory_gb",)) == 7
    assert where.key_line("accelerator", 1, ("sources", 0)) == 8
    assert where.key_line("accelerator", 0, ("dense_tflops", "fp8")) == 3
    assert where.key_line("accelerator", 1, ("dense_tflops", "fp8")) == 12
    assert where.key_line("accelerator", 1, ("tdp_watts",)) == 5  # missing: the header, not a guess
    assert where.key_line("accelerator", 2, ("id",)) is None  # no such entry: no line at all
    assert where.key_line("defaults", None, ("usd_per_kwh",)) == 15


def test_words():
    assert show_value("lots") == "string 'lots'"
    assert show_value(True) == "boolean true"
    assert show_value({"a": 1}) == "table {a = 1}"
    assert type_words(list[str]) == "array of strings"
    assert type_words(float | None) == "float"


def test_builtin_seed_claims_are_quiet_in_ordinary_loads(monkeypatch, tmp_path):
    """A calibrate = false point in the built-in layer: reported by validate, not by every load."""
    import shutil

    from advisor import locations
    from tests.conftest import MINI

    builtin = tmp_path / "builtin"
    shutil.copytree(MINI, builtin)
    (builtin / "seeds.toml").write_text((BAD / "lint_relative_seed.toml").read_text())
    monkeypatch.setattr(locations, "builtin_catalog_dir", lambda: builtin)
    _, warnings = load_catalog(strict=True)
    assert warnings == []
    [seed] = validate_paths([builtin], strict=True)
    assert seed.severity == "warning" and "calibrate = false" in seed.message
    _, warnings = load_catalog([BAD / "lint_relative_seed.toml"])  # in an overlay it is reported
    assert len(warnings) == 1
