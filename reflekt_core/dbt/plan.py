"""Plan a dbt package from event schemas, a warehouse catalog and a CDP layout (pure).

The plan says which models exist (:mod:`reflekt_core.dbt.grouping`), which columns each
selects and renames (:mod:`reflekt_core.dbt.columns`), which tests each column gets
(:mod:`reflekt_core.dbt.derived`), which rows it reads, and every mismatch between schemas
and warehouse (drift). Rendering files from the plan is a separate step
(:mod:`reflekt_core.dbt.render`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from reflekt_core.cdp.layout import CALL_TABLES, CdpLayout
from reflekt_core.dbt.columns import (VERSION_COLUMN, VERSION_OUTPUT, Columns, ModelColumn, add_added, add_context,
                                      add_standard, name_tests, own_names)
from reflekt_core.dbt.derived import combine, property_tests
from reflekt_core.dbt.grouping import ModelSpec, check_unique, plan_models
from reflekt_core.errors import ReflektError
from reflekt_core.project import DbtSettings
from reflekt_core.schemas.model import EventSchema
from reflekt_core.schemas.walk import PropertyNode
from reflekt_core.warehouses.catalog import SchemaCatalog, Table

#: JSON Schema type -> common catalog type, for columns that have not arrived yet.
JSON_TO_COMMON = {"string": "string", "integer": "integer", "number": "float", "boolean": "boolean",
                  "array": "string", "object": "json"}
#: Tables whose models exist whenever the warehouse has them, schema or not.
TABLE_MODELS = ("tracks", "users", "groups", "screens", "aliases")
#: Tables reflekt 0.6 never filtered with ``models.filter`` (entity tables, one row per user or group).
UNFILTERED = frozenset({"users", "groups"})

__all__ = ["DRIFT_KINDS", "Drift", "Model", "ModelColumn", "PackagePlan", "plan_package"]


@dataclass
class Model:
    name: str
    table: str
    call_type: str
    description: str
    columns: list[ModelColumn]
    schema: EventSchema | None = None              # the newest version the model covers
    filtered: bool = False                         # models.filter applies
    schemas: list[EventSchema] = field(default_factory=list)   # every version it covers, oldest first
    conditions: list[tuple[str, Any]] = field(default_factory=list)  # (raw column, value) rows it reads
    dedupe: tuple[str, str] | None = None          # (message id column, latest-first column)


@dataclass(frozen=True)
class Drift:
    kind: str                      # one of DRIFT_KINDS
    table: str
    column: str | None
    schema_id: str | None
    message: str
    model: str | None = None       # breaking_change: the staging model of the new version

    def to_dict(self) -> dict[str, Any]:
        data = {"kind": self.kind, "table": self.table, "column": self.column, "schema_id": self.schema_id,
                "message": self.message}
        return {**data, "model": self.model} if self.model else data


#: Every kind of drift item, with what it means (the Dagster layer makes one check per kind).
DRIFT_KINDS = {
    "property_without_column": "Schema properties with no warehouse column",
    "column_without_property": "Warehouse columns no schema declares",
    "missing_table": "Schemas whose warehouse table is missing",
    "type_mismatch": "Columns that landed with another type than the schema declares",
    "untranslatable_pattern": "Patterns no warehouse regex can check faithfully (no test generated)",
    "renamed_property": "Properties selected as property_<name> because Reflekt uses their name",
    "breaking_change": "Columns a newer event version removes or retypes (reflekt_core.evolution)",
}


@dataclass
class PackagePlan:
    project_name: str
    source_name: str
    database: str | None                 # None: the dbt target's database
    schema: str
    sdk: str
    models: list[Model]
    source_tables: dict[str, str]        # table -> description
    drift: list[Drift]
    freshness: dict[str, Any] | None = None                            # the source's; None: no check
    table_freshness: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # per-event overrides


def _flat_properties(schema: EventSchema) -> list[PropertyNode]:
    """Properties that become columns: leaves and arrays, with nested objects flattened."""
    result = []
    for prop in schema.property_nodes:
        if "[]" in prop.path or not isinstance(prop.node, dict):
            continue
        node_type = prop.node.get("type")
        types = [node_type] if isinstance(node_type, str) else node_type if isinstance(node_type, list) else []
        if "object" in types and isinstance(prop.node.get("properties"), dict) and prop.node["properties"]:
            continue  # flattened into its children's columns
        result.append(prop)
    return result


def _json_type(node: dict[str, Any]) -> str:
    value = node.get("type")
    types = [value] if isinstance(value, str) else [t for t in value if t != "null"] if isinstance(value, list) else []
    common = JSON_TO_COMMON.get(types[0], "string") if types else "string"
    if common == "string" and node.get("format") == "date-time":
        return "timestamp"
    if common == "string" and node.get("format") == "date":
        return "date"
    return common


#: Declared types checked against the landed column; numbers of either kind hold each other.
_CHECKED_TYPES = frozenset({"string", "integer", "float", "boolean", "timestamp", "date"})
_NUMERIC = frozenset({"integer", "float"})


def _declared_type(node: dict[str, Any]) -> str:
    """The common type of a property's JSON type, ignoring ``format`` (a date-time string is a string)."""
    value = node.get("type")
    types = [value] if isinstance(value, str) else [t for t in (value or []) if t != "null"]
    return JSON_TO_COMMON.get(types[0], "other") if len(types) == 1 and isinstance(types[0], str) else "other"


