"""The classification rules: each looks at its own keywords of one (old, new) node pair.

Every rule has a dotted name and a docstring with a failing (breaking) and a passing
(compatible) example; ``tests/fixtures/evolution/<name>.yml`` holds its table of cases, which
the tests also run reversed and re-nested (inside an object, array items, an ``anyOf``
branch and a ``$ref``). Compatible means: every event valid under the old schema is still
valid under the new one, and nothing a reader of the events used has gone. What cannot be
decided (two different regular expressions, say) is breaking: "cannot prove compatible".
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from reflekt_core.evolution.change import Kind
from reflekt_core.schemas.walk import escape

ADDITION, BREAKING, COSMETIC = Kind.ADDITION, Kind.BREAKING, Kind.COSMETIC
Found = tuple[str, Kind, str]
NOT_PROVEN = "cannot prove compatible"


@dataclass(frozen=True)
class ChangeRule:
    name: str
    doc: str
    check: Callable[..., Iterator[Found]]
    keywords: tuple[str, ...]
    root_only: bool = False

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0]


def change_rule(name: str, *keywords: str, root_only: bool = False):
    def wrap(func: Callable[..., Iterator[Found]]) -> ChangeRule:
        return ChangeRule(name, inspect.cleandoc(func.__doc__ or ""), func, keywords, root_only)
    return wrap


def _show(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _props(node: dict) -> dict[str, Any]:
    props = node.get("properties")
    return props if isinstance(props, dict) else {}


def _required(node: dict) -> set[str]:
    req = node.get("required")
    return {r for r in req if isinstance(r, str)} if isinstance(req, list) else set()


def _at(pointer: str, *tokens: Any) -> str:
    for token in tokens:
        pointer = f"{pointer}/{escape(str(token))}"
    return pointer


# -- properties -------------------------------------------------------------------------------

@change_rule("property.added", "properties")
def property_added(old: dict, new: dict, ptr: str, cmp) -> Iterator[Found]:
    """A property is added: optional is an addition, required is breaking (producers must send it).

    Fails (breaking): ``{"properties": {}}`` → ``{"properties": {"coupon": {"type": "string"}}, "required": ["coupon"]}``
    Passes (addition): ``{"properties": {}}`` → ``{"properties": {"coupon": {"type": "string"}}}``
    """
    before, required = _props(old), _required(new)
    for name in _props(new):
        if name not in before:
            if name in required:
                yield (_at(ptr, "properties", name), BREAKING,
                       f"required property '{name}' added: events sent without it become invalid")
            else:
                yield _at(ptr, "properties", name), ADDITION, f"optional property '{name}' added"


def _closest(name: str, candidates: list[str]) -> str | None:
    """The candidate most like ``name`` once case and separators are ignored (``mergedAt`` ->
    ``merged_at`` rather than ``created_at``, when both have the same schema)."""
    import difflib

    def plain(text: str) -> str:
        return text.replace("_", "").replace("-", "").lower()

    return max(candidates, key=lambda c: difflib.SequenceMatcher(None, plain(name), plain(c)).ratio(),
               default=None)


@change_rule("property.removed", "properties")
def property_removed(old: dict, new: dict, ptr: str, cmp) -> Iterator[Found]:
    """A property is removed (a rename is a removal plus an addition): breaking for its readers.

    Fails (breaking): ``{"properties": {"coupon": {"type": "string"}}}`` → ``{"properties": {}}``
    Passes (addition): ``{"properties": {"coupon": {"type": "string"}}}`` → the same plus ``"discount": {...}``
    """
    after = _props(new)
    added: dict[str, list[str]] = {}
    for name, node in after.items():
        if name not in _props(old):
            added.setdefault(_key(node), []).append(name)
    for name, node in _props(old).items():
        if name not in after:
            renamed = _closest(name, added.get(_key(node), []))
            hint = f" (renamed to '{renamed}'?)" if renamed else ""
            yield (_at(ptr, "properties", name), BREAKING,
                   f"property '{name}' removed{hint}: models and reports reading it break")


@change_rule("property.required", "required")
def property_required(old: dict, new: dict, ptr: str, cmp) -> Iterator[Found]:
    """An existing property is made required (breaking) or optional (an addition: more events are valid).

    Fails (breaking): ``{"properties": {"coupon": {...}}}`` → ``{"properties": {"coupon": {...}}, "required": ["coupon"]}``
    Passes (addition): ``"required": ["coupon"]`` → ``"required": []``
    """
    old_props, new_props = _props(old), _props(new)
    was, now = _required(old), _required(new)
    for name in sorted(now - was):
        if name in new_props and name not in old_props:
            continue  # a new required property: property.added
        yield (_at(ptr, "properties", name) if name in new_props else _at(ptr, "required"), BREAKING,
               f"property '{name}' is now required: events sent without it become invalid")
    for name in sorted(was - now):
        if name in old_props and name not in new_props:
            continue  # removed altogether: property.removed
        yield (_at(ptr, "properties", name) if name in new_props else _at(ptr, "required"), ADDITION,
               f"property '{name}' is no longer required")


# -- types and values -------------------------------------------------------------------------

def _types(node: dict) -> set[str] | None:
    value = node.get("type")
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {t for t in value if isinstance(t, str)}
    return None


def _covers(wide: set[str], narrow: set[str]) -> bool:
    return all(t in wide or (t == "integer" and "number" in wide) for t in narrow)


def _type_text(types: set[str]) -> str:
    ordered = sorted(types)
    return f"'{ordered[0]}'" if len(ordered) == 1 else "[" + ", ".join(ordered) + "]"


def _value_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        return "integer"
    return {float: "number", str: "string", list: "array", dict: "object"}.get(type(value), "string")


#: Every JSON type (``integer`` is within ``number``): a ``type`` listing them all constrains nothing.
ALL_TYPES = frozenset({"array", "boolean", "null", "number", "object", "string"})


def _effective_types(node: dict) -> set[str] | None:
    """``type``, or without one the types of the ``enum``/``const`` values (they constrain as much);
    None when nothing constrains the type."""
    declared = _types(node)
    if declared is not None:
        return None if _covers(declared, ALL_TYPES) else declared
    values = [node["const"]] if "const" in node else node.get("enum") if isinstance(node.get("enum"), list) else None
    return {_value_type(v) for v in values} if values is not None else None


effective_types = _effective_types

#: The type of value each type-specific keyword constrains (JSON Schema validation, section 6).
_INSTANCE_TYPE = {
    **dict.fromkeys(("properties", "required", "additionalProperties", "minProperties", "maxProperties",
                     "patternProperties", "propertyNames", "dependencies"), "object"),
    **dict.fromkeys(("minLength", "maxLength", "pattern", "format"), "string"),
    **dict.fromkeys(("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"), "number"),
    **dict.fromkeys(("items", "additionalItems", "minItems", "maxItems", "uniqueItems", "contains"), "array"),
}


def instance_type(keyword: str) -> str | None:
    """``"object"`` for ``required``, ``"string"`` for ``maxLength``...; None for other keywords."""
    return _INSTANCE_TYPE.get(keyword)


@change_rule("type.changed", "type")
def type_changed(old: dict, new: dict, ptr: str, cmp) -> Iterator[Found]:
    """``type`` is widened (an addition) or narrowed or changed (breaking); ``integer`` is within ``number``.

    Without ``type``, the types of the ``enum``/``const`` values count: adding ``"type": "string"``
    beside an enum of strings changes nothing.
    Fails (breaking): ``{"type": ["string", "null"]}`` → ``{"type": "string"}``
    Passes (addition): ``{"type": "integer"}`` → ``{"type": ["number", "null"]}``
    """
    before, after = _effective_types(old), _effective_types(new)
    where = _at(ptr, "type")
    if before == after:
        return
    if after is None:
        yield where, ADDITION, f"type constraint {_type_text(before)} removed"
    elif before is None:
        yield where, BREAKING, f"type constraint {_type_text(after)} added"
    elif _covers(after, before) and _covers(before, after):
        return
    elif _covers(after, before):
        yield where, ADDITION, f"type widened from {_type_text(before)} to {_type_text(after)}"
    elif _covers(before, after):
        yield where, BREAKING, f"type narrowed from {_type_text(before)} to {_type_text(after)}"
    else:
        yield where, BREAKING, f"type changed from {_type_text(before)} to {_type_text(after)}"


def _values(node: dict, keyword: str) -> list | None:
    if keyword == "const":
        return [node["const"]] if "const" in node else None
    value = node.get("enum")
    return value if isinstance(value, list) else None


@change_rule("enum.changed", "enum", "const")
def enum_changed(old: dict, new: dict, ptr: str, cmp) -> Iterator[Found]:
    """``enum`` (or ``const``) values added are an addition; values removed, or a new ``enum``, are breaking.

    Fails (breaking): ``{"enum": ["card", "cash"]}`` → ``{"enum": ["card"]}``
    Passes (addition): ``{"enum": ["card"]}`` → ``{"enum": ["card", "cash"]}``
    """
    for keyword in ("enum", "const"):
        before, after = _values(old, keyword), _values(new, keyword)
        where = _at(ptr, keyword)
        if before is None and after is None:
            continue
        if after is None:
            yield where, ADDITION, f"{keyword} removed (any value is allowed)"
            continue
        if before is None:
            yield where, BREAKING, f"{keyword} added: only {_show(after)} allowed"
            continue
        old_keys, new_keys = {_key(v) for v in before}, {_key(v) for v in after}
        removed = [v for v in before if _key(v) not in new_keys]
        added = [v for v in after if _key(v) not in old_keys]
        if removed:
            yield where, BREAKING, f"{keyword} values removed: {', '.join(_show(v) for v in removed)}"
        if added:
            yield where, ADDITION, f"{keyword} values added: {', '.join(_show(v) for v in added)}"


# -- bounds -----------------------------------------------------------------------------------

def _is_num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _bound(node: dict, inclusive: str, exclusive: str, pick) -> tuple[float, bool] | None:
    """The tightest of an inclusive and an exclusive bound: (value, is_exclusive)."""
    found = []
    if _is_num(node.get(inclusive)):
        found.append((node[inclusive], node.get(exclusive) is True))  # draft-04 boolean form
    if _is_num(node.get(exclusive)):
        found.append((node[exclusive], True))
    return pick(found) if found else None


def _tightest_lower(bounds):
    return max(bounds, key=lambda b: (b[0], b[1]))


def _tightest_upper(bounds):
    return min(bounds, key=lambda b: (b[0], not b[1]))


def _compare_bound(before, after, lower: bool) -> int | None:
    """-1 looser, 0 same, 1 tighter, None when both absent."""
    if before is None and after is None:
        return None
    if after is None:
        return -1
    if before is None:
        return 1
    if before == after:
        return 0
    if after[0] != before[0]:
        return 1 if (after[0] > before[0]) == lower else -1
    return 1 if after[1] else -1


def _text(bound) -> str:
    return f"{bound[0]} (exclusive)" if bound and bound[1] else str(bound[0]) if bound else "none"


def _bound_change(name: str, where: str, before, after, lower: bool) -> Iterator[Found]:
    verdict = _compare_bound(before, after, lower)
    if verdict is None or verdict == 0:
        return
    if before is None:
        yield where, BREAKING, f"{name} {_text(after)} added"
    elif after is None:
        yield where, ADDITION, f"{name} {_text(before)} removed"
    elif verdict > 0:
        yield where, BREAKING, f"{name} tightened from {_text(before)} to {_text(after)}"
    else:
        yield where, ADDITION, f"{name} relaxed from {_text(before)} to {_text(after)}"


def _pointer_for(ptr: str, old: dict, new: dict, *keywords: str) -> str:
    for keyword in keywords:
        if keyword in new:
            return _at(ptr, keyword)
    for keyword in keywords:
        if keyword in old:
            return _at(ptr, keyword)
    return ptr


@change_rule("bounds.numeric", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
def numeric_bounds(old: dict, new: dict, ptr: str, cmp) -> Iterator[Found]:
    """``minimum``/``maximum`` (and exclusive forms, ``multipleOf``): tightening is breaking, relaxing an addition.

    Fails (breaking): ``{"minimum": 0}`` → ``{"minimum": 1}``
    Passes (addition): ``{"minimum": 1, "maximum": 10}`` → ``{"minimum": 0}``
    """
    for lower, inc, exc, pick in ((True, "minimum", "exclusiveMinimum", _tightest_lower),
                                  (False, "maximum", "exclusiveMaximum", _tightest_upper)):
        before, after = _bound(old, inc, exc, pick), _bound(new, inc, exc, pick)
        if before is not None or after is not None:  # neither: no change, no pointer to make
            yield from _bound_change(inc, _pointer_for(ptr, old, new, inc, exc), before, after, lower)
    before, after = old.get("multipleOf"), new.get("multipleOf")
    if before == after or not (_is_num(before) or _is_num(after)):
        return
    where = _at(ptr, "multipleOf")
    if not _is_num(after):
        yield where, ADDITION, f"multipleOf {before} removed"
    elif not _is_num(before):
        yield where, BREAKING, f"multipleOf {after} added"
    elif after and (before / after) == int(before / after):
        yield where, ADDITION, f"multipleOf relaxed from {before} to {after}"
    else:
        yield where, BREAKING, f"multipleOf changed from {before} to {after}"


def _int_bounds(old: dict, new: dict, ptr: str, pairs) -> Iterator[Found]:
    for low, high in pairs:
        for keyword, lower in ((low, True), (high, False)):
            before = (old[keyword], False) if _is_num(old.get(keyword)) else None
            after = (new[keyword], False) if _is_num(new.get(keyword)) else None
            if before is not None or after is not None:  # neither: no change, no pointer to make
                yield from _bound_change(keyword, _at(ptr, keyword), before, after, lower)


@change_rule("bounds.length", "minLength", "maxLength")
def length_bounds(old: dict, new: dict, ptr: str, cmp) -> Iterator[Found]:
    """``minLength``/``maxLength``: tightening (or adding) is breaking, relaxing (or removing) an addition.

    Fails (breaking): ``{"maxLength": 255}`` → ``{"maxLength": 64}``
    Passes (addition): ``{"maxLength": 64}`` → ``{"maxLength": 255}``
    """
    yield from _int_bounds(old, new, ptr, [("minLength", "maxLength")])


@change_rule("bounds.count", "minItems", "maxItems", "minProperties", "maxProperties")
def count_bounds(old: dict, new: dict, ptr: str, cmp) -> Iterator[Found]:
    """``minItems``/``maxItems`` and ``minProperties``/``maxProperties``: tightening is breaking.

    Fails (breaking): ``{"type": "array", "maxItems": 50}`` → ``{"type": "array", "maxItems": 10}``
    Passes (addition): ``{"type": "array", "minItems": 1}`` → ``{"type": "array"}``
    """
    yield from _int_bounds(old, new, ptr, [("minItems", "maxItems"), ("minProperties", "maxProperties")])


def _string_keyword(old: dict, new: dict, ptr: str, keyword: str, what: str) -> Iterator[Found]:
    before, after = old.get(keyword), new.get(keyword)
    if before == after:
        return
    where = _at(ptr, keyword)
    if after is None:
        yield where, ADDITION, f"{keyword} {_show(before)} removed"
    elif before is None:
        yield where, BREAKING, f"{keyword} {_show(after)} added: values not matching it become invalid"
    else:
        yield where, BREAKING, f"{NOT_PROVEN}: {what} changed from {_show(before)} to {_show(after)}"


@change_rule("string.pattern", "pattern")
def pattern_changed(old: dict, new: dict, ptr: str, cmp) -> Iterator[Found]:
    """``pattern`` added is breaking, removed an addition; two different regexes cannot be proven compatible.

    Fails (breaking): ``{"pattern": "^[a-z]+$"}`` → ``{"pattern": "^[a-z0-9]+$"}`` (cannot prove compatible)
    Passes (addition): ``{"pattern": "^[a-z]+$"}`` → ``{}``
    """
    yield from _string_keyword(old, new, ptr, "pattern", "pattern")


@change_rule("string.format", "format")
def format_changed(old: dict, new: dict, ptr: str, cmp) -> Iterator[Found]:
    """``format`` added or changed is breaking; removed, an addition.

    Fails (breaking): ``{"type": "string"}`` → ``{"type": "string", "format": "email"}``
    Passes (addition): ``{"type": "string", "format": "email"}`` → ``{"type": "string"}``
    """
    yield from _string_keyword(old, new, ptr, "format", "format")


# -- objects, arrays, composition ---------------------------------------------------------------

def _extra(node: dict, keyword: str) -> Any:
    value = node.get(keyword, True)
    return {} if value is None else value


def _extra_change(old: dict, new: dict, ptr: str, keyword: str, what: str) -> Iterator[Found]:
    before, after = _extra(old, keyword), _extra(new, keyword)
    if before == after or (before in (True, {}) and after in (True, {})):
        return
    where = _at(ptr, keyword)
    if after is False:
        yield where, BREAKING, f"{keyword} set to false: {what} not declared are no longer allowed"
    elif before is False:
        yield where, ADDITION, f"{keyword} relaxed from false: undeclared {what} are allowed"
    # two schemas (or true and a schema) are compared as nodes by descend()


@change_rule("object.additional_properties", "additionalProperties")
def additional_properties(old: dict, new: dict, ptr: str, cmp) -> Iterator[Found]:
    """``additionalProperties``: set to ``false`` (or a narrower schema) is breaking, relaxed an addition.

    Fails (breaking): ``{"properties": {...}}`` → ``{"properties": {...}, "additionalProperties": false}``
    Passes (addition): ``{"additionalProperties": false}`` → ``{"additionalProperties": true}``
    """
    if old.get("maxProperties") == 0 and new.get("additionalProperties") is False:
        if old.get("additionalProperties", True) is not False:  # no earlier value had any property
            yield (_at(ptr, "additionalProperties"), ADDITION, "additionalProperties set to false, but no "
                   "earlier value had a property (maxProperties was 0): none becomes invalid")
        return
    yield from _extra_change(old, new, ptr, "additionalProperties", "properties")


@change_rule("array.items", "items", "additionalItems", "uniqueItems")
def array_items(old: dict, new: dict, ptr: str, cmp) -> Iterator[Found]:
    """Array shape: tuple ``items`` positions, ``additionalItems`` and ``uniqueItems`` (item schemas are compared as nodes).

    Fails (breaking): ``{"type": "array"}`` → ``{"type": "array", "uniqueItems": true}``
    Passes (addition): ``{"type": "array", "uniqueItems": true}`` → ``{"type": "array"}``
    """
    before, after = old.get("items"), new.get("items")
    where = _at(ptr, "items")
    if isinstance(before, list) != isinstance(after, list) and before is not None and after is not None:
        yield where, BREAKING, f"{NOT_PROVEN}: items changed between one schema and a tuple of schemas"
    elif isinstance(before, list) and isinstance(after, list) and len(before) != len(after):
        if len(after) > len(before):
            yield where, BREAKING, f"{NOT_PROVEN}: tuple items grew from {len(before)} to {len(after)} positions"
        else:
            yield where, ADDITION, f"tuple items shrank from {len(before)} to {len(after)} positions"
    yield from _extra_change(old, new, ptr, "additionalItems", "items")
    was, now = old.get("uniqueItems") is True, new.get("uniqueItems") is True
    if now and not was:
        yield _at(ptr, "uniqueItems"), BREAKING, "uniqueItems added: arrays with repeated items become invalid"
    elif was and not now:
        yield _at(ptr, "uniqueItems"), ADDITION, "uniqueItems removed"


def _branch_types(branch: Any) -> set[str] | None:
    return _types(branch) if isinstance(branch, dict) else None


def pair_branches(before: list, after: list) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Match old and new branches: equal ones first, then same ``type``, then the rest in order
    when as many remain on both sides. Returns (pairs, added new indexes, removed old indexes)."""
    left, right = list(range(len(before))), list(range(len(after)))
    pairs: list[tuple[int, int]] = []
    for match in (lambda a, b: _key(a) == _key(b),
                  lambda a, b: _branch_types(a) is not None and _branch_types(a) == _branch_types(b)):
        for j in list(right):
            for i in left:
                if match(before[i], after[j]):
                    pairs.append((i, j))
                    left.remove(i)
                    right.remove(j)
                    break
    if len(left) == len(right):
        pairs.extend(zip(left, right))
        left, right = [], []
    return sorted(pairs, key=lambda p: p[1]), right, left


