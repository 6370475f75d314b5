"""Local stand-ins for Iglu's services, with fault injection; nothing leaves 127.0.0.1.

- :class:`IgluServerFake` follows Iglu Server's published API (snowplow/iglu-server:
  ``service/SchemaService.scala``, ``model/VersionCursor.scala``, ``model/IgluResponse.scala``,
  ``middleware/PermissionMiddleware.scala``, ``model/Schema.scala``); the source of each rule
  is noted beside it.
- :class:`StaticSite` serves a static repository folder over HTTP, as a web server or an S3
  website would.
- :func:`moto_s3` runs moto's S3 server, and :class:`FaultProxy` sits in front of it to inject
  S3's own faults (503 SlowDown, 500 InternalError, dropped connections, slow answers).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

SELF_DESC = "http://iglucentral.com/schemas/com.snowplowanalytics.self-desc/schema/jsonschema/1-0-0#"
SCHEMAVER = re.compile(r"^([1-9][0-9]*)-(0|[1-9][0-9]*)-(0|[1-9][0-9]*)$")


@dataclass
class Fault:
    kind: str                 # "429" | "500" | "503" | "drop" | "slow"
    times: int = 1
    path: str = ""            # only requests whose path contains this
    method: str = ""
    seconds: float = 0.0


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(status: int, body: Any) -> Reply:
    return Reply(status, json.dumps(body).encode(), {"Content-Type": "application/json"})


class FaultyServer:
    """A threaded HTTP server on 127.0.0.1 whose subclasses answer ``handle(...)``; faults first."""

    fault_replies = {
        "429": lambda: Reply(429, b'{"message":"Too many requests"}', {"Retry-After": "1"}),
        "500": lambda: Reply(500, b'{"message":"Internal server error"}'),
        "503": lambda: Reply(503, b'{"message":"Service unavailable"}'),
    }

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.log: list[tuple[str, str, dict[str, str]]] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as separate writes

            def log_message(self, *args):
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                with fake._lock:
                    fake.log.append((self.command, parts.path, dict(self.headers)))
                fault = fake.take_fault(self.command, parts.path)
                if fault and fault.kind == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if fault and fault.kind == "slow":
                    time.sleep(fault.seconds)
                if fault and fault.kind in fake.fault_replies:
                    reply = fake.fault_replies[fault.kind]()
                else:
                    reply = fake.handle(self.command, parts.path, parse_qs(parts.query), self.headers, raw, self.path)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _serve

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.path in path and (not fault.method or fault.method == method):
                    fault.times -= 1
                    return fault
        return None

    def requests(self, method: str | None = None) -> list[tuple[str, str, dict[str, str]]]:
        return [entry for entry in self.log if method is None or entry[0] == method]

    def handle(self, method: str, path: str, query: dict[str, list[str]], headers, body: bytes,
               target: str) -> Reply:
        raise NotImplementedError

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@dataclass
class Key:
    """An API key: a vendor prefix and what it may do (``Permission`` in iglu-server)."""

    vendor_prefix: str = "*"
    read: bool = True
    create: bool = False
    master: bool = False

    def can_read(self, vendor: str) -> bool:
        return self.master or (self.read and (self.vendor_prefix == "*" or vendor.startswith(self.vendor_prefix)))

    def can_create(self, vendor: str) -> bool:
        return self.master or (self.create and (self.vendor_prefix == "*" or vendor.startswith(self.vendor_prefix)))


NOOP = Key(read=False)   # no apikey header: public schemas only (PermissionMiddleware: Permission.Noop)


class IgluServerFake(FaultyServer):
    """Iglu Server's ``/api/schemas`` routes, strict where the real server is."""

    def __init__(self, patches_allowed: bool = False) -> None:
        super().__init__()
        self.keys: dict[str, Key] = {}
        self.patches_allowed = patches_allowed
        # (vendor, name, format, version) -> {"body": ..., "isPublic": bool, "createdAt": str}
        self.schemas: dict[tuple[str, str, str, str], dict[str, Any]] = {}

    def add_key(self, key: Key) -> str:
        value = str(uuid.uuid4())
        self.keys[value] = key
        return value

    # PermissionMiddleware.getApiKey / badRequestHandler: a malformed key is 400, an unknown one 404.
    def _permission(self, headers) -> Key | Reply:
        value = headers.get("apikey")
        if value is None:
            return NOOP
        try:
            parsed = str(uuid.UUID(value))
        except ValueError:
            return json_reply(400, {"message": f"Error parsing apikey HTTP header. Invalid UUID string: {value}"})
        if parsed not in self.keys:
            return json_reply(404, {"message": "The schema is not found"})
        return self.keys[parsed]

    # model/Schema.scala: the canonical representation is $schema, self, then the body.
    def canonical(self, key: tuple[str, str, str, str]) -> dict[str, Any]:
        vendor, name, fmt, version = key
        return {"$schema": SELF_DESC, "self": {"vendor": vendor, "name": name, "format": fmt, "version": version},
                **self.schemas[key]["body"]}

    def _repr(self, key, repr_: str):
        if repr_ == "uri":
            return "iglu:" + "/".join(key)
        if repr_ == "meta":
            item = self.canonical(key)
            item.pop("$schema")
            return {"self": item.pop("self"), "metadata": {"createdAt": self.schemas[key]["createdAt"],
                                                            "updatedAt": self.schemas[key]["createdAt"],
                                                            "isPublic": self.schemas[key]["isPublic"]}, **item}
        return self.canonical(key)

    def _readable(self, permission: Key):
        return [k for k in sorted(self.schemas, key=_order)
                if self.schemas[k]["isPublic"] or permission.can_read(k[0])]

    def handle(self, method, path, query, headers, body, target) -> Reply:
        if path == "/api/meta/health":
            return Reply(200, b"OK", {"Content-Type": "text/plain"})
        if not path.startswith("/api/schemas"):
            return json_reply(404, {"message": "The endpoint does not exist"})
        permission = self._permission(headers)
        if isinstance(permission, Reply):
            return permission
        parts = [p for p in path[len("/api/schemas"):].split("/") if p]
        repr_ = (query.get("repr") or [""])[0].lower()
        is_public = (query.get("isPublic") or ["false"])[0].lower() == "true"
        if method == "GET" and len(parts) == 4:  # getSchema, reprCanonical by default
            key = tuple(parts)
            held = self.schemas.get(key)
            if held and (held["isPublic"] or permission.can_read(key[0])):
                return json_reply(200, self._repr(key, repr_ or "canonical"))
            return json_reply(404, {"message": "The schema is not found"})
        if method == "GET" and len(parts) < 4:  # listSchemas / by vendor / by name, reprUri by default
            keys = [k for k in self._readable(permission) if list(k[:len(parts)]) == parts]
            if parts and not keys:
                return json_reply(404, {"message": "No schemas available"})
            return json_reply(200, [self._repr(k, repr_ or "uri") for k in keys])
        if method == "DELETE":
            if permission.master and self.patches_allowed:
                self.schemas.pop(tuple(parts), None)
                return json_reply(200, {"message": "Schema deleted"})
            if permission.master:
                return json_reply(405, {"message": "DELETE is forbidden on production registry"})
            return json_reply(401, {"message": "Not enough permissions"})
        if method in ("PUT", "POST"):
            try:
                doc = json.loads(body)
            except ValueError:
                return json_reply(400, {"message": "Cannot decode JSON schema"})
            if not isinstance(doc, dict):
                return json_reply(400, {"message": "Cannot decode JSON schema"})
            self_block = doc.get("self")
            if method == "POST" or isinstance(self_block, dict):
                if not isinstance(self_block, dict):
                    return json_reply(400, {"message": "Cannot decode JSON schema"})
                key = tuple(self_block.get(k) for k in ("vendor", "name", "format", "version"))
                if method == "PUT" and key != tuple(parts):  # SchemaService.putSchema: SchemaMismatch
                    return json_reply(400, {"uriSchemaKey": "iglu:" + "/".join(parts),
                                            "payloadSchemaKey": "iglu:" + "/".join(map(str, key)),
                                            "message": "Mismatch: the schema metadata does not match the payload "
                                                       "and URI"})
            else:
                key = tuple(parts)
            if len(key) != 4 or not all(isinstance(k, str) for k in key) or not SCHEMAVER.match(key[3]):
                return json_reply(400, {"message": "Cannot decode JSON schema"})
            return self._add(key, {k: v for k, v in doc.items() if k not in ("self", "$schema")}, is_public,
                             permission)
        return json_reply(404, {"message": "The endpoint does not exist"})

    # SchemaService.addSchema + isSchemaAllowed + VersionCursor.isAllowed.
    def _add(self, key, body, is_public: bool, permission: Key) -> Reply:
        if not permission.can_create(key[0]):
            return json_reply(403, {"message": "Authentication error: not authorized"})
        family = [k for k in self.schemas if k[:2] == key[:2]]
        previous_public = all(self.schemas[k]["isPublic"] for k in family)
        if family and previous_public != is_public:
            return json_reply(409, {"message": "Inconsistent schema availability. Cannot add "
                                               f"{'public' if is_public else 'private'} schema, previous versions "
                                               f"are {'public' if previous_public else 'private'}"})
        existing = [tuple(int(p) for p in k[3].split("-")) for k in family]
        version = tuple(int(p) for p in key[3].split("-"))
        if version in existing and not self.patches_allowed:
            return json_reply(409, {"message": "Schema already exists"})
        if not _previous_exists(existing, version):
            return json_reply(409, {"message": "Preceding SchemaVer in the group is missing, check that schemas "
                                               "published in proper order"})
        updated = key in self.schemas
        self.schemas[key] = {"body": body, "isPublic": is_public, "createdAt": "2026-11-25T12:00:00Z"}
        return json_reply(200 if updated else 201, {
            "message": "Schema updated" if updated else "Schema created", "updated": updated,
            "location": "iglu:" + "/".join(key), "status": 200 if updated else 201})


