"""Plan a dbt package from event schemas, a warehouse catalog and a CDP layout (pure).

The plan says which models exist, which columns each selects and renames, which tests
each column gets, and every mismatch between schemas and warehouse (drift). Rendering
files from the plan is a separate step (:mod:`reflekt_core.dbt.render`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from reflekt_core.cdp.layout import CALL_TABLES, ID_ALIASES, CdpLayout, describe_context
from reflekt_core.dbt.regex import Untranslatable, translate as translate_pattern
from reflekt_core.project import DbtSettings
from reflekt_core.schemas.model import EventSchema
from reflekt_core.schemas.walk import PropertyNode
from reflekt_core.warehouses.catalog import SchemaCatalog, Table

#: JSON Schema type -> common catalog type, for columns that have not arrived yet.
JSON_TO_COMMON = {"string": "string", "integer": "integer", "number": "float", "boolean": "boolean",
                  "array": "string", "object": "json"}
#: Tables whose models exist whenever the warehouse has them, schema or not.
TABLE_MODELS = ("tracks", "users", "groups", "screens", "aliases")


@dataclass
class ModelColumn:
    name: str                      # output name
    source: str | None             # warehouse column, or None when it has not arrived (null cast)
    description: str
    type: str = "string"           # common type, for null casts
    literal: str | None = None     # a constant expression instead of a column
    tests: list[Any] = field(default_factory=list)
    cast: str | None = None        # select through a safe cast to this common type (landed type differs)


@dataclass
class Model:
    name: str
    table: str
    call_type: str
    description: str
    columns: list[ModelColumn]
    schema: EventSchema | None = None
    filtered: bool = False


@dataclass(frozen=True)
class Drift:
    kind: str                      # property_without_column | column_without_property | missing_table |
                                   # type_mismatch | untranslatable_pattern
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
    "breaking_change": "Columns a newer event version removes or retypes (reflekt_core.evolution)",
}


@dataclass
class PackagePlan:
    project_name: str
    source_name: str
    database: str
    schema: str
    sdk: str
    models: list[Model]
    source_tables: dict[str, str]        # table -> description
    drift: list[Drift]


def _rename(column: str, kind: str) -> str:
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


class _Columns:
    """Output columns of one model: never two with the same name."""

    def __init__(self) -> None:
        self.items: list[ModelColumn] = []
        self.names: set[str] = set()
        self.sources: set[str] = set()

    def add(self, column: ModelColumn) -> None:
        if column.source and column.source in self.sources:
            return  # a property that is also a standard column is selected once
        if column.name in self.names:
            column.name = column.source or column.name  # keep the original name when a rename collides
            if column.name in self.names:
                return
        self.items.append(column)
        self.names.add(column.name)
        if column.source:
            self.sources.add(column.source)


def _flat_properties(schema: EventSchema) -> list[PropertyNode]:
    """Properties that become columns: leaves and arrays, with nested objects flattened."""
    result = []
    for prop in schema.property_nodes:
        if "[]" in prop.path or not isinstance(prop.node, dict):
            continue
        node_type = prop.node.get("type")
        types = [node_type] if isinstance(node_type, str) else list(node_type or [])
        if "object" in types and isinstance(prop.node.get("properties"), dict) and prop.node["properties"]:
            continue  # flattened into its children's columns
        result.append(prop)
    return result


def _json_type(node: dict[str, Any]) -> str:
    value = node.get("type")
    types = [value] if isinstance(value, str) else [t for t in (value or []) if t != "null"]
    common = JSON_TO_COMMON.get(types[0], "string") if types else "string"
    if common == "string" and node.get("format") == "date-time":
        return "timestamp"
    if common == "string" and node.get("format") == "date":
        return "date"
    return common


def _enum_values(values: list[Any], column_type: str) -> list[Any]:
    """Enum values as the column holds them: text for a text column, numbers for a numeric one."""
    values = [v for v in values if v is not None]
    if column_type in ("integer", "float"):
        return [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if column_type == "boolean":
        return [v for v in values if isinstance(v, bool)]
    return [v if isinstance(v, str) else json.dumps(v) for v in values]


def _property_tests(prop: PropertyNode, column_type: str, problems: list[str] | None = None) -> list[Any]:
    """dbt tests for a property's keywords; a keyword no test can check faithfully goes to ``problems``."""
    node = prop.node
    tests: list[Any] = []
    if prop.required and "." not in prop.path:
        tests.append("not_null")
    if isinstance(node.get("enum"), list) and node["enum"]:
        values = _enum_values(node["enum"], column_type)
        if values:
            tests.append({"reflekt_accepted_values": {"arguments": {"values": values}}})
    if column_type == "string":
        if isinstance(node.get("format"), str) and node["format"] in ("email", "uuid", "uri", "ipv4", "date-time",
                                                                       "date"):
            tests.append({"reflekt_format": {"arguments": {"format": node["format"]}}})
        if isinstance(node.get("pattern"), str) and node["pattern"]:
            try:
                regex = translate_pattern(node["pattern"])
            except Untranslatable as exc:
                if problems is not None:
                    problems.append(str(exc))
            else:
                tests.append({"reflekt_pattern": {"arguments": {"pattern": node["pattern"], "regex": regex}}})
        bounds = {k: node[k] for k in ("minLength", "maxLength") if isinstance(node.get(k), int)}
        if bounds:
            tests.append({"reflekt_length": {"arguments": {"min_length": bounds.get("minLength"),
                                                           "max_length": bounds.get("maxLength")}}})
    if column_type in ("integer", "float"):
        limits = {k: node[k] for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
                  if isinstance(node.get(k), (int, float)) and not isinstance(node.get(k), bool)}
        if limits:
            tests.append({"reflekt_range": {"arguments": {
                "min_value": limits.get("minimum", limits.get("exclusiveMinimum")),
                "max_value": limits.get("maximum", limits.get("exclusiveMaximum")),
                "min_inclusive": "exclusiveMinimum" not in limits,
                "max_inclusive": "exclusiveMaximum" not in limits}}})
    return tests


