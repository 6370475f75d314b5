"""The columns of one staging model: Reflekt's own names first, then every property (pure).

Reflekt's columns (the CDP's standard columns renamed as in reflekt 0.6, the ``context_*``
columns, and the added ``call_type``, ``source_table``, ... literals) keep their documented
names. A property whose column would take one of those names is selected under
``property_<name>`` instead, with a drift note: it is never dropped and never replaces a literal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from reflekt_core.cdp.layout import ID_ALIASES, CdpLayout, describe_context
from reflekt_core.project import DbtSettings
from reflekt_core.schemas.model import EventSchema
from reflekt_core.warehouses.catalog import Table

#: The raw column in which Segment Protocols event versioning records the major version a call was sent with.
VERSION_COLUMN = "context_protocols_event_version"
VERSION_OUTPUT = "schema_version"
#: Names of the literal columns Reflekt adds to every model.
ADDED_NAMES = ("call_type", "source_schema", "source_table", "schema_id", "schema_metadata")
#: Prefix of a property selected under another name because Reflekt uses its name.
PROPERTY_PREFIX = "property_"


@dataclass
class ModelColumn:
    name: str                      # output name
    source: str | None             # warehouse column, or None when it has not arrived (null cast)
    description: str
    type: str = "string"           # common type, for null casts
    literal: str | None = None     # a constant expression instead of a column
    tests: list[Any] = field(default_factory=list)
    cast: str | None = None        # select through a safe cast to this common type (landed type differs)
    #: The schema properties this column carries: (schema file relative to schemas/, property path).
    origins: list[tuple[str, str]] = field(default_factory=list)


def rename(column: str, kind: str) -> str:
    """reflekt 0.6's staging name of a standard or context column."""
    if column == VERSION_COLUMN:
        return VERSION_OUTPUT
    if column == "id":
        return ID_ALIASES.get(kind, "event_id")
    if column == "event_text":
        return "event_name"
    if column.startswith("context_"):
        column = column[len("context_"):]
    if column.endswith("timestamp"):
        return column[: -len("timestamp")] + "tstamp"
    if column.endswith("_at"):
        return column + "_tstamp"
    return column


def name_tests(settings: DbtSettings, *names: str) -> list[Any]:
    """``docs.tests`` for a column, keyed by its warehouse name (as in 0.6: ``id``) or its output name."""
    tests: list[Any] = []
    for name in names:
        for test in settings.docs_tests.get(name) or []:
            if test not in tests:
                tests.append(test)
    return tests


class Columns:
    """Output columns of one model: never two with the same name, never one lost."""

    def __init__(self, reserved: set[str] | None = None) -> None:
        self.items: list[ModelColumn] = []
        self.names: set[str] = set()
        self.sources: dict[str, ModelColumn] = {}
        self.reserved = set(reserved or ())

    def _append(self, column: ModelColumn) -> None:
        self.items.append(column)
        self.names.add(column.name)
        if column.source:
            self.sources[column.source] = column

    def add_own(self, column: ModelColumn) -> None:
        """One of Reflekt's columns (standard, context, added)."""
        if column.source and column.source in self.sources:
            return
        if column.name in self.names and column.source:
            column.name = column.source  # two renames meet (rare): keep the warehouse name
        if column.name not in self.names:
            self._append(column)

    def add_property(self, column: ModelColumn) -> str | None:
        """A property's column; returns its new name when Reflekt's name had to be avoided."""
        same = self.sources.get(column.source) if column.source else None
        if same is not None:  # the property is a column Reflekt already selects: one column, both tests
            same.tests += [t for t in column.tests if t not in same.tests]
            same.origins += [o for o in column.origins if o not in same.origins]
            return None
        wanted = column.name
        if wanted in self.names or wanted in self.reserved:
            column.name = f"{PROPERTY_PREFIX}{wanted}"
            suffix = 2
            while column.name in self.names or column.name in self.reserved:
                column.name = f"{PROPERTY_PREFIX}{wanted}_{suffix}"
                suffix += 1
        self._append(column)
        return column.name if column.name != wanted else None


def own_names(table: Table, kind: str, layout: CdpLayout, schema: EventSchema | None) -> set[str]:
    """Every output name Reflekt's own columns take in a model of ``table``."""
    present = set(table.column_names)
    names = {rename(c, kind) for c in layout.standard_columns.get(kind, ()) if c in present}
    names |= {rename(c.name, "context") for c in table.columns if c.name.startswith("context_")}
    names |= set(ADDED_NAMES[:3] if schema is None else ADDED_NAMES)
    return names


def add_standard(columns: Columns, table: Table, kind: str, layout: CdpLayout, settings: DbtSettings) -> None:
    present = set(table.column_names)
    for source in layout.standard_columns.get(kind, ()):
        if source in present:
            name = rename(source, kind)
            description = layout.column_docs.get(source, f"{source}.")
            if kind == "users" and source == "id":
                description = "Id of the user: the user_id sent with their identify calls."
            columns.add_own(ModelColumn(name, source, description, tests=name_tests(settings, source, name)))


def add_context(columns: Columns, table: Table, settings: DbtSettings) -> None:
    for column in table.columns:
        if column.name.startswith("context_") and column.name not in columns.sources:
            name = rename(column.name, "context")
            description = (describe_context(column.name) if column.name != VERSION_COLUMN else
                           "Major version of the event's schema the call was sent with "
                           "(context.protocols.event_version); null when the client did not say.")
            columns.add_own(ModelColumn(name, column.name, description, column.type,
                                        tests=name_tests(settings, column.name, name)))


def add_added(columns: Columns, call_type: str, source_schema: str, table: str,
              schema: EventSchema | None, versions: list[EventSchema] | None = None) -> None:
    columns.add_own(ModelColumn("call_type", None, "Which call this row records (track, identify, page...).",
                                literal=call_type))
    columns.add_own(ModelColumn("source_schema", None, "Warehouse schema the row was read from.",
                                literal=source_schema))
    columns.add_own(ModelColumn("source_table", None, "Warehouse table the row was read from.", literal=table))
    if schema is None:
        return
    if versions and len(versions) > 1:
        listed = ", ".join(v.id for v in versions)
        about = f"Reflekt schema ($id) of the newest version this model covers (it covers {listed})."
    else:
        about = "Reflekt schema ($id) this model was generated from."
    columns.add_own(ModelColumn("schema_id", None, about, literal=schema.id))
    columns.add_own(ModelColumn("schema_metadata", None, "The schema's self.metadata, as JSON text.",
                                literal=json.dumps(schema.metadata, sort_keys=True)))


__all__ = ["ADDED_NAMES", "Columns", "ModelColumn", "PROPERTY_PREFIX", "VERSION_COLUMN", "VERSION_OUTPUT",
           "add_added", "add_context", "add_standard", "name_tests", "own_names", "rename"]