def _order(key):
    return key[0], key[1], key[2], tuple(int(p) for p in key[3].split("-"))


def _previous_exists(existing: list[tuple[int, int, int]], version: tuple[int, int, int]) -> bool:
    model, revision, addition = version
    if version == (1, 0, 0):
        return True
    if revision == 0 and addition == 0:
        return any(m == model - 1 for m, _, _ in existing)
    if addition == 0:
        return any(m == model and r == revision - 1 for m, r, _ in existing)
    return any(m == model and r == revision and a == addition - 1 for m, r, a in existing)


class StaticSite(FaultyServer):
    """A static repository folder served over HTTP: GET of ``/schemas/...`` files, 404 otherwise."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root.resolve()

    def handle(self, method, path, query, headers, body, target) -> Reply:
        if method not in ("GET", "HEAD"):
            return Reply(405, b"")
        target = (self.root / path.lstrip("/")).resolve()
        if self.root not in target.parents or not target.is_file():
            return Reply(404, b"<html>Not Found</html>", {"Content-Type": "text/html"})
        return Reply(200, target.read_bytes(), {"Content-Type": "application/json"})


class FaultProxy(FaultyServer):
    """Forwards every request to ``target`` (moto's S3), unless a fault answers first in S3's own words."""

    fault_replies = {
        "503": lambda: Reply(503, b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
                                  b"<Message>Please reduce your request rate.</Message></Error>",
                             {"Content-Type": "application/xml"}),
        "500": lambda: Reply(500, b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code>'
                                  b"<Message>We encountered an internal error. Please try again.</Message></Error>",
                             {"Content-Type": "application/xml"}),
    }

    def __init__(self, target: str) -> None:
        super().__init__()
        parts = urlsplit(target)
        self.target = (parts.hostname, parts.port)

    def handle(self, method, path, query, headers, body, target) -> Reply:
        conn = http.client.HTTPConnection(*self.target, timeout=30)
        try:
            conn.request(method, target, body=body,
                         headers={k: v for k, v in headers.items() if k.lower() != "connection"})
            response = conn.getresponse()
            data = response.read()
            return Reply(response.status, data, {k: v for k, v in response.getheaders()
                                                 if k.lower() not in ("content-length", "connection",
                                                                      "transfer-encoding")})
        finally:
            conn.close()


@contextlib.contextmanager
def moto_s3():
    """moto's S3 server on 127.0.0.1 (an ephemeral port), stopped on exit; yields its URL."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()
