"""Version arithmetic for the gate, for both schemes, behind one set of small functions.

Parsing is :func:`reflekt_core.schemas.version.parse_version` (the one reader of versions).

``MAJOR-MINOR`` (Reflekt) and SchemaVer ``MODEL-REVISION-ADDITION`` (Iglu) are tuples of two
or three numbers. A breaking change needs the first part raised (a new MAJOR / MODEL); a
compatible one may raise any part. For SchemaVer this follows Snowplow's current guidance:
breaking changes increment MODEL, non-breaking ones ADDITION or REVISION
(https://docs.snowplow.io/docs/fundamentals/schemas/versioning/).
"""

from __future__ import annotations

from collections.abc import Iterable

from reflekt_core.schemas.version import parse_version

LEVELS = {2: ("MAJOR", "MINOR"), 3: ("MODEL", "REVISION", "ADDITION")}


def version_of(rel_path: str) -> tuple[int, ...] | None:
    """The version a schema file's name states (``web/Order/1-2.json`` -> ``(1, 2)``; in a static
    Iglu repository, ``vendor/name/jsonschema/1-0-2`` -> ``(1, 0, 2)``)."""
    name = rel_path.rsplit("/", 1)[-1]
    if name.endswith(".json"):
        return parse_version(name[: -len(".json")])
    parts = parse_version(name)
    return parts if parts is not None and len(parts) == 3 and rel_path.count("/") == 3 else None


def text(version: tuple[int, ...]) -> str:
    return "-".join(str(part) for part in version)


def bump_level(old: tuple[int, ...], new: tuple[int, ...]) -> int:
    """Which part a new version raised: 0 for MAJOR/MODEL, 1 for MINOR/REVISION, 2 for ADDITION."""
    for index, (a, b) in enumerate(zip(old, new)):
        if a != b:
            return index
    return len(new) - 1


def level_name(version: tuple[int, ...], level: int) -> str:
    return LEVELS.get(len(version), LEVELS[2])[min(level, len(version) - 1)]


def raise_part(version: tuple[int, ...], level: int, existing: Iterable[tuple[int, ...]] = ()) -> tuple[int, ...]:
    """The next free version raising ``level`` of ``version``: ``(1, 1)``, 0 -> ``(2, 0)`` (or past
    any MAJOR already taken); ``(1, 1)``, 1 -> ``(1, 2)`` (or past any MINOR of 1 taken)."""
    prefix = version[:level]
    taken = [v[level] for v in existing if len(v) == len(version) and v[:level] == prefix]
    part = max([version[level], *taken]) + 1
    return (*prefix, part, *(0,) * (len(version) - level - 1))


def predecessor(version: tuple[int, ...], existing: Iterable[tuple[int, ...]]) -> tuple[int, ...] | None:
    """The highest version below ``version`` of the same scheme, or None for the first one."""
    lower = [v for v in existing if len(v) == len(version) and v < version]
    return max(lower) if lower else None
