"""A small, fast block-style YAML emitter for the generated dbt files.

PyYAML's representer dominated build time (0.4 s of 0.6 s for 1,000 events), and the
generated files only hold dicts, lists, strings, numbers, booleans and nulls. Strings
that are not plain identifiers are written as JSON strings, which YAML reads as
double-quoted scalars; a round-trip test checks ``yaml.safe_load(emit(x)) == x``.
(PyYAML's C dumper is faster still, but writes other bytes: plain multi-word scalars,
single quotes, lines folded at 80 characters.)

The same names, test names and descriptions recur in every file of a package, so each
string's scalar is computed once per process (:func:`string`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.+\-]*$")
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "true", "false", "on", "off", "null", "none", "~"})
#: Characters JSON leaves raw but YAML reads as line breaks (folded) or refuses: written as escapes.
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]")
#: json.dumps(text, ensure_ascii=False) without building an encoder per call.
_JSON_TEXT = json.JSONEncoder(ensure_ascii=False).encode


@lru_cache(maxsize=1 << 16)  # bounded: a long-lived (Dagster) process builds again and again
def string(text: str) -> str:
    """A string as a YAML scalar: plain when YAML reads it back as this string, else a JSON string."""
    if _PLAIN.match(text) and text.lower() not in _YAML_WORDS:
        return text
    return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", _JSON_TEXT(text))


def _scalar(value: Any, text: Callable[[str], str]) -> str:
    if isinstance(value, str):
        return text(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return string(str(value))


def _emit(value: Any, indent: int, out: list[str], text: Callable[[str], str], lead: str | None = None) -> None:
    """Block lines of a dict or list; ``lead`` replaces the indent of the first line (``"- "`` of a list item).
    (Strings, nearly every key and value, are written without the detour through :func:`_inline`.)"""
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            head = f"{pad if lead is None else lead}{text(key) if type(key) is str else _scalar(key, text)}:"
            lead = None
            if type(item) is str:
                out.append(f"{head} {text(item)}")
            elif isinstance(item, (dict, list)) and item:
                out.append(head)
                _emit(item, indent + 2, out, text)
            else:
                out.append(f"{head} {_inline(item, text)}")
    elif isinstance(value, list):
        for item in value:
            if type(item) is str:
                out.append(f"{pad}- {text(item)}")
            elif isinstance(item, dict) and item:
                _emit(item, indent + 2, out, text, lead=f"{pad}- ")
            elif isinstance(item, list) and item:
                out.append(f"{pad}-")
                _emit(item, indent + 2, out, text)
            else:
                out.append(f"{pad}- {_inline(item, text)}")
    else:
        out.append(f"{pad}{_inline(value, text)}")


def _inline(value: Any, text: Callable[[str], str]) -> str:
    """A scalar, or an empty dict or list (non-empty ones are written as blocks)."""
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _scalar(value, text)


def emit(data: Any, text: Callable[[str], str] = string) -> str:
    """``data`` as block-style YAML text, ending with a newline.

    ``text`` writes each string, key or value, as a scalar; the default is :func:`string`.
    (The dbt renderer escapes Jinja first: :func:`reflekt_core.dbt.render.dump_yaml`.)
    """
    out: list[str] = []
    _emit(data, 0, out, text)
    return "\n".join(out) + "\n"