def _exclusive(branch: Any, others: list) -> bool:
    """A oneOf branch whose types no other branch shares cannot make a value match twice."""
    mine = _branch_types(branch)
    if not mine:
        return False
    return all((t := _branch_types(o)) is not None and not _covers(t, mine) and not _covers(mine, t)
               and not (mine & t) for o in others)


@change_rule("composition.branches", "anyOf", "oneOf", "allOf")
def composition(old: dict, new: dict, ptr: str, cmp) -> Iterator[Found]:
    """``anyOf``/``oneOf`` branches added are an addition, removed breaking; ``allOf`` the other way round.

    Fails (breaking): ``{"anyOf": [{"type": "string"}, {"type": "integer"}]}`` → ``{"anyOf": [{"type": "string"}]}``
    Passes (addition): ``{"anyOf": [{"type": "string"}]}`` → ``{"anyOf": [{"type": "string"}, {"type": "integer"}]}``
    """
    for keyword in ("anyOf", "oneOf", "allOf"):
        before, after = old.get(keyword), new.get(keyword)
        if before == after:
            continue
        where = _at(ptr, keyword)
        if not isinstance(after, list):
            yield where, ADDITION, f"{keyword} removed (its constraints no longer apply)"
            continue
        if not isinstance(before, list):
            yield where, BREAKING, f"{NOT_PROVEN}: {keyword} added"
            continue
        _, added, removed = pair_branches(before, after)
        for j in added:
            at = _at(ptr, keyword, j)
            if keyword == "allOf":
                yield at, BREAKING, f"allOf branch {j} added: one more constraint every event must meet"
            elif keyword == "oneOf" and not _exclusive(after[j], [after[k] for k in range(len(after)) if k != j]):
                yield at, BREAKING, f"{NOT_PROVEN}: oneOf branch {j} added, and a value may now match two branches"
            else:
                yield at, ADDITION, f"{keyword} branch {j} added"
        for i in removed:
            at = _at(ptr, keyword, i)
            if keyword == "allOf":
                yield at, ADDITION, f"allOf branch {i} removed"
            else:
                yield at, BREAKING, f"{keyword} branch {i} removed: values it alone accepted become invalid"