def _mismatch(node: dict[str, Any], landed: str) -> str | None:
    """The declared type when the landed column cannot hold it as is, else None."""
    declared = _declared_type(node)
    if declared not in _CHECKED_TYPES or landed not in _CHECKED_TYPES or declared == landed:
        return None
    if declared in _NUMERIC and landed in _NUMERIC:
        return None
    if declared == "string" and landed in ("timestamp", "date") and node.get("format") in ("date-time", "date"):
        return None  # the loader typed a date-time string: what the format says it is
    return declared


class _Planner:
    """Plans one model at a time; collects drift and the property columns each table declares."""

    def __init__(self, catalog: SchemaCatalog, layout: CdpLayout, settings: DbtSettings):
        self.catalog, self.layout, self.settings = catalog, layout, settings
        self.source_schema = catalog.schema
        self.drift: list[Drift] = []
        self.declared: dict[str, set[str]] = defaultdict(set)
        self._columns_of: dict[str, dict[str, PropertyNode]] = {}
        self._flat: dict[str, list[PropertyNode]] = {}

    def flat_properties(self, schema: EventSchema) -> list[PropertyNode]:
        """:func:`_flat_properties`, once per schema."""
        if schema.rel_path not in self._flat:
            self._flat[schema.rel_path] = _flat_properties(schema)
        return self._flat[schema.rel_path]

    def columns_of(self, schema: EventSchema) -> dict[str, PropertyNode]:
        """A schema's property columns: column name -> property (the CDP drops reserved names)."""
        if schema.rel_path not in self._columns_of:
            reserved = self.layout.reserved_columns.get(schema.call_type, frozenset())
            found: dict[str, PropertyNode] = {}
            for prop in self.flat_properties(schema):
                column = self.layout.column_name(prop.path)
                if column and column not in reserved:  # reserved: lint rule R605; no letters or digits
                    found.setdefault(column, prop)
            self._columns_of[schema.rel_path] = found
        return self._columns_of[schema.rel_path]

    def _version_where(self, table: Table, schemas: Sequence[EventSchema]) -> dict[int, str] | None:
        """``schema_version = <major>`` per major version, when the raw table records the version."""
        column = table.column(VERSION_COLUMN)
        if column is None:
            return None
        return {s.major: f"{VERSION_OUTPUT} = {_version_value(column.type, s.major)!r}" for s in schemas}

    def _row_schemas(self, spec: ModelSpec, table: Table) -> list[EventSchema]:
        """The versions whose rows the model reads."""
        if spec.version_major is None:
            return spec.schemas
        if table.column(VERSION_COLUMN) is not None:
            return [s for s in spec.all_versions if s.major == spec.version_major]
        return spec.all_versions  # without the version column every per-version model reads every row

    def _property(self, columns: Columns, spec: ModelSpec, table: Table, column_name: str,
                  versions: list[tuple[EventSchema, dict[str, PropertyNode]]],
                  rows: list[tuple[EventSchema, int, dict[str, PropertyNode]]], wheres: dict[int, str] | None) -> None:
        """One property column. ``versions``: each version the model covers with its columns, newest
        first; ``rows``: each version whose rows it reads, with its major version and columns."""
        declaring = [(schema, found[column_name]) for schema, found in versions if column_name in found]
        newest, prop = declaring[0]
        self.declared[spec.table].add(column_name)
        text = prop.node.get("description")
        description = text if isinstance(text, str) and text.strip() else f"{prop.path}."
        existing = table.column(column_name)
        where = f"'{self.source_schema}.{spec.table}'"
        origins = [(schema.rel_path, own.path) for schema, own in declaring]
        if existing is None:
            for schema, _own in declaring:
                self.drift.append(Drift("property_without_column", spec.table, column_name, schema.id,
                                        f"property '{prop.path}' of {schema.id} has no column '{column_name}' in "
                                        f"{where} (not sent yet?): selected as null"))
            columns.add_property(ModelColumn(column_name, None, description, _json_type(prop.node),
                                             origins=origins))
            return
        column_type, cast = existing.type, None
        for schema, own in declaring:
            declared_type = _mismatch(own.node, existing.type)
            if declared_type:
                safe = self.settings.models_cast == "safe"
                self.drift.append(Drift(
                    "type_mismatch", spec.table, column_name, schema.id,
                    f"property '{prop.path}' of {schema.id} is declared {declared_type} but column "
                    f"'{self.source_schema}.{spec.table}.{column_name}' landed as {existing.data_type}"
                    + (f": selected through a safe cast to {declared_type}" if safe else "")))
                if safe and schema is newest:
                    cast = column_type = declared_type
        per_version = []
        declaring_schemas = [schema for schema, _own in declaring]
        for schema, major, found in rows:
            node = found.get(column_name)
            problems: list[str] = []
            per_version.append((major, property_tests(node, column_type, problems) if node else []))
            for problem in problems if problems and schema in declaring_schemas else []:
                self.drift.append(Drift("untranslatable_pattern", spec.table, column_name, schema.id,
                                        f"pattern of property '{node.path}' of {schema.id} uses {problem}, which "
                                        f"not every warehouse can match: no pattern test was generated"))
        tests = combine(per_version, wheres) + name_tests(self.settings, column_name)
        renamed = columns.add_property(ModelColumn(column_name, column_name, description, column_type,
                                                   tests=tests, cast=cast, origins=origins))
        if renamed:
            self.drift.append(Drift("renamed_property", spec.table, column_name, newest.id,
                                    f"property '{prop.path}' of {newest.id} is selected as '{renamed}': Reflekt "
                                    f"uses the name '{column_name}' for its own column"))

    def model(self, spec: ModelSpec, table: Table) -> Model:
        kind = self.layout.table_kind(spec.table, spec.call_type)
        newest = spec.newest
        columns = Columns(own_names(table, kind, self.layout, newest))
        add_standard(columns, table, kind, self.layout, self.settings)
        versions = [(schema, self.columns_of(schema)) for schema in reversed(spec.schemas)]
        # the newest version's order, then older versions' columns
        order = list(dict.fromkeys(column for _schema, found in versions for column in found))
        row_schemas = self._row_schemas(spec, table)
        rows = [(schema, schema.major, self.columns_of(schema)) for schema in row_schemas]
        wheres = self._version_where(table, row_schemas) if spec.one_event and spec.version_major is None else None
        for column_name in order:
            self._property(columns, spec, table, column_name, versions, rows, wheres)
        add_context(columns, table, self.settings)
        add_added(columns, spec.call_type, self.source_schema, spec.table, newest, spec.schemas)
        conditions: list[tuple[str, Any]] = []
        if spec.page_name is not None:
            conditions.append(("name", spec.page_name))
        if spec.version_major is not None and table.column(VERSION_COLUMN) is not None:
            conditions.append((VERSION_COLUMN, _version_value(table.column(VERSION_COLUMN).type, spec.version_major)))
        return Model(spec.name, spec.table, spec.call_type, newest.description, columns.items, newest,
                     filtered=kind not in UNFILTERED, schemas=list(spec.schemas), conditions=conditions,
                     dedupe=self.dedupe(table))

    def dedupe(self, table: Table) -> tuple[str, str] | None:
        names = set(table.column_names)
        return ("id", "received_at") if self.settings.models_dedupe and {"id", "received_at"} <= names else None

    def table_model(self, table: Table, traits: dict[str, str]) -> Model:
        """A model of a table no schema describes (tracks, users, groups...): every column it has."""
        call_type = "identify" if table.name == "users" else next(c for c, t in CALL_TABLES.items()
                                                                   if t == table.name)
        columns = Columns()
        add_standard(columns, table, table.name, self.layout, self.settings)
        add_context(columns, table, self.settings)
        for column in table.columns:
            if column.name not in columns.sources:
                description = traits.get(column.name) or f"{column.name} as loaded by {self.layout.display_name}."
                columns.add_property(ModelColumn(column.name, column.name, description, column.type,
                                                 tests=name_tests(self.settings, column.name)))
        add_added(columns, call_type, self.source_schema, table.name, None)
        description = {"tracks": "Every track call, whatever the event.",
                       "users": "Latest traits of each identified user."}.get(table.name, f"Every {call_type} call.")
        name = f"{self.settings.models_prefix}{self.source_schema}__{table.name}"
        return Model(name, table.name, call_type, description, columns.items,
                     filtered=table.name not in UNFILTERED, dedupe=self.dedupe(table))