#: Declared types checked against the landed column; numbers of either kind hold each other.
_CHECKED_TYPES = frozenset({"string", "integer", "float", "boolean", "timestamp", "date"})
_NUMERIC = frozenset({"integer", "float"})


def _mismatch(declared: str, landed: str) -> bool:
    """True when the landed column cannot hold the declared JSON type as is."""
    if declared not in _CHECKED_TYPES or landed not in _CHECKED_TYPES or declared == landed:
        return False
    return not (declared in _NUMERIC and landed in _NUMERIC)


def _name_tests(name: str, settings: DbtSettings) -> list[Any]:
    return list(settings.docs_tests.get(name) or [])


def _standard(columns: _Columns, table: Table, kind: str, layout: CdpLayout, settings: DbtSettings) -> None:
    present = set(table.column_names)
    for source in layout.standard_columns.get(kind, ()):
        if source in present:
            name = _rename(source, kind)
            columns.add(ModelColumn(name, source, layout.column_docs.get(source, f"{source}."),
                                    tests=_name_tests(name, settings)))


def _context(columns: _Columns, table: Table, settings: DbtSettings) -> None:
    for column in table.columns:
        if column.name.startswith("context_") and column.name not in columns.sources:
            name = _rename(column.name, "context")
            columns.add(ModelColumn(name, column.name, describe_context(column.name), tests=_name_tests(name, settings)))


def _added(columns: _Columns, call_type: str, source_schema: str, table: str, schema: EventSchema | None) -> None:
    columns.add(ModelColumn("call_type", None, "Which call this row records (track, identify, page...).",
                            literal=call_type))
    columns.add(ModelColumn("source_schema", None, "Warehouse schema the row was read from.", literal=source_schema))
    columns.add(ModelColumn("source_table", None, "Warehouse table the row was read from.", literal=table))
    if schema is not None:
        columns.add(ModelColumn("schema_id", None, "Reflekt schema ($id) this model was generated from.",
                                literal=schema.id))
        metadata = json.dumps(schema.metadata, sort_keys=True)
        columns.add(ModelColumn("schema_metadata", None, "The schema's self.metadata, as JSON text.",
                                literal=metadata))


def _model_name(settings: DbtSettings, source_schema: str, table: str, schema: EventSchema | None) -> str:
    name = f"{settings.models_prefix}{source_schema}__{table.lstrip('_') or table}"
    if schema is not None and schema.version_parts not in ((1, 0), (1, 0, 0)):
        name += f"__v{'_'.join(str(p) for p in schema.version_parts)}"  # SchemaVer 1-0-2: __v1_0_2
    return name


