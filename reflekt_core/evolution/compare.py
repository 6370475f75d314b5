"""Compare two versions of a JSON Schema, node by node, at every nesting level.

The walk follows ``properties``, ``items``, ``additionalProperties``/``additionalItems`` and
``anyOf``/``oneOf``/``allOf`` branches, and resolves local ``$ref``s in each document first;
each rule in :mod:`reflekt_core.evolution.rules` looks at its own keywords of one node pair.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from reflekt_core.evolution.change import Change, Kind
from reflekt_core.schemas.walk import MISSING, resolve_pointer

_MAX_REF_HOPS = 64


class Unresolved:
    """A local ``$ref`` that names nothing in its document."""

    def __init__(self, ref: str):
        self.ref = ref


def _follow(root: Any, ref: str) -> Any:
    fragment = unquote(ref[1:])
    if fragment and not fragment.startswith("/"):
        return Unresolved(ref)
    target = resolve_pointer(root, fragment)
    return Unresolved(ref) if target is MISSING else target


def resolve(root: Any, node: Any) -> tuple[Any, bool]:
    """``node`` with local ``$ref``s followed (draft-07 ignores a ``$ref``'s siblings); (node, via_ref)."""
    via_ref = False
    for _ in range(_MAX_REF_HOPS):
        ref = node.get("$ref") if isinstance(node, dict) else None
        if not isinstance(ref, str) or not ref.startswith("#"):
            return node, via_ref
        node, via_ref = _follow(root, ref), True
        if isinstance(node, Unresolved):
            return node, True
    return Unresolved(str(ref)), True


def _local_refs(node: Any) -> set[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str) and ref.startswith("#"):
                found.add(ref)
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return found


def _has_ref(node: Any) -> bool:
    return bool(_local_refs(node))


def _key(node: Any) -> str:
    if isinstance(node, Unresolved):
        return f"unresolved:{node.ref}"
    return json.dumps(node, sort_keys=True)


def as_schema(node: Any) -> dict[str, Any]:
    """Boolean schemas as objects: ``true`` accepts anything (``{}``), ``false`` nothing."""
    if node is True or node is None:
        return {}
    if node is False:
        return {"not": {}}
    return node if isinstance(node, dict) else {}


class Comparison:
    """One comparison of an ``old`` and a ``new`` document; :meth:`node` recurses."""

    def __init__(self, old_root: Any, new_root: Any, *, root_rules: bool = True):
        self.old_root, self.new_root = old_root, new_root
        self.root_rules = root_rules
        self._seen: set[tuple[int, int]] = set()
        self._refs_stable: bool | None = None

    def seen_root(self, old: Any, new: Any) -> None:
        """A ``$ref`` back to the root (``"#"``) must not compare the whole documents again."""
        self._seen.add((id(old), id(new)))

    @property
    def refs_stable(self) -> bool:
        """True when every local ``$ref`` names equal targets in both documents, so equal
        subtrees are equal after resolution too (the common case: skip them at once)."""
        if self._refs_stable is None:
            refs = _local_refs(self.old_root) | _local_refs(self.new_root)
            self._refs_stable = all(_key(_follow(self.old_root, r)) == _key(_follow(self.new_root, r))
                                    for r in refs)
        return self._refs_stable

    def node(self, old: Any, new: Any, pointer: str) -> list[Change]:
        """Every change between subschemas ``old`` and ``new`` found at ``pointer``."""
        from reflekt_core.evolution.rules import RULES, descend

        old, old_ref = resolve(self.old_root, old)
        new, new_ref = resolve(self.new_root, new)
        for side in (old, new):
            if isinstance(side, Unresolved):
                return [Change(pointer, Kind.BREAKING, f"cannot prove compatible: $ref '{side.ref}' "
                               "does not resolve in its document", "ref.unresolved")]
        if old_ref or new_ref:  # recursive schemas: each pair of referenced nodes is compared once
            key = (id(old), id(new))
            if key in self._seen:
                return []
            self._seen.add(key)
        if old == new and (self.refs_stable or not _has_ref(old)):
            return []
        old, new = as_schema(old), as_schema(new)
        changes: list[Change] = []
        for rule in RULES:
            if rule.root_only and (pointer or not self.root_rules):
                continue
            changes.extend(Change(p, kind, reason, rule.name) for p, kind, reason in rule.check(old, new, pointer, self))
        changes.extend(descend(old, new, pointer, self))
        if any(c.kind is Kind.BREAKING for c in changes):
            changes = self._unreachable(old, new, pointer, changes)
        return changes

    def _unreachable(self, old: dict, new: dict, pointer: str, changes: list[Change]) -> list[Change]:
        """Breaking changes that no value valid under ``old`` can meet are additions:

        - a constraint for values of a type ``old`` did not accept (``"string"`` ->
          ``["string", "object"]`` with a required property: no earlier value was an object);
        - anything, when every value of ``old``'s ``enum``/``const`` is valid under ``new``
          (an enum of short names dropped for ``"maxLength": 128``).

        Removed properties stay breaking (their readers break, whatever the values).
        """
        from reflekt_core.evolution.rules import effective_types, instance_type

        accepted = effective_types(old)
        if accepted is not None and "integer" in accepted:
            accepted = accepted | {"number"}
        allowed_values = _old_values_still_valid(old, new, self.new_root)
        result = []
        for change in changes:
            if change.kind is Kind.BREAKING and change.rule not in _READER_RULES:
                token = change.pointer[len(pointer):].split("/")[1] if change.pointer != pointer else ""
                needs = instance_type(token)
                if accepted is not None and needs is not None and needs not in accepted:
                    change = Change(change.pointer, Kind.ADDITION, f"{_what(change.reason)}, but no earlier value "
                                    f"was {_article(needs)}: none becomes invalid", change.rule)
                elif allowed_values:
                    change = Change(change.pointer, Kind.ADDITION, f"{_what(change.reason)}, but every value the "
                                    f"earlier {allowed_values} allowed is still valid", change.rule)
            result.append(change)
        return result


#: Rules whose breaking changes are about what readers use, not which values are valid.
_READER_RULES = ("property.removed", "self.identity", "ref.unresolved")


def _what(reason: str) -> str:
    """The change a reason names, without its consequence: ``"maxLength 64 added"``."""
    from reflekt_core.evolution.rules import NOT_PROVEN

    if reason.startswith(NOT_PROVEN + ": "):
        reason = reason[len(NOT_PROVEN) + 2:]
    return reason.split(": ", 1)[0]


def _article(json_type: str) -> str:
    return f"an {json_type}" if json_type[0] in "aeiou" else f"a {json_type}"


def _old_values_still_valid(old: dict, new: dict, new_root: Any) -> str | None:
    """``"enum"``/``"const"`` when ``old`` lists its values and each is valid under ``new`` (resolved
    in its own document, formats checked, nothing fetched); None otherwise."""
    if "const" in old:
        keyword, values = "const", [old["const"]]
    elif isinstance(old.get("enum"), list) and len(old["enum"]) <= 1000:
        keyword, values = "enum", old["enum"]
    else:
        return None
    try:
        from jsonschema import Draft4Validator, Draft7Validator

        from reflekt_core.schemas.version import is_self_describing
        from reflekt_core.validation import bundled_registry

        cls = Draft4Validator if is_self_describing(new_root) else Draft7Validator
        root = new_root if isinstance(new_root, dict) else {}
        validator = cls(root, registry=bundled_registry(), format_checker=cls.FORMAT_CHECKER).evolve(schema=new)
        return keyword if all(validator.is_valid(value) for value in values) else None
    except Exception:  # noqa: BLE001 - an unresolvable $ref or a bad keyword: not proven, stays breaking
        return None


def classify(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every change from ``old`` to ``new`` (two versions of one event's JSON Schema).

    Each change has a JSON Pointer (where it is in the schema), a kind (``addition``,
    ``breaking``, ``cosmetic``), a one-line reason and the name of the rule that found it.
    Sorted by pointer. Pure: no IO, the documents are not modified.
    """
    comparison = Comparison(old, new)
    comparison.seen_root(old, new)
    try:
        changes = comparison.node(old, new, "")
    except RecursionError:  # schema text is untrusted: a pathological nesting depth is not a crash
        return [Change("", Kind.BREAKING, "cannot prove compatible: the schemas are nested too deeply to compare",
                       "keyword.unprovable")]
    return sorted(changes, key=lambda c: (c.pointer, c.rule, c.reason))
