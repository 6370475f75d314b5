"""What an Avo import will do, computed from Avo's documented import semantics (pure functions).

avohq/docs, "Import Tracking Plan" (JSON Schema body ``{"schema": {"events": {...}}}``):

* ``addOnly`` adds new events, and new properties to existing events; it changes nothing else.
* ``addAndUpdate`` also updates existing events and properties but removes nothing; a
  description changes only when the imported one is non-empty.
* ``addUpdateAndRemove`` also removes properties, within the imported events only: events not
  in the import are left untouched, and no import method deletes an event.
* ``x-avo-sendAs`` is ``EventProperty``, ``UserProperty`` or ``SystemProperty``; Avo does not
  import group properties (it converts them, with a warning), so Reflekt never sends them.
* An unresolved ``$ref`` is a parse error, so local references are inlined first and remote
  ones refused; variants (``<Event> - <Variant>``) are skipped by Avo, so Reflekt skips them.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reflekt_core.errors import UsageError
from reflekt_core.schemas.model import EventSchema
from reflekt_core.schemas.walk import MISSING, resolve_pointer

IMPORT_METHODS = ("addOnly", "addAndUpdate", "addUpdateAndRemove")
#: Reflekt's nested objects for Avo's property groups -> x-avo-sendAs (None: not importable).
NESTED_SETS = {"user_properties": "UserProperty", "group_properties": None}
_MAX_REF_DEPTH = 32


@dataclass
class AvoChanges:
    send: dict[str, dict[str, Any]] = field(default_factory=dict)   # event name -> import body
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def inline_refs(schema: EventSchema, node: Any, pointer: str = "", depth: int = 0) -> Any:
    """``node`` with every local ``$ref`` replaced by (a copy of) its target in the same file."""
    if isinstance(node, list):
        return [inline_refs(schema, v, f"{pointer}/{n}", depth) for n, v in enumerate(node)]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        if not ref.startswith("#"):
            raise UsageError(f"{schema.rel_path}: $ref '{ref}' at {pointer or '/'} points outside the file; "
                             f"Avo cannot import it", hint="inline it, or copy it under definitions and use '#/...'")
        if depth >= _MAX_REF_DEPTH:
            raise UsageError(f"{schema.rel_path}: $ref '{ref}' at {pointer or '/'} is recursive; Avo cannot import it",
                             hint="replace the recursion by a plain object")
        return inline_refs(schema, _target(schema, ref, pointer), pointer, depth + 1)
    return {k: inline_refs(schema, v, f"{pointer}/{k}", depth) for k, v in node.items()}


def _target(schema: EventSchema, ref: str, pointer: str) -> Any:
    target = schema.doc if ref in ("#", "#/") else resolve_pointer(schema.doc, "/" + ref[1:].lstrip("/"))
    if target is MISSING:
        raise UsageError(f"{schema.rel_path}: $ref '{ref}' at {pointer or '/'} points to nothing in the file",
                         hint="fix the reference")
    return copy.deepcopy(target)


def flat_properties(doc: Mapping[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """``{(sendAs, name): node}``: event properties, plus those nested under ``user_properties``;
    each node carries ``required`` as a bool. Group properties are left out."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    properties = doc.get("properties") if isinstance(doc.get("properties"), dict) else {}
    required = set(doc.get("required") or [])
    for name, node in properties.items():
        if name in NESTED_SETS and isinstance(node, dict) and isinstance(node.get("properties"), dict):
            send_as = NESTED_SETS[name]
            if send_as:
                inner_required = set(node.get("required") or [])
                for inner, sub in node["properties"].items():
                    out[(send_as, inner)] = {**(sub if isinstance(sub, dict) else {}),
                                             "required": inner in inner_required}
            continue
        node = node if isinstance(node, dict) else {}
        if node.get("x-avo-sendAs") == "GroupProperty":
            continue
        out[(_send_as(node), name)] = {k: v for k, v in node.items() if k != "x-avo-sendAs"} | \
            {"required": name in required}
    return out


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _plain(v) for k, v in node.items() if k != "x-avo-sendAs"}
        kind = node.get("type")
        if isinstance(kind, list):
            rest = [t for t in kind if t != "null"]
            node["type"] = rest[0] if len(rest) == 1 else rest
        return node
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _differs(local: dict[str, Any], remote: dict[str, Any]) -> bool:
    """An update changes a property; an empty imported description changes nothing."""
    mine, theirs = _plain(local), _plain(remote)
    if not mine.get("description"):
        mine.pop("description", None)
        theirs.pop("description", None)
    return mine != theirs


