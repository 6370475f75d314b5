"""A local Segment Public API (tracking plans), strict where the published models are.

Every request body and query is validated against the schemas in ``registry_contracts`` (each
with its source); what fails gets Segment's documented 422 ``input-validation`` envelope.
Rate limiting (``rate_limit = (requests, window seconds)``) follows the "Rate Limits" docs: a
429 carries ``X-RateLimit-Reset`` (RFC 5322 date) and ``data.msBeforeNext``, and ``Retry-After``
only when ``retry_after`` is on (the SDK docs: "sent when ... the token is rate limited").
"""

from __future__ import annotations

import base64
import copy
import json
import re
import time
import uuid
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl

from jsonschema import Draft7Validator

from tests.integration import registry_contracts as c
from tests.integration.fake_http import FakeServer, Reply

NOW = "2026-11-25T12:00:00.000Z"
NOT_DEPRECATED = "0001-01-01T00:00:00.000Z"   # [tf] fixtures use Go's zero time for live rules


def _invalid(message: str, field_name: str) -> Reply:
    """[doc] "Request Validation": Joi-style message with the key quoted, dotted ``field``."""
    return Reply(422, {"errors": [{"type": "input-validation", "message": message, "field": field_name}]})


def _first_error(validator: Draft7Validator, instance: Any, root: str) -> Reply | None:
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    error = errors[0]
    path = [root, *[str(p) for p in error.absolute_path]] if root else [str(p) for p in error.absolute_path]
    dotted = ".".join(p for p in path if p)
    quoted = "".join(f"[{p}]" if p.isdigit() else (f".{p}" if i else p) for i, p in enumerate(path) if p)
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))[0]
        return _invalid(f'"{quoted + "." if quoted else ""}{extra}" is not allowed', f"{dotted}.{extra}".strip("."))
    if error.validator == "maxItems":
        return _invalid(f'"{quoted}" must contain less than or equal to {error.validator_value} items', dotted)
    return _invalid(f'"{quoted or "value"}" {error.message}', dotted)


def _identity(rule: dict[str, Any]) -> tuple:
    return rule["type"], rule.get("key"), int(float(rule["version"]))


def _page(items: list, key: str, count: int, offset: int) -> dict[str, Any]:
    """[go] PaginationOutput: ``current`` required, ``next`` absent on the last page, opaque cursors."""
    page = items[offset:offset + count]
    pagination: dict[str, Any] = {"current": base64.b64encode(str(offset).encode()).decode(),
                                  "totalEntries": len(items)}
    if offset + count < len(items):
        pagination["next"] = base64.b64encode(str(offset + count).encode()).decode()
    if offset > 0:
        pagination["previous"] = base64.b64encode(str(max(0, offset - count)).encode()).decode()
    return {"data": {key: page, "pagination": pagination}}


