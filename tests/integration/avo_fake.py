"""A local Avo Public API: export (pull) and JSON Schema import (push), per avohq/docs.

Import semantics [avo, shared/reference/contracts.md §2.3]:
* ``addOnly`` adds new events, and new properties to existing events; changes nothing else.
* ``addAndUpdate`` also updates existing events and properties but removes nothing; a
  description changes only when the imported one is non-empty.
* ``addUpdateAndRemove`` also removes properties, within the imported events only; events not
  in the import are left untouched. No method deletes an event.
* Variants are skipped with a warning; ``GroupProperty`` falls back to EventProperty with a
  warning; other ``x-avo-sendAs`` values and any ``$ref`` are a 400 parse error.
* ``result`` holds integer counts; ``warnings`` is in every answer.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

from jsonschema import Draft7Validator

from tests.integration import registry_contracts as c
from tests.integration.fake_http import FakeServer, Reply

_IMPORT = Draft7Validator(c.AVO_IMPORT_BODY)
UNSUPPORTED = ("patternProperties", "if", "then", "else", "not")   # [avo] skipped with warnings


def _has_ref(node: Any) -> bool:
    if isinstance(node, dict):
        return "$ref" in node or any(_has_ref(v) for v in node.values())
    if isinstance(node, list):
        return any(_has_ref(v) for v in node)
    return False


def _error(status: int, message: str, warnings: list[str] | None = None) -> Reply:
    return Reply(status, {"error": message, "warnings": warnings or []})   # [avo] error body + warnings


class FakeAvo(FakeServer):
    def __init__(self, workspace: str, name: str, secret: str, export: dict[str, Any]):
        super().__init__()
        self.workspace = workspace
        self.auth = "Basic " + base64.b64encode(f"{name}:{secret}".encode()).decode()
        self.branches: dict[str, dict[str, Any]] = {"main": copy.deepcopy(export)}
        self.protected_main = False
        self.merged: set[str] = set()
        self.no_actions: set[str] = set()
        self.min_interval = 0.9
        self.imports: list[dict[str, Any]] = []
        self._last_request = 0.0

    def add_branch(self, branch_id: str) -> None:
        self.branches[branch_id] = {"name": f"Exported Tracking Plan: {branch_id}", "events": [], "metrics": {},
                                    "sources": {}, "destinations": {}, "categories": {}, "propertyGroups": {}}

    def events(self, branch: str) -> dict[str, dict[str, Any]]:
        return {e["name"] if e.get("eventType") != "variant" else f"{e['name']} - {e['variantName']}": e
                for e in self.branches[branch]["events"]}

    def handle(self, method, path, query, headers, body) -> Reply:
        now = time.monotonic()
        too_fast = now - self._last_request < self.min_interval
        self._last_request = now
        if too_fast:  # [avo] "soft-enforce 1 req/s per service account"
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
        return self._import_request(branch, params, headers, body)

    def _import_request(self, branch, params, headers, body) -> Reply:
        if "application/json" not in (headers.get("Content-Type") or ""):
            return _error(400, "Invalid Content-Type. Accepted: text/csv, application/json")
        method = params.get("importMethod", "addOnly")
        if method not in c.IMPORT_METHODS:
            return _error(400, f"Invalid importMethod: {method}")
        if branch == "main" and self.protected_main:
            return _error(403, "Protected main branch")
        if branch in self.merged:
            return _error(409, "Branch has been merged or closed")
        if branch in self.no_actions:
            return _error(409, "No prior actions on branch")
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return _error(400, "Could not parse the import body")
        errors = sorted(_IMPORT.iter_errors(data), key=lambda e: list(e.absolute_path))
        if errors:
            where = "/".join(str(p) for p in errors[0].absolute_path)
            return _error(400, f"Could not parse the import body at {where}: {errors[0].message}")
        if _has_ref(data):
            return _error(400, "Unresolved $ref in schema")   # [avo] unresolved $ref is a parse error
        self.imports.append({"method": method, "events": copy.deepcopy(data["schema"]["events"])})
        return Reply(200, self._import(branch, data["schema"]["events"], method))

    def _import(self, branch: str, events: dict[str, Any], method: str) -> dict[str, Any]:
        current = self.branches[branch]["events"]
        by_name = {e["name"]: e for e in current if e.get("eventType") != "variant"}
        variants = {f"{e['name']} - {e['variantName']}" for e in current if e.get("eventType") == "variant"}
        counts = dict.fromkeys(("newEvents", "updatedEvents", "newProperties", "updatedProperties", "newSources",
                                "newStakeholderDomains"), 0)
        warnings: list[str] = []
        for name, schema in events.items():
            if name in variants:
                warnings.append(f"Skipped variant '{name}': variants are not imported")
                continue
            for keyword in UNSUPPORTED:
                if keyword in schema:
                    warnings.append(f"Unsupported keyword '{keyword}' in event '{name}'")
            incoming = self._property_rules(name, schema, warnings)
            event = by_name.get(name)
            created = event is None
            if created:
                event = {"id": uuid.uuid4().hex[:10], "name": name, "description": schema.get("description", ""),
                         "triggers": [], "tags": [], "categories": [], "actions": ["logEvent"], "sources": [],
                         "rules": {"$schema": "http://json-schema.org/draft-06/schema#", "type": "object",
                                   "required": ["properties", "nameMapping"], "nameMapping": [], "properties": {}}}
                current.append(event)
                by_name[name] = event
            changed = False
            if method != "addOnly" and schema.get("description") and schema["description"] != event["description"]:
                event["description"] = schema["description"]
                changed = True
            blocks = event["rules"]["properties"]
            for block_name, props in incoming.items():
                if not props and block_name != "properties":
                    continue
                block = blocks.setdefault(block_name, {"type": "object", "properties": {},
                                                       "additionalProperties": False, "required": []})
                for prop, (node, required) in props.items():
                    old = block["properties"].get(prop)
                    system = bool(node.pop("x-system", False))
                    stored = {"id": old["id"] if old else uuid.uuid4().hex[:10], "index": len(block["properties"]),
                              "nameMapping": [], "isSystemProperty": system, **node}
                    if not required and isinstance(stored.get("type"), str):
                        stored["type"] = [stored["type"], "null"]
                    if old is not None:
                        stored["index"] = old["index"]
                        if method == "addOnly" or _plain(old) == _plain(stored):
                            continue
                        counts["updatedProperties"] += 1
                    else:
                        counts["newProperties"] += 1
                    block["properties"][prop] = stored
                    block["required"] = [r for r in block["required"] if r != prop] + ([prop] if required else [])
                    changed = True
            if method == "addUpdateAndRemove":  # only within the imported event
                for block_name, block in blocks.items():
                    for prop in [p for p in block["properties"] if p not in incoming.get(block_name, {})]:
                        del block["properties"][prop]
                        block["required"] = [r for r in block["required"] if r != prop]
                        changed = True
            if created:
                counts["newEvents"] += 1
            elif changed:
                counts["updatedEvents"] += 1
        return {"message": "Import completed", "warnings": warnings, "result": counts}

    @staticmethod
    def _property_rules(name: str, schema: dict[str, Any], warnings: list[str]) -> dict[str, dict]:
        out: dict[str, dict] = {"properties": {}}
        required = set(schema.get("required") or [])
        for prop, node in (schema.get("properties") or {}).items():
            node = copy.deepcopy(node)
            send_as = node.pop("x-avo-sendAs", "EventProperty")
            if send_as == "GroupProperty":
                warnings.append(f"GroupProperty '{prop}' in event '{name}' imported as an event property")
                send_as = "EventProperty"
            for keyword in UNSUPPORTED:
                if keyword in node:
                    warnings.append(f"Unsupported keyword '{keyword}' in property '{prop}' of event '{name}'")
                    node.pop(keyword)
            if send_as == "SystemProperty":
                node["x-system"] = True
            block = "userProperties" if send_as == "UserProperty" else "properties"
            out.setdefault(block, {})[prop] = (node, prop in required)
        return out


def _plain(node: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in node.items() if k not in ("id", "index", "nameMapping")}