_UNPROVABLE = ("not", "if", "then", "else", "dependencies", "patternProperties", "propertyNames",
               "contains", "$ref")


@change_rule("keyword.unprovable", *_UNPROVABLE)
def unprovable(old: dict, new: dict, ptr: str, cmp) -> Iterator[Found]:
    """``not``, ``if``/``then``/``else``, ``dependencies``, ``patternProperties``, ``propertyNames``,
    ``contains`` and remote ``$ref``s: removing one is an addition; adding or changing one cannot be proven compatible.

    Fails (breaking): ``{"not": {"const": "test"}}`` → ``{"not": {"enum": ["test", "demo"]}}``
    Passes (addition): ``{"not": {"const": "test"}}`` → ``{}``
    """
    for keyword in _UNPROVABLE:
        before, after = old.get(keyword), new.get(keyword)
        if before == after:
            continue
        where = _at(ptr, keyword)
        narrows_extra = keyword == "patternProperties" and new.get("additionalProperties") is False
        if keyword == "patternProperties" and isinstance(before, dict) and isinstance(after, dict):
            for pattern in after:  # the same patterns are compared as nodes by descend()
                if pattern not in before:
                    yield _at(where, pattern), BREAKING, f"{NOT_PROVEN}: patternProperties '{pattern}' added"
            for pattern in before:
                if pattern not in after:
                    kind = BREAKING if narrows_extra else ADDITION
                    yield _at(where, pattern), kind, f"patternProperties '{pattern}' removed"
            continue
        if after is None and keyword != "$ref" and not narrows_extra:
            yield where, ADDITION, f"{keyword} removed (its constraint no longer applies)"
        else:
            what = "added" if before is None else "removed" if after is None else "changed"
            yield where, BREAKING, f"{NOT_PROVEN}: {keyword} {what}"


