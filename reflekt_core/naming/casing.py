"""Naming conventions: does a name follow a casing, and what it would look like if it did."""

from __future__ import annotations

import re

# Digits are allowed by every pattern: whether numbers are allowed is a separate rule.
_PATTERNS = {
    "title": re.compile(r"^[A-Z0-9][a-z0-9]*(?: [A-Z0-9][a-z0-9]*)*$"),
    "snake": re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$"),
    "camel": re.compile(r"^[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)*$"),
    "pascal": re.compile(r"^[A-Z][a-z0-9]*(?:[A-Z][a-z0-9]*)*$"),
}
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
DESCRIPTIONS = {"title": "Title Case", "snake": "snake_case", "camel": "camelCase",
                "pascal": "PascalCase", "any": "any casing"}


def follows(name: str, casing: str) -> bool:
    """True if ``name`` follows ``casing`` (``any`` accepts every name)."""
    pattern = _PATTERNS.get(casing)
    return pattern is None or bool(pattern.match(name))


def words(name: str) -> list[str]:
    return _WORDS.findall(name)


def to_casing(name: str, casing: str) -> str:
    """``name`` rewritten in ``casing`` (a suggestion for error messages)."""
    parts = [w.lower() for w in words(name)]
    if not parts or casing == "any":
        return name
    if casing == "snake":
        return "_".join(parts)
    if casing == "title":
        return " ".join(p.capitalize() for p in parts)
    if casing == "pascal":
        return "".join(p.capitalize() for p in parts)
    return parts[0] + "".join(p.capitalize() for p in parts[1:])
