"""Walk a JSON Schema: every subschema, and every named property (nested included)."""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

_MAP_KEYWORDS = ("properties", "patternProperties", "definitions", "$defs", "dependencies")
_ONE_KEYWORDS = ("additionalProperties", "additionalItems", "contains", "propertyNames",
                 "not", "if", "then", "else")
_LIST_KEYWORDS = ("allOf", "anyOf", "oneOf")
#: Every keyword that holds subschemas: a node with none of them (most properties) is a leaf.
_CHILD_KEYWORDS = frozenset((*_MAP_KEYWORDS, "items", *_ONE_KEYWORDS, *_LIST_KEYWORDS))


def escape(token: str) -> str:
    """Escape one JSON Pointer reference token (RFC 6901)."""
    if "~" in token or "/" in token:
        return token.replace("~", "~0").replace("/", "~1")
    return token


#: What ``resolve_pointer`` returns when the pointer names nothing.
MISSING = object()


def resolve_pointer(doc: object, pointer: str) -> object:
    """The value a JSON Pointer (RFC 6901, ``""`` or ``/a/0/b``) names in ``doc``, or ``MISSING``."""
    target = doc
    for token in pointer.split("/")[1:] if pointer else ():
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(target, dict) and token in target:
            target = target[token]
        elif isinstance(target, list) and token.isdigit() and int(token) < len(target):
            target = target[int(token)]
        else:
            return MISSING
    return target