# -- identity and annotations -------------------------------------------------------------------

_IDENTITY = ("vendor", "name", "format", "call_type")


def _id_without_version(doc: dict) -> Any:
    value, block = doc.get("$id"), doc.get("self")
    version = block.get("version") if isinstance(block, dict) else None
    if isinstance(value, str) and isinstance(version, str) and version:
        return value.replace(version, "{version}")
    return value


@change_rule("self.identity", "self", "$id", "$schema", root_only=True)
def self_identity(old: dict, new: dict, ptr: str, cmp) -> Iterator[Found]:
    """``self.vendor``/``name``/``format``/``call_type``, ``$id`` (beyond its version) or ``$schema`` changed: breaking.

    Changes to ``self.metadata`` (owners, tags) are cosmetic; ``self.version`` is the version itself.
    Fails (breaking): ``"self": {"name": "Order Completed"}`` → ``"self": {"name": "Order Placed"}``
    Passes (cosmetic): ``"self": {"metadata": {"code_owner": "a"}}`` → ``"self": {"metadata": {"code_owner": "b"}}``
    """
    before = old.get("self") if isinstance(old.get("self"), dict) else {}
    after = new.get("self") if isinstance(new.get("self"), dict) else {}
    for key in _IDENTITY:
        if before.get(key) != after.get(key):
            yield (_at("", "self", key), BREAKING,
                   f"self.{key} changed from {_show(before.get(key))} to {_show(after.get(key))}: "
                   "a different event for every dependant")
    for key in sorted(set(before) | set(after)):
        if key not in _IDENTITY and key != "version" and before.get(key) != after.get(key):
            yield _at("", "self", key), COSMETIC, f"self.{key} changed"
    # An $id copied unchanged into the next version is stale (R203 reports it), not a new identity.
    if old.get("$id") != new.get("$id") and _id_without_version(old) != _id_without_version(new):
        yield "/$id", BREAKING, f"$id changed from {_show(old.get('$id'))} to {_show(new.get('$id'))}"
    if old.get("$schema") != new.get("$schema"):
        yield "/$schema", BREAKING, f"{NOT_PROVEN}: $schema changed to {_show(new.get('$schema'))}"


