"""Local servers that follow the Segment Public API and Avo API contracts (shared/reference/contracts.md).

They are strict where the real services are (auth, envelopes, enums, the 200-rule limit,
DELETE rules in query form, opaque cursors, Avo's import rules) and can inject faults:
bursts of 429 (with Retry-After) or 500, a connection dropped before the response, or a
response slower than the client's timeout.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

RULE_TYPES = ("COMMON", "GROUP", "IDENTIFY", "PAGE", "SCREEN", "TRACK")
PLAN_TYPES = ("ENGAGE", "LIVE", "PROPERTY_LIBRARY", "RULE_LIBRARY", "TEMPLATE")
NOW = "2026-11-25T12:00:00.000Z"


@dataclass
class Fault:
    kind: str                 # "429" | "500" | "drop" | "slow"
    times: int = 1
    path: str = ""            # only requests whose path contains this
    method: str = ""
    query: str = ""           # only requests whose query contains this
    seconds: float = 0.0


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class FakeServer:
    """A threaded HTTP server; subclasses implement ``handle(method, path, query, headers, body)``."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.log: list[tuple[str, str, str, float]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                fake.log.append((self.command, parts.path, parts.query, time.monotonic()))
                fault = fake._take_fault(self.command, parts.path, parts.query)
                if fault and fault.kind == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if fault and fault.kind == "slow":
                    time.sleep(fault.seconds)
                if fault and fault.kind == "429":
                    reply = Reply(429, {"errors": [{"type": "RequestError", "message": "Too many requests",
                                                    "data": {"remainingPoints": 0, "msBeforeNext": 1000}}]},
                                  {"Retry-After": "1"})
                elif fault and fault.kind == "500":
                    reply = Reply(500, {"errors": [{"type": "server", "message": "Internal server error"}]})
                else:
                    reply = fake.handle(self.command, parts.path, parts.query, self.headers, raw)
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
        self._lock = threading.Lock()

    def _take_fault(self, method: str, path: str, query: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.path in path and (not fault.method or fault.method == method) \
                        and fault.query in query:
                    fault.times -= 1
                    return fault
        return None

    def requests(self, method: str | None = None) -> list[tuple[str, str, str, float]]:
        return [r for r in self.log if method is None or r[0] == method]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, method, path, query, headers, body) -> Reply:  # pragma: no cover - overridden
        raise NotImplementedError


def _pagination(query: str) -> tuple[int, int]:
    params = dict(parse_qsl(query))
    count = int(params.get("pagination[count]") or params.get("pagination.count") or 200)
    cursor = params.get("pagination[cursor]") or params.get("pagination.cursor")
    offset = int(base64.b64decode(cursor).decode()) if cursor else 0
    return count, offset


def _page(items: list, key: str, count: int, offset: int) -> dict[str, Any]:
    page = items[offset:offset + count]
    pagination: dict[str, Any] = {"current": base64.b64encode(str(offset).encode()).decode(),
                                  "totalEntries": len(items)}
    if offset + count < len(items):
        pagination["next"] = base64.b64encode(str(offset + count).encode()).decode()
    if offset > 0:
        pagination["previous"] = base64.b64encode(str(max(0, offset - count)).encode()).decode()
    return {"data": {key: page, "pagination": pagination}}


def _invalid(message: str, field_name: str) -> Reply:
    return Reply(422, {"errors": [{"type": "input-validation", "message": message, "field": field_name}]})


