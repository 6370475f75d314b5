"""A threaded local HTTP server for registry fakes, with fault injection.

Faults: ``429`` (headers and body configurable, so Retry-After, X-RateLimit-Reset and
msBeforeNext can each be tested alone), ``500``, ``drop`` (connection closed before any
answer), ``drop-after`` (the request IS processed, then the connection is closed: what a
client sees when a gateway times out after the server did the work), ``500-after`` (same,
with a 502/500 answer) and ``slow``.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from tests.integration.registry_contracts import MAX_REQUEST_LINE


@dataclass
class Fault:
    kind: str                 # "429" | "500" | "drop" | "drop-after" | "500-after" | "slow"
    times: int = 1
    path: str = ""            # only requests whose path contains this
    method: str = ""
    query: str = ""           # only requests whose query contains this
    seconds: float = 0.0
    headers: dict[str, str] | None = None
    body: Any = None


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Logged:
    method: str
    path: str
    query: str
    at: float
    body: Any = None
    request_line: int = 0

    def __iter__(self):  # (method, path, query, at) unpacking, as the older tests used
        return iter((self.method, self.path, self.query, self.at))

    def __getitem__(self, index):
        return (self.method, self.path, self.query, self.at)[index]


DEFAULT_429_BODY = {"errors": [{"type": "RequestError", "message": "Too many requests",
                                "data": {"remainingPoints": 0, "msBeforeNext": 1000, "consumedPoints": 21}}]}


class FakeServer:
    """Subclasses implement ``handle(method, path, query, headers, body) -> Reply``."""

    max_request_line = MAX_REQUEST_LINE

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.log: list[Logged] = []
        self.redirect_to: str | None = None   # answer every request with a 308 to this base URL
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw
                line = len(self.requestline)
                fake.log.append(Logged(self.command, parts.path, parts.query, time.monotonic(), body, line))
                fault = fake._take_fault(self.command, parts.path, parts.query)
                if fault and fault.kind == "drop":
                    return self._drop()
                if fault and fault.kind == "slow":
                    time.sleep(fault.seconds)
                if fake.redirect_to:
                    reply = Reply(308, None, {"Location": fake.redirect_to + self.path})
                elif line > fake.max_request_line:
                    reply = Reply(414, {"errors": [{"type": "URITooLong", "message": "URI Too Long"}]})
                elif fault and fault.kind == "429":
                    reply = Reply(429, DEFAULT_429_BODY if fault.body is None else fault.body,
                                  {"Retry-After": "1"} if fault.headers is None else fault.headers)
                elif fault and fault.kind == "500":
                    reply = Reply(500, {"errors": [{"type": "server", "message": "Internal server error"}]})
                else:
                    with fake._lock:
                        reply = fake.handle(self.command, parts.path, parts.query, self.headers, raw)
                    if fault and fault.kind == "drop-after":
                        return self._drop()
                    if fault and fault.kind == "500-after":
                        reply = Reply(502, {"errors": [{"type": "server", "message": "Bad gateway"}]})
                self._send(reply)

            def _drop(self) -> None:
                self.close_connection = True
                self.connection.shutdown(2)

            def _send(self, reply: Reply) -> None:
                data = b"" if reply.body is None else json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _take_fault(self, method: str, path: str, query: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.path in path and (not fault.method or fault.method == method) \
                        and fault.query in query:
                    fault.times -= 1
                    return fault
        return None

    def requests(self, method: str | None = None) -> list[Logged]:
        return [r for r in self.log if method is None or r.method == method]

    def writes(self) -> list[Logged]:
        return [r for r in self.log if r.method in ("POST", "PUT", "PATCH", "DELETE")]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, method, path, query, headers, body) -> Reply:  # pragma: no cover - overridden
        raise NotImplementedError
