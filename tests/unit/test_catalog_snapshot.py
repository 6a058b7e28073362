"""The validated-catalog snapshot never serves a stale catalog, and gives the same catalog as a full validation."""

from __future__ import annotations

import dataclasses
import os
import pickle
import shutil

import pytest

from advisor import api, locations
from advisor.api import calibration
from advisor.catalog import content, load, snapshot
from tests.conftest import MINI, REAL_CATALOG, real_catalog_present


@pytest.fixture
def builtin(tmp_path, monkeypatch):
    """A writable copy of tests/data/mini as the built-in catalog, and an empty cache."""
    folder = tmp_path / "builtin"
    shutil.copytree(MINI, folder)
    monkeypatch.setattr(locations, "builtin_catalog_dir", lambda: folder)
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "cache"))
    return folder


def _edit_keeping_size_and_mtime(path, old: str, new: str) -> None:
    assert len(old) == len(new)
    st = path.stat()
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns


def _rent_usd_per_mtok(catalog) -> float:
    point = api.estimate(catalog, system="hgx_h100", model="llama_3_70b", isl=1024, osl=256, price_tier="on_demand")
    return point["point"].usd_per_mtok


def _snapshots() -> list:
    return sorted(snapshot.folder().glob(snapshot.PATTERN))


def test_a_warm_load_comes_from_the_snapshot_and_equals_a_full_validation(builtin):
    first, warnings = api.load_catalog()
    [entry] = _snapshots()
    again, warnings_again = api.load_catalog()
    assert again is not first  # read back from the file, not a process-level cache
    fresh = load.collect((), quiet_builtin_seeds=True)
    assert fresh.catalog is not None
    for cat in (first, again):
        assert cat.entries == fresh.catalog.entries
        assert cat.defaults == fresh.catalog.defaults
        assert cat.provenance == fresh.catalog.provenance and cat.layers == fresh.catalog.layers
    assert warnings == warnings_again == fresh.warnings
    assert _snapshots() == [entry]


@pytest.mark.real_catalog
@pytest.mark.skipif(not real_catalog_present(), reason="needs the built-in catalog")
def test_the_built_in_catalog_from_its_snapshot_equals_a_full_validation(tmp_path, monkeypatch):
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "cache"))
    assert locations.builtin_catalog_dir().resolve() == REAL_CATALOG.resolve()
    api.load_catalog()
    cached, warnings = api.load_catalog()
    fresh = load.collect((), quiet_builtin_seeds=True)
    assert fresh.catalog is not None
    assert cached.entries == fresh.catalog.entries and cached.defaults == fresh.catalog.defaults
    assert cached.provenance == fresh.catalog.provenance and warnings == fresh.warnings
    assert content.digests(cached) == content.compute(fresh.catalog)
    assert calibration.calibration_key(cached) == calibration.calibration_key(fresh.catalog)


def test_an_edit_that_keeps_size_and_mtime_gives_new_numbers(builtin):
    before = _rent_usd_per_mtok(api.load_catalog()[0])
    _edit_keeping_size_and_mtime(builtin / "prices.toml", "usd = 2.2\n", "usd = 4.4\n")
    catalog, _ = api.load_catalog()
    assert catalog.prices["h100_rental"].usd == 4.4
    assert _rent_usd_per_mtok(catalog) == pytest.approx(2 * before, rel=1e-9)
    assert len(_snapshots()) == 2


def test_an_edited_overlay_gives_new_numbers_and_a_new_calibration_key(builtin, tmp_path):
    overlay = tmp_path / "mine.toml"
    shutil.copy(builtin / "prices.toml", overlay)
    base, _ = api.load_catalog([overlay])
    key = calibration.calibration_key(base)
    _edit_keeping_size_and_mtime(overlay, "usd = 2.2\n", "usd = 3.3\n")
    edited, _ = api.load_catalog([overlay])
    assert edited.prices["h100_rental"].usd == 3.3
    assert calibration.calibration_key(edited) == key  # prices are not what the fit reads
    bench = builtin / "benchmarks.toml"
    text = bench.read_text()
    value = next(line for line in text.splitlines() if line.startswith("tok_s_per_gpu"))
    number = value.split("=", 1)[1].strip()
    bumped = str(float(number) + 1)[: len(number)].ljust(len(number), "0")
    assert bumped != number
    _edit_keeping_size_and_mtime(bench, value, value.replace(number, bumped))
    refit, _ = api.load_catalog([overlay])
    assert calibration.calibration_key(refit) != key  # a measured point changed: a new fit


def test_the_same_file_elsewhere_or_seen_from_elsewhere_is_another_key(builtin, tmp_path, monkeypatch):
    a = tmp_path / "a" / "mine.toml"
    b = tmp_path / "b" / "mine.toml"
    for p in (a, b):
        p.parent.mkdir()
        shutil.copy(builtin / "prices.toml", p)
    monkeypatch.chdir(tmp_path)
    assert snapshot.key([a], False) != snapshot.key([b], False)  # messages name the file they came from
    here = snapshot.key([a], False)
    monkeypatch.chdir(a.parent)
    assert snapshot.key([a], False) != here  # and show its path relative to the working directory


@pytest.mark.parametrize("damage", ["garbage", "old_shape", "wrong_digests", "empty"])
def test_a_damaged_snapshot_is_rebuilt_and_the_catalog_is_the_same(builtin, capsys, damage):
    good, _ = api.load_catalog()
    [entry] = _snapshots()
    catalog, warnings, digests = pickle.loads(entry.read_bytes())
    entry.write_bytes({
        "garbage": b"\x00not a pickle" * 10,
        "old_shape": pickle.dumps((catalog, warnings)),
        "wrong_digests": pickle.dumps((catalog, warnings, {"models": "x"})),
        "empty": b"",
    }[damage])
    again, _ = api.load_catalog()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "could not be loaded" in err and "rebuilding" in err
    assert again.entries == good.entries and again.defaults == good.defaults
    assert content.digests(again) == content.compute(good)
    api.load_catalog()
    assert capsys.readouterr().err == ""  # rebuilt: the next run reads it quietly


def test_a_changed_catalog_object_gets_its_own_digests(builtin):
    catalog, _ = api.load_catalog()
    key = calibration.calibration_key(catalog)
    fewer = dataclasses.replace(catalog, entries={**catalog.entries, "benchmarks": {}})
    assert calibration.calibration_key(fewer) != key
    assert content.digests(fewer) == content.compute(fewer) != content.compute(catalog)
    assert calibration.calibration_key(catalog) == key


def test_digests_are_kept_for_a_bounded_number_of_catalogs(builtin):
    catalog, _ = api.load_catalog()
    copies = [dataclasses.replace(catalog) for _ in range(content.KEEP + 3)]
    for c in copies:
        content.digests(c)
    assert len(content._memo) <= content.KEEP
    assert content.digests(copies[0]) == content.compute(catalog)  # evicted: computed again, same answer
