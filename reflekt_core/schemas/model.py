"""The Reflekt event schema: a draft-07 JSON Schema with a ``self`` block."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reflekt_core.schemas.walk import PropertyNode, iter_properties, iter_subschemas, line_of_pointer

#: ``MAJOR-MINOR`` or SchemaVer ``MODEL-REVISION-ADDITION`` (see :mod:`reflekt_core.schemas.version`).
VERSION_PATTERN = re.compile(r"^(\d+)-(\d+)(?:-(\d+))?$")
#: MAJOR-MINOR without leading zeros, as igluctl requires of SchemaVer.
STRICT_VERSION_PATTERN = re.compile(r"^(0|[1-9]\d*)-(0|[1-9]\d*)$")
CALL_TYPES = ("track", "identify", "group", "page", "screen", "alias")

# The original tool's convention: these event names describe non-track calls.
_CALL_BY_NAME = {"identify": "identify", "group": "group", "page viewed": "page",
                 "screen viewed": "screen", "alias": "alias"}


@dataclass(slots=True)
class EventSchema:
    """One event schema version loaded from ``schemas/<...>/<Event_Name>/<MAJOR>-<MINOR>.json``."""

    path: Path
    rel_path: str
    doc: dict[str, Any]
    text: str
    _subschemas: list[tuple[str, dict[str, Any]]] | None = field(default=None, repr=False, compare=False)
    _properties: list[PropertyNode] | None = field(default=None, repr=False, compare=False)

    @property
    def subschemas(self) -> list[tuple[str, dict[str, Any]]]:
        """Every (pointer, subschema) in the document, computed once."""
        if self._subschemas is None:
            self._subschemas = iter_subschemas(self.doc)
        return self._subschemas

    @property
    def property_nodes(self) -> list[PropertyNode]:
        """Every named property, nested ones included, computed once."""
        if self._properties is None:
            self._properties = iter_properties(self.doc)
        return self._properties

    def slim(self) -> EventSchema:
        """A copy keeping only what identifies the schema (``$id``, ``self``), for plan-wide
        checks over thousands of schemas without holding every document in memory."""
        kept = {k: self.doc[k] for k in ("$id", "self", "description") if k in self.doc}
        return EventSchema(path=self.path, rel_path=self.rel_path, doc=kept, text="")

    def line_of(self, pointer: str) -> int | None:
        """Line of the member a JSON Pointer names (re-reads the file for a slim copy)."""
        text = self.text
        if not text:
            try:
                text = self.path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError):
                return None
        return line_of_pointer(text, pointer)

    @property
    def id(self) -> str:
        value = self.doc.get("$id")
        return value if isinstance(value, str) and value else self.rel_path

    @property
    def self_block(self) -> dict[str, Any]:
        return self.doc["self"]

    @property
    def name(self) -> str:
        return self.self_block["name"]

    @property
    def vendor(self) -> str | None:
        return self.self_block.get("vendor")

    @property
    def version(self) -> str:
        return self.self_block["version"]

    @property
    def version_parts(self) -> tuple[int, ...]:
        """``(MAJOR, MINOR)`` or SchemaVer's ``(MODEL, REVISION, ADDITION)``."""
        return tuple(int(p) for p in self.version.split("-"))

    @property
    def major(self) -> int:
        return int(self.version.split("-")[0])

    @property
    def minor(self) -> int:
        return int(self.version.split("-")[1])

    @property
    def metadata(self) -> dict[str, Any]:
        meta = self.self_block.get("metadata")
        return meta if isinstance(meta, dict) else {}

    @property
    def description(self) -> str:
        value = self.doc.get("description")
        return value if isinstance(value, str) else ""

    @property
    def lint_enabled(self) -> bool:
        return self.self_block.get("lint", True) is not False

    @property
    def event_dir(self) -> str:
        """The folder of the event (all its versions), relative to ``schemas/``."""
        return self.rel_path.rsplit("/", 1)[0] if "/" in self.rel_path else ""

    @property
    def call_type(self) -> str:
        """Which CDP call this schema describes: ``self.call_type`` or the name convention."""
        explicit = self.self_block.get("call_type")
        if isinstance(explicit, str) and explicit in CALL_TYPES:
            return explicit
        return _CALL_BY_NAME.get(self.name.strip().lower(), "track")

    @property
    def properties(self) -> dict[str, Any]:
        props = self.doc.get("properties")
        return props if isinstance(props, dict) else {}

    @property
    def required(self) -> list[str]:
        req = self.doc.get("required")
        return [r for r in req if isinstance(r, str)] if isinstance(req, list) else []