#: Keywords some rule (or the walk into subschemas) owns; anything else is an annotation.
_OWNED: set[str] = set()  # filled below, once every rule exists
_NOT_ANNOTATIONS = {"definitions", "$defs", "required", "properties"}


@change_rule("annotation.changed")
def annotation_changed(old: dict, new: dict, ptr: str, cmp) -> Iterator[Found]:
    """``description``, ``title``, ``examples``, ``default``, ``$comment`` and other non-validating keywords: cosmetic.

    Fails (breaking): ``{"description": "Order total."}`` → ``{"description": "Order total.", "minimum": 0}`` (minimum is not an annotation)
    Passes (cosmetic): ``{"description": "Order total."}`` → ``{"description": "Order total in cents."}``
    """
    skip = _OWNED | _NOT_ANNOTATIONS | (set(self_identity.keywords) if not ptr and cmp.root_rules else set())
    for key in sorted(set(old) | set(new)):
        if key in skip or old.get(key) == new.get(key):
            continue
        what = "added" if key not in old else "removed" if key not in new else "changed"
        yield _at(ptr, key), COSMETIC, f"{key} {what}"


RULES: list[ChangeRule] = [
    property_added, property_removed, property_required, type_changed, enum_changed,
    numeric_bounds, length_bounds, count_bounds, pattern_changed, format_changed,
    additional_properties, array_items, composition, unprovable, self_identity, annotation_changed,
]
_OWNED.update(kw for rule in RULES if rule is not self_identity for kw in rule.keywords)


