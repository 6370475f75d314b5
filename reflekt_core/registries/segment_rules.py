"""Segment rules <-> Reflekt schemas, losslessly (pure functions).

A rule's ``jsonSchema`` describes the whole call payload; a Reflekt schema describes the
event's properties (or traits). Pull maps the description, ``labels`` and the properties
object into the Reflekt schema and keeps everything else it cannot map (``context``
constraints, a top-level ``required``, other keywords) in ``self.registry.segment.jsonSchema``;
push puts it back, so a pull followed by a push of the unchanged files sends nothing.
Segment's ``id`` keys on property nodes are bookkeeping and are not copied into files.
"""

from __future__ import annotations

import copy
from typing import Any

from reflekt_core.registries.base import RemoteSchema, folder_name
from reflekt_core.schemas.model import EventSchema

DRAFT_07 = "http://json-schema.org/draft-07/schema#"
#: Reflekt call type -> Segment rule type, and where the event's fields live in the payload.
RULE_TYPES = {"track": ("TRACK", "properties"), "page": ("PAGE", "properties"), "screen": ("SCREEN", "properties"),
              "identify": ("IDENTIFY", "traits"), "group": ("GROUP", "traits")}
CALL_BY_RULE = {rule: call for call, (rule, _) in RULE_TYPES.items()}
FIELD_BY_RULE = {rule: field for rule, field in RULE_TYPES.values()}
KEYLESS = frozenset({"COMMON", "IDENTIFY", "GROUP"})     # key omitted, never null (public-api-sdk-go)
LABELLED = frozenset({"TRACK", "PAGE"})                  # Segment docs: labels only on Track and Page
DEFAULT_NAMES = {"COMMON": "Common", "IDENTIFY": "Identify", "GROUP": "Group", "PAGE": "Page Viewed",
                 "SCREEN": "Screen Viewed"}
#: Keys of a Reflekt document that are not part of the properties object schema.
DOC_OWN = frozenset({"$id", "$schema", "self", "description", "type"})
_MISSING = object()


def strip_ids(node: Any) -> Any:
    """Drop Segment's ``id`` bookkeeping from property nodes (members of a ``properties`` map)."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                out[key] = {name: _strip_node(sub) for name, sub in value.items()}
            else:
                out[key] = strip_ids(value)
        return out
    if isinstance(node, list):
        return [strip_ids(v) for v in node]
    return node


def _strip_node(node: Any) -> Any:
    if isinstance(node, dict) and isinstance(node.get("id"), str) and node["id"].startswith("/"):
        node = {k: v for k, v in node.items() if k != "id"}
    return strip_ids(node)


def normalise_types(node: Any) -> Any:
    """Segment writes types as arrays (``["string"]``); Reflekt prefers ``"string"``."""
    if isinstance(node, dict):
        node = {k: normalise_types(v) for k, v in node.items()}
        if isinstance(node.get("type"), list) and len(node["type"]) == 1:
            node["type"] = node["type"][0]
        return node
    if isinstance(node, list):
        return [normalise_types(v) for v in node]
    return node


def default_remainder(rule_type: str) -> dict[str, Any]:
    """What Reflekt sends around the mapped parts when nothing else is known."""
    field = FIELD_BY_RULE[rule_type]
    skeleton: dict[str, Any] = {"context": {}, "traits": {}, "properties": {}}
    skeleton[field] = {"type": "object"}
    return {"$schema": DRAFT_07, "type": "object", "properties": skeleton, "required": [field]}


def rule_type_of(schema: EventSchema) -> str | None:
    block = _segment_block(schema.doc)
    if block.get("type") == "COMMON":
        return "COMMON"
    entry = RULE_TYPES.get(schema.call_type)
    return entry[0] if entry else None


def _segment_block(doc: dict[str, Any]) -> dict[str, Any]:
    registry = (doc.get("self") or {}).get("registry")
    block = registry.get("segment") if isinstance(registry, dict) else None
    return block if isinstance(block, dict) else {}


def schema_to_rule(schema: EventSchema) -> dict[str, Any]:
    """A Reflekt schema as a Segment rule (``RuleInputV1``: no null key, no extra keys)."""
    rule_type = rule_type_of(schema)
    block = _segment_block(schema.doc)
    doc = schema.doc
    if rule_type == "COMMON":
        json_schema: Any = {"$schema": DRAFT_07, **{k: copy.deepcopy(v) for k, v in doc.items()
                                                    if k not in ("$id", "$schema", "self")}}
        return {"type": "COMMON", "version": schema.major, "jsonSchema": json_schema}
    field = FIELD_BY_RULE[rule_type]
    mapped = {k: copy.deepcopy(v) for k, v in doc.items() if k not in DOC_OWN}
    kept = block.get("jsonSchema", _MISSING)
    meaningful = {k: v for k, v in mapped.items() if v not in ({}, [], None)}
    if kept is None and not meaningful and not schema.description and not schema.metadata:
        json_schema = None       # the remote rule had no schema at all, and nothing was added
    else:
        json_schema = copy.deepcopy(kept) if isinstance(kept, dict) else default_remainder(rule_type)
        if rule_type in LABELLED and schema.metadata:
            json_schema["labels"] = {str(k): str(v) for k, v in sorted(schema.metadata.items())}
        if schema.description or "description" in json_schema:
            json_schema["description"] = schema.description
        payload = json_schema.setdefault("properties", {})
        if meaningful or field in payload:
            fields = payload.get(field) if isinstance(payload.get(field), dict) else {}
            payload[field] = {**fields, **mapped}
    rule: dict[str, Any] = {"type": rule_type, "version": schema.major, "jsonSchema": json_schema}
    if rule_type not in KEYLESS:
        rule["key"] = schema.name
    return rule


def rule_version(rule: dict[str, Any]) -> int:
    """A rule's MAJOR version; what the registry sent is checked, since it becomes a file name."""
    version = rule.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        from reflekt_core.errors import RegistryError

        raise RegistryError(f"Segment rule {rule.get('type')!r} {rule.get('key')!r:.80} has version {version!r:.40}, "
                            "not a whole number", hint="Segment rule versions are integers, see RuleV1.version; "
                            "nothing was written")
    return version


