"""JSON with ``//`` and ``/* */`` comments and trailing commas.

Comments and trailing commas are blanked out with spaces (newlines kept), so the
positions in any later ``json`` error still point at the user's own line and column.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

_TOKENS = re.compile(
    r'"(?:[^"\\\n]|\\.)*"'          # a string (left as is)
    r"|//[^\n]*"                    # a line comment
    r"|/\*.*?\*/"                   # a block comment
    r"|,(?=\s*[\]}])",             # a trailing comma (lookahead sees blanked comments as spaces)
    re.S,
)


def _blank(match: re.Match[str]) -> str:
    text = match.group(0)
    if text.startswith('"'):
        return text
    return re.sub(r"[^\n]", " ", text)


def strip_jsonc(text: str) -> str:
    """Blank out comments, then trailing commas, preserving every character position."""
    without_comments = _TOKENS.sub(lambda m: m.group(0) if m.group(0).startswith(",") else _blank(m), text)
    return _TOKENS.sub(_blank, without_comments)


@lru_cache(maxsize=8)
def _decoder(hooks: tuple) -> json.JSONDecoder:
    return json.JSONDecoder(**dict(hooks))


def _strict(text: str, hooks: dict):
    """``json.loads(text, **hooks)``, with one decoder per set of hooks rather than one per call
    (building a decoder costs as much as parsing a small schema)."""
    if not hooks or "cls" in hooks or not isinstance(text, str) or text.startswith("\ufeff"):
        return json.loads(text, **hooks)  # json's own BOM and bytes handling
    try:
        decoder = _decoder(tuple(sorted(hooks.items())))
    except TypeError:  # an unhashable hook
        return json.loads(text, **hooks)
    return decoder.decode(text)


def loads(text: str, **hooks):
    """Parse strict JSON, falling back to JSON-with-comments only when needed.

    ``hooks`` are passed to :func:`json.loads` (``parse_float``, ``parse_constant``...).
    """
    try:
        return _strict(text, hooks)
    except json.JSONDecodeError:
        if "/" not in text and "," not in text:
            raise
    return _strict(strip_jsonc(text), hooks)
