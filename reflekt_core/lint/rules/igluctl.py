"""igluctl's stricter structural checks (schema-ddl's linter), off unless selected.

``reflekt lint --iglu-dir`` runs them, so a team can replace ``igluctl lint``; a project
turns one on with ``lint.select`` or ``--select-rules``. Names in igluctl: ``stringMaxLengthRange``,
``numericMinMax``, ``stringLength``, ``optionalNull``.
"""

from __future__ import annotations

from collections.abc import Iterator

from reflekt_core.lint.result import Level
from reflekt_core.lint.rule import Finding, LintContext, schema_rule
from reflekt_core.lint.rules.structure import KNOWN_FORMATS
from reflekt_core.lint.rules.types import declared_types
from reflekt_core.schemas.model import EventSchema
from reflekt_core.schemas.walk import escape

#: Redshift's VARCHAR limit, which igluctl checks ``maxLength`` against.
VARCHAR_MAX = 65535


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@schema_rule("R510", "structure.string_max_length_range", Level.WARNING, default=False)
def string_max_length_range(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """A string's ``maxLength`` is at most 65535 (Redshift's VARCHAR maximum).

    Fails: ``{"type": "string", "maxLength": 100000}``
    Passes: ``{"type": "string", "maxLength": 4096}``
    """
    for pointer, node in schema.subschemas:
        value = node.get("maxLength")
        if "string" in declared_types(node) and _number(value) and value > VARCHAR_MAX:
            yield f"{pointer}/maxLength", (f"maxLength {value} is greater than the Redshift VARCHAR "
                                           f"maximum of {VARCHAR_MAX}")


@schema_rule("R511", "structure.numeric_bounds", Level.WARNING, default=False)
def numeric_bounds(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """A number or integer has both a lower and an upper bound (column types follow from them).

    Fails: ``{"type": "integer"}``
    Passes: ``{"type": "integer", "minimum": 0, "maximum": 100}``
    """
    for pointer, node in schema.subschemas:
        types = declared_types(node)
        if "number" not in types and "integer" not in types:
            continue
        low = "minimum" in node or _number(node.get("exclusiveMinimum"))
        high = "maximum" in node or _number(node.get("exclusiveMaximum"))
        if not (low and high):
            yield pointer or "/", "a numeric value should have \"minimum\" and \"maximum\""


@schema_rule("R512", "structure.string_length", Level.WARNING, default=False)
def string_length(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """A string has ``maxLength``, a known ``format`` or an ``enum`` (column sizes follow from them).

    Fails: ``{"type": "string"}``
    Passes: ``{"type": "string", "maxLength": 255}``
    """
    for pointer, node in schema.subschemas:
        if "string" not in declared_types(node) or "enum" in node or "maxLength" in node:
            continue
        if isinstance(node.get("format"), str) and node["format"] in KNOWN_FORMATS:
            continue
        yield pointer or "/", "a string should have \"maxLength\", a known \"format\" or an \"enum\""


@schema_rule("R513", "structure.optional_null", Level.INFO, default=False)
def optional_null(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """An optional property (not in ``required``) also accepts ``null``.

    Fails: ``"properties": {"coupon": {"type": "string"}}, "required": []``
    Passes: ``"properties": {"coupon": {"type": ["string", "null"]}}, "required": []``
    """
    for pointer, node in schema.subschemas:
        required, props = node.get("required"), node.get("properties")
        if not isinstance(required, list) or not isinstance(props, dict):
            continue
        for key, sub in props.items():
            if key in required or not isinstance(sub, dict):
                continue
            if "null" not in declared_types(sub) and "type" in sub:
                yield f"{pointer}/properties/{escape(key)}/type", (
                    f"optional property '{key}' does not accept null; use \"type\": [..., \"null\"]")


RULES = [string_max_length_range, numeric_bounds, string_length, optional_null]
