"""dbt tests derived from JSON Schema keywords, and which rows each may run on (pure).

A test is only emitted where it holds for every schema version whose rows the model reads.
When the raw table says which major version sent each row (``schema_version``), a test that
holds for every version of one major is emitted restricted to that major's rows instead.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from reflekt_core.dbt.regex import Untranslatable, translate as translate_pattern
from reflekt_core.schemas.walk import PropertyNode

_FORMATS = ("email", "uuid", "uri", "ipv4", "date-time", "date")


def nullable(node: Any) -> bool:
    """True when a value of ``node`` may be null: a null type, a null in ``enum``, or a null branch."""
    if not isinstance(node, dict):
        return False
    kind = node.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    if isinstance(node.get("enum"), list) and None in node["enum"]:
        return True
    if "const" in node and node["const"] is None:
        return True
    return any(nullable(branch) for keyword in ("anyOf", "oneOf") for branch in node.get(keyword) or []
               if isinstance(node.get(keyword), list))


def _enum_values(values: list[Any], column_type: str) -> list[Any]:
    """Enum values as the column holds them: text for a text column, numbers for a numeric one."""
    values = [v for v in values if v is not None]
    if column_type in ("integer", "float"):
        return [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if column_type == "boolean":
        return [v for v in values if isinstance(v, bool)]
    return [v if isinstance(v, str) else json.dumps(v) for v in values]


def property_tests(prop: PropertyNode, column_type: str, problems: list[str] | None = None) -> list[Any]:
    """dbt tests for a property's keywords; a keyword no test can check faithfully goes to ``problems``.

    ``not_null`` needs a required top-level key whose type does not allow null: a required
    key may hold null when its type (or enum) says so.
    """
    node = prop.node
    tests: list[Any] = []
    if prop.required and "." not in prop.path and not nullable(node):
        tests.append("not_null")
    if isinstance(node.get("enum"), list) and node["enum"]:
        values = _enum_values(node["enum"], column_type)
        if values:
            tests.append({"reflekt_accepted_values": {"arguments": {"values": values}}})
    if column_type == "string":
        if isinstance(node.get("format"), str) and node["format"] in _FORMATS:
            tests.append({"reflekt_format": {"arguments": {"format": node["format"]}}})
        if isinstance(node.get("pattern"), str) and node["pattern"]:
            try:
                regex = translate_pattern(node["pattern"])
            except Untranslatable as exc:
                if problems is not None:
                    problems.append(str(exc))
            else:
                tests.append({"reflekt_pattern": {"arguments": {"pattern": node["pattern"], "regex": regex}}})
        bounds = {k: node[k] for k in ("minLength", "maxLength") if isinstance(node.get(k), int)}
        if bounds:
            tests.append({"reflekt_length": {"arguments": {"min_length": bounds.get("minLength"),
                                                           "max_length": bounds.get("maxLength")}}})
    if column_type in ("integer", "float"):
        limits = {k: node[k] for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
                  if isinstance(node.get(k), (int, float)) and not isinstance(node.get(k), bool)}
        if limits:
            tests.append({"reflekt_range": {"arguments": {
                "min_value": limits.get("minimum", limits.get("exclusiveMinimum")),
                "max_value": limits.get("maximum", limits.get("exclusiveMaximum")),
                "min_inclusive": "exclusiveMinimum" not in limits,
                "max_inclusive": "exclusiveMaximum" not in limits}}})
    return tests


def _common(lists: Sequence[list[Any]]) -> list[Any]:
    if len(lists) < 2:  # one version (most models): its tests as they are
        return list(lists[0]) if lists else []
    others = lists[1:]
    return [test for test in lists[0] if all(test in other for other in others)]


def restrict(test: Any, where: str) -> Any:
    """``test`` run only on the rows ``where`` selects (dbt's ``where`` test config)."""
    if isinstance(test, str):
        return {test: {"config": {"where": where}}}
    (name, body), = test.items()
    return {name: {**body, "config": {**body.get("config", {}), "where": where}}}


def combine(per_version: Sequence[tuple[int, list[Any]]], version_where: dict[int, str] | None) -> list[Any]:
    """The tests a model may carry, from each row version's tests (``(major, tests)``, one per version).

    A test every version implies runs on every row. With ``version_where`` (major -> row filter),
    a test every version of one major implies runs on that major's rows.
    """
    everywhere = _common([tests for _major, tests in per_version])
    result = list(everywhere)
    majors = sorted({major for major, _tests in per_version})
    if version_where is not None and len(majors) > 1:
        for major in majors:
            for test in _common([tests for m, tests in per_version if m == major]):
                if test not in everywhere:
                    result.append(restrict(test, version_where[major]))
    return result


__all__ = ["combine", "nullable", "property_tests", "restrict"]
