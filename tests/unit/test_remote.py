"""Remote catalogs: pull, revalidate, refuse, fall back, detect damage. A real server on 127.0.0.1.

Every failure test first caches a good copy, then makes the server misbehave at the same URL,
and asserts the cached bytes and metadata are exactly what they were.
"""

from __future__ import annotations

import json
import socket
import time

import pytest

from advisor.catalog import cache, load_catalog, remote
from advisor.catalog.remote import Limits
from advisor.cli import main
from advisor.errors import CatalogError, RemoteError
from tests.http_server import CatalogServer

GOOD = b"""\
# A remote overlay: one new accelerator on a built-in ecosystem, and a system for it.
[[accelerator]]
id = "remote_chip"
name = "Remote chip"
sources = ["remote test"]
as_of = "2025"
vendor = "Test"
ecosystem = "cuda"
memory_gb = 96
mem_bw_tb_s = 3.2
dense_tflops = { bf16 = 500, fp8 = 1000 }
tdp_watts = 500
scale_up_domain = 8
launch_year = 2025

[[system]]
id = "remote_node"
name = "Remote node"
sources = ["remote test"]
as_of = "2025"
accelerator = "remote_chip"
accelerators_per_system = 8
default = true
cooling = "air"
system_kw = 6.0
"""
NEWER = GOOD.replace(b"memory_gb = 96", b"memory_gb = 128")
FAST = ["--connect-timeout", "1", "--read-timeout", "0.5"]


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
    """A good copy of /cat.toml already cached as `cat`; returns (url, bytes, metadata)."""
    server.route("/cat.toml", body=GOOD, etag='"v1"', headers={"Last-Modified": "Mon, 02 Jun 2025 10:00:00 GMT"})
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
    leftovers = [p.name for p in cache.cache_dir().iterdir() if p.name.endswith(".part")]
    assert leftovers == []


# pulling ------------------------------------------------------------------------------------------

