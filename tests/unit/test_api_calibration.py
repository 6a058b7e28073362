"""The calibration factors cache: keyed by catalog and code, rebuilt when unreadable, pruned, never changed by calibrate()."""

from __future__ import annotations

import json
import logging
import os

import pytest

from advisor import cachekeys


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "calibration"


@pytest.fixture
def catalog(mini_builtin):
    from advisor import api

    return api.load_catalog()[0]


def _entries(cache):
    return sorted(cache.glob("*.json"))


def test_key_is_catalog_hash_and_code_fingerprint(catalog):
    from advisor.api import calibration

    key = calibration.calibration_key(catalog)
    assert key == f"{calibration.catalog_hash(catalog)}-{cachekeys.code_fingerprint('engine', 'domain')}"


def test_factors_written_once_and_reused(cache, catalog):
    from advisor import api

    first = api.factors(catalog)
    (entry,) = _entries(cache)
    stamp = entry.stat().st_mtime_ns
    again = api.factors(catalog)
    assert again.to_dict() == json.loads(json.dumps(first.to_dict()))
    assert entry.stat().st_mtime_ns == stamp  # read, not rewritten
    api.calibrate(catalog, loo=False)
    assert entry.stat().st_mtime_ns == stamp and _entries(cache) == [entry]


def test_calibrate_with_loo_never_changes_the_factors_later_commands_use(cache, catalog):
    from advisor import api

    before = api.factors(catalog)
    report = api.calibrate(catalog, loo=True)
    after = api.factors(catalog)
    assert after.to_dict() == before.to_dict()
    assert after.summary == before.summary
    assert before.error_band_pct == after.error_band_pct
    # and the other way round: calibrate first on an empty cache, then the same factors as a plain fit
    for f in _entries(cache):
        f.unlink()
    api.calibrate(catalog, loo=True)
    assert api.factors(catalog).to_dict() == before.to_dict()
    assert report.summary  # the LOO report itself is still returned to the caller


def test_loo_figures_are_none_when_loo_never_ran(cache, catalog):
    from advisor import api

    assert api.factors(catalog).summary.get("loo_points_off_by_more_than_2x", None) is None
    report = api.calibrate(catalog, loo=False)
    found = []

    def walk(d):
        for k, v in d.items():
            if k == "loo_points_off_by_more_than_2x":
                found.append(v)
            elif isinstance(v, dict):
                walk(v)

    walk(report.summary)
    walk(report.factors.summary)
    assert found and all(v is None for v in found)


def test_unreadable_entry_is_rebuilt_with_a_note_on_stderr(cache, catalog, caplog, capsys):
    from advisor import api

    good = api.factors(catalog)
    (entry,) = _entries(cache)
    entry.write_text("{ not json")
    with caplog.at_level(logging.WARNING):
        again = api.factors(catalog)
    assert again.to_dict() == json.loads(json.dumps(good.to_dict()))
    notes = [r.getMessage() for r in caplog.records]
    assert len(notes) == 1 and "unreadable" in notes[0] and "\n" not in notes[0]
    assert capsys.readouterr().out == ""  # stdout stays data only
    assert json.loads(entry.read_text())["key"] in entry.name


def test_cache_keeps_the_newest_entries(cache, catalog):
    from advisor import api

    cache.mkdir(parents=True)
    for i in range(12):
        old = cache / f"old{i:02d}.json"
        old.write_text("{}")
        os.utime(old, (1000 + i, 1000 + i))
    api.factors(catalog)
    left = _entries(cache)
    assert len(left) == cachekeys.KEEP_ENTRIES
    from advisor.api import calibration

    assert cache / f"{calibration.calibration_key(catalog)}.json" in left  # the new entry survived
    assert not (cache / "old00.json").exists()