def to_import_event(schema: EventSchema, notes: list[str]) -> dict[str, Any]:
    """A Reflekt schema as one event of the import body: local refs inlined, no group properties."""
    doc = inline_refs(schema, {k: v for k, v in schema.doc.items() if k in ("properties", "required")})
    flat = flat_properties(doc)
    top = doc.get("properties") if isinstance(doc.get("properties"), dict) else {}
    group = top.get("group_properties")
    skipped = sorted(group["properties"]) if isinstance(group, dict) and isinstance(group.get("properties"), dict) \
        else []
    flagged = [n for n, v in top.items() if isinstance(v, dict) and v.get("x-avo-sendAs") == "GroupProperty"]
    skipped = sorted([*skipped, *flagged])
    if skipped:
        notes.append(f"{schema.id}: skipped group propert{'y' if len(skipped) == 1 else 'ies'} "
                     f"{', '.join(skipped)} (Avo does not import group properties)")
    properties = {}
    for (send_as, name), node in flat.items():
        body = {k: v for k, v in node.items() if k not in ("required", "x-avo-sendAs")}
        properties[name] = {**body, "x-avo-sendAs": send_as}
    event: dict[str, Any] = {"type": "object", "description": schema.description, "properties": properties}
    required = [name for (_, name), node in flat.items() if node["required"]]
    if required:
        event["required"] = required
    return event


def plan_import(schemas: Sequence[EventSchema], remote: Mapping[str, Mapping[str, Any]], variants: set[str],
                method: str) -> AvoChanges:
    """Decide, per the documented semantics, what importing ``schemas`` with ``method`` changes.

    ``remote`` maps event names to their Reflekt form (from the export); ``variants`` are the
    ``<Event> - <Variant>`` names of the branch's variants.
    """
    changes = AvoChanges()
    for schema in sorted(schemas, key=lambda s: s.name):
        marker = ((schema.self_block.get("registry") or {}).get("avo") or {}) \
            if isinstance(schema.self_block.get("registry"), dict) else {}
        if schema.name in variants or (isinstance(marker, dict) and marker.get("variant")):
            changes.notes.append(f"{schema.id}: skipped, '{schema.name}' is an Avo variant and Avo's import "
                                 f"skips variants (edit it in Avo)")
            continue
        event = to_import_event(schema, changes.notes)
        if schema.name not in remote:
            changes.created.append(schema.name)
            changes.send[schema.name] = event
            continue
        theirs = flat_properties(remote[schema.name])
        mine = flat_properties({"properties": event["properties"], "required": event.get("required", [])})
        added = [k for k in mine if k not in theirs]
        changed = [k for k in mine if k in theirs and _differs(mine[k], theirs[k])]
        removed = [k for k in theirs if k not in mine]
        description = bool(schema.description) and schema.description != (remote[schema.name].get("description") or "")
        effective = bool(added) if method == "addOnly" else bool(added or changed or description or
                                                                  (removed and method == "addUpdateAndRemove"))
        if removed and method != "addUpdateAndRemove":
            changes.notes.append(f"{schema.name}: {len(removed)} propert{'y' if len(removed) == 1 else 'ies'} only in "
                                 f"Avo ({', '.join(sorted(n for _, n in removed)[:3])}) kept: {method} removes "
                                 f"nothing")
        if method == "addOnly" and (changed or description):
            changes.notes.append(f"{schema.name}: changes to existing properties or the description are not "
                                 f"applied by addOnly")
        if effective:
            changes.updated.append(schema.name)
            changes.send[schema.name] = event
        else:
            changes.unchanged.append(schema.name)
    return changes


def _send_as(node: Mapping[str, Any]) -> str:
    value = node.get("x-avo-sendAs")
    return value if value in ("UserProperty", "SystemProperty") else "EventProperty"
