"""Descriptions: every event and every property says what it means."""

from __future__ import annotations

from collections.abc import Iterator

from reflekt_core.lint.result import Level
from reflekt_core.lint.rule import Finding, LintContext, schema_rule
from reflekt_core.schemas.model import EventSchema


def _blank(value: object) -> bool:
    return not isinstance(value, str) or not value.strip()


@schema_rule("R301", "docs.event_description", Level.ERROR)
def event_description(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """The event has a non-empty top-level ``description``.

    Fails: ``{"self": {...}, "type": "object", ...}`` with no description
    Passes: ``{"description": "A customer completed an order.", ...}``
    """
    if _blank(schema.doc.get("description")):
        yield "/description", f"event '{schema.name}' has no description"


@schema_rule("R302", "docs.property_description", Level.ERROR)
def property_description(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """Every property, nested ones included, has a non-empty ``description``.

    Fails: ``"order_id": {"type": "string"}``
    Passes: ``"order_id": {"type": "string", "description": "The order's unique id."}``
    """
    for prop in schema.property_nodes:
        if not isinstance(prop.node, dict):
            continue
        if "description" not in prop.node and _described_by_ref(schema.doc, prop.node.get("$ref")):
            continue  # draft-07 ignores keywords beside $ref: the definition carries the description
        if "description" not in prop.node:
            yield prop.pointer, f"property '{prop.path}' has no description"
        elif _blank(prop.node["description"]):
            yield prop.pointer + "/description", f"property '{prop.path}' has an empty description"


def _described_by_ref(doc: dict, ref: object) -> bool:
    """True when a local ``$ref`` (``#/definitions/x``) points at a node with a description."""
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return False
    node: object = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return isinstance(node, dict) and not _blank(node.get("description"))


RULES = [event_description, property_description]
