"""Remote catalogs over HTTP, safely, with an offline fallback to the last good copy.

`resolve(url)` is what `--catalog URL` uses: fetch or revalidate (ETag / Last-Modified)
through the user cache and return the cached file's path; on any failure the last good
copy is used with a warning naming the URL and its age (none: RemoteError). `pull(url)`
is `advisor catalog pull`: the same fetch, never falling back. Both validate the body with
`check` (the loader passes its full validation, cross-references included; this module
never imports the loader) before it replaces anything.

Safety rules, all enforced here (URL rules in `urls.py`: https only, loopback http,
redirects checked per hop, no credentials in URLs):
- connect and read timeouts, plus one overall deadline for download, parse and validation.
- a size cap enforced while streaming (and on an announced Content-Length up front);
  a body shorter than its Content-Length is refused. The body is parsed, never executed.
- the download goes to a fsynced temp file, is validated and only then committed with its
  metadata (`cache.store`); a failed pull leaves the cached copy untouched.
- a cached copy whose bytes no longer match its recorded sha256 is never used.
- one pull of a name at a time (`cache.lock`), across processes; temp files of killed
  pulls are removed on the next run.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from advisor.catalog import cache
from advisor.catalog.urls import LOOPBACK_NAMES, check_url, is_loopback, redact  # noqa: F401 - re-exported
from advisor.catalog.urls import next_hop as _next_hop
from advisor.catalog.validate import check_file
from advisor.errors import AdvisorError, CatalogError, Problem, RemoteError

DEFAULT_CONNECT_TIMEOUT_S = 5.0
DEFAULT_READ_TIMEOUT_S = 10.0
DEFAULT_DEADLINE_S = 60.0
DEFAULT_MAX_BYTES = 10_000_000
MAX_REDIRECTS = 5
REDIRECT_CODES = (301, 302, 303, 307, 308)

Warn = Callable[[str], None]
Check = Callable[[Path, str], list[str]]
"""check(downloaded file, url) -> lint warnings; raises CatalogError if it is not a valid catalog."""


@dataclass(frozen=True)
class Limits:
    """How long and how much one fetch may take."""

    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S
    read_timeout_s: float = DEFAULT_READ_TIMEOUT_S
    deadline_s: float = DEFAULT_DEADLINE_S
    """Overall wall-clock budget for all hops and the whole body."""
    max_bytes: int = DEFAULT_MAX_BYTES
    max_redirects: int = MAX_REDIRECTS

    def __post_init__(self):
        for name in ("connect_timeout_s", "read_timeout_s", "deadline_s"):
            value = getattr(self, name)
            if not (value > 0 and value < 86_400):
                raise RemoteError(f"{name.removesuffix('_s').replace('_', ' ')} must be more than 0 and less than 86400 seconds")
        if self.max_bytes < 1:
            raise RemoteError("max bytes must be at least 1")


@dataclass(frozen=True)
class Outcome:
    """What a pull or resolve did: `status` is "new", "updated", "unchanged" or "cached"."""

    name: str
    path: Path
    meta: dict
    status: str
    warnings: tuple[str, ...] = ()


def stderr_warning(message: str) -> None:
    print(f"advisor: warning: {message}", file=sys.stderr)


# fetching ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Fetched:
    """A body on disk (temp file, not yet validated) or a 304 (`temp` is None)."""

    temp: Path | None
    url: str
    sha256: str | None = None
    size: int | None = None
    etag: str | None = None
    last_modified: str | None = None


def _fetch(url: str, name: str, *, allow_http: bool, limits: Limits, conditional: dict) -> _Fetched:
    """GET with manual redirects; the body streamed to a temp file. Raises RemoteError."""
    import httpx

    from advisor import __version__

    started = time.monotonic()
    deadline_at = started + limits.deadline_s
    headers = {
        "User-Agent": f"advisor/{__version__}",
        "Accept": "application/toml, text/plain;q=0.9, */*;q=0.1",
        **conditional,
    }
    current = url
    try:
        for _hop in range(limits.max_redirects + 1):
            check_url(current, allow_http=allow_http)
            remaining = deadline_at - time.monotonic()
            if remaining <= 0:
                raise RemoteError(f"{url}: no answer within the overall limit of {limits.deadline_s:g} s")
            timeout = httpx.Timeout(
                connect=min(limits.connect_timeout_s, remaining), read=min(limits.read_timeout_s, remaining),
                write=min(limits.read_timeout_s, remaining), pool=min(limits.connect_timeout_s, remaining),
            )
            # Proxies from the environment are for the outside world, not for loopback.
            trust_env = not is_loopback(urlsplit(current).hostname)
            with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=trust_env) as client:
                with client.stream("GET", current, headers=headers) as response:
                    status = response.status_code
                    if status in REDIRECT_CODES:
                        current = _next_hop(current, response.headers.get("location"), allow_http=allow_http)
                        continue
                    if status == 304:
                        return _Fetched(None, current, etag=response.headers.get("etag"),
                                        last_modified=response.headers.get("last-modified"))
                    if status != 200:
                        reason = response.reason_phrase or ""
                        raise RemoteError(f"{current}: HTTP {status}{' ' + reason if reason else ''}")
                    return _receive(response, current, name, limits, deadline_at)
        raise RemoteError(f"{url}: too many redirects (more than {limits.max_redirects})")
    except httpx.ConnectTimeout:
        raise RemoteError(f"{current}: could not connect within {limits.connect_timeout_s:g} s") from None
    except httpx.ReadTimeout:
        raise RemoteError(f"{current}: the server sent nothing for {limits.read_timeout_s:g} s") from None
    except httpx.TimeoutException:
        raise RemoteError(f"{current}: timed out") from None
    except httpx.ConnectError as exc:
        raise RemoteError(f"{current}: cannot connect ({_reason(exc)})") from None
    except httpx.RemoteProtocolError as exc:
        raise RemoteError(f"{current}: incomplete or malformed response ({_reason(exc)})") from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise RemoteError(f"{current}: {type(exc).__name__}: {_reason(exc)}") from None
    except OSError as exc:
        raise RemoteError(f"{current}: {exc.strerror or exc}") from None


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _receive(response, url: str, name: str, limits: Limits, deadline_at: float) -> _Fetched:
    """Stream the body to a fsynced temp file, cutting off at the size cap or the deadline."""
    announced: int | None = None
    raw_length = response.headers.get("content-length")
    if raw_length is not None:
        try:
            announced = int(raw_length)
        except ValueError:
            raise RemoteError(f"{url}: bad Content-Length {raw_length!r}") from None
        if announced > limits.max_bytes:
            raise RemoteError(
                f"{url}: too large: the server announces {announced} bytes, "
                f"more than the limit of {limits.max_bytes} (--max-bytes)"
            )
    fd, temp = cache.temp_file(name)
    try:
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(fd, "wb") as fh:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limits.max_bytes:
                    raise RemoteError(
                        f"{url}: too large: more than {limits.max_bytes} bytes (--max-bytes); download stopped"
                    )
                if time.monotonic() > deadline_at:
                    raise RemoteError(
                        f"{url}: download took longer than the overall limit of {limits.deadline_s:g} s; stopped"
                    )
                digest.update(chunk)
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        received = response.num_bytes_downloaded
        if announced is not None and received != announced:
            raise RemoteError(f"{url}: truncated: received {received} of {announced} bytes")
    except BaseException:
        _unlink(temp)
        raise
    return _Fetched(temp, url, digest.hexdigest(), size, response.headers.get("etag"),
                    response.headers.get("last-modified"))


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


# validation ----------------------------------------------------------------------------------------

def _one_line(exc: AdvisorError) -> str:
    if isinstance(exc, CatalogError) and exc.problems:
        first = exc.problems[0].format()
        more = len(exc.problems) - 1
        return f"the new version is not a valid catalog: {first}" + (f" (and {more} more)" if more else "")
    return str(exc)


# pull and resolve ----------------------------------------------------------------------------------

def _conditional(cached: cache.Cached | None) -> dict:
    """Revalidation headers, only for an intact copy (a damaged one is fetched whole)."""
    if cached is None or not cached.usable:
        return {}
    out = {}
    if cached.meta.get("etag"):
        out["If-None-Match"] = cached.meta["etag"]
    if cached.meta.get("last_modified"):
        out["If-Modified-Since"] = cached.meta["last_modified"]
    return out


def _fetch_into_cache(
    url: str, name: str, cached: cache.Cached | None, *, allow_http: bool, limits: Limits,
    expected_sha256: str | None, check: Check,
) -> Outcome:
    started = time.monotonic()
    conditional = _conditional(cached)
    if expected_sha256 and cached is not None and cached.meta.get("sha256") != expected_sha256:
        conditional = {}  # the copy we hold is not the one asked for: fetch the body
    fetched = _fetch(url, name, allow_http=allow_http, limits=limits, conditional=conditional)
    checked_at = cache.now_iso()
    if fetched.temp is None:  # 304
        if cached is None or not cached.usable or not conditional:
            raise RemoteError(f"{url}: HTTP 304 Not Modified, but there is no intact cached copy to keep")
        changes = {"checked_at": checked_at}
        if fetched.etag:
            changes["etag"] = fetched.etag
        if fetched.last_modified:
            changes["last_modified"] = fetched.last_modified
        kept = cache.touch(cached, **changes)
        return Outcome(name, kept.path, kept.meta, "unchanged")
    try:
        if expected_sha256 and fetched.sha256 != expected_sha256:
            raise RemoteError(
                f"{url}: sha256 mismatch: expected {expected_sha256}, got {fetched.sha256}; not cached"
            )
        warnings = check(fetched.temp, url)
        if time.monotonic() - started > limits.deadline_s:
            raise RemoteError(
                f"{url}: download, parse and validation took longer than the overall limit of "
                f"{limits.deadline_s:g} s; not cached"
            )
        meta = {
            "name": name, "url": url, "final_url": fetched.url, "etag": fetched.etag,
            "last_modified": fetched.last_modified, "sha256": fetched.sha256, "size": fetched.size,
            "fetched_at": checked_at, "checked_at": checked_at,
        }
        status = "new" if cached is None else (
            "unchanged" if cached.meta.get("sha256") == fetched.sha256 and cached.usable else "updated"
        )
        stored = cache.store(name, fetched.temp, meta)
    except BaseException:
        _unlink(fetched.temp)
        raise
    return Outcome(name, stored.path, stored.meta, status, tuple(warnings))


def _check_sha256(value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip().lower()
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise RemoteError(f"--sha256 must be 64 hex digits, got {value!r}")
    return text


def _name_for(url: str) -> str:
    try:
        return cache.name_for_url(url)
    except OSError as exc:
        raise RemoteError(f"{url}: cannot read the catalog cache in {cache.cache_dir()}: {exc.strerror or exc}") from None


def _locked(name: str, limits: Limits):
    """The lock of `name` for one pull, waiting at most about one other pull's deadline."""
    return cache.lock(name, timeout_s=limits.deadline_s + limits.read_timeout_s + 5)