class FakeSegment(FakeServer):
    def __init__(self, token: str = "sgp_test_token_123456", max_rules: int = 200):
        super().__init__()
        self.token = token
        self.max_rules = max_rules
        self.plans: dict[str, dict[str, Any]] = {}
        self.rules: dict[str, list[dict[str, Any]]] = {}
        self.rate_limit: tuple[int, float] | None = None   # (requests, window seconds)
        self.retry_after = False
        self.limited = 0                                   # 429 answers given
        self._window: tuple[float, int] = (0.0, 0)
        self._create = Draft7Validator(c.CREATE_PLAN_BODY)
        self._remove = Draft7Validator(c.REMOVE_RULE_V1)
        self._list = Draft7Validator(c.LIST_QUERY)

    # --- state -----------------------------------------------------------------------------
    def add_plan(self, name: str, rules: list[dict[str, Any]] | None = None, plan_type: str = "LIVE") -> str:
        plan_id = f"tp_{uuid.uuid4().hex[:24]}"
        self.plans[plan_id] = {"id": plan_id, "name": name, "slug": name.lower().replace(" ", "-"), "description": "",
                               "type": plan_type, "createdAt": NOW, "updatedAt": NOW,
                               "resourceSchemaId": "rs_1yVwS3zy60dONy9UhCyDqMmVvAE"}
        self.rules[plan_id] = [self._stored(r) for r in rules or []]
        return plan_id

    @staticmethod
    def _stored(rule: dict[str, Any]) -> dict[str, Any]:
        stored = {k: copy.deepcopy(v) for k, v in rule.items() if k != "newKey"}
        version = stored.get("version")
        if isinstance(version, float) and version.is_integer():
            stored["version"] = int(version)
        stored.setdefault("createdAt", NOW)
        stored.setdefault("updatedAt", NOW)
        stored.setdefault("deprecatedAt", NOT_DEPRECATED)
        return stored

    def plan_named(self, name: str) -> list[dict[str, Any]]:
        return [p for p in self.plans.values() if p["name"] == name]

    # --- checks ------------------------------------------------------------------------------
    def _rule_semantics(self, rules: list[dict[str, Any]], plan_id: str, replace: bool) -> Reply | None:
        seen: set[tuple] = set()
        for n, rule in enumerate(rules):
            kind = rule["type"]
            if kind in c.KEYLESS_RULES and "key" in rule:       # [tf] [go] no key on these rules
                return _invalid(f'"rules[{n}].key" is not allowed for {kind} rules', f"rules.{n}.key")
            if kind not in c.KEYLESS_RULES and not rule.get("key") and not rule.get("newKey"):
                return _invalid(f'"rules[{n}].key" is required for {kind} rules', f"rules.{n}.key")  # [I]
            schema = rule.get("jsonSchema")
            if isinstance(schema, dict) and "labels" in schema and kind not in c.LABELLED_RULES:
                return _invalid(f'"rules[{n}].jsonSchema.labels" is only allowed on TRACK and PAGE rules',  # [doc]
                                f"rules.{n}.jsonSchema.labels")
            if float(rule["version"]) < 1 or not float(rule["version"]).is_integer():
                return _invalid(f'"rules[{n}].version" must be a positive integer', f"rules.{n}.version")  # [I]
            identity = _identity(rule)
            if identity in seen:
                return _invalid(f'"rules[{n}]" duplicates another rule in this request', f"rules.{n}")  # [I]
            seen.add(identity)
        kept = [] if replace else [r for r in self.rules[plan_id] if _identity(r) not in seen]
        if sum(1 for r in [*kept, *rules] if r["type"] == "COMMON") > 1:       # [doc] one COMMON rule per plan
            return _invalid('"rules" may hold only one COMMON rule per tracking plan', "rules")
        return None

    def _rate_limited(self) -> Reply | None:
        if not self.rate_limit:
            return None
        limit, window = self.rate_limit
        now = time.monotonic()
        start, used = self._window
        if now - start >= window:
            start, used = now, 0
        used += 1
        self._window = (start, used)
        reset_in = max(0.0, start + window - now)
        reset = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=reset_in + 1), usegmt=True)
        if used <= limit:
            return None
        self.limited += 1
        headers = {"X-RateLimit-Reset": reset, "X-RateLimit-Remaining": "0", "X-RateLimit-Consumed": str(used)}
        if self.retry_after:
            headers["Retry-After"] = str(int(reset_in) + 1)
        return Reply(429, {"errors": [{"type": "RequestError", "message": "Too many requests", "data": {
            "remainingPoints": 0, "msBeforeNext": int(reset_in * 1000) + 1, "consumedPoints": used}}]}, headers)

    # --- routing -------------------------------------------------------------------------------
    def handle(self, method, path, query, headers, body) -> Reply:
        if headers.get("Authorization") != f"Bearer {self.token}":
            return Reply(401, {"errors": [{"type": "unauthorized", "message": "Unauthorized: invalid or missing token"}]})
        limited = self._rate_limited()
        if limited:
            return limited
        try:
            data = json.loads(body) if body else None
        except ValueError:
            return Reply(400, {"errors": [{"type": "BadRequest", "message": "Body is not JSON"}]})
        if path == "/tracking-plans":
            return self._plans(method, query, data)
        match = re.fullmatch(r"/tracking-plans/([^/]+)(/rules)?", path)
        if not match or match.group(1) not in self.plans:
            return Reply(404, {"errors": [{"type": "NotFound", "message": "Resource not found"}]})
        plan_id = match.group(1)
        if not match.group(2):
            return Reply(200, {"data": {"trackingPlan": self.plans[plan_id]}}) if method == "GET" else Reply(405)
        if method == "GET":
            return self._list_rules(plan_id, query)
        if method in ("PUT", "PATCH"):
            return self._write_rules(plan_id, method, data)
        if method == "DELETE":
            return self._delete_rules(plan_id, query, body)
        return Reply(405)

    def _list_query(self, query: str) -> tuple[Reply | None, int, int]:
        params = dict(parse_qsl(query))
        problem = _first_error(self._list, params, "")
        if problem:
            return problem, 0, 0
        count = int(params.get("pagination[count]") or params.get("pagination.count") or c.DEFAULT_PAGE_COUNT)
        if not 1 <= count <= c.MAX_PAGE_COUNT:
            return _invalid('"pagination.count" must be between 1 and 1000', "pagination.count"), 0, 0
        cursor = params.get("pagination[cursor]") or params.get("pagination.cursor")
        try:
            offset = int(base64.b64decode(cursor).decode()) if cursor else 0
        except ValueError:
            return _invalid('"pagination.cursor" is invalid', "pagination.cursor"), 0, 0
        return None, count, offset

    def _plans(self, method, query, data) -> Reply:
        if method == "GET":
            problem, count, offset = self._list_query(query)
            if problem:
                return problem
            kind = dict(parse_qsl(query)).get("type")
            plans = [p for p in sorted(self.plans.values(), key=lambda p: p["name"]) if not kind or p["type"] == kind]
            return Reply(200, _page(plans, "trackingPlans", count, offset))
        if method == "POST":
            problem = _first_error(self._create, data, "")
            if problem:
                return problem
            plan_id = self.add_plan(data["name"], plan_type=data["type"])
            self.plans[plan_id]["description"] = data.get("description", "")
            return Reply(200, {"data": {"trackingPlan": self.plans[plan_id]}})
        return Reply(405)

    def _list_rules(self, plan_id, query) -> Reply:
        problem, count, offset = self._list_query(query)
        if problem:
            return problem
        if "type" in dict(parse_qsl(query)):
            return _invalid('"type" is not allowed', "type")
        return Reply(200, _page(self.rules[plan_id], "rules", count, offset))

    def _write_rules(self, plan_id, method, data) -> Reply:
        body_schema = c.replace_rules_body(self.max_rules) if method == "PUT" else c.update_rules_body(self.max_rules)
        problem = _first_error(Draft7Validator(body_schema), data, "")
        if problem:
            return problem
        problem = self._rule_semantics(data["rules"], plan_id, replace=method == "PUT")
        if problem:
            return problem
        if method == "PUT":   # [ts] "Replaces Tracking Plan rules"
            self.rules[plan_id] = [self._stored(r) for r in data["rules"]]
        else:                 # [ts] "Updates Tracking Plan rules. Non-existent rules are added."
            current = {_identity(r): r for r in self.rules[plan_id]}
            for rule in data["rules"]:
                stored = self._stored(rule)
                previous = current.pop(_identity(rule), None)
                if previous:
                    stored["createdAt"] = previous["createdAt"]
                if rule.get("newKey"):
                    stored["key"] = rule["newKey"]
                current[_identity(stored)] = stored
            self.rules[plan_id] = list(current.values())
        return Reply(200, {"data": {"status": "SUCCESS"}})

    def _delete_rules(self, plan_id, query, body) -> Reply:
        if body:
            return _invalid('"rules" must be sent as query parameters', "rules")   # [ts] query param, no body
        entries: dict[str, dict[str, str]] = {}
        for key, value in parse_qsl(query):
            found = re.fullmatch(r"rules(?:\[(\d+)\]|\.(\d+))(?:\[(\w+)\]|\.(\w+))", key)
            if not found:
                return _invalid(f'"{key}" is not allowed', key)
            index = found.group(1) or found.group(2)
            entries.setdefault(index, {})[found.group(3) or found.group(4)] = value
        if not entries:
            return _invalid('"rules" is required', "rules")
        if len(entries) > c.QS_ARRAY_LIMIT or max(int(i) for i in entries) >= c.QS_ARRAY_LIMIT:
            return _invalid('"rules" must be an array', "rules")   # [qs] past arrayLimit it parses as an object
        for index, entry in sorted(entries.items(), key=lambda item: int(item[0])):
            problem = _first_error(self._remove, entry, f"rules.{index}")
            if problem:
                return problem
        doomed = {(e["type"], e.get("key"), int(float(e["version"]))) for e in entries.values()}
        self.rules[plan_id] = [r for r in self.rules[plan_id] if _identity(r) not in doomed]
        return Reply(200, {"data": {"status": "SUCCESS"}})


