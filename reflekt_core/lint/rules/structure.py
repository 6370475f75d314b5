"""Structural checks in the spirit of Snowplow's igluctl lint."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from reflekt_core.lint.result import Level
from reflekt_core.lint.rule import Finding, LintContext, schema_rule
from reflekt_core.lint.rules.types import declared_types
from reflekt_core.schemas.model import EventSchema
from reflekt_core.schemas.version import is_self_describing

KNOWN_FORMATS = frozenset({
    "date-time", "date", "time", "email", "idn-email", "hostname", "idn-hostname", "ipv4", "ipv6",
    "uri", "uri-reference", "iri", "iri-reference", "uri-template", "json-pointer",
    "relative-json-pointer", "regex", "uuid", "duration",
})

#: Keywords that only constrain values of one JSON type.
KEYWORD_TYPES = {
    "minLength": "string", "maxLength": "string", "pattern": "string", "format": "string",
    "minimum": "number", "maximum": "number", "exclusiveMinimum": "number",
    "exclusiveMaximum": "number", "multipleOf": "number",
    "minItems": "array", "maxItems": "array", "uniqueItems": "array", "items": "array",
    "additionalItems": "array", "contains": "array",
    "minProperties": "object", "maxProperties": "object", "properties": "object",
    "patternProperties": "object", "additionalProperties": "object", "required": "object",
    "propertyNames": "object", "dependencies": "object",
}
_TYPED_KEYWORDS = frozenset(KEYWORD_TYPES)


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@schema_rule("R501", "structure.root_object", Level.ERROR)
def root_object(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """The root of an event schema is ``"type": "object"`` with a ``properties`` object.

    Fails: ``{"type": "array", ...}``
    Passes: ``{"type": "object", "properties": {...}}``
    """
    if "object" not in declared_types(schema.doc):
        yield "/type", "the root of an event schema must have \"type\": \"object\""
    if not isinstance(schema.doc.get("properties"), dict):
        yield "/properties", "the root of an event schema must have a \"properties\" object"


@lru_cache(maxsize=2)
def _meta_validator(draft: str):
    from reflekt_core.validation import Validator, meta_schema

    return Validator(meta_schema("draft4" if draft == "draft-04" else "draft7"))


@schema_rule("R502", "structure.valid_json_schema", Level.ERROR)
def valid_json_schema(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """The schema is a valid draft-07 JSON Schema (draft-04 for a self-describing Iglu schema).

    Iglu's self-describing meta-schema extends draft-04, where ``exclusiveMinimum`` is a boolean.
    Fails: ``"order_id": {"type": "text"}``
    Passes: ``"order_id": {"type": "string"}``
    """
    draft = "draft-04" if is_self_describing(schema.doc) else "draft-07"
    for error in _meta_validator(draft).iter_errors(schema.doc):
        pointer = "".join(f"/{p}" for p in error.absolute_path)
        yield pointer, f"not valid {draft} JSON Schema: {error.message}"


def _ordered(node: dict, low: str, high: str, pointer: str, what: str) -> Iterator[Finding]:
    if low not in node or high not in node:
        return
    lo, hi = node[low], node[high]
    if _number(lo) and _number(hi) and lo > hi:
        yield f"{pointer}/{low}", f"{low} ({lo}) is greater than {high} ({hi}): no {what} can be valid"


@schema_rule("R503", "structure.min_max", Level.ERROR)
def min_max(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """``minimum`` is not greater than ``maximum`` (exclusive bounds too).

    Fails: ``{"type": "integer", "minimum": 10, "maximum": 1}``
    Passes: ``{"type": "integer", "minimum": 1, "maximum": 10}``
    """
    for pointer, node in schema.subschemas:
        if "minimum" in node:
            yield from _ordered(node, "minimum", "maximum", pointer, "number")
        if "exclusiveMinimum" not in node:
            continue
        lo, hi = node.get("exclusiveMinimum"), node.get("exclusiveMaximum")
        if _number(lo) and _number(hi) and lo >= hi:
            yield f"{pointer}/exclusiveMinimum", (f"exclusiveMinimum ({lo}) is not below "
                                                  f"exclusiveMaximum ({hi}): no number can be valid")


@schema_rule("R504", "structure.min_max_length", Level.ERROR)
def min_max_length(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """``minLength`` is not greater than ``maxLength``.

    Fails: ``{"type": "string", "minLength": 5, "maxLength": 2}``
    Passes: ``{"type": "string", "minLength": 2, "maxLength": 5}``
    """
    for pointer, node in schema.subschemas:
        if "minLength" in node:
            yield from _ordered(node, "minLength", "maxLength", pointer, "string")


@schema_rule("R505", "structure.min_max_items", Level.ERROR)
def min_max_items(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """``minItems`` is not greater than ``maxItems``.

    Fails: ``{"type": "array", "minItems": 3, "maxItems": 1}``
    Passes: ``{"type": "array", "minItems": 1, "maxItems": 3}``
    """
    for pointer, node in schema.subschemas:
        if "minItems" in node:
            yield from _ordered(node, "minItems", "maxItems", pointer, "array")


@schema_rule("R506", "structure.keyword_type", Level.WARNING)
def keyword_type(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """Type-specific keywords match the declared type (``maxLength`` on a string, not a number).

    Fails: ``{"type": "integer", "maxLength": 10}``
    Passes: ``{"type": "string", "maxLength": 10}``
    """
    for pointer, node in schema.subschemas:
        if node.keys().isdisjoint(_TYPED_KEYWORDS):
            continue  # most properties: nothing to check
        types = set(declared_types(node))
        if not types:
            continue
        if "integer" in types:
            types.add("number")
        for keyword in node:
            needs = KEYWORD_TYPES.get(keyword)
            if needs is not None and needs not in types:
                yield f"{pointer}/{keyword}", (f"'{keyword}' applies to {needs} values, but the type is "
                                               f"{' or '.join(sorted(declared_types(node)))}: it has no effect")


#: Keywords whose subschemas describe the same object as their parent (``required`` there may
#: name the parent's properties).
_SAME_OBJECT_LIST = ("allOf", "anyOf", "oneOf")
_SAME_OBJECT_ONE = ("if", "then", "else", "not")


_EMPTY: frozenset[str] = frozenset()
#: Keywords whose members describe other values (a property, array items, ...): they inherit nothing.
_CHILD_MAPS = ("properties", "patternProperties", "definitions", "$defs", "dependencies")
_CHILD_ONE = ("additionalProperties", "additionalItems", "contains", "propertyNames")


def _pointer(path: tuple) -> str:
    from reflekt_core.schemas.walk import escape

    return "".join(f"/{escape(seg)}" if isinstance(seg, str) else f"/{seg}" for seg in path)


def _branch_definitions(root: object, node: dict) -> tuple[set[str], list[str]]:
    """Property names and ``patternProperties`` patterns that the branches describing the same
    object define (``allOf``/``anyOf``/``oneOf``/``if``/``then``/``else``, nested, local ``$ref``s
    followed): ``"required": ["mode"]`` beside ``"oneOf": [{"properties": {"mode": ...}}, ...]``."""
    from reflekt_core.schemas.walk import MISSING, resolve_pointer

    names: set[str] = set()
    patterns: list[str] = []
    seen: set[int] = set()
    todo: list[object] = [node]
    while todo and len(seen) < 1000:
        current = todo.pop()
        if isinstance(current, dict) and isinstance(current.get("$ref"), str) and current["$ref"].startswith("#"):
            target = resolve_pointer(root, current["$ref"][1:])
            current = None if target is MISSING else target
        if not isinstance(current, dict) or id(current) in seen:
            continue
        seen.add(id(current))
        if current is not node:
            if isinstance(current.get("properties"), dict):
                names.update(current["properties"])
            if isinstance(current.get("patternProperties"), dict):
                patterns.extend(current["patternProperties"])
        for keyword in _SAME_OBJECT_LIST:
            if isinstance(current.get(keyword), list):
                todo.extend(current[keyword])
        todo.extend(current[keyword] for keyword in ("if", "then", "else") if keyword in current)
    return names, patterns


def _matches_pattern(key: str, patterns: list[str]) -> bool:
    import re

    for pattern in patterns:
        try:
            if re.search(pattern, key):
                return True
        except (re.error, TypeError):
            continue
    return False


def _required_problems(root: object) -> Iterator[Finding]:
    """Pre-order walk with an explicit stack; pointers are built only for a finding (this rule
    visits every node of every schema, so it must stay cheap)."""
    import difflib

    stack: list[tuple[object, tuple, frozenset[str]]] = [(root, (), _EMPTY)]
    while stack:
        node, path, inherited = stack.pop()
        if not isinstance(node, dict) or node.get("lint") is False:
            continue
        props = node.get("properties")
        defined = inherited.union(props) if isinstance(props, dict) and props else inherited
        required = node.get("required")
        if isinstance(required, list):
            missing = [(i, key) for i, key in enumerate(required) if isinstance(key, str) and key not in defined]
            if missing:  # rare: only then look into the branches and patterns
                names, patterns = _branch_definitions(root, node)
                own = node.get("patternProperties")
                patterns += list(own) if isinstance(own, dict) else []
                for index, key in missing:
                    if key in names or _matches_pattern(key, patterns):
                        continue
                    close = difflib.get_close_matches(key, sorted(defined | names), n=1, cutoff=0.8)
                    hint = f" (did you mean '{close[0]}'?)" if close else ""
                    yield (_pointer((*path, "required", index)),
                           f"required key '{key}' is not defined in properties{hint}")
        todo: list[tuple[object, tuple, frozenset[str]]] = []
        for keyword in _SAME_OBJECT_LIST:
            branches = node.get(keyword)
            if isinstance(branches, list):
                todo.extend((branch, (*path, keyword, i), defined) for i, branch in enumerate(branches))
        for keyword in _SAME_OBJECT_ONE:
            if keyword in node:
                todo.append((node[keyword], (*path, keyword), defined))
        for keyword in _CHILD_MAPS:
            members = node.get(keyword)
            if isinstance(members, dict):
                todo.extend((child, (*path, keyword, str(key)), _EMPTY) for key, child in members.items())
        items = node.get("items")
        if isinstance(items, list):
            todo.extend((child, (*path, "items", i), _EMPTY) for i, child in enumerate(items))
        elif items is not None:
            todo.append((items, (*path, "items"), _EMPTY))
        for keyword in _CHILD_ONE:
            if keyword in node:
                todo.append((node[keyword], (*path, keyword), _EMPTY))
        stack.extend(reversed(todo))


@schema_rule("R507", "structure.required_defined", Level.ERROR)
def required_defined(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """Every key in ``required`` is defined in ``properties``: the object's own, or, inside
    ``anyOf``/``oneOf``/``allOf``/``if``/``then``/``else``, the enclosing object's or the branch's.

    Fails: ``"properties": {"order_id": {...}}, "required": ["orderid"]``
    Passes: ``"properties": {"order_id": {...}}, "required": ["order_id"]``
    Passes: ``"properties": {"text": {...}}, "anyOf": [{"required": ["text"]}]``
    """
    # A finding needs a required key that the object's own properties do not define; the shared
    # walk (the same nodes as _required_problems visits) answers that for most schemas at once.
    for _pointer_, node in schema.subschemas:
        required = node.get("required")
        if isinstance(required, list) and required:
            props = node.get("properties")
            props = props if isinstance(props, dict) else {}
            if any(isinstance(key, str) and key not in props for key in required):
                yield from _required_problems(schema.doc)
                return


@schema_rule("R508", "structure.unknown_format", Level.WARNING)
def unknown_format(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """``format`` is one that JSON Schema defines (``date-time``, ``email``, ``uri``, ``uuid``...).

    Fails: ``{"type": "string", "format": "datetime"}``
    Passes: ``{"type": "string", "format": "date-time"}``
    """
    for pointer, node in schema.subschemas:
        value = node.get("format")
        if isinstance(value, str) and value not in KNOWN_FORMATS:
            yield f"{pointer}/format", (f"unknown format '{value}': validators ignore it "
                                        f"(known: {', '.join(sorted(KNOWN_FORMATS))})")


@schema_rule("R509", "structure.remote_ref", Level.ERROR)
def remote_ref(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """``$ref`` points inside the schema (or to a JSON Schema meta-schema), never to another document.

    Reflekt never fetches a reference, so a remote one could not be checked, and would let
    anyone who edits a schema make every consumer's validator call out to a server.
    Fails: ``"order": {"$ref": "https://schemas.example.com/order.json"}``
    Passes: ``"order": {"$ref": "#/definitions/order"}``
    """
    from reflekt_core.validation import ref_kind

    base = schema.doc.get("$id")
    base = base if isinstance(base, str) else ""
    for pointer, node in schema.subschemas:
        ref = node.get("$ref")
        if isinstance(ref, str) and ref_kind(ref, base) == "remote":
            yield f"{pointer}/$ref", (f"$ref '{ref}' points to another document, which Reflekt never fetches "
                                      "(move the definition under 'definitions' and use '#/definitions/...')")


RULES = [root_object, valid_json_schema, min_max, min_max_length, min_max_items, keyword_type,
         required_defined, unknown_format, remote_ref]
