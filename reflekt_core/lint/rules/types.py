"""Property types: declared, and from the project's allowed ``data_types``."""

from __future__ import annotations

from collections.abc import Iterator

from reflekt_core.lint.result import Level
from reflekt_core.lint.rule import Finding, LintContext, schema_rule
from reflekt_core.schemas.model import EventSchema

# A property typed through one of these keywords has a type even without "type".
_TYPED_BY = ("$ref", "anyOf", "oneOf", "allOf", "enum", "const")


def declared_types(node: object) -> list[str]:
    value = node.get("type") if isinstance(node, dict) else None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


@schema_rule("R401", "types.property_type", Level.ERROR)
def property_type(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """Every property declares a ``type`` (or is typed by ``$ref``, ``enum``, ``const``, ``anyOf``...).

    Fails: ``"order_id": {"description": "The order id."}``
    Passes: ``"order_id": {"type": "string", "description": "The order id."}``
    """
    for prop in schema.property_nodes:
        node = prop.node
        if not isinstance(node, dict):
            yield prop.pointer, f"property '{prop.path}' must be a schema object, not {type(node).__name__}"
        elif "type" not in node and not any(k in node for k in _TYPED_BY):
            yield prop.pointer, f"property '{prop.path}' has no type"


@schema_rule("R402", "types.allowed_data_types", Level.ERROR)
def allowed_data_types(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """Property types are among ``conventions.data_types``.

    Fails (data_types without object): ``"cart": {"type": "object", ...}``
    Passes (data_types with object): ``"cart": {"type": "object", ...}``
    """
    allowed = ctx.project.data_types
    for prop in schema.property_nodes:
        for type_name in declared_types(prop.node):
            if type_name not in allowed:
                yield prop.pointer + "/type", (f"property '{prop.path}' has type '{type_name}', which is "
                                               f"not in the allowed data_types ({', '.join(allowed)})")


RULES = [property_type, allowed_data_types]
