"""Segment Protocols through the Segment Public API (tracking plans and their rules)."""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from typing import Any

from reflekt_core.errors import RegistryError, UsageError
from reflekt_core.registries.base import PullResult, PushResult, RemoteSchema, folder_name, parse_selector
from reflekt_core.registries.http import HttpClient, HttpSettings
from reflekt_core.registries.limits import CursorGuard
from reflekt_core.schemas.model import EventSchema

log = logging.getLogger(__name__)

REGIONS = {"us": "https://api.segmentapis.com", "eu": "https://eu1.api.segmentapis.com"}
MAX_RULES_PER_REQUEST = 200
PAGE_SIZE = 200
DRAFT_07 = "http://json-schema.org/draft-07/schema#"
#: Reflekt call type -> Segment rule type, and where the event's fields live in the payload.
RULE_TYPES = {"track": ("TRACK", "properties"), "page": ("PAGE", "properties"), "screen": ("SCREEN", "properties"),
              "identify": ("IDENTIFY", "traits"), "group": ("GROUP", "traits")}
_CALL_BY_RULE = {rule: call for call, (rule, _) in RULE_TYPES.items()}
_DEFAULT_NAMES = {"IDENTIFY": "Identify", "GROUP": "Group", "PAGE": "Page Viewed", "SCREEN": "Screen Viewed"}


def _normalise_type(node: Any) -> Any:
    """Segment exports write types as arrays (``["string"]``); Reflekt prefers ``"string"``."""
    if isinstance(node, dict):
        node = {k: _normalise_type(v) for k, v in node.items()}
        if isinstance(node.get("type"), list) and len(node["type"]) == 1:
            node["type"] = node["type"][0]
        return node
    if isinstance(node, list):
        return [_normalise_type(v) for v in node]
    return node


def schema_to_rule(schema: EventSchema) -> dict[str, Any]:
    """A Reflekt schema as a Segment rule (``RuleInputV1``)."""
    rule_type, field = RULE_TYPES[schema.call_type]
    fields: dict[str, Any] = {"type": "object", "properties": copy.deepcopy(schema.properties)}
    if schema.required:
        fields["required"] = list(schema.required)
    if "additionalProperties" in schema.doc:
        fields["additionalProperties"] = copy.deepcopy(schema.doc["additionalProperties"])
    json_schema: dict[str, Any] = {
        "$schema": DRAFT_07, "type": "object",
        "labels": {str(k): str(v) for k, v in sorted(schema.metadata.items())},
        "description": schema.description,
        "properties": {"context": {}, "traits": {}, "properties": {}},
        "required": [field],
    }
    json_schema["properties"][field] = fields
    key = None if rule_type in ("IDENTIFY", "GROUP") else schema.name
    return {"type": rule_type, "key": key, "version": schema.major, "jsonSchema": json_schema}


def rule_identity(rule: dict[str, Any]) -> tuple[str, str | None, int]:
    return rule["type"], rule.get("key"), int(rule["version"])


def rule_to_schema(rule: dict[str, Any], plan: str, vendor: str) -> RemoteSchema:
    """A Segment rule as a Reflekt schema (``<plan>/<Event_Name>/<MAJOR>-0.json``)."""
    rule_type = rule["type"]
    name = rule.get("key") or _DEFAULT_NAMES.get(rule_type, rule_type.title())
    json_schema = rule.get("jsonSchema") or {}
    field = "traits" if rule_type in ("IDENTIFY", "GROUP") else "properties"
    fields = ((json_schema.get("properties") or {}).get(field) or {}) if isinstance(json_schema, dict) else {}
    version = f"{int(rule['version'])}-0"
    rel = f"{plan}/{folder_name(name)}/{version}.json"
    self_block: dict[str, Any] = {"vendor": vendor, "name": name, "format": "jsonschema", "version": version,
                                  "metadata": dict(json_schema.get("labels") or {})}
    call = _CALL_BY_RULE.get(rule_type)
    if call and call != _default_call(name):
        self_block["call_type"] = call
    doc: dict[str, Any] = {"$id": rel, "$schema": DRAFT_07, "description": json_schema.get("description") or "",
                           "self": self_block, "type": "object",
                           "properties": _normalise_type(fields.get("properties") or {})}
    if fields.get("required"):
        doc["required"] = list(fields["required"])
    if "additionalProperties" in fields:
        doc["additionalProperties"] = fields["additionalProperties"]
    return RemoteSchema(rel, doc)


def _default_call(name: str) -> str:
    return {"identify": "identify", "group": "group", "page viewed": "page", "screen viewed": "screen"}.get(
        name.strip().lower(), "track")