def test_pull_validates_and_caches_with_metadata(server, capsys):
    server.route("/cat.toml", body=GOOD, etag='"v1"', headers={"Last-Modified": "Mon, 02 Jun 2025 10:00:00 GMT"})
    url = server.url("/cat.toml")
    assert main(["catalog", "pull", url]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "cat: pulled" in err and url in err
    data, meta_path = cache.paths_for("cat")
    assert data.read_bytes() == GOOD
    meta = json.loads(meta_path.read_text())
    assert meta["url"] == url
    assert meta["etag"] == '"v1"'
    assert meta["last_modified"] == "Mon, 02 Jun 2025 10:00:00 GMT"
    assert meta["sha256"] == cache.sha256_file(data)
    assert meta["size"] == len(GOOD)
    assert meta["fetched_at"].endswith("+00:00")
    # the first request is unconditional
    assert "if-none-match" not in server.requests[0][1]


def test_repull_revalidates_and_304_keeps_the_copy(pulled, server, capsys):
    url, data_bytes, _ = pulled
    meta_path = cache.paths_for("cat")[1]
    old = json.loads(meta_path.read_text())
    old["checked_at"] = "2020-01-01T00:00:00+00:00"
    meta_path.write_text(json.dumps(old))
    assert main(["catalog", "pull", url]) == 0
    assert "up to date" in capsys.readouterr().err
    _path, headers = server.requests[-1]
    assert headers["if-none-match"] == '"v1"'
    assert headers["if-modified-since"] == "Mon, 02 Jun 2025 10:00:00 GMT"
    assert cache.paths_for("cat")[0].read_bytes() == data_bytes
    meta = json.loads(meta_path.read_text())
    assert meta["checked_at"] > "2020-01-01T00:00:00+00:00"
    assert meta["fetched_at"] == old["fetched_at"]


def test_repull_with_a_new_version_replaces_the_copy(pulled, server):
    url, _, _ = pulled
    server.route("/cat.toml", body=NEWER, etag='"v2"')
    outcome = remote.pull(url)
    assert outcome.status == "updated"
    assert cache.paths_for("cat")[0].read_bytes() == NEWER
    assert outcome.meta["etag"] == '"v2"'


def test_pull_with_matching_sha256_and_a_name(server):
    import hashlib

    server.route("/x/catalog.toml", body=GOOD)
    digest = hashlib.sha256(GOOD).hexdigest()
    assert main(["catalog", "pull", server.url("/x/catalog.toml"), "--name", "team", "--sha256", digest]) == 0
    assert cache.paths_for("team")[0].read_bytes() == GOOD


def test_pull_reports_lint_warnings_named_by_the_url(server, capsys):
    from tests.conftest import BAD

    server.route("/slip.toml", body=(BAD / "lint_range.toml").read_bytes())
    url = server.url("/slip.toml")
    assert main(["catalog", "pull", url]) == 0
    err = capsys.readouterr().err
    assert f"advisor: warning: {url}:10: " in err and "outside 0.05..30 TB/s" in err
    assert "slip: pulled" in err
    assert cache.read("slip").usable


def _stall(server):
    def handler(h):
        server.release.wait(5)
    return handler


def _oversized_stream(h):
    """No Content-Length: the body is streamed (chunked) until the client hangs up."""
    h.send_response(200)
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    chunk = b"# " + b"x" * 1021 + b"\n"
    try:
        for _ in range(200):  # 200 kB, far past --max-bytes 5000
            h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            h.wfile.flush()
        h.wfile.write(b"0\r\n\r\n")
    except OSError:
        pass


def _truncated(h):
    h.send_response(200)
    h.send_header("Content-Length", str(len(GOOD) + 500))
    h.end_headers()
    h.wfile.write(GOOD)
    h.wfile.flush()
    h.close_connection = True


def _trickle(server):
    def handler(h):
        h.send_response(200)
        h.send_header("Content-Length", "1000")
        h.end_headers()
        try:
            for _ in range(1000):
                if server.release.wait(0.05):
                    return
                h.wfile.write(b"#")
                h.wfile.flush()
        except OSError:
            pass
    return handler


def _redirect_to(location):
    def handler(h):
        h.send_response(302)
        h.send_header("Location", location)
        h.send_header("Content-Length", "0")
        h.end_headers()
    return handler


FAILURES = {
    "404": (dict(status=404, body=b"no\n"), [], "HTTP 404"),
    "500": (dict(status=500, body=b"boom\n"), [], "HTTP 500"),
    "stall": ("stall", [], "sent nothing for 0.5 s"),
    "oversized-announced": (dict(body=GOOD * 10), ["--max-bytes", "5000"], "announces"),
    "oversized-streamed": (dict(handler=_oversized_stream), ["--max-bytes", "5000"], "download stopped"),
    "truncated": (dict(handler=_truncated), [], "incomplete or malformed response"),
    "trickle": ("trickle", ["--deadline", "0.6", "--read-timeout", "2"], "overall limit of 0.6 s"),
    "invalid-toml": (dict(body=b"[[accelerator]\nid = 'x'\n"), [], "TOML syntax error"),
    "not-utf8": (dict(body=b"# caf\xe9\n"), [], "not UTF-8"),
    "schema-invalid": (dict(body=GOOD.replace(b"memory_gb = 96", b'memory_gb = "lots"')), [], "memory_gb"),
    "unknown-key": (dict(body=GOOD.replace(b"memory_gb = 96", b"memroy_gb = 96")), [], "Did you mean"),
    "dangling-reference": (dict(body=GOOD.replace(b'accelerator = "remote_chip"', b'accelerator = "no_such_chip"')),
                           [], "no_such_chip"),
    "sha256-mismatch": (dict(body=NEWER), ["--sha256", "0" * 64], "sha256 mismatch"),
    "redirect-loop": ("loop", [], "too many redirects"),
    "redirect-to-http": ("to-http", [], "refusing redirect"),
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_failed_pull_leaves_the_cached_copy_byte_identical(case, pulled, server, capsys, monkeypatch):
    spec, flags, expected = FAILURES[case]
    url = pulled[0]
    if spec == "stall":
        spec = dict(handler=_stall(server))
    elif spec == "trickle":
        spec = dict(handler=_trickle(server))
    elif spec == "loop":
        spec = dict(handler=_redirect_to("/cat.toml"))
    elif spec == "to-http":
        spec = dict(handler=_redirect_to("http://example.invalid/cat.toml"))
    server.route("/cat.toml", **spec)
    resolved = []
    real_getaddrinfo = socket.getaddrinfo

    def spy(host, *args, **kwargs):
        resolved.append(host)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", spy)
    started = time.monotonic()
    rc = main(["catalog", "pull", url, *FAST, *flags])
    elapsed = time.monotonic() - started
    out, err = capsys.readouterr()
    assert rc == 2, err
    assert out == ""
    assert expected in err
    assert "Traceback" not in err
    assert all(line.startswith("advisor: error: ") for line in err.splitlines()), err
    assert elapsed < 3
    _unchanged(pulled)
    if case == "redirect-loop":
        assert len(server.requests) == 1 + 1 + 5  # the first pull, then the first hop + 5 redirects
    if case == "redirect-to-http":
        assert "example.invalid" not in resolved  # refused before any connection


def test_pull_refuses_plain_http_to_other_hosts_without_connecting(monkeypatch, capsys):
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: pytest.fail("must not resolve"))
    assert main(["catalog", "pull", "http://example.invalid/c.toml"]) == 2
    err = capsys.readouterr().err
    assert "refusing plain http" in err and "--allow-http" in err


def test_url_rules():
    remote.check_url("https://example.com/c.toml", allow_http=False)
    for loopback in ("http://127.0.0.1:8/c.toml", "http://[::1]:8/c.toml", "http://localhost/c.toml"):
        remote.check_url(loopback, allow_http=False)
    remote.check_url("http://example.com/c.toml", allow_http=True)
    for bad in ("http://example.com/c.toml", "ftp://example.com/c.toml", "file:///etc/passwd", "https:///c.toml"):
        with pytest.raises(RemoteError):
            remote.check_url(bad, allow_http=False)
    # https -> http is refused even when http is allowed and the target is loopback
    with pytest.raises(RemoteError, match="from https"):
        remote._next_hop("https://example.com/a.toml", "http://127.0.0.1/b.toml", allow_http=True)
    assert remote._next_hop("https://example.com/a/b.toml", "../c.toml", allow_http=False) == "https://example.com/c.toml"


def test_bad_flags_are_usage_errors(server, capsys):
    assert main(["catalog", "pull", server.url("/c.toml"), "--sha256", "xyz"]) == 2
    assert "64 hex digits" in capsys.readouterr().err
    assert main(["catalog", "pull", server.url("/c.toml"), "--name", "../evil"]) == 2
    assert "bad catalog name" in capsys.readouterr().err
    assert main(["catalog", "pull", server.url("/c.toml"), "--read-timeout", "0"]) == 2
    assert server.requests == []


# resolve: what --catalog URL uses ----------------------------------------------------------------

def test_load_catalog_merges_a_remote_overlay(server):
    server.route("/cat.toml", body=GOOD, etag='"v1"')
    url = server.url("/cat.toml")
    catalog, _ = load_catalog([url])
    assert catalog.accelerator("remote_chip").memory_gb == 96
    assert catalog.system("remote_node").accelerator == "remote_chip"
    assert catalog.source_of("accelerators", "remote_chip") == url
    assert "nvidia_h100" in catalog.accelerators  # the built-in layer is still there
    # a second use revalidates and keeps the same cached copy
    catalog, _ = load_catalog([url])
    assert server.requests[-1][1]["if-none-match"] == '"v1"'
    assert catalog.accelerator("remote_chip").memory_gb == 96


def test_offline_fallback_warns_with_age_and_uses_the_cache(pulled, server, capsys):
    url = pulled[0]
    meta_path = cache.paths_for("cat")[1]
    meta = json.loads(meta_path.read_text())
    import datetime as dt

    three_hours_ago = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=3, minutes=5)).isoformat()
    meta["checked_at"] = three_hours_ago
    meta_path.write_text(json.dumps(meta))
    pulled = (url, pulled[1], meta_path.read_bytes())
    server.stop()  # nothing listens on the port any more
    catalog, _ = load_catalog([url])
    assert catalog.accelerator("remote_chip").memory_gb == 96
    err = capsys.readouterr().err
    assert err.startswith("advisor: warning: using cached copy of cat from 3 h ago: ")
    assert "cannot connect" in err
    _unchanged(pulled)


