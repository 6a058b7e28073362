"""Loading: layers, overlays by id, provenance, folders, defaults, URLs, parse_catalog_text."""

from __future__ import annotations

import sys
import types

import pytest

from advisor.catalog import load_catalog, parse_catalog_text, validate_paths
from advisor.domain import Catalog, Defaults
from advisor.errors import CatalogError
from tests.conftest import BAD, DATA, MINI

OVERLAY = DATA / "overlays" / "override.toml"
FOLDER = DATA / "overlays" / "folder"


def test_builtin_round_trip(mini_builtin):
    catalog, warnings = load_catalog(strict=True)
    assert isinstance(catalog, Catalog)
    assert warnings == []
    assert list(catalog.accelerators) == ["nvidia_h100", "amd_mi300x"]
    assert catalog.accelerator("MI300X").memory_gb == 192  # alias, any case
    assert catalog.layers == ("built-in",)
    assert catalog.source_of("accelerators", "amd_mi300x") == "built-in"
    assert catalog.defaults.usd_per_kwh == 0.1
    # TOML dates read as the same text quoted
    assert catalog.accelerator("amd_mi300x").as_of == "2024-06-01"
    # [ecosystem.maturity] sub-table belongs to the second ecosystem
    assert catalog.ecosystem("rocm").maturity.day0_fraction == 0.01


def test_overlay_replaces_by_id_and_records_provenance(mini_builtin):
    catalog, _ = load_catalog([OVERLAY])
    assert catalog.accelerator("amd_mi300x").memory_gb == 200
    assert catalog.accelerator("amd_mi300x").name.endswith("(overlay)")
    assert list(catalog.accelerators) == ["nvidia_h100", "amd_mi300x"]  # replaced in place, not duplicated
    label = catalog.provenance[("accelerators", "amd_mi300x")]
    assert label.endswith("override.toml")
    assert catalog.provenance[("accelerators", "nvidia_h100")] == "built-in"
    assert catalog.layers == ("built-in", label)


def test_partial_defaults_overlay_merges_key_by_key(mini_builtin):
    catalog, _ = load_catalog([OVERLAY])
    assert catalog.defaults.usd_per_kwh == 0.2
    assert catalog.defaults.pue_air == 1.4  # kept from the built-in layer


def test_folder_overlay_reads_sorted_files_as_one_layer(mini_builtin):
    catalog, _ = load_catalog([FOLDER])
    assert "folder_chip" in catalog.accelerators
    assert catalog.system("folder_node").accelerator == "folder_chip"
    assert catalog.source_of("systems", "folder_node").endswith("folder")
    assert len(catalog.layers) == 2


def test_last_overlay_wins(mini_builtin, tmp_path):
    second = tmp_path / "second.toml"
    second.write_text(OVERLAY.read_text().replace("memory_gb = 200", "memory_gb = 256"))
    catalog, _ = load_catalog([OVERLAY, second])
    assert catalog.accelerator("amd_mi300x").memory_gb == 256
    assert catalog.source_of("accelerators", "amd_mi300x").endswith("second.toml")


def test_no_builtin_and_no_defaults_is_an_error():
    with pytest.raises(CatalogError) as info:
        load_catalog([FOLDER], builtin=False)
    messages = [p.message for p in info.value.problems]
    assert any("no [defaults] table" in m for m in messages)
    # the folder's own ids resolve without the built-in layer except the ecosystem
    assert any("no ecosystem with id 'cuda'" in m for m in messages)


def test_missing_overlay_path(mini_builtin, tmp_path):
    with pytest.raises(CatalogError) as info:
        load_catalog([tmp_path / "nope.toml"])
    assert "no such catalog file or folder" in info.value.problems[0].message


def test_empty_overlay_folder(mini_builtin, tmp_path):
    with pytest.raises(CatalogError) as info:
        load_catalog([tmp_path])
    assert "holds no .toml" in info.value.problems[0].message