def _version_value(column_type: str, major: int) -> int | str:
    """A major version as the raw version column holds it (a number, or text)."""
    return major if column_type in _NUMERIC else str(major)


def _traits(schemas: Sequence[EventSchema], planner: _Planner) -> dict[str, str]:
    """Descriptions of identify traits by column, the newest version first (the users model's docs)."""
    found: dict[str, str] = {}
    identify = [s for s in schemas if s.call_type == "identify"]
    for schema in sorted(identify, key=lambda s: s.version_parts, reverse=True):
        for column, prop in planner.columns_of(schema).items():
            text = prop.node.get("description")
            if isinstance(text, str) and text.strip():
                found.setdefault(column, text)
    return found


def _freshness(schema: EventSchema) -> tuple[bool, dict[str, Any] | None]:
    """A schema's own freshness (``self.metadata.freshness``): (given?, value or None for off)."""
    if "freshness" not in schema.metadata:
        return False, None
    value = schema.metadata["freshness"]
    from jsonschema import Draft7Validator

    from reflekt_core.project import FRESHNESS_SCHEMA

    if not Draft7Validator(FRESHNESS_SCHEMA).is_valid(value):
        raise ReflektError("self.metadata.freshness is not a dbt source freshness", where=schema.id,
                           hint="use {warn_after: {count: 12, period: hour}, error_after: {...}}, or false")
    return True, dict(value) if value else None