class FakeSegment(FakeServer):
    def __init__(self, token: str = "sgp_test_token_123456", max_rules: int = 200):
        super().__init__()
        self.token = token
        self.max_rules = max_rules
        self.plans: dict[str, dict[str, Any]] = {}
        self.rules: dict[str, list[dict[str, Any]]] = {}

    def add_plan(self, name: str, rules: list[dict[str, Any]] | None = None) -> str:
        plan_id = f"tp_{uuid.uuid4().hex[:24]}"
        self.plans[plan_id] = {"id": plan_id, "name": name, "slug": name.lower().replace(" ", "-"), "description": "",
                               "type": "LIVE", "createdAt": NOW, "updatedAt": NOW,
                               "resourceSchemaId": "rs_1yVwS3zy60dONy9UhCyDqMmVvAE"}
        self.rules[plan_id] = [self._stored(r) for r in rules or []]
        return plan_id

    @staticmethod
    def _stored(rule: dict[str, Any]) -> dict[str, Any]:
        stored = {k: copy.deepcopy(v) for k, v in rule.items() if k != "newKey"}
        stored.update({"createdAt": NOW, "updatedAt": NOW, "deprecatedAt": "0001-01-01T00:00:00.000Z"})
        return stored

    def _validate_rules(self, rules: Any) -> Reply | None:
        if not isinstance(rules, list):
            return _invalid('"rules" must be an array', "rules")
        if len(rules) > self.max_rules:
            return _invalid(f'"rules" must contain less than or equal to {self.max_rules} items', "rules")
        for n, rule in enumerate(rules):
            if rule.get("type") not in RULE_TYPES:
                return _invalid(f'"rules[{n}].type" must be one of [{", ".join(RULE_TYPES)}]', f"rules.{n}.type")
            if not isinstance(rule.get("version"), (int, float)):
                return _invalid(f'"rules[{n}].version" is required', f"rules.{n}.version")
            if "jsonSchema" not in rule:
                return _invalid(f'"rules[{n}].jsonSchema" is required', f"rules.{n}.jsonSchema")
        return None

    @staticmethod
    def _identity(rule: dict[str, Any]) -> tuple:
        return rule["type"], rule.get("key"), int(rule["version"])

    def handle(self, method, path, query, headers, body) -> Reply:
        if headers.get("Authorization") != f"Bearer {self.token}":
            return Reply(401, {"errors": [{"type": "unauthorized", "message": "Unauthorized: invalid or missing token"}]})
        data = json.loads(body) if body else None
        count, offset = _pagination(query)
        if count > 1000:
            return _invalid('"pagination.count" must be less than or equal to 1000', "pagination.count")
        if path == "/tracking-plans" and method == "GET":
            return Reply(200, _page(sorted(self.plans.values(), key=lambda p: p["name"]), "trackingPlans", count, offset))
        if path == "/tracking-plans" and method == "POST":
            if not isinstance(data, dict) or not data.get("name"):
                return _invalid('"name" is required', "name")
            if data.get("type") not in PLAN_TYPES:
                return _invalid(f'"type" must be one of [{", ".join(PLAN_TYPES)}]', "type")
            plan_id = self.add_plan(data["name"])
            self.plans[plan_id]["description"] = data.get("description", "")
            return Reply(200, {"data": {"trackingPlan": self.plans[plan_id]}})
        match = re.fullmatch(r"/tracking-plans/([^/]+)(/rules)?", path)
        if not match or match.group(1) not in self.plans:
            return Reply(404, {"errors": [{"type": "NotFound", "message": "Resource not found"}]})
        plan_id = match.group(1)
        if not match.group(2):
            return Reply(200, {"data": {"trackingPlan": self.plans[plan_id]}}) if method == "GET" else Reply(405)
        if method == "GET":
            return Reply(200, _page(self.rules[plan_id], "rules", count, offset))
        if method in ("PUT", "PATCH"):
            problem = self._validate_rules((data or {}).get("rules"))
            if problem:
                return problem
            if method == "PUT":
                self.rules[plan_id] = [self._stored(r) for r in data["rules"]]
            else:  # upsert by (type, key, version); newKey renames
                current = {self._identity(r): r for r in self.rules[plan_id]}
                for rule in data["rules"]:
                    stored = self._stored(rule)
                    if rule.get("newKey"):
                        current.pop(self._identity(rule), None)
                        stored["key"] = rule["newKey"]
                    current[self._identity(stored)] = stored
                self.rules[plan_id] = list(current.values())
            return Reply(200, {"data": {"status": "SUCCESS"}})
        if method == "DELETE":
            if body:
                return _invalid("DELETE takes the rules as query parameters", "rules")
            doomed: dict[str, dict[str, Any]] = {}
            for key, value in parse_qsl(query):
                found = re.fullmatch(r"rules(?:\[(\d+)\]|\.(\d+))(?:\[(\w+)\]|\.(\w+))", key)
                if found:
                    index = found.group(1) or found.group(2)
                    doomed.setdefault(index, {})[found.group(3) or found.group(4)] = value
            if not doomed:
                return _invalid('"rules" is required', "rules")
            keys = {(r["type"], r.get("key"), int(float(r["version"]))) for r in doomed.values()}
            self.rules[plan_id] = [r for r in self.rules[plan_id] if self._identity(r) not in keys]
            return Reply(200, {"data": {"status": "SUCCESS"}})
        return Reply(405)