def realistic_rules() -> list[dict[str, Any]]:
    """Rules as a plan authored in Segment's UI holds them [O: shared/reference/contracts.md §1.6]:
    ``id`` bookkeeping on property nodes, array types, ``context`` constraints, a top-level
    ``required`` naming ``context``, a COMMON rule, a keyless IDENTIFY and GROUP, and a
    deprecated version 1 beside a live version 2."""
    def prop(field: str, name: str, **node):
        return {"id": f"/properties/{field}/properties/{name}", **node}

    track_schema = {
        "$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "labels": {"team": "growth"},
        "description": "A visitor created an account.",
        "properties": {
            "context": {"type": "object", "properties": {"library": {"type": "object", "properties": {
                "name": {"type": "string", "enum": ["analytics.js", "analytics-ios"]}}, "required": ["name"]}},
                "required": ["library"]},
            "traits": {},
            "properties": {"type": "object", "properties": {
                "plan": prop("properties", "plan", type=["string"], description="Chosen plan.",
                             enum=["free", "pro"]),
                "seats": prop("properties", "seats", type=["integer", "null"], description="")},
                "required": ["plan"]}},
        "required": ["context", "properties"]}
    old_schema = copy.deepcopy(track_schema)
    old_schema["properties"]["properties"]["properties"].pop("seats")
    return [
        {"type": "COMMON", "version": 1, "jsonSchema": {
            "$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
            "properties": {"context": {"type": "object", "properties": {"app": {"type": "object", "properties": {
                "version": {"id": "/properties/context/properties/app/properties/version", "type": "string"}}}}},
                "userId": {"type": ["string", "null"]}},
            "required": ["context"]}},
        {"type": "TRACK", "key": "Signed Up", "version": 1, "jsonSchema": old_schema,
         "deprecatedAt": "2026-06-01T09:30:00.000Z"},
        {"type": "TRACK", "key": "Signed Up", "version": 2, "jsonSchema": track_schema},
        {"type": "PAGE", "key": "Pricing", "version": 1, "jsonSchema": {
            "$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "labels": {"surface": "web"},
            "description": "", "properties": {"context": {}, "traits": {}, "properties": {
                "type": "object", "properties": {"path": prop("properties", "path", type=["string"])}}},
            "required": ["properties"]}},
        {"type": "IDENTIFY", "version": 1, "jsonSchema": {
            "$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "description": "Who they are.",
            "properties": {"context": {}, "traits": {"type": "object", "properties": {
                "email": prop("traits", "email", type=["string"], format="email")}, "required": ["email"]},
                "properties": {}}, "required": ["traits"]}},
        {"type": "GROUP", "version": 1, "jsonSchema": None},
    ]
