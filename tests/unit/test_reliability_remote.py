"""Remote catalogs never lose the last good copy: full validation first, fallback on any failure,
one pull per name at a time, data and metadata committed together, killed pulls cleaned up,
credentials refused. A real server on 127.0.0.1; concurrency and kill tests use real processes.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time

import pytest

from advisor.catalog import cache, load, load_catalog, remote
from advisor.catalog.remote import Limits
from advisor.cli import main
from advisor.errors import CatalogError, RemoteError
from tests.http_server import CatalogServer
from tests.unit.test_remote import FAST, GOOD, NEWER

DANGLING = GOOD.replace(b'accelerator = "remote_chip"', b'accelerator = "no_such_chip"')
FORK = multiprocessing.get_context("fork")


@pytest.fixture(autouse=True)
def cache_in_tmp(tmp_path, monkeypatch, mini_builtin):
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def server():
    srv = CatalogServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def pulled(server, capsys):
    server.route("/cat.toml", body=GOOD, etag='"v1"')
    url = server.url("/cat.toml")
    assert main(["catalog", "pull", url, *FAST]) == 0
    capsys.readouterr()
    data, meta = cache.paths_for("cat")
    return url, data.read_bytes(), meta.read_bytes()


def _unchanged(pulled_copy):
    _url, data_bytes, meta_bytes = pulled_copy
    data, meta = cache.paths_for("cat")
    assert data.read_bytes() == data_bytes
    assert meta.read_bytes() == meta_bytes
    assert cache.read("cat").usable


# credentials ---------------------------------------------------------------------------------------

def test_userinfo_in_a_url_is_refused_never_stored_or_shown(server, capsys):
    server.route("/cat.toml", body=GOOD)
    url = server.url("/cat.toml").replace("http://", "http://alice:s3cret@")
    assert main(["catalog", "pull", url, *FAST]) == 2
    assert main(["catalog", "list", "--kind", "accelerators", "--catalog", url]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "s3cret" not in err and "alice" not in err and "user name or password" in err
    assert server.requests == []
    assert not cache.cache_dir().exists() or cache.names() == []


# full validation before anything is replaced ---------------------------------------------------

def test_a_dangling_reference_never_replaces_the_last_good_copy(pulled, server, capsys):
    url = pulled[0]
    server.route("/cat.toml", body=DANGLING, etag='"v2"')
    catalog, _ = load_catalog([url])  # --catalog URL: falls back, with a warning naming URL and age
    assert catalog.system("remote_node").accelerator == "remote_chip"
    err = capsys.readouterr().err
    assert "using cached copy of cat from" in err and url in err and "no_such_chip" in err
    _unchanged(pulled)
    with pytest.raises(CatalogError) as info:  # pull: never falls back, says why
        load.pull(url, limits=Limits(connect_timeout_s=1, read_timeout_s=1))
    assert any("no_such_chip" in p.message for p in info.value.problems)
    _unchanged(pulled)


@pytest.mark.parametrize("body", [
    b"x = " + b"[" * 2000 + b"]" * 2000 + b"\n",
    b"x = " + b"7" * 5000 + b"\n",
    b"".join(b"[[t%d]]\nx = 1\n" % i for i in range(3000)),
    b"\xff\xfe not utf-8",
], ids=["deep-array", "5000-digit-int", "3000-unknown-tables", "not-utf8"])
def test_hostile_bodies_fall_back_and_pull_is_exit_2(body, pulled, server, capsys):
    url = pulled[0]
    server.route("/cat.toml", body=body, etag='"evil"')
    assert main(["catalog", "pull", url, *FAST]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.splitlines()) <= 53
    _unchanged(pulled)
    catalog, _ = load_catalog([url])
    assert catalog.accelerator("remote_chip").memory_gb == 96
    assert "using cached copy of cat" in capsys.readouterr().err
    _unchanged(pulled)


def test_any_failure_of_the_check_falls_back(pulled, server, capsys):
    url = pulled[0]
    server.route("/cat.toml", body=NEWER, etag='"v2"')

    def broken(path, where):
        raise ValueError("an unexpected failure while validating")

    path = remote.resolve(url, check=broken)
    assert path == cache.paths_for("cat")[0]
    assert "ValueError: an unexpected failure" in capsys.readouterr().err
    _unchanged(pulled)


def test_the_deadline_covers_validation_too(pulled, server):
    url = pulled[0]
    server.route("/cat.toml", body=NEWER, etag='"v2"')

    def slow(path, where):
        time.sleep(0.6)
        return []

    with pytest.raises(RemoteError, match="download, parse and validation took longer"):
        remote.pull(url, check=slow, limits=Limits(deadline_s=0.5, connect_timeout_s=1, read_timeout_s=1))
    _unchanged(pulled)


# commits and cleanup --------------------------------------------------------------------------------

def test_a_cut_short_commit_rolls_forward_or_back(pulled, server):
    url = pulled[0]
    data, meta_path = cache.paths_for("cat")
    old_meta = json.loads(meta_path.read_text())
    pending = cache.cache_dir() / ".cat.pending.json"
    # killed after the new metadata was written, before the data moved: the old copy stands
    pending.write_text(json.dumps({**old_meta, "sha256": "0" * 64}))
    assert cache.read("cat").usable and cache.read("cat").meta["sha256"] == old_meta["sha256"]
    with cache.lock("cat"):
        cache.clean("cat")
    assert not pending.exists() and json.loads(meta_path.read_text()) == old_meta
    # killed after the data moved, before the metadata did: the new copy stands
    data.write_bytes(NEWER)
    new_meta = {**old_meta, "sha256": cache.sha256_file(data), "size": len(NEWER)}
    pending.write_text(json.dumps(new_meta))
    assert cache.read("cat").usable and cache.read("cat").meta["sha256"] == new_meta["sha256"]
    with cache.lock("cat"):
        cache.clean("cat")
    assert not pending.exists() and json.loads(meta_path.read_text())["sha256"] == new_meta["sha256"]


def test_temp_files_of_a_dead_pull_are_removed_on_the_next_run(pulled, server):
    url = pulled[0]
    folder = cache.cache_dir()
    child = FORK.Process(target=os._exit, args=(0,))
    child.start()
    child.join()
    dead = folder / f".cat.toml.{child.pid}.0123abcd.part"
    dead.write_bytes(b"half a body")
    other = folder / f".other.toml.{child.pid}.0123abcd.part"
    other.write_bytes(b"half of another")
    live = folder / f".other.toml.{os.getpid()}.0123abcd.part"
    live.write_bytes(b"being written right now")
    remote.resolve(url)
    assert not dead.exists() and not other.exists()
    assert live.exists()  # its writer is alive: not ours to remove
    live.unlink()


# two processes, one name ------------------------------------------------------------------------

def _pull_into_shared(url: str) -> None:
    try:
        load.pull(url, name="shared", limits=Limits(connect_timeout_s=5, read_timeout_s=5, deadline_s=30))
    except Exception:  # noqa: BLE001 - the child reports by exit code
        os._exit(1)
    os._exit(0)


def _slow_body(body: bytes):
    def handler(h):
        h.send_response(200)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body[: len(body) // 2])
        h.wfile.flush()
        time.sleep(0.02)
        h.wfile.write(body[len(body) // 2:])
        h.wfile.flush()

    return handler


def test_concurrent_pulls_of_one_name_never_corrupt_it(server):
    bodies = {"/a.toml": GOOD, "/b.toml": NEWER}
    for path, body in bodies.items():
        server.route(path, handler=_slow_body(body))
    urls = {server.url(p): body for p, body in bodies.items()}
    load_catalog()  # warm the snapshot the children's validation starts from
    for _round in range(20):
        children = [FORK.Process(target=_pull_into_shared, args=(u,)) for u in urls]
        for c in children:
            c.start()
        for c in children:
            c.join(60)
        assert [c.exitcode for c in children] == [0, 0]
        copy = cache.read("shared")
        assert copy is not None and copy.usable, copy and copy.detail
        assert copy.path.read_bytes() == urls[copy.meta["url"]]  # data and metadata from the same pull
        leftovers = [p.name for p in cache.cache_dir().iterdir() if p.name.endswith((".part", ".tmp"))]
        assert leftovers == []


# killed mid-download -----------------------------------------------------------------------------

def test_a_pull_killed_mid_download_leaves_the_copy_and_the_next_run_cleans_up(pulled, server):
    url = pulled[0]
    started = FORK.Event()

    def stall(h):
        h.send_response(200)
        h.send_header("Content-Length", str(len(NEWER)))
        h.end_headers()
        h.wfile.write(NEWER[:100])
        h.wfile.flush()
        started.set()
        server.release.wait(30)

    server.route("/cat.toml", handler=stall)
    child = FORK.Process(target=_pull_named_cat, args=(url,))
    child.start()
    assert started.wait(30)
    folder = cache.cache_dir()
    for _ in range(200):
        if any(p.name.endswith(".part") for p in folder.iterdir()):
            break
        time.sleep(0.02)
    os.kill(child.pid, signal.SIGKILL)
    child.join(10)
    assert child.exitcode == -signal.SIGKILL
    assert [p.name for p in folder.iterdir() if p.name.endswith(".part")] != []  # what a kill leaves
    _unchanged(pulled)
    server.route("/cat.toml", body=NEWER, etag='"v2"')
    assert load.pull(url, limits=Limits(connect_timeout_s=1, read_timeout_s=1)).status == "updated"
    assert [p.name for p in folder.iterdir() if p.name.endswith((".part", ".tmp"))] == []
    assert cache.read("cat").path.read_bytes() == NEWER


def _pull_named_cat(url: str) -> None:
    load.pull(url, limits=Limits(connect_timeout_s=5, read_timeout_s=30, deadline_s=60))
    os._exit(0)


# structure -------------------------------------------------------------------------------------

def test_no_import_cycle_between_the_loader_and_the_network_side():
    import grimp

    graph = grimp.build_graph("advisor")
    assert not graph.chain_exists(importer="advisor.catalog.remote", imported="advisor.catalog.load")
    assert not graph.chain_exists(importer="advisor.catalog.sources", imported="advisor.catalog.remote")
    assert not graph.chain_exists(importer="advisor.catalog.cache", imported="advisor.catalog.load")
