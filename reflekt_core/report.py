"""``reflekt report``: Markdown documentation of event schemas, one page or a catalog."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence

from reflekt_core.lint.rules.types import declared_types
from reflekt_core.schemas.model import EventSchema
from reflekt_core.schemas.walk import iter_properties

_CONSTRAINTS = ("enum", "const", "format", "pattern", "minimum", "maximum", "exclusiveMinimum",
                "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "minItems", "maxItems",
                "uniqueItems", "default")


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").strip()


def _constraints(node: dict) -> str:
    parts = []
    for key in _CONSTRAINTS:
        if key in node:
            value = node[key]
            shown = ", ".join(json.dumps(v) for v in value) if key == "enum" else json.dumps(value)
            parts.append(f"{key}: {shown}")
    return "; ".join(parts)


def _type_of(node: object) -> str:
    if not isinstance(node, dict):
        return ""
    types = declared_types(node)
    if "array" in types and isinstance(node.get("items"), dict):
        item_types = declared_types(node["items"])
        if item_types:
            types = [t if t != "array" else f"array of {'/'.join(item_types)}" for t in types]
    if not types and "$ref" in node:
        return f"ref {node['$ref']}"
    if not types and "enum" in node:
        return "enum"
    return " or ".join(types)


def report_file_name(schema: EventSchema) -> str:
    """Relative path of a schema's page in a catalog: ``plan/Event_Name/1-0.md``."""
    return schema.rel_path[: -len(".json")] + ".md"


def render_schema(schema: EventSchema) -> str:
    """One schema as a Markdown page: event, description, metadata and every property."""
    lines = [f"# {schema.name}", ""]
    facts = [f"`{schema.id}`", f"version {schema.version}", f"call: {schema.call_type}"]
    if schema.vendor:
        facts.insert(2, f"vendor {schema.vendor}")
    lines += [" · ".join(facts), ""]
    lines += [schema.description.strip() or "_No description._", ""]
    if schema.metadata:
        lines += ["## Metadata", "", "| key | value |", "|---|---|"]
        lines += [f"| {_cell(k)} | {_cell(v)} |" for k, v in sorted(schema.metadata.items())]
        lines.append("")
    props = list(iter_properties(schema.doc))
    lines += ["## Properties", ""]
    if not props:
        lines += ["_This event has no properties._", ""]
    else:
        lines += ["| property | type | required | description | constraints |", "|---|---|---|---|---|"]
        for prop in props:
            node = prop.node if isinstance(prop.node, dict) else {}
            lines.append(f"| `{_cell(prop.path)}` | {_cell(_type_of(node))} | {'yes' if prop.required else 'no'} "
                         f"| {_cell(node.get('description', ''))} | {_cell(_constraints(node))} |")
        lines.append("")
    if schema.doc.get("additionalProperties") is False:
        lines += ["Properties not listed here are rejected (`additionalProperties: false`).", ""]
    return "\n".join(lines)


def render_catalog(schemas: Sequence[EventSchema], title: str) -> dict[str, str]:
    """A browsable catalog: ``index.md`` plus one page per schema, keyed by relative path."""
    pages = {report_file_name(s): render_schema(s) for s in schemas}
    by_plan: dict[str, list[EventSchema]] = defaultdict(list)
    for schema in schemas:
        by_plan[schema.rel_path.split("/", 1)[0] if "/" in schema.rel_path else ""].append(schema)
    lines = [f"# {title}: event catalog", "", f"{len(schemas)} schema versions.", ""]
    for plan in sorted(by_plan):
        lines += [f"## {plan or '(top level)'}", "", "| event | version | call | owner | description |",
                  "|---|---|---|---|---|"]
        for s in sorted(by_plan[plan], key=lambda s: (s.name, s.major, s.minor)):
            owner = s.metadata.get("code_owner", "")
            summary = s.description.strip().split("\n")[0]
            lines.append(f"| [{_cell(s.name)}]({report_file_name(s)}) | {s.version} | {s.call_type} "
                         f"| {_cell(owner)} | {_cell(summary)} |")
        lines.append("")
    pages["index.md"] = "\n".join(lines)
    return pages