def rule_to_schema(rule: dict[str, Any], plan: str, vendor: str) -> RemoteSchema:
    """A Segment rule as a Reflekt schema (``<plan>/<Event_Name>/<MAJOR>-0.json``)."""
    rule_type = rule["type"]
    name = rule.get("key") or DEFAULT_NAMES.get(rule_type, str(rule_type).title())
    version = f"{rule_version(rule)}-0"
    rel = f"{plan}/{folder_name(name)}/{version}.json"
    raw = rule.get("jsonSchema")
    json_schema = normalise_types(strip_ids(raw)) if isinstance(raw, dict) else {}
    block: dict[str, Any] = {}
    self_block: dict[str, Any] = {"vendor": vendor, "name": name, "format": "jsonschema", "version": version,
                                  "metadata": {str(k): v for k, v in (json_schema.get("labels") or {}).items()}}
    doc: dict[str, Any] = {"$id": rel, "$schema": DRAFT_07,
                           "description": json_schema.get("description") or "", "self": self_block}
    if rule_type == "COMMON":
        block["type"] = "COMMON"
        doc.update({k: v for k, v in json_schema.items()
                    if k not in ("$schema", "description", "labels", "$id", "self")})
    else:
        call = CALL_BY_RULE[rule_type]
        if call != _call_by_name(name):
            self_block["call_type"] = call
        field = FIELD_BY_RULE[rule_type]
        remainder = {k: v for k, v in json_schema.items() if k not in ("description", "labels")}
        payload = remainder.get("properties") if isinstance(remainder.get("properties"), dict) else {}
        fields = payload.get(field) if isinstance(payload.get(field), dict) else {}
        doc["type"] = "object"
        doc["properties"] = {}
        doc.update({k: v for k, v in fields.items() if k not in DOC_OWN})
        kept_fields = {k: v for k, v in fields.items() if k in DOC_OWN}
        if field in payload:
            remainder["properties"] = {**payload, field: kept_fields}
        if raw is None:
            block["jsonSchema"] = None
        elif remainder != default_remainder(rule_type):
            block["jsonSchema"] = remainder
    deprecated = rule.get("deprecatedAt")
    if isinstance(deprecated, str) and deprecated and not deprecated.startswith("0001-"):
        block["deprecatedAt"] = deprecated
    if block:
        self_block["registry"] = {"segment": block}
    return RemoteSchema(rel, doc)


def _call_by_name(name: str) -> str:
    return {"identify": "identify", "group": "group", "page viewed": "page", "screen viewed": "screen"}.get(
        name.strip().lower(), "track")


def comparable(rule: dict[str, Any]) -> dict[str, Any]:
    """What decides whether a rule must be written: ids, type arrays and empty defaults ignored."""
    return {"type": rule["type"], "key": rule.get("key"), "version": rule_version(rule),
            "jsonSchema": _canon(normalise_types(strip_ids(rule.get("jsonSchema"))))}


def _canon(node: Any, top: bool = True) -> Any:
    if isinstance(node, list):
        return [_canon(v, False) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _canon(v, False) for k, v in node.items()}
    if top:
        out.setdefault("$schema", DRAFT_07)
    for key, empty in (("description", ""), ("labels", {}), ("required", []), ("properties", {})):
        if out.get(key) == empty:
            out.pop(key)
    return out
