"""A real HTTP server on 127.0.0.1, in a thread, whose answers each test scripts.

    server.route("/x.toml", body=b"...", etag='"v1"')           # 200, or 304 on a matching If-None-Match
    server.route("/gone.toml", status=404)
    server.route("/custom", handler=lambda h: ...)               # full control over the BaseHTTPRequestHandler
    server.url("/x.toml"); server.requests  # [(path, headers dict)] in arrival order

No outside network is touched. Stalling handlers wait on `server.release`, which is set
when the server stops, so no thread outlives the test.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    handler: Callable[[BaseHTTPRequestHandler], None] | None = None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format, *args):  # quiet
        pass

    def do_GET(self):
        owner = self.server.owner
        path = self.path.split("?", 1)[0]
        owner.requests.append((path, {k.lower(): v for k, v in self.headers.items()}))
        route = owner.routes.get(path)
        if route is None:
            self._send(404, b"not found\n", {})
            return
        if route.handler is not None:
            route.handler(self)
            return
        if route.etag is not None and self.headers.get("If-None-Match") == route.etag:
            self.send_response(304)
            self.send_header("ETag", route.etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        headers = dict(route.headers)
        if route.etag is not None:
            headers.setdefault("ETag", route.etag)
        self._send(route.status, route.body, headers)

    def _send(self, status: int, body: bytes, headers: dict[str, str]):
        self.send_response(status)
        if not any(k.lower() == "content-length" for k in headers):
            self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: CatalogServer

    def handle_error(self, request, client_address):
        pass  # a client hanging up mid-body is what several tests do on purpose; stay quiet


class CatalogServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.release = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self) -> CatalogServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=2)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, **kwargs) -> Route:
        route = Route(**kwargs)
        self.routes[path] = route
        return route

    def paths_requested(self) -> list[str]:
        return [path for path, _ in self.requests]
