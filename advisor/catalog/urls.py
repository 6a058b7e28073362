"""URL rules for remote catalogs: which URLs may be fetched, redirects, and URLs safe to show.

https only; plain http only to loopback hosts or with `allow_http`; never a URL with a user
name or password in it (they would be stored in the cache metadata and shown). Every
redirect hop is checked the same way before anything connects there, never https -> http.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from advisor.errors import RemoteError

LOOPBACK_NAMES = ("localhost",)


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def redact(url: str) -> str:
    """`url` without any user:password part, cut to 200 characters, for messages."""
    try:
        parts = urlsplit(url)
        if "@" in parts.netloc:
            url = parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]).geturl()
    except ValueError:
        url = url.split("@", 1)[-1] if "@" in url else url
    return url if len(url) <= 200 else url[:199] + "…"


def check_url(url: str, *, allow_http: bool) -> None:
    """Refuse a URL we must not connect to (RemoteError); returns if it is fine."""
    if len(url) > 8000 or any(c in url for c in "\x00\r\n\t "):
        raise RemoteError(f"{redact(url)}: not a valid URL (too long, or it holds spaces or control characters)")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise RemoteError(f"{redact(url)}: not a valid URL ({exc})") from None
    if "@" in parts.netloc:
        raise RemoteError(
            f"{redact(url)}: refusing a URL with a user name or password in it (they would be stored and shown); "
            "serve the catalog without credentials in the URL"
        )
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise RemoteError(f"{url}: only https URLs can be catalogs (got {scheme or 'no'} scheme)")
    if not host:
        raise RemoteError(f"{url}: the URL names no host")
    if scheme == "http" and not allow_http and not is_loopback(host):
        raise RemoteError(
            f"{url}: refusing plain http (only https, or http to 127.0.0.1/::1/localhost); "
            "pass --allow-http to allow it"
        )


def next_hop(current: str, location: str | None, *, allow_http: bool) -> str:
    """Where a redirect points, checked before anything connects there."""
    import httpx

    if not location:
        raise RemoteError(f"{current}: redirect without a Location header")
    try:
        target = str(httpx.URL(current).join(location))
    except (httpx.InvalidURL, ValueError) as exc:
        raise RemoteError(f"{current}: redirect to a bad URL {redact(location)!r} ({exc})") from None
    if urlsplit(current).scheme.lower() == "https" and urlsplit(target).scheme.lower() != "https":
        raise RemoteError(f"{current}: refusing a redirect from https to {redact(target)} (not https)")
    try:
        check_url(target, allow_http=allow_http)
    except RemoteError as exc:
        raise RemoteError(f"{current}: refusing redirect: {exc}") from None
    return target