def iter_subschemas(node: Any, pointer: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every ``(pointer, subschema)`` in document order: the node and all schemas nested in it.

    A subschema with ``"lint": false`` is skipped along with everything below it.
    Iterative, since schemas of thousands of events are walked on every lint.
    """
    found: list[tuple[str, dict[str, Any]]] = []
    stack: list[tuple[str, Any]] = [(pointer, node)]
    while stack:
        here, current = stack.pop()
        if not isinstance(current, dict) or current.get("lint") is False:
            continue
        found.append((here, current))
        if current.keys().isdisjoint(_CHILD_KEYWORDS):
            continue
        children: list[tuple[str, Any]] = []
        for keyword in _MAP_KEYWORDS:
            members = current.get(keyword)
            if isinstance(members, dict):
                children.extend((f"{here}/{keyword}/{escape(str(k))}", v) for k, v in members.items())
        items = current.get("items")
        if isinstance(items, dict):
            children.append((f"{here}/items", items))
        elif isinstance(items, list):
            children.extend((f"{here}/items/{i}", v) for i, v in enumerate(items))
        for keyword in _ONE_KEYWORDS:
            if keyword in current:
                children.append((f"{here}/{keyword}", current[keyword]))
        for keyword in _LIST_KEYWORDS:
            members = current.get(keyword)
            if isinstance(members, list):
                children.extend((f"{here}/{keyword}/{i}", v) for i, v in enumerate(members))
        stack.extend(reversed(children))
    return found


class PropertyNode(NamedTuple):
    """A named property anywhere in the schema (``a.b`` for ``b`` inside object ``a``).

    A named tuple, not a frozen dataclass: every lint builds one per property of every
    schema, and a frozen dataclass costs about three times as much to construct.
    """

    name: str
    path: str
    pointer: str
    node: Any
    required: bool


def _required(schema: dict[str, Any]) -> frozenset[str]:
    required = schema.get("required")
    if isinstance(required, list):
        return frozenset(r for r in required if isinstance(r, str))
    return frozenset()


def iter_properties(schema: dict[str, Any], pointer: str = "", prefix: str = "") -> list[PropertyNode]:
    """Every property under ``properties``, depth first (a parent, then its children).

    ``a.b`` names ``b`` inside object ``a``; ``a[].b`` names ``b`` in the items of array ``a``.
    A property with ``"lint": false`` is skipped with its children, as in reflekt 0.6.
    """
    found: list[PropertyNode] = []
    _collect(schema, pointer, prefix, found)
    return found


def _collect(container: dict[str, Any], here: str, path_prefix: str, found: list[PropertyNode]) -> None:
    props = container.get("properties")
    if not isinstance(props, dict):
        return
    required = _required(container)
    for name, node in props.items():
        if isinstance(node, dict) and node.get("lint") is False:
            continue
        child_pointer = f"{here}/properties/{escape(str(name))}"
        path = f"{path_prefix}{name}"
        found.append(PropertyNode(str(name), path, child_pointer, node, name in required))
        if not isinstance(node, dict):
            continue
        if "properties" in node:
            _collect(node, child_pointer, f"{path}.", found)
        if "items" not in node:
            continue
        items = node["items"]
        if isinstance(items, dict):
            _collect(items, f"{child_pointer}/items", f"{path}[].", found)
        elif isinstance(items, list):
            for index, item in enumerate(items):
                if isinstance(item, dict):
                    _collect(item, f"{child_pointer}/items/{index}", f"{path}[].", found)


def line_of_pointer(text: str, pointer: str) -> int | None:
    """1-based line of the member a JSON Pointer names in the source text (array indexes
    included, so ``/anyOf/2/...`` is found in the third branch, not the first); a pointer to
    something the text does not hold (a missing ``type``) gives its nearest existing parent's line."""
    if not pointer:
        return 1
    try:
        return _line_by_search(text, pointer)
    except (ValueError, StopIteration, IndexError, RecursionError):
        pass  # not plain JSON (comments, trailing commas): the token pass below reads it
    lines = pointer_lines(text)
    while pointer:
        if pointer in lines:
            return lines[pointer]
        pointer = pointer.rpartition("/")[0]
    return 1 if text.strip() else None


def _line_by_search(text: str, pointer: str) -> int | None:
    """:func:`line_of_pointer` for plain JSON without reading the whole document: follow the
    pointer's members in document order (the first occurrence wins, as in :func:`pointer_lines`),
    skipping every other value with the C scanner. Raises ValueError (or StopIteration,
    IndexError) on text that is not plain JSON."""
    from json.decoder import scanstring

    start = _skip_space(text, 0)
    if not _plain_json(text):
        raise ValueError("not one plain JSON document")
    while pointer:
        offset = _locate(text, start, pointer.split("/")[1:], scanstring, _scan_once())
        if offset is not None:
            return text.count("\n", 0, offset) + 1
        pointer = pointer.rpartition("/")[0]
    return 1 if text.strip() else None


@functools.lru_cache(maxsize=1)
def _scan_once():
    """json's C scanner: ``scan_once(text, index) -> (value, end)``."""
    import json

    return json.JSONDecoder().scan_once


@functools.lru_cache(maxsize=8)
def _plain_json(text: str) -> bool:
    """One JSON document and nothing else (no comments, no trailing commas), checked in C."""
    try:
        end = _scan_once()(text, _skip_space(text, 0))[1]
    except (ValueError, StopIteration, RecursionError):
        return False
    return _skip_space(text, end) == len(text)


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\n\r":
        index += 1
    return index


def _locate(text: str, index: int, parts: list[str], scanstring, scan_once) -> int | None:
    """Offset of the key (or the array element) that ``parts`` name in the value at ``index``."""
    part, rest = parts[0], parts[1:]
    opening = text[index]
    if opening == "{":
        index = _skip_space(text, index + 1)
        if text[index] == "}":
            return None
        while True:
            if text[index] != '"':
                raise ValueError("not a key")
            key, index_after = scanstring(text, index + 1, True)
            key_at = index
            index = _skip_space(text, index_after)
            if text[index] != ":":
                raise ValueError("no colon")
            index = _skip_space(text, index + 1)
            if escape(key) == part:
                if not rest:
                    return key_at
                found = _locate(text, index, rest, scanstring, scan_once)
                if found is not None:
                    return found  # else a later member of the same name may hold it
            index = _skip_space(text, scan_once(text, index)[1])
            if text[index] == ",":
                index = _skip_space(text, index + 1)
            elif text[index] == "}":
                return None
            else:
                raise ValueError("no comma")
    if opening == "[":
        index = _skip_space(text, index + 1)
        if text[index] == "]" or not part.isdigit() or str(int(part)) != part:
            return None  # no element has that index
        target, position = int(part), 0
        while True:
            if position == target:
                return index if not rest else _locate(text, index, rest, scanstring, scan_once)
            index = _skip_space(text, scan_once(text, index)[1])
            if text[index] == ",":
                index = _skip_space(text, index + 1)
                position += 1
            elif text[index] == "]":
                return None
            else:
                raise ValueError("no comma")
    return None


#: JSON (and JSONC) tokens: strings, comments, punctuation, and bare words (numbers, literals).
_TOKENS = None


@functools.lru_cache(maxsize=8)
def pointer_lines(text: str) -> dict[str, int]:
    """The line of every member and array element of a JSON document, by JSON Pointer, in one
    pass over its tokens (a member's line is its key's; an element's, its first token's).

    Every schema with a finding is tokenized once, so the loop is kept tight: a key without
    a backslash is its text between the quotes (what ``json.loads`` would return)."""
    import bisect
    import json
    import re

    global _TOKENS
    if _TOKENS is None:
        _TOKENS = re.compile(r'"(?:[^"\\\n]|\\.)*"|//[^\n]*|/\*.*?\*/|[{}\[\],:]|[^\s{}\[\],:"/]+', re.S)
    newlines = [m.start() for m in re.finditer("\n", text)]
    lines: dict[str, int] = {}
    # one frame per open container: [kind, its pointer, key or index of the current member, expecting a key]
    stack: list[list] = []
    bisect_right = bisect.bisect_right
    setdefault = lines.setdefault

    for match in _TOKENS.finditer(text):
        token = match.group()
        first = token[0]
        if first == "/" and token[:2] in ("//", "/*"):
            continue
        frame = stack[-1] if stack else None
        if first == "," or first == ":":
            if first == "," and frame is not None:
                if frame[0] == "o":
                    frame[3] = True
                else:
                    frame[2] += 1
            continue
        if first == "}" or first == "]":
            if stack:
                stack.pop()
            continue
        if frame is not None and frame[0] == "o" and frame[3]:  # an object's key
            if first != '"':
                key = token
            elif "\\" not in token:
                key = token[1:-1]
            else:
                try:
                    key = str(json.loads(token))
                except ValueError:
                    key = token.strip('"')
            frame[2], frame[3] = key, False
            setdefault(f"{frame[1]}/{escape(key)}", bisect_right(newlines, match.start()) + 1)
            continue
        if frame is None:
            here = ""
        elif frame[0] == "a":
            here = f"{frame[1]}/{frame[2]}"
            setdefault(here, bisect_right(newlines, match.start()) + 1)
        elif frame[2] is not None:
            here = f"{frame[1]}/{escape(frame[2])}"
        else:
            continue
        if first == "{":
            stack.append(["o", here, None, True])
        elif first == "[":
            stack.append(["a", here, 0, False])
    return lines
