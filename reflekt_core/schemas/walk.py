"""Walk a JSON Schema: every subschema, and every named property (nested included)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_MAP_KEYWORDS = ("properties", "patternProperties", "definitions", "$defs", "dependencies")
_ONE_KEYWORDS = ("additionalProperties", "additionalItems", "contains", "propertyNames",
                 "not", "if", "then", "else")
_LIST_KEYWORDS = ("allOf", "anyOf", "oneOf")


def escape(token: str) -> str:
    """Escape one JSON Pointer reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


def iter_subschemas(node: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``(pointer, subschema)`` for the node and every schema nested in it.

    A subschema with ``"lint": false`` is skipped along with everything below it.
    """
    if not isinstance(node, dict) or node.get("lint") is False:
        return
    yield pointer, node
    for keyword in _MAP_KEYWORDS:
        children = node.get(keyword)
        if isinstance(children, dict):
            for key, child in children.items():
                yield from iter_subschemas(child, f"{pointer}/{keyword}/{escape(str(key))}")
    items = node.get("items")
    if isinstance(items, dict):
        yield from iter_subschemas(items, f"{pointer}/items")
    elif isinstance(items, list):
        for index, child in enumerate(items):
            yield from iter_subschemas(child, f"{pointer}/items/{index}")
    for keyword in _ONE_KEYWORDS:
        yield from iter_subschemas(node.get(keyword), f"{pointer}/{keyword}")
    for keyword in _LIST_KEYWORDS:
        children = node.get(keyword)
        if isinstance(children, list):
            for index, child in enumerate(children):
                yield from iter_subschemas(child, f"{pointer}/{keyword}/{index}")


@dataclass(frozen=True, slots=True)
class PropertyNode:
    """A named property anywhere in the schema (``a.b`` for ``b`` inside object ``a``)."""

    name: str
    path: str
    pointer: str
    node: Any
    required: bool


def _item_schemas(node: dict[str, Any], pointer: str) -> Iterator[tuple[str, dict[str, Any]]]:
    items = node.get("items")
    if isinstance(items, dict):
        yield f"{pointer}/items", items
    elif isinstance(items, list):
        for index, child in enumerate(items):
            if isinstance(child, dict):
                yield f"{pointer}/items/{index}", child


def iter_properties(schema: dict[str, Any], pointer: str = "", prefix: str = "") -> Iterator[PropertyNode]:
    """Yield every property under ``properties``, recursing into objects and array items.

    A property with ``"lint": false`` is skipped with its children, as in reflekt 0.6.
    """
    props = schema.get("properties")
    if not isinstance(props, dict):
        return
    required = schema.get("required")
    required = set(required) if isinstance(required, list) and all(
        isinstance(r, str) for r in required) else set()
    for name, node in props.items():
        if isinstance(node, dict) and node.get("lint") is False:
            continue
        child_pointer = f"{pointer}/properties/{escape(str(name))}"
        path = f"{prefix}{name}"
        yield PropertyNode(str(name), path, child_pointer, node, name in required)
        if isinstance(node, dict):
            yield from iter_properties(node, child_pointer, f"{path}.")
            for item_pointer, item in _item_schemas(node, child_pointer):
                yield from iter_properties(item, item_pointer, f"{path}[].")


def line_of_pointer(text: str, pointer: str) -> int | None:
    """Best-effort 1-based line of the member a JSON Pointer names in the source text."""
    if not pointer:
        return 1
    position = 0
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if token.isdigit():
            continue
        found = text.find(f'"{token}"', position)
        if found < 0:
            break
        position = found + 1
    return text.count("\n", 0, position) + 1 if position else None