def pull(
    url: str, *, name: str | None = None, sha256: str | None = None, allow_http: bool = False,
    limits: Limits | None = None, check: Check | None = None,
) -> Outcome:
    """Fetch (or revalidate) `url`, validate it with `check`, and cache it under `name`.

    Never falls back: any failure raises RemoteError / CatalogError and leaves the
    cached copy byte for byte as it was. Pulls of one name are serialised across processes.
    """
    check_url(url, allow_http=allow_http)
    expected = _check_sha256(sha256)
    if name is None:
        name = _name_for(url)
    else:
        try:
            cache.check_name(name)
        except ValueError as exc:
            raise RemoteError(str(exc)) from None
    limits = limits or Limits()
    try:
        with _locked(name, limits):
            cache.clean(name)
            cached = cache.read(name)
            if cached is not None and cached.url not in (None, url):
                cached = None  # same name, another URL: replace it outright, no revalidation
            return _fetch_into_cache(url, name, cached, allow_http=allow_http, limits=limits,
                                     expected_sha256=expected, check=check or check_file)
    except cache.LockTimeout as exc:
        raise RemoteError(f"{url}: {exc}; try again") from None
    except OSError as exc:
        raise RemoteError(f"{url}: cannot write the catalog cache in {cache.cache_dir()}: {exc.strerror or exc}") from None