class FakeAvo(FakeServer):
    def __init__(self, workspace: str, name: str, secret: str, export: dict[str, Any]):
        super().__init__()
        self.workspace = workspace
        self.auth = "Basic " + base64.b64encode(f"{name}:{secret}".encode()).decode()
        self.branches: dict[str, dict[str, Any]] = {"main": copy.deepcopy(export)}
        self.protected_main = False
        self.merged: set[str] = set()
        self.min_interval = 0.9
        self._last_request = 0.0

    def add_branch(self, branch_id: str) -> None:
        self.branches[branch_id] = {"name": f"Exported Tracking Plan: {branch_id}", "events": [], "metrics": {},
                                    "sources": {}, "destinations": {}, "categories": {}, "propertyGroups": {}}

    def handle(self, method, path, query, headers, body) -> Reply:
        now = time.monotonic()
        too_fast = now - self._last_request < self.min_interval
        self._last_request = now
        if too_fast:  # Avo soft-enforces one request per second per service account
            return Reply(429, {"error": "Too many requests"}, {"Retry-After": "1"})
        if headers.get("Authorization") != self.auth:
            return Reply(401, {"error": "Unauthorized"})
        match = re.fullmatch(rf"/workspaces/{re.escape(self.workspace)}/branches/([^/]+)/(export|import)/v1", path)
        if not match:
            return Reply(404, {"error": "Not found"})
        branch, action = match.groups()
        if branch not in self.branches:
            return Reply(404, {"error": "Branch not found"})
        params = dict(parse_qsl(query))
        if action == "export" and method == "GET":
            if params.get("payloadFormat", "jsonSchema") != "jsonSchema":
                return Reply(400, {"error": "Unsupported payloadFormat"})
            return Reply(200, self.branches[branch])
        if action != "import" or method != "POST":
            return Reply(405, {"error": "Method not allowed"})
        if "application/json" not in (headers.get("Content-Type") or ""):
            return Reply(400, {"message": "Invalid Content-Type. Accepted: text/csv, application/json", "warnings": []})
        method_name = params.get("importMethod", "addOnly")
        if method_name not in ("addOnly", "addAndUpdate", "addUpdateAndRemove"):
            return Reply(400, {"message": f"Invalid importMethod: {method_name}", "warnings": []})
        if branch == "main" and self.protected_main:
            return Reply(403, {"message": "Protected main branch", "warnings": []})
        if branch in self.merged:
            return Reply(409, {"message": "Branch has been merged or closed", "warnings": []})
        events = ((json.loads(body or b"{}").get("schema") or {}).get("events"))
        if not isinstance(events, dict):
            return Reply(400, {"message": "Could not parse the import body", "warnings": []})
        return Reply(200, self._import(branch, events, method_name))

    def _import(self, branch: str, events: dict[str, Any], method: str) -> dict[str, Any]:
        current = {e["name"]: e for e in self.branches[branch]["events"]}
        new, updated = [], []
        for name, schema in events.items():
            props, user = {}, {}
            for prop, node in (schema.get("properties") or {}).items():
                target = user if node.get("x-avo-sendAs") == "UserProperty" else props
                target[prop] = {"id": uuid.uuid4().hex[:10], "nameMapping": [],
                                **{k: v for k, v in node.items() if k != "x-avo-sendAs"}}
            required = [r for r in schema.get("required") or [] if r in props]
            for prop, node in props.items():
                if prop not in required and isinstance(node.get("type"), str):
                    node["type"] = [node["type"], "null"]
            rules = {"$schema": "http://json-schema.org/draft-06/schema#", "type": "object",
                     "required": ["properties", "nameMapping"], "nameMapping": [],
                     "properties": {"properties": {"type": "object", "properties": props,
                                                   "additionalProperties": False, "required": required}}}
            if user:
                rules["properties"]["userProperties"] = {"type": "object", "properties": user,
                                                         "additionalProperties": False, "required": []}
            event = {"id": uuid.uuid4().hex[:10], "name": name, "description": schema.get("description", ""),
                     "triggers": [], "tags": [], "categories": [], "actions": ["logEvent"], "sources": [],
                     "rules": rules}
            if name not in current:
                new.append(name)
                current[name] = event
            elif method != "addOnly" and _without_ids(current[name]["rules"]) != _without_ids(rules):
                updated.append(name)
                event["id"] = current[name]["id"]
                current[name] = event
        if method == "addUpdateAndRemove":
            current = {n: e for n, e in current.items() if n in events}
        self.branches[branch]["events"] = list(current.values())
        return {"message": "Import completed", "warnings": [],
                "result": {"newEvents": new, "updatedEvents": updated, "newProperties": [], "updatedProperties": [],
                           "newSources": [], "newStakeholderDomains": []}}


def _without_ids(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_ids(v) for k, v in node.items() if k not in ("id", "index")}
    if isinstance(node, list):
        return [_without_ids(v) for v in node]
    return node