def plan_package(project_name: str, schemas: Sequence[EventSchema], catalog: SchemaCatalog, layout: CdpLayout,
                 settings: DbtSettings) -> PackagePlan:
    """Every model, column, test and drift item of the package, sorted for stable output."""
    source_schema = catalog.schema
    models: list[Model] = []
    drift: list[Drift] = []
    source_tables: dict[str, str] = {}
    declared: dict[str, set[str]] = defaultdict(set)   # table -> property columns declared by any version
    schema_tables: set[str] = set()

    for schema in sorted(schemas, key=lambda s: (s.name, s.version_parts, s.rel_path)):
        call_type = schema.call_type
        table_name = layout.table_for(schema.name, call_type)
        kind = layout.table_kind(table_name, call_type)
        schema_tables.add(table_name)
        table = catalog.table(table_name)
        if table is None:
            drift.append(Drift("missing_table", table_name, None, schema.id,
                               f"table '{source_schema}.{table_name}' for '{schema.name}' ({schema.id}) is not in "
                               f"the warehouse: no model was generated"))
            continue
        source_tables[table_name] = schema.description or f"{layout.display_name} {call_type} calls."
        columns = _Columns()
        _standard(columns, table, kind, layout, settings)
        reserved = layout.reserved_columns.get(call_type, frozenset())
        for prop in _flat_properties(schema):
            column_name = layout.column_name(prop.path)
            if column_name in reserved or not column_name:
                continue  # the CDP drops it at load (a reserved name: lint rule R605; no letters or digits)
            declared[table_name].add(column_name)
            text = prop.node.get("description")
            description = text if isinstance(text, str) and text.strip() else f"{prop.path}."
            existing = table.column(column_name)
            column_type = existing.type if existing else _json_type(prop.node)
            if existing is None:
                drift.append(Drift("property_without_column", table_name, column_name, schema.id,
                                   f"property '{prop.path}' of {schema.id} has no column '{column_name}' in "
                                   f"'{source_schema}.{table_name}' (not sent yet?): selected as null"))
                columns.add(ModelColumn(column_name, None, description, column_type))
                continue
            declared_type = _json_type(prop.node)
            cast = None
            if _mismatch(declared_type, existing.type):
                drift.append(Drift("type_mismatch", table_name, column_name, schema.id,
                                   f"property '{prop.path}' of {schema.id} is declared {declared_type} but column "
                                   f"'{source_schema}.{table_name}.{column_name}' landed as {existing.data_type}"
                                   + (f": selected through a safe cast to {declared_type}"
                                      if settings.models_cast == "safe" else "")))
                if settings.models_cast == "safe":
                    cast = column_type = declared_type
            problems: list[str] = []
            tests = _property_tests(prop, column_type, problems) + _name_tests(column_name, settings)
            for problem in problems:
                drift.append(Drift("untranslatable_pattern", table_name, column_name, schema.id,
                                   f"pattern of property '{prop.path}' of {schema.id} uses {problem}, which not "
                                   f"every warehouse can match: no pattern test was generated"))
            columns.add(ModelColumn(column_name, column_name, description, column_type, tests=tests, cast=cast))
        _context(columns, table, settings)
        _added(columns, call_type, source_schema, table_name, schema)
        models.append(Model(_model_name(settings, source_schema, table_name, schema), table_name, call_type,
                            schema.description, columns.items, schema, filtered=call_type == "track"))

    for table_name in TABLE_MODELS:
        table = catalog.table(table_name)
        if table is None or table_name in schema_tables:
            continue  # no such table, or a schema already describes it
        call_type = "identify" if table_name == "users" else next(c for c, t in CALL_TABLES.items() if t == table_name)
        columns = _Columns()
        _standard(columns, table, table_name, layout, settings)
        _context(columns, table, settings)
        for column in table.columns:
            if column.name not in columns.sources:
                columns.add(ModelColumn(column.name, column.name, f"{column.name} as loaded by {layout.display_name}.",
                                        column.type, tests=_name_tests(column.name, settings)))
        _added(columns, call_type, source_schema, table_name, None)
        description = {"tracks": "Every track call, whatever the event.",
                       "users": "Latest traits of each identified user."}.get(
            table_name, f"Every {call_type} call.")
        source_tables.setdefault(table_name, description)
        models.append(Model(_model_name(settings, source_schema, table_name, None), table_name, call_type,
                            description, columns.items))

    for table_name in sorted(schema_tables):
        table = catalog.table(table_name)
        if table is None:
            continue
        kind = "event" if table_name not in CALL_TABLES.values() else table_name
        known = set(layout.standard_columns.get(kind, ())) | declared[table_name]
        for column in table.columns:
            if column.name not in known and not column.name.startswith("context_"):
                drift.append(Drift("column_without_property", table_name, column.name, None,
                                   f"column '{source_schema}.{table_name}.{column.name}' is declared by no schema "
                                   f"version: add it to the schema, or ignore it"))
    from reflekt_core.dbt.breaking import breaking_columns

    drift.extend(Drift("breaking_change", table, column, schema_id, message, model=model) for model, table, column,
                 schema_id, message in breaking_columns(models, layout, _flat_properties, _json_type))
    models.sort(key=lambda m: m.name)
    drift.sort(key=lambda d: (d.kind, d.table, d.column or "", d.schema_id or ""))
    return PackagePlan(project_name, source_schema, catalog.database, catalog.schema, layout.name, models,
                       dict(sorted(source_tables.items())), drift)