def test_fallback_on_server_error_and_on_a_bad_new_version(pulled, server):
    url = pulled[0]
    warnings = []
    server.route("/cat.toml", status=500, body=b"boom")
    assert remote.resolve(url, warn=warnings.append) == cache.paths_for("cat")[0]
    server.route("/cat.toml", body=b"not = [toml")
    assert remote.resolve(url, warn=warnings.append) == cache.paths_for("cat")[0]
    assert "HTTP 500" in warnings[0]
    assert "not a valid catalog" in warnings[1] and "TOML syntax error" in warnings[1]
    _unchanged(pulled)


def test_resolve_without_a_cache_is_a_remote_error(server, capsys):
    server.route("/cat.toml", status=503)
    url = server.url("/cat.toml")
    with pytest.raises(RemoteError, match="HTTP 503.*no cached copy to fall back on"):
        remote.resolve(url)
    assert main(["catalog", "list", "--kind", "accelerators", "--catalog", url]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "no cached copy" in err and "Traceback" not in err
    server.route("/cat.toml", body=b"[[nope]]\n")
    with pytest.raises(CatalogError) as info:
        remote.resolve(url)
    assert info.value.problems[0].file == url
    assert not cache.cache_dir().exists() or cache.names() == []


def test_resolve_refuses_plain_http_even_with_a_cache(pulled):
    with pytest.raises(RemoteError, match="refusing plain http"):
        remote.resolve("http://example.invalid/cat.toml")


def test_corrupted_cache_is_refetched(pulled, server):
    url, data_bytes, _ = pulled
    data = cache.paths_for("cat")[0]
    data.write_bytes(data_bytes.replace(b"96", b"99"))
    assert cache.read("cat").state == "corrupted"
    warnings = []
    assert remote.resolve(url, warn=warnings.append) == data
    assert data.read_bytes() == data_bytes
    assert "damaged" in warnings[0]
    # the damaged copy was not revalidated with its ETag: the body was fetched whole
    assert "if-none-match" not in server.requests[-1][1]


def test_corrupted_cache_with_the_server_down_is_reported_never_used(pulled, server, capsys):
    url, data_bytes, _ = pulled
    data = cache.paths_for("cat")[0]
    data.write_bytes(data_bytes.replace(b"96", b"99"))
    server.route("/cat.toml", status=500)
    with pytest.raises(RemoteError, match="no longer match the recorded sha256"):
        remote.resolve(url, warn=lambda m: pytest.fail(f"must not fall back: {m}"))
    assert main(["catalog", "list", "--catalog", url]) == 2
    assert "cannot be used" in capsys.readouterr().err
    assert main(["catalog", "sources", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["state"] == "corrupted"


def test_refetched_metadata_with_a_304_but_no_intact_copy_is_refused(pulled, server):
    """A server that answers 304 to an unconditional request cannot vouch for a damaged copy."""
    url, data_bytes, _ = pulled
    data = cache.paths_for("cat")[0]
    data.write_bytes(b"damaged")

    def always_304(h):
        h.send_response(304)
        h.send_header("Content-Length", "0")
        h.end_headers()

    server.route("/cat.toml", handler=always_304)
    with pytest.raises(RemoteError, match="cannot be used"):
        remote.resolve(url)
    assert data.read_bytes() == b"damaged"


# sources and drop ---------------------------------------------------------------------------------

def test_sources_lists_and_drop_removes(pulled, server, capsys):
    url, data_bytes, _ = pulled
    server.route("/other/cat.toml", body=NEWER)
    assert main(["catalog", "pull", server.url("/other/cat.toml")]) == 0  # same file name, other URL
    capsys.readouterr()
    assert main(["catalog", "sources", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["url"] for r in rows if r["name"] == "cat"] == [url]
    other = next(r for r in rows if r["url"] == server.url("/other/cat.toml"))
    assert other["name"].startswith("cat-")
    assert all(r["state"] == "ok" and len(r["sha256"]) == 64 for r in rows)

    assert main(["catalog", "sources"]) == 0
    out = capsys.readouterr().out
    assert "cat" in out and cache.sha256_file(cache.paths_for("cat")[0])[:12] in out and url in out
    assert "s ago" in out and f"{len(data_bytes)} B" in out

    assert main(["catalog", "drop", "catt"]) == 2
    err = capsys.readouterr().err
    assert "no cached remote catalog named 'catt'" in err and "Did you mean 'cat'?" in err
    assert main(["catalog", "drop", "cat"]) == 0
    assert not cache.paths_for("cat")[0].exists() and not cache.paths_for("cat")[1].exists()
    assert main(["catalog", "sources", "--json"]) == 0
    assert [r["name"] for r in json.loads(capsys.readouterr().out)] == [other["name"]]


def test_sources_with_nothing_cached(capsys):
    assert main(["catalog", "sources", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["catalog", "sources"]) == 0
    assert "no cached remote catalogs" in capsys.readouterr().err
    assert main(["catalog", "drop", "x"]) == 2
    assert "Nothing is cached" in capsys.readouterr().err


def test_names_and_ages():
    assert cache.derive_name("https://example.com/team/gpus.toml") == "gpus"
    assert cache.derive_name("https://example.com/") == "example.com"
    assert cache.derive_name("https://example.com/a b?.toml") == "a-b"
    assert cache.age_words("2020-01-01T00:00:00+00:00").endswith(" d ago")
    assert cache.age_words(None) == "an unknown time ago"
    assert cache.size_words(1234) == "1.2 kB"
    with pytest.raises(RemoteError):
        Limits(max_bytes=0)
