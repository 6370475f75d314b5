"""Issue 9 §3, network part: nothing waits forever, nothing loops forever, nothing leaves http(s).

Each case runs the CLI (in-process, for speed) against a scripted local server (127.0.0.1 only)
and asserts, with the corpus harness's checks, the exit code, exactly one error line naming the
problem, no traceback, unchanged user files, and a bounded wall time.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

import pytest
import yaml

from tests.adversarial.harness import Outcome, assert_no_traceback, assert_one_error, assert_unchanged, snapshot
from tests.helpers import make_project

TOKEN = "sgp_adversarial_token_42"
PLANS = {"data": {"trackingPlans": [{"id": "tp_1", "name": "web", "slug": "web", "type": "LIVE"}],
                  "pagination": {"current": "MA=="}}}
RULE = {"type": "TRACK", "key": "Signed Up", "version": 1, "jsonSchema": {"properties": {"properties": {
    "type": "object", "properties": {"plan": {"type": "string"}}}}}}


def _rules(next_cursor: str | None, rules: list | None = None) -> dict[str, Any]:
    pagination = {"current": "MA==", **({"next": next_cursor} if next_cursor else {})}
    return {"data": {"rules": [RULE] if rules is None else rules, "pagination": pagination}}


@dataclass
class Answer:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class ScriptedServer:
    """Answers ``GET /tracking-plans`` with one plan and ``/rules`` from ``script(n, query)``."""

    def __init__(self, script: Callable[[int, str], Answer]):
        self.hits: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                path, _, query = self.path.partition("?")
                server.hits.append(self.path)
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    answer = Answer(401, {"errors": [{"type": "unauthorized", "message": "Unauthorized"}]})
                elif path == "/tracking-plans":
                    answer = Answer(200, PLANS)
                else:
                    answer = script(sum(1 for h in server.hits if "/rules" in h), query)
                time.sleep(answer.delay)
                data = json.dumps(answer.body).encode() if answer.body is not None else b""
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in answer.headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _http_date(seconds_from_now: float) -> str:
    return format_datetime(datetime.now(timezone.utc) + timedelta(seconds=seconds_from_now), usegmt=True)


def _rate_limited(headers: dict[str, str], then_ok_after: int = 1) -> Callable[[int, str], Answer]:
    def script(n: int, query: str) -> Answer:
        if n <= then_ok_after:
            return Answer(429, {"errors": [{"type": "RateLimited", "message": "Rate limit exceeded"}]}, headers)
        return Answer(200, _rules(None))
    return script


def _limited_body(ms: Any) -> Callable[[int, str], Answer]:
    def script(n: int, query: str) -> Answer:
        if n <= 1:
            return Answer(429, {"errors": [{"type": "RequestError", "message": "Too many requests",
                                            "data": {"remainingPoints": 0, "msBeforeNext": ms}}]})
        return Answer(200, _rules(None))
    return script


def _cursor_loop_of_two(n: int, query: str) -> Answer:
    return Answer(200, _rules("b" if "cursor%5D=a" in query or "cursor" not in query else "a"))


def _cursor_not_a_string(n: int, query: str) -> Answer:
    return Answer(200, _rules(12345))  # type: ignore[arg-type]


def _no_rules_list(n: int, query: str) -> Answer:
    return Answer(200, {"data": {"rules": {"not": "a list"}, "pagination": {"current": "MA=="}}})


def _server_error_with_long_retry_after(n: int, query: str) -> Answer:
    return Answer(503, {"errors": [{"type": "server", "message": "Service Unavailable"}]}, {"Retry-After": "3600"})


def _repeat_cursor(n: int, query: str) -> Answer:
    return Answer(200, _rules("Mg=="))  # always points at the same next page


def _endless_empty(n: int, query: str) -> Answer:
    return Answer(200, _rules(f"c{n}", rules=[]))  # new cursor, empty page, forever


def _slow(n: int, query: str) -> Answer:
    return Answer(200, _rules(f"c{n}" if n < 3 else None), delay=0.6)


@dataclass
class Case:
    id: str
    script: Callable[[int, str], Answer] | None
    expect: str                         # the one error line must contain this ("" = success)
    exit_code: int = 2
    entry: dict[str, Any] = field(default_factory=dict)
    max_seconds: float = 20.0  # bounds 'never waits for a day', with room for a loaded CI machine
    forbidden: tuple[str, ...] = ("Traceback", "urllib3", "object at 0x", "HTTPConnection")


CASES = [
    Case("retry-after-a-day", _rate_limited({"Retry-After": "86400"}), "wait 86400 s (Retry-After)"),
    Case("retry-after-beyond-deadline", _rate_limited({"Retry-After": "30"}), "wait 30 s (Retry-After), more than",
         entry={"deadline": 5}),
    Case("retry-after-http-date-far", _rate_limited({"Retry-After": _http_date(7200)}), "(Retry-After), more than"),
    Case("retry-after-http-date-past", _rate_limited({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}), "", 0),
    Case("retry-after-http-date-soon", _rate_limited({"Retry-After": _http_date(1)}), "", 0),
    Case("retry-after-garbage", _rate_limited({"Retry-After": "soon, maybe"}), "", 0),
    Case("retry-after-negative", _rate_limited({"Retry-After": "-5"}), "", 0),
    Case("retry-after-nan", _rate_limited({"Retry-After": "nan"}), "", 0),
    Case("retry-after-huge-number", _rate_limited({"Retry-After": "1e308"}), "(Retry-After), more than"),
    Case("ratelimit-reset-beyond-deadline", _rate_limited({"X-RateLimit-Reset": _http_date(3600)}),
         "(X-RateLimit-Reset), more than"),
    Case("ratelimit-reset-garbage", _rate_limited({"X-RateLimit-Reset": "Tue, 99 Foo"}), "", 0),
    Case("429-forever-without-hint", _rate_limited({}, then_ok_after=10_000), "deadline", entry={"deadline": 2}),
    Case("ms-before-next-beyond-deadline", _limited_body(86_400_000), "(msBeforeNext), more than"),
    Case("ms-before-next-garbage", _limited_body("soon"), "", 0),
    Case("ms-before-next-negative", _limited_body(-5), "", 0),
    Case("retry-after-two-values", _rate_limited({"Retry-After": "1, 2"}), "", 0),
    Case("retry-after-whitespace", _rate_limited({"Retry-After": "   "}), "", 0),
    Case("ratelimit-reset-epoch-far", _rate_limited({"X-RateLimit-Reset": "4102444800"}),
         "(X-RateLimit-Reset), more than"),
    Case("503-retry-after-beyond-deadline", _server_error_with_long_retry_after, "wait 3600 s (Retry-After)"),
    Case("repeated-cursor", _repeat_cursor, "cursor 'Mg==' a second time"),
    Case("cursor-loop-of-two", _cursor_loop_of_two, "a second time"),
    Case("cursor-not-a-string", _cursor_not_a_string, "cursor that is not a string"),
    Case("rules-not-a-list", _no_rules_list, "answered without a 'rules' list"),
    Case("scheme-javascript", None, "is not an http:// or https:// URL", entry={"base_url": "javascript:alert(1)"}),
    Case("scheme-data", None, "is not an http:// or https:// URL", entry={"base_url": "data:text/plain,x"}),
    Case("scheme-ws", None, "is not an http:// or https:// URL", entry={"base_url": "ws://127.0.0.1:1"}),
    Case("endless-empty-pages", _endless_empty, "empty pages in a row"),
    Case("deadline-with-slow-server", _slow, "deadline", entry={"deadline": 1, "timeout": 5}),
    Case("scheme-file", None, "is not an http:// or https:// URL", entry={"base_url": "file:///etc/passwd"}),
    Case("scheme-ftp", None, "is not an http:// or https:// URL", entry={"base_url": "ftp://127.0.0.1/x"}),
    Case("scheme-gopher", None, "is not an http:// or https:// URL", entry={"base_url": "gopher://127.0.0.1:70"}),
    Case("scheme-missing", None, "is not an http:// or https:// URL", entry={"base_url": "127.0.0.1:8080"}),
    Case("scheme-no-host", None, "is not an http:// or https:// URL", entry={"base_url": "http://"}),
    Case("connection-refused", None, "port {closed_port} (connection refused)", entry={"retries": 1}),
]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def only_localhost(monkeypatch):
    """Fail on any connection to anything but 127.0.0.1."""
    real = socket.socket.connect

    def connect(self, address):
        if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "localhost"):
            raise AssertionError(f"unexpected connection to {address}")
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_network_case(cli, tmp_path, only_localhost, case):
    server = ScriptedServer(case.script) if case.script else None
    closed = _closed_port()
    try:
        root = make_project(tmp_path / "p", {})
        entry = {"type": "segment", "api_token": TOKEN, "backoff": 0.05, "retries": 3,
                 "base_url": server.url if server else f"http://127.0.0.1:{closed}", **case.entry}
        (root / "reflekt_profiles.yml").write_text(yaml.safe_dump({"dev": {"registry": [entry], "source": []}}))
        before = snapshot(root)
        started = time.monotonic()
        run = cli(["pull", "--registry", "segment", "--select", "web"], cwd=root)
        elapsed = time.monotonic() - started
    finally:
        if server:
            server.stop()
    outcome = Outcome(run.exit_code, run.stdout, run.stderr, elapsed)
    output = run.stdout + run.stderr
    assert elapsed < case.max_seconds, f"took {elapsed:.1f} s"
    assert TOKEN not in output
    for word in case.forbidden:
        assert word not in output, output
    if case.exit_code:
        assert_one_error(outcome, [case.expect.format(closed_port=closed)], case.exit_code)
        assert_unchanged(before, root)
    else:
        assert outcome.code == 0, output
        assert_no_traceback(outcome)
        assert (root / "schemas/web/Signed_Up/1-0.json").exists()


@pytest.mark.parametrize("value,expected", [
    ("120", 120.0), ("0", 0.0), (" 7 ", 7.0), ("", None), ("soon", None), ("-1", None), ("inf", None),
    ("Wed, 25 Nov 2026 12:01:00 GMT", 60.0), ("Wednesday, 25-Nov-26 12:02:00 GMT", 120.0),
    ("Wed Nov 25 12:00:30 2026", 30.0), ("Wed, 25 Nov 2026 11:00:00 GMT", 0.0), ("Mon, 32 Foo 2026", None),
    ("1795608120", 120.0),  # epoch seconds (a reset timestamp)
])
def test_delay_parsing(value, expected):
    from reflekt_core.registries.limits import parse_delay

    now = datetime(2026, 11, 25, 12, 0, 0, tzinfo=timezone.utc)
    assert parse_delay(value, now=now) == expected


def test_segment_429_body_wait_is_read():
    from reflekt_core.registries.limits import server_wait

    body = {"errors": [{"type": "RequestError", "message": "Too many requests",
                        "data": {"remainingPoints": 0, "msBeforeNext": 57647, "consumedPoints": 21}}]}
    assert server_wait({}, body) == (57.647, "msBeforeNext")
    assert server_wait({"Retry-After": "3"}, body) == (57.647, "msBeforeNext")  # the longest wins
    assert server_wait({"Retry-After": "x"}, {"errors": [{"data": {"msBeforeNext": "soon"}}]}) is None
