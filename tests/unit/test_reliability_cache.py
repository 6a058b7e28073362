"""Caches that cannot lie (the catalog snapshot) and the one atomic writer (`locations.write_atomic`)."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

from advisor import cachekeys, locations
from advisor.catalog import load_catalog, snapshot

FORK = multiprocessing.get_context("fork")


@pytest.fixture
def own_cache(tmp_path, monkeypatch, mini_builtin):
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


# snapshot ---------------------------------------------------------------------------------------

def test_snapshot_key_includes_the_code_fingerprint(own_cache, monkeypatch):
    before = snapshot.key((), False)
    assert before is not None
    monkeypatch.setattr(cachekeys, "code_fingerprint", lambda *packages: "a-different-build")
    assert snapshot.key((), False) != before


def test_a_snapshot_that_fails_to_load_is_rebuilt_with_a_note(own_cache, capsys):
    catalog, _ = load_catalog()
    k = snapshot.key((), False)
    path = snapshot.path_for(k)
    assert path.is_file()
    path.write_bytes(path.read_bytes()[:40])  # truncated
    again, _ = load_catalog()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "snapshot" in err and "rebuilding" in err
    assert set(again.accelerators) == set(catalog.accelerators)
    assert path.is_file() and snapshot.read(k) is not None  # rebuilt, and good again
    load_catalog()
    assert capsys.readouterr().err == ""


def test_a_snapshot_of_an_older_model_layout_is_rebuilt(own_cache, capsys):
    import pickle

    load_catalog()
    k = snapshot.key((), False)

    class Gone:  # pickled by reference to a class that no longer exists where it was
        pass

    Gone.__module__ = "advisor.domain.no_such_module"
    Gone.__qualname__ = "Gone"
    try:
        data = pickle.dumps(Gone())
    except pickle.PicklingError:
        data = b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x0badvisor.xyz\x8c\x01A\x93."
    snapshot.path_for(k).write_bytes(data)
    catalog, _ = load_catalog()
    assert catalog.systems
    assert "could not be loaded" in capsys.readouterr().err


def test_snapshots_are_pruned_to_the_newest_eight(own_cache):
    folder = snapshot.folder()
    folder.mkdir(parents=True)
    for i in range(12):
        old = folder / f"old{i:02d}.pickle"
        old.write_bytes(b"x")
        os.utime(old, (1_000_000 + i, 1_000_000 + i))
    load_catalog()
    kept = sorted(p.name for p in folder.glob("*.pickle"))
    assert len(kept) == 8 and snapshot.path_for(snapshot.key((), False)).name in kept
    assert "old00.pickle" not in kept


def test_no_bare_except_pass_in_the_caches():
    root = Path(snapshot.__file__).parent
    for name in ("snapshot.py", "cache.py", "remote.py"):
        text = (root / name).read_text()
        assert "except Exception:\n        pass" not in text and "except Exception:  # " not in text.replace(
            "except Exception as exc:", "")


# write_atomic -----------------------------------------------------------------------------------

def test_write_atomic_uses_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        locations._umask = None
        target = locations.write_atomic(tmp_path / "f.json", "{}")
        assert target.stat().st_mode & 0o777 == 0o644
        locations._umask = None
        os.umask(0o077)
        locations._umask = None
        assert locations.write_atomic(tmp_path / "g.json", "{}").stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old)
        locations._umask = None


def test_write_atomic_without_overwrite_refuses_and_leaves_no_temp(tmp_path):
    target = tmp_path / "once.txt"
    locations.write_atomic(target, "first", overwrite=False)
    with pytest.raises(FileExistsError):
        locations.write_atomic(target, "second", overwrite=False)
    assert target.read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["once.txt"]


def _race(target: str, i: int, barrier, results) -> None:
    barrier.wait()
    try:
        locations.write_atomic(Path(target), f"writer {i}\n" * 1000, overwrite=False)
        results[i] = 1
    except FileExistsError:
        results[i] = 0
    os._exit(0)


def test_exactly_one_concurrent_writer_wins(tmp_path):
    for trial in range(15):
        target = tmp_path / f"t{trial}.txt"
        barrier, results = FORK.Barrier(6), FORK.Array("i", [-1] * 6)
        procs = [FORK.Process(target=_race, args=(str(target), i, barrier, results)) for i in range(6)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(30)
        outcomes = list(results)
        assert -1 not in outcomes, outcomes
        winners = [i for i, won in enumerate(outcomes) if won == 1]
        assert len(winners) == 1, outcomes
        assert target.read_text() == f"writer {winners[0]}\n" * 1000
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def _write_forever(target: str, payloads: list[bytes]) -> None:
    i = 0
    while True:
        locations.write_atomic(Path(target), payloads[i % 2])
        i += 1


def _write_and_hang_in_fsync(target: str, payload: bytes, in_fsync) -> None:
    def hang(fd):
        in_fsync.set()
        time.sleep(60)

    os.fsync = hang  # this child only: stop between writing the temp file and renaming it
    locations.write_atomic(Path(target), payload)
    os._exit(0)


def test_a_write_killed_midway_leaves_old_or_new_and_the_next_start_cleans(tmp_path):
    big = 4_000_000
    payloads = [b"a" * big, b"b" * (big + 1)]
    target = tmp_path / "data.bin"
    locations.write_atomic(target, payloads[0])
    # killed for certain between writing the temp file and the rename
    in_fsync = FORK.Event()
    child = FORK.Process(target=_write_and_hang_in_fsync, args=(str(target), payloads[1], in_fsync))
    child.start()
    assert in_fsync.wait(30)
    os.kill(child.pid, signal.SIGKILL)
    child.join(10)
    assert target.read_bytes() == payloads[0]
    temps = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(temps) == 1 and str(child.pid) in temps[0].name
    assert locations.clean_stale_temps(tmp_path) == 1  # its writer is dead: removed on the next start
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    # killed at arbitrary moments of a write loop: always the old or the new bytes, never a mix
    digests = {hashlib.sha256(p).hexdigest() for p in payloads}
    for delay in (0.05, 0.12, 0.2, 0.33):
        child = FORK.Process(target=_write_forever, args=(str(target), payloads))
        child.start()
        time.sleep(delay)
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)
        assert hashlib.sha256(target.read_bytes()).hexdigest() in digests
        locations.clean_stale_temps(tmp_path)
        assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_clean_keeps_temps_of_live_writers_and_removes_very_old_ones(tmp_path):
    live = tmp_path / f".x.{os.getpid()}.0123abcd.tmp"
    live.write_text("mine")
    ancient = tmp_path / ".y.tmp"
    ancient.write_text("unknown writer")
    os.utime(ancient, (1_000_000, 1_000_000))
    assert locations.clean_stale_temps(tmp_path) == 1
    assert live.exists() and not ancient.exists()