def descend(old: dict, new: dict, ptr: str, cmp) -> list:
    """Changes inside the subschemas both versions have: properties, items, extras, branches."""
    found = []
    new_props = _props(new)
    for name, node in _props(old).items():
        if name in new_props:
            found.extend(cmp.node(node, new_props[name], _at(ptr, "properties", name)))
    before, after = old.get("items"), new.get("items")
    if isinstance(before, list) and isinstance(after, list):
        for index, (a, b) in enumerate(zip(before, after)):
            found.extend(cmp.node(a, b, _at(ptr, "items", index)))
    elif not isinstance(before, list) and not isinstance(after, list) and (before is not None or after is not None):
        found.extend(cmp.node(before, after, _at(ptr, "items")))
    before, after = old.get("patternProperties"), new.get("patternProperties")
    if isinstance(before, dict) and isinstance(after, dict):
        for pattern in before:
            if pattern in after:
                found.extend(cmp.node(before[pattern], after[pattern], _at(ptr, "patternProperties", pattern)))
    for keyword in ("additionalProperties", "additionalItems"):
        a, b = _extra(old, keyword), _extra(new, keyword)
        if a is not False and b is not False and (isinstance(a, dict) or isinstance(b, dict)):
            found.extend(cmp.node(a, b, _at(ptr, keyword)))
    for keyword in ("anyOf", "oneOf", "allOf"):
        a, b = old.get(keyword), new.get(keyword)
        if isinstance(a, list) and isinstance(b, list):
            pairs, _, _ = pair_branches(a, b)
            for i, j in pairs:
                found.extend(cmp.node(a[i], b[j], _at(ptr, keyword, j)))
    return found