def _breaking(models: Sequence[Model], planner: _Planner) -> list[Drift]:
    """Breaking changes between consecutive versions (:mod:`reflekt_core.dbt.breaking`). A model
    covering several versions is compared version by version: a removed property stays in it as a
    column that is null in the newer version's rows."""
    from types import SimpleNamespace

    from reflekt_core.dbt.breaking import breaking_columns

    views, owner = [], {}
    for model in models:
        if len(model.schemas) < 2:
            views.append(model)
            continue
        for schema in model.schemas:
            name = f"{model.name} (version {schema.version})"
            owner[name] = model.name
            views.append(SimpleNamespace(name=name, table=model.table, schema=schema,
                                         columns=[SimpleNamespace(name=c) for c in planner.columns_of(schema)]))
    return [Drift("breaking_change", table, column, schema_id, message, model=owner.get(model, model))
            for model, table, column, schema_id, message in breaking_columns(views, planner.layout,
                                                                            planner.flat_properties, _json_type)]


def plan_package(project_name: str, schemas: Sequence[EventSchema], catalog: SchemaCatalog, layout: CdpLayout,
                 settings: DbtSettings) -> PackagePlan:
    """Every model, column, test and drift item of the package, sorted for stable output."""
    planner = _Planner(catalog, layout, settings)
    source_schema = catalog.schema
    models: list[Model] = []
    source_tables: dict[str, str] = {}
    table_freshness: dict[str, dict[str, Any] | None] = {}
    specs = plan_models(schemas, layout, settings.models_prefix, source_schema, settings.models_versions)
    schema_tables = {spec.table for spec in specs}
    missing: set[str] = set()
    for spec in specs:
        table = catalog.table(spec.table)
        if table is None:
            for schema in spec.schemas:
                if schema.id not in missing:
                    missing.add(schema.id)
                    planner.drift.append(Drift(
                        "missing_table", spec.table, None, schema.id,
                        f"table '{source_schema}.{spec.table}' for '{schema.name}' ({schema.id}) is not in the "
                        f"warehouse: no model was generated"))
            continue
        newest = spec.newest
        source_tables.setdefault(spec.table, newest.description or f"{layout.display_name} {spec.call_type} calls.")
        given, value = _freshness(newest)
        if given:
            table_freshness.setdefault(spec.table, value)
        models.append(planner.model(spec, table))

    traits = _traits(schemas, planner)
    for table_name in TABLE_MODELS:
        table = catalog.table(table_name)
        if table is None or table_name in schema_tables:
            continue  # no such table, or a schema already describes it
        model = planner.table_model(table, traits if table_name == "users" else {})
        source_tables.setdefault(table_name, model.description)
        models.append(model)
    check_unique([ModelSpec(m.name, m.table, m.call_type, m.schemas) for m in models])

    for table_name in sorted(schema_tables):
        table = catalog.table(table_name)
        if table is None:
            continue
        kind = "event" if table_name not in CALL_TABLES.values() else table_name
        known = set(layout.standard_columns.get(kind, ())) | planner.declared[table_name]
        for column in table.columns:
            if column.name not in known and not column.name.startswith("context_"):
                planner.drift.append(Drift(
                    "column_without_property", table_name, column.name, None,
                    f"column '{source_schema}.{table_name}.{column.name}' is declared by no schema "
                    f"version: add it to the schema, or ignore it"))
    planner.drift.extend(_breaking(models, planner))
    models.sort(key=lambda m: m.name)
    drift = sorted(planner.drift, key=lambda d: (d.kind, d.table, d.column or "", d.schema_id or ""))
    return PackagePlan(project_name, source_schema, settings.sources_database, catalog.schema, layout.name, models,
                       dict(sorted(source_tables.items())), drift, settings.sources_freshness,
                       dict(sorted(table_freshness.items())))