def _same_plan(plan: dict[str, Any], name: str) -> bool:
    def key(text: str) -> str:
        return text.strip().lower().replace(" ", "_").replace("-", "_")
    return key(plan.get("name") or "") == key(name) or key(plan.get("slug") or "") == key(name)


class SegmentRegistry:
    name = "segment"

    def __init__(self, entry: dict[str, Any], vendor: str, settings: HttpSettings | None = None):
        token = entry.get("api_token")
        if not token:
            raise UsageError("the segment registry entry has no api_token",
                             hint="add api_token: \"{{ env_var('SEGMENT_API_TOKEN') }}\" to the profile")
        region = entry.get("region", "us")
        if region not in REGIONS:
            raise UsageError(f"segment region '{region}' is not one of: us, eu")
        self.vendor = vendor
        self.http = HttpClient("Segment", entry.get("base_url") or REGIONS[region],
                               {"Authorization": f"Bearer {token}",
                                "Accept": "application/vnd.segment.v1+json, application/json"},
                               settings or HttpSettings())

    # --- API calls -------------------------------------------------------------------------
    def _paginate(self, path: str, key: str, query: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        guard = CursorGuard(f"Segment API: GET {path}")
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {**(query or {}), "pagination[count]": PAGE_SIZE}
            if cursor:
                params["pagination[cursor]"] = cursor
            data = (self.http.request("GET", path, params=params) or {}).get("data") or {}
            page = data.get(key) or []
            if not isinstance(page, list):
                raise RegistryError(f"Segment API: GET {path} answered without a '{key}' list")
            items.extend(page)
            cursor = guard.next((data.get("pagination") or {}).get("next"), len(page))
            if not cursor:
                return items

    def find_plan(self, name: str) -> dict[str, Any] | None:
        return next((p for p in self._paginate("/tracking-plans", "trackingPlans") if _same_plan(p, name)), None)

    def list_rules(self, plan_id: str) -> list[dict[str, Any]]:
        return self._paginate(f"/tracking-plans/{plan_id}/rules", "rules")

    def check_connection(self) -> None:
        self.http.request("GET", "/tracking-plans", params={"pagination[count]": 1})

    # --- pull --------------------------------------------------------------------------------
    def pull(self, selector: str, include_common: bool = False) -> PullResult:
        sel = parse_selector(selector)
        if sel.version and not sel.version.endswith("-0"):
            raise UsageError(f"Segment rule versions are MAJOR only: '{sel.version}' cannot exist in Segment",
                             hint=f"select {sel.plan}/{sel.event}/{sel.version.split('-')[0]}-0 instead")
        plan = self.find_plan(sel.plan)
        if plan is None:
            raise RegistryError(f"Segment has no tracking plan named '{sel.plan}'", status=404,
                                hint="check the plan name (the first part of --select)")
        result = PullResult([])
        for rule in self.list_rules(plan["id"]):
            if rule.get("type") == "COMMON" and not include_common:
                result.notes.append("skipped the COMMON rule (use --include-common to pull it)")
                continue
            if rule.get("type") not in _CALL_BY_RULE and rule.get("type") != "COMMON":
                result.notes.append(f"skipped a rule of unknown type {rule.get('type')!r}")
                continue
            remote = rule_to_schema(rule, sel.plan, self.vendor) if rule.get("type") != "COMMON" else \
                RemoteSchema(f"{sel.plan}/Common/{int(rule['version'])}-0.json", {
                    "$id": f"{sel.plan}/Common/{int(rule['version'])}-0.json", "$schema": DRAFT_07,
                    "description": "Segment COMMON rule: applies to every call.",
                    "self": {"vendor": self.vendor, "name": "Common", "format": "jsonschema",
                             "version": f"{int(rule['version'])}-0", "metadata": {}},
                    **{k: v for k, v in (rule.get("jsonSchema") or {}).items() if k not in ("$schema", "labels")}})
            parts = remote.rel_path.split("/")
            if sel.event and parts[1] != sel.event:
                continue
            if sel.version and parts[2] != f"{sel.version}.json":
                continue
            result.schemas.append(remote)
        if (sel.event or sel.version) and not result.schemas:
            raise RegistryError(f"tracking plan '{sel.plan}' has no rule matching '{selector}'", status=404)
        result.schemas.sort(key=lambda r: r.rel_path)
        return result

    # --- push --------------------------------------------------------------------------------
    def _desired_rules(self, schemas: Sequence[EventSchema], result: PushResult) -> dict[tuple, dict[str, Any]]:
        highest: dict[tuple[str, int], EventSchema] = {}
        for schema in schemas:
            if schema.call_type not in RULE_TYPES:
                result.notes.append(f"{schema.id}: {schema.call_type} calls have no Segment rule type; not pushed")
                continue
            key = (schema.event_dir, schema.major)
            current = highest.get(key)
            if current is None or schema.minor > current.minor:
                if current is not None:
                    result.notes.append(f"{current.id}: not pushed, Segment versions are MAJOR only "
                                        f"({schema.id} is pushed as version {schema.major})")
                highest[key] = schema
            else:
                result.notes.append(f"{schema.id}: not pushed, Segment versions are MAJOR only "
                                    f"({current.id} is pushed as version {schema.major})")
        rules = {}
        for schema in sorted(highest.values(), key=lambda s: s.rel_path):
            rule = schema_to_rule(schema)
            rules[rule_identity(rule)] = rule
        return rules

    def push(self, schemas: Sequence[EventSchema], whole_plan: bool, *, delete: bool = False,
             dry_run: bool = False, import_method: str | None = None) -> PushResult:
        plans = {s.rel_path.split("/", 1)[0] for s in schemas}
        if len(plans) != 1:
            raise UsageError(f"select schemas of one tracking plan at a time (selected: {', '.join(sorted(plans))})")
        plan_name = plans.pop()
        result = PushResult()
        desired = self._desired_rules(schemas, result)
        plan = self.find_plan(plan_name)
        if plan is None and delete:
            raise RegistryError(f"Segment has no tracking plan named '{plan_name}': nothing to delete", status=404)
        remote = {rule_identity(r): r for r in self.list_rules(plan["id"])} if plan else {}

        def label(identity: tuple) -> str:
            return f"{identity[0]} {identity[1] or ''} v{identity[2]}".replace("  ", " ")

        if delete:
            doomed = [i for i in desired if i in remote]
            result.deleted = [label(i) for i in doomed]
            result.unchanged = [f"{label(i)} (not in Segment)" for i in desired if i not in remote]
            if not dry_run and doomed:
                for start in range(0, len(doomed), MAX_RULES_PER_REQUEST):
                    params = {}
                    for n, (rule_type, key, version) in enumerate(doomed[start:start + MAX_RULES_PER_REQUEST]):
                        params[f"rules[{n}][type]"] = rule_type
                        if key is not None:
                            params[f"rules[{n}][key]"] = key
                        params[f"rules[{n}][version]"] = version
                    self.http.request("DELETE", f"/tracking-plans/{plan['id']}/rules", params=params)
            return result

        for identity, rule in desired.items():
            if identity not in remote:
                result.created.append(label(identity))
            elif _comparable(remote[identity]) != _comparable(rule):
                result.updated.append(label(identity))
            else:
                result.unchanged.append(label(identity))
        stale = [i for i in remote if i not in desired] if whole_plan else []
        result.deleted = [label(i) for i in stale]
        if dry_run or not (result.created or result.updated or result.deleted):
            return result
        if plan is None:
            plan = (self.http.request("POST", "/tracking-plans", json={
                "name": plan_name, "description": f"Managed by Reflekt from schemas/{plan_name}", "type": "LIVE"})
                or {}).get("data", {}).get("trackingPlan")
            if not plan or "id" not in plan:
                raise RegistryError("Segment did not return the created tracking plan")
        path = f"/tracking-plans/{plan['id']}/rules"
        if whole_plan:
            rules = list(desired.values())
            batches = [rules[i:i + MAX_RULES_PER_REQUEST] for i in range(0, len(rules), MAX_RULES_PER_REQUEST)] or [[]]
            # Chunked replace: PUT the first batch, PATCH the rest (a PUT of more than 200 rules is refused).
            self.http.request("PUT", path, json={"trackingPlanId": plan["id"], "rules": batches[0]})
            for batch in batches[1:]:
                self.http.request("PATCH", path, json={"trackingPlanId": plan["id"], "rules": batch})
        else:
            changed = [desired[i] for i in desired if label(i) in set(result.created) | set(result.updated)]
            for start in range(0, len(changed), MAX_RULES_PER_REQUEST):
                self.http.request("PATCH", path, json={"trackingPlanId": plan["id"],
                                                       "rules": changed[start:start + MAX_RULES_PER_REQUEST]})
        return result


def _comparable(rule: dict[str, Any]) -> dict[str, Any]:
    return {"type": rule["type"], "key": rule.get("key"), "version": int(rule["version"]),
            "jsonSchema": _normalise_type(rule.get("jsonSchema"))}
