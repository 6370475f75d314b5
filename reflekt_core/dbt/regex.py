"""Translate a JSON Schema ``pattern`` (ECMA-262) into the regex dialects of the warehouses.

The pattern is parsed with Python's own regex parser (``re._parser``: its syntax tree is the
same as ECMA-262's for everything translated here) and the tree is written out again in the
subset that RE2 (DuckDB ``regexp_matches``, BigQuery ``regexp_contains``) and POSIX (PostgreSQL's
ARE ``~``, Redshift's ``~``, Snowflake's ``regexp_like``) read alike: no ``\\d``-style escapes
(``[0-9]``, ``[[:space:]]``), plain groups, ``]`` first and ``-`` last in sets. The test macro
wraps it in ``.*( … ).*`` on Snowflake, whose ``regexp_like`` matches the whole string.

ECMA semantics are kept: ``\\d``/``\\w`` are ASCII, ``.`` matches anything but a line
terminator, ``^``/``$`` anchor the whole text, and the test searches (is not anchored).
What cannot be written faithfully in every dialect (lookaround, backreferences, ``\\b``,
inline flags, possessive or atomic groups, repeats over 255, NUL, a class such as ``\\D``
inside brackets) raises :class:`Untranslatable`: no test is generated and the drift
report says why.
"""

from __future__ import annotations

import re

try:  # Python 3.11+
    from re import _constants as sre, _parser as sre_parse
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as sre  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

_MAX_REPEAT = 255                     # PostgreSQL's RE_DUP_MAX; RE2 allows 1000
_SPECIAL = frozenset(".^$*+?()[]{}|\\")
_LINE_TERMINATORS = "\n\r\u2028\u2029"
_CLASSES = {sre.CATEGORY_DIGIT: "0-9", sre.CATEGORY_WORD: "A-Za-z0-9_", sre.CATEGORY_SPACE: "[:space:]"}
_NEGATED = {sre.CATEGORY_NOT_DIGIT: sre.CATEGORY_DIGIT, sre.CATEGORY_NOT_WORD: sre.CATEGORY_WORD,
            sre.CATEGORY_NOT_SPACE: sre.CATEGORY_SPACE}
_REASONS = {sre.ASSERT: "lookahead or lookbehind", sre.ASSERT_NOT: "negative lookahead or lookbehind",
            sre.GROUPREF: "a backreference", sre.GROUPREF_EXISTS: "a conditional group",
            getattr(sre, "ATOMIC_GROUP", None): "an atomic group",
            getattr(sre, "POSSESSIVE_REPEAT", None): "a possessive quantifier"}
_ANCHORS = {sre.AT_BEGINNING: "^", sre.AT_END: "$"}


class Untranslatable(ValueError):
    """The pattern uses a construct some warehouse cannot match faithfully."""


def translate(pattern: str) -> str:
    """The pattern for every warehouse; raises :class:`Untranslatable` naming the construct."""
    try:
        tree = sre_parse.parse(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        raise Untranslatable(f"not a pattern this translator reads ({exc})") from None
    if tree.state.flags & (re.IGNORECASE | re.MULTILINE | re.DOTALL | re.VERBOSE):
        raise Untranslatable("inline flags such as (?i)")
    return _sequence(list(tree))


def _sequence(items: list) -> str:
    return "".join(_item(op, arg) for op, arg in items)


def _item(op, arg) -> str:
    if op is sre.LITERAL:
        return _literal(arg)
    if op is sre.NOT_LITERAL:
        return "[^" + _bracket_body([arg], []) + "]"
    if op is sre.ANY:
        return "[^" + _LINE_TERMINATORS + "]"
    if op is sre.IN:
        return _bracket(arg)
    if op is sre.BRANCH:
        return "(" + "|".join(_sequence(list(alt)) for alt in arg[1]) + ")"
    if op is sre.SUBPATTERN:
        _group, add_flags, del_flags, sub = arg
        if add_flags or del_flags:
            raise Untranslatable("inline flags such as (?i)")
        return "(" + _sequence(list(sub)) + ")"
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):  # lazy or greedy: the same strings match somewhere
        return _repeat(*arg)
    if op is sre.AT:
        if arg in _ANCHORS:
            return _ANCHORS[arg]
        raise Untranslatable("a word boundary or string anchor (\\b, \\B, \\A, \\Z)")
    raise Untranslatable(_REASONS.get(op, f"the construct {op}"))


def _literal(code: int) -> str:
    if code == 0:
        raise Untranslatable("a NUL character")
    char = chr(code)
    return "\\" + char if char in _SPECIAL else char


def _repeat(low: int, high, sub) -> str:
    items = list(sub)
    if high is not sre.MAXREPEAT and high > _MAX_REPEAT or low > _MAX_REPEAT:
        raise Untranslatable(f"a repeat count over {_MAX_REPEAT}")
    body = _sequence(items)
    single = len(items) == 1 and items[0][0] in (sre.LITERAL, sre.NOT_LITERAL, sre.ANY, sre.IN,
                                                 sre.SUBPATTERN, sre.BRANCH)
    if not single:
        body = "(" + body + ")"
    if high is sre.MAXREPEAT:
        suffix = {0: "*", 1: "+"}.get(low, f"{{{low},}}")
    elif (low, high) == (0, 1):
        suffix = "?"
    else:
        suffix = f"{{{low}}}" if low == high else f"{{{low},{high}}}"
    return body + suffix


def _bracket(items: list) -> str:
    negate = bool(items) and items[0][0] is sre.NEGATE
    items = items[1:] if negate else items
    if len(items) == 1 and items[0][0] is sre.CATEGORY and items[0][1] in _NEGATED:
        if negate:
            raise Untranslatable("a negated class inside a negated set")
        return "[^" + _CLASSES[_NEGATED[items[0][1]]] + "]"
    literals: list[int] = []
    parts: list[str] = []
    for op, arg in items:
        if op is sre.LITERAL:
            literals.append(arg)
        elif op is sre.RANGE:
            low, high = arg
            if any(chr(c) in "]\\-[^" or c == 0 for c in (low, high)):
                raise Untranslatable("a range that starts or ends with ], \\, -, [ or ^")
            parts.append(f"{chr(low)}-{chr(high)}")
        elif op is sre.CATEGORY and arg in _CLASSES:
            parts.append(_CLASSES[arg])
        else:
            raise Untranslatable("a negated class (\\D, \\W, \\S) inside a set")
    return ("[^" if negate else "[") + _bracket_body(literals, parts) + "]"


def _bracket_body(literals: list[int], parts: list[str]) -> str:
    """Bracket contents that read the same in RE2 and POSIX: ``]`` first, ``-`` last, ``\\`` doubled."""
    chars = {chr(c) for c in literals}
    if "\x00" in chars:
        raise Untranslatable("a NUL character")
    head = "]" if "]" in chars else ""
    middle = "".join(sorted(c for c in chars if c not in "]-[^\\"))
    tail = ("\\\\" if "\\" in chars else "") + ("[" if "[" in chars else "") + ("^" if "^" in chars else "")
    body = head + "".join(parts) + middle + tail + ("-" if "-" in chars else "")
    if body.startswith("^"):
        raise Untranslatable("a set of only ^")
    return body


__all__ = ["Untranslatable", "translate"]