def test_errors_are_collected_not_first_only(mini_builtin):
    with pytest.raises(CatalogError) as info:
        load_catalog([BAD / "wrong_type.toml", BAD / "unknown_key.toml", BAD / "dangling_ref.toml"])
    files = {p.file.rsplit("/", 1)[-1] for p in info.value.problems}
    assert files == {"wrong_type.toml", "unknown_key.toml", "dangling_ref.toml"}
    assert "nothing was loaded" in info.value.lines()[-1]


def test_failed_entry_does_not_cascade_into_dangling_references(mini_builtin, tmp_path):
    overlay = tmp_path / "o.toml"
    overlay.write_text(
        (BAD / "wrong_type.toml").read_text()
        + '\n[[system]]\nid = "s"\nname = "S"\nsources = ["t"]\nas_of = "2025"\n'
        'accelerator = "wrong_type_chip"\naccelerators_per_system = 1\ncooling = "air"\nsystem_kw = 1\n'
    )
    with pytest.raises(CatalogError) as info:
        load_catalog([overlay])
    assert len(info.value.problems) == 1
    assert "memory_gb" in info.value.problems[0].key


def test_duplicate_across_files_of_one_layer(mini_builtin, tmp_path):
    (tmp_path / "a.toml").write_text((DATA / "overlays" / "folder" / "a_accel.toml").read_text())
    (tmp_path / "b.toml").write_text((DATA / "overlays" / "folder" / "a_accel.toml").read_text())
    with pytest.raises(CatalogError) as info:
        load_catalog([tmp_path])
    [problem] = info.value.problems
    assert problem.file.endswith("b.toml") and problem.line == 1
    assert "a.toml:1" in problem.message


def test_parse_catalog_text_touches_no_disk():
    entries, defaults, problems = parse_catalog_text((MINI / "accelerators.toml").read_text(), "remote.toml")
    assert problems == []
    assert [e.id for e in entries["accelerators"]] == ["nvidia_h100", "amd_mi300x"]
    assert entries["systems"] == [] and defaults is None
    _, defaults, _ = parse_catalog_text((MINI / "defaults.toml").read_text(), "d.toml")
    assert isinstance(defaults, Defaults)
    _, _, problems = parse_catalog_text("[[accelerator]]\nid = 3\n", "x.toml")
    assert problems and all(p.file == "x.toml" for p in problems)
    assert any(p.key == "accelerator #1 > id" and p.line == 2 for p in problems)


def test_url_without_remote_module_is_a_catalog_error(mini_builtin, monkeypatch):
    import advisor.catalog as package

    monkeypatch.delattr(package, "remote", raising=False)
    monkeypatch.setitem(sys.modules, "advisor.catalog.remote", None)  # importing it fails, as if absent
    with pytest.raises(CatalogError) as info:
        load_catalog(["https://example.com/catalog.toml"])
    assert "remote catalogs are not available" in info.value.problems[0].message


def test_url_goes_through_remote_resolve(mini_builtin, monkeypatch):
    calls = []
    fake = types.ModuleType("advisor.catalog.remote")

    def resolve(url, *, allow_http=False, check=None):
        assert check is not None  # the loader validates the body before it replaces anything
        calls.append((url, allow_http))
        return OVERLAY

    fake.resolve = resolve
    monkeypatch.setitem(sys.modules, "advisor.catalog.remote", fake)
    import advisor.catalog as package

    monkeypatch.setattr(package, "remote", fake, raising=False)
    catalog, _ = load_catalog(["https://example.com/c.toml"], allow_http=True)
    assert calls == [("https://example.com/c.toml", True)]
    assert catalog.source_of("accelerators", "amd_mi300x") == "https://example.com/c.toml"


def test_validate_paths_reports_each_path(mini_builtin):
    problems = validate_paths([BAD / "wrong_type.toml", OVERLAY])
    assert [p.file.rsplit("/", 1)[-1] for p in problems] == ["wrong_type.toml"]
    assert validate_paths([OVERLAY, FOLDER], strict=True) == []


def test_validate_paths_of_builtin_folder_itself(mini_builtin):
    assert validate_paths([MINI], strict=True) == []