def resolve(
    url: str, *, allow_http: bool = False, limits: Limits | None = None, warn: Warn | None = None,
    check: Check | None = None,
) -> Path:
    """The local path of `url`'s catalog: fetched or revalidated, else the last good copy.

    A refused URL (plain http to a non-loopback host without `allow_http`) is an error
    even when a copy is cached. If fetching fails, an intact cached copy is used with a
    warning naming its age; a damaged copy is never used; with none, RemoteError (or the
    CatalogError listing what is wrong with the new version).
    """
    check_url(url, allow_http=allow_http)
    warn = warn or stderr_warning
    limits = limits or Limits()
    name = _name_for(url)
    cached = None
    try:
        with _locked(name, limits):
            cache.clean(name)
            cached = cache.read(name)
            outcome = _fetch_into_cache(url, name, cached, allow_http=allow_http, limits=limits,
                                        expected_sha256=None, check=check or check_file)
    except Exception as exc:  # any failure of any kind: the last good copy, if there is one
        if cached is None:
            try:
                cached = cache.read(name, wait_s=1.0)
            except OSError:
                cached = None
        reason = _one_line(exc) if isinstance(exc, AdvisorError) else f"{type(exc).__name__}: {exc}"[:300]
        if isinstance(exc, cache.LockTimeout):
            reason = str(exc)
        if cached is not None and cached.usable:
            when = cached.meta.get("checked_at") or cached.meta.get("fetched_at")
            if url not in reason:
                reason = f"{url}: {reason}"
            warn(f"using cached copy of {name} from {cache.age_words(when)}: {reason}")
            return cached.path
        if cached is not None:
            raise RemoteError(
                f"the cached copy of {name} cannot be used ({cached.detail}) "
                f"and fetching it again failed: {reason}"
            ) from None
        if isinstance(exc, CatalogError):
            raise
        raise RemoteError(f"{reason}; there is no cached copy to fall back on" + ("" if url in reason else f" ({url})")) from None
    if cached is not None and not cached.usable:
        warn(f"the cached copy of {name} was damaged ({cached.detail}); fetched it again")
    return outcome.path
