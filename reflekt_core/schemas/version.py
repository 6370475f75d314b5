"""Schema versions: Reflekt's ``MAJOR-MINOR`` and Iglu's SchemaVer ``MODEL-REVISION-ADDITION``.

Every reader of a version (loader, lint, registries, dbt names) goes through this module, so
the two schemes are understood in one place. Which scheme a schema follows:

- a *self-describing* Iglu schema (``$schema`` is :data:`IGLU_SELF_DESC`) is SchemaVer;
- otherwise the project's ``schemas.versioning`` decides (``major-minor`` by default).
"""

from __future__ import annotations

import re
from typing import Any

#: The meta-schema URI of every self-describing Iglu schema.
IGLU_SELF_DESC = "http://iglucentral.com/schemas/com.snowplowanalytics.self-desc/schema/jsonschema/1-0-0#"
MAJOR_MINOR = "major-minor"
SCHEMAVER = "schemaver"
SCHEMES = (MAJOR_MINOR, SCHEMAVER)
#: Loose shape accepted by the loader: two or three dash-separated numbers.
ANY_VERSION = re.compile(r"^\d+-\d+(?:-\d+)?$")
_STRICT = {MAJOR_MINOR: re.compile(r"^(0|[1-9]\d*)-(0|[1-9]\d*)$"),
           SCHEMAVER: re.compile(r"^([1-9]\d*)-(0|[1-9]\d*)-(0|[1-9]\d*)$")}
_EXAMPLE = {MAJOR_MINOR: "1-0", SCHEMAVER: "1-0-0"}
_SHAPE = {MAJOR_MINOR: "MAJOR-MINOR", SCHEMAVER: "MODEL-REVISION-ADDITION (SchemaVer)"}


def parse_version(text: str) -> tuple[int, ...] | None:
    """``"1-2"`` -> ``(1, 2)``, ``"1-0-3"`` -> ``(1, 0, 3)``; None when it is neither shape."""
    if not isinstance(text, str) or not ANY_VERSION.match(text):
        return None
    return tuple(int(part) for part in text.split("-"))


def is_self_describing(doc: Any) -> bool:
    """True for an Iglu self-describing schema (its ``$schema`` is Iglu's meta-schema URI)."""
    return isinstance(doc, dict) and doc.get("$schema") == IGLU_SELF_DESC


def scheme_of(doc: Any, project_scheme: str = MAJOR_MINOR) -> str:
    """The version scheme a schema document must follow."""
    return SCHEMAVER if is_self_describing(doc) else project_scheme


def version_problem(text: str, scheme: str) -> str | None:
    """Why ``text`` is not a well-formed version of ``scheme`` (None when it is)."""
    if _STRICT[scheme].match(text or ""):
        return None
    parts = parse_version(text)
    expected = 2 if scheme == MAJOR_MINOR else 3
    if parts is not None and len(parts) == expected:
        if scheme == SCHEMAVER and parts[0] == 0:
            return f"version '{text}' has MODEL 0; SchemaVer starts at 1-0-0"
        return f"version '{text}' has a leading zero; write e.g. '{_EXAMPLE[scheme]}'"
    return f"version '{text}' is not {_SHAPE[scheme]}; write e.g. '{_EXAMPLE[scheme]}'"


def first_version(parts: int) -> tuple[int, ...]:
    return (1, 0) if parts == 2 else (1, 0, 0)


def version_gaps(versions: set[tuple[int, ...]]) -> list[str]:
    """Missing versions in one event's set: every level counts from its start without gaps.

    ``MAJOR-MINOR``: majors from 1, minors from 0. SchemaVer: models from 1, revisions from 0
    within a model, additions from 0 within a revision (Iglu Server refuses a version whose
    predecessor is missing for the same reason).
    """
    problems: list[str] = []
    for size in sorted({len(v) for v in versions}):
        problems.extend(_gaps([v for v in versions if len(v) == size], (), size))
    return problems


def _gaps(versions: list[tuple[int, ...]], prefix: tuple[int, ...], size: int) -> list[str]:
    depth = len(prefix)
    if depth == size:
        return []
    present = sorted({v[depth] for v in versions})
    start = 1 if depth == 0 else 0
    missing = [n for n in range(start, present[-1] + 1) if n not in present] if present else []
    problems = []
    if missing:
        fill = (0,) * (size - depth - 1)
        label = "major" if depth == 0 and size == 2 else ("model" if depth == 0 else None)
        texts = ", ".join("-".join(str(p) for p in (*prefix, n, *fill)) for n in missing)
        problems.append(f"missing {label + ' version(s) ' if label else ''}{texts}")
    for n in present:
        problems.extend(_gaps([v for v in versions if v[depth] == n], (*prefix, n), size))
    return problems


def version_label(text: str) -> str:
    """A version for identifiers: ``1-0-2`` -> ``1_0_2``."""
    return text.replace("-", "_")
