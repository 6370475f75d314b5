"""The warehouse catalog as data: the tables and columns a CDP loaded into one schema."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from reflekt_core.errors import UsageError
from reflekt_core.warehouses.types import normalise_type

CATALOG_FORMAT_VERSION = 1
#: The small common vocabulary every engine's types are normalised to.
COMMON_TYPES = ("string", "integer", "float", "boolean", "timestamp", "date", "json", "other")


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str          # one of COMMON_TYPES
    data_type: str     # the engine's own type name, as information_schema reports it
    nullable: bool
    position: int


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column | None:
        return self._by_name.get(name)

    @cached_property
    def _by_name(self) -> dict[str, Column]:
        """Columns by name, the first of any duplicate (the build looks up every property's column)."""
        found: dict[str, Column] = {}
        for column in self.columns:
            found.setdefault(column.name, column)
        return found

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


@dataclass(frozen=True)
class SchemaCatalog:
    """Every table and column of one warehouse schema, names normalised to lower case."""

    source_id: str
    source_type: str
    database: str
    schema: str
    tables: dict[str, Table] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        return f"{self.source_id}.{self.database}.{self.schema}"

    def table(self, name: str) -> Table | None:
        return self.tables.get(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source_id": self.source_id, "source_type": self.source_type,
            "database": self.database, "schema": self.schema,
            "tables": {name: [_column_dict(c) for c in t.columns] for name, t in sorted(self.tables.items())},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SchemaCatalog:
        tables = {name: Table(name, tuple(Column(**c) for c in columns))
                  for name, columns in data["tables"].items()}
        return cls(source_id=data["source_id"], source_type=data["source_type"],
                   database=data["database"], schema=data["schema"], tables=tables)

    def summary(self) -> dict[str, int]:
        return {"tables": len(self.tables), "columns": sum(len(t.columns) for t in self.tables.values())}


def _column_dict(column: Column) -> dict[str, Any]:
    return {"name": column.name, "type": column.type, "data_type": column.data_type,
            "nullable": column.nullable, "position": column.position}


def build_schema_catalog(source_id: str, source_type: str, database: str, schema: str,
                         rows: list[tuple]) -> SchemaCatalog:
    """Group ``(table, column, data_type, is_nullable, position[, numeric_scale])`` rows.

    Types are mapped to :data:`COMMON_TYPES` by :func:`normalise_type`. Identifier case
    is normalised: engines that upper-case unquoted names (Snowflake) report them in upper
    case, and CDPs create them unquoted, so names are compared and stored in lower case.
    """
    columns: dict[str, list[Column]] = {}
    for row in rows:
        table, column, data_type, nullable, position = row[:5]
        scale = row[5] if len(row) > 5 else None
        nullable_flag = nullable if isinstance(nullable, bool) else str(nullable).upper() in ("YES", "TRUE", "Y")
        columns.setdefault(table.lower(), []).append(Column(
            name=column.lower(), type=normalise_type(data_type, scale), data_type=str(data_type).lower(),
            nullable=nullable_flag, position=int(position)))
    tables = {name: Table(name, tuple(sorted(cols, key=lambda c: c.position)))
              for name, cols in sorted(columns.items())}
    return SchemaCatalog(source_id, source_type, database.lower(), schema.lower(), tables)


def save_catalogs(catalogs: list[SchemaCatalog], path: Path) -> None:
    from reflekt_core.fsutil import atomic_write_text

    data = {"reflekt_catalog_version": CATALOG_FORMAT_VERSION,
            "catalogs": [c.to_dict() for c in sorted(catalogs, key=lambda c: c.ref)]}
    atomic_write_text(path, dumps(data) + "\n")


def dumps(data: Any) -> str:
    """Compact JSON with one table per line: fast (C encoder) and still diffable."""
    if isinstance(data, dict) and "catalogs" in data:
        parts = []
        for catalog in data["catalogs"]:
            head = {k: v for k, v in catalog.items() if k != "tables"}
            tables = ",\n".join(f"    {json.dumps(name)}: {json.dumps(columns)}"
                                for name, columns in catalog["tables"].items())
            parts.append(json.dumps(head)[:-1] + ', "tables": {\n' + tables + "\n  }}")
        rest = {k: v for k, v in data.items() if k != "catalogs"}
        prefix = json.dumps(rest)[:-1] + (", " if rest else "")
        return prefix + '"catalogs": [\n  ' + ",\n  ".join(parts) + "\n]}"
    return json.dumps(data)


def load_catalogs(path: Path) -> list[SchemaCatalog]:
    """Read a catalog file written by ``reflekt catalog --out``."""
    try:
        if path.exists() and not path.is_file():  # a FIFO would block the read forever
            raise UsageError(f"catalog file {path} is not a regular file", hint="give a JSON file")
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError("catalog file not found", hint=f"write one with 'reflekt catalog --out {path}'") from None
    except (OSError, ValueError, RecursionError) as exc:
        raise UsageError(f"cannot read catalog file {path}: {str(exc)[:200]}") from None
    if not isinstance(data, dict) or data.get("reflekt_catalog_version") != CATALOG_FORMAT_VERSION:
        raise UsageError(f"{path} is not a Reflekt catalog (version {CATALOG_FORMAT_VERSION})",
                         hint="write one with 'reflekt catalog --out FILE'")
    problem = _catalog_problem(data)
    if problem:
        raise UsageError(f"{path} is not a valid Reflekt catalog: {problem}",
                         hint="write it again with 'reflekt catalog --out FILE'")
    return [SchemaCatalog.from_dict(c) for c in data["catalogs"]]


_CATALOG_FIELDS = {"source_id": str, "source_type": str, "database": str, "schema": str}
_COLUMN_FIELDS = {"name": str, "type": str, "data_type": str, "nullable": bool, "position": int}


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number",
            float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def _catalog_problem(data: dict[str, Any]) -> str | None:
    """What is wrong with a catalog file's structure (a key path and what was found), or None."""
    catalogs = data.get("catalogs")
    if not isinstance(catalogs, list):
        return f"'catalogs' must be a list, found {_kind(catalogs)}"
    for i, item in enumerate(catalogs):
        if not isinstance(item, dict):
            return f"catalogs[{i}] must be an object, found {_kind(item)}"
        for key, kind in _CATALOG_FIELDS.items():
            if not isinstance(item.get(key), kind):
                return f"catalogs[{i}].{key} must be a string, found {_kind(item.get(key))}"
        tables = item.get("tables")
        if not isinstance(tables, dict):
            return f"catalogs[{i}].tables must be an object of table name -> columns, found {_kind(tables)}"
        for table, columns in tables.items():
            if not isinstance(columns, list):
                return f"catalogs[{i}].tables.{table} must be a list of columns, found {_kind(columns)}"
            for n, column in enumerate(columns):
                if not isinstance(column, dict):
                    return f"catalogs[{i}].tables.{table}[{n}] must be an object, found {_kind(column)}"
                for key, kind in _COLUMN_FIELDS.items():
                    value = column.get(key)
                    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                        return (f"catalogs[{i}].tables.{table}[{n}].{key} must be {_kind(kind())}, "
                                f"found {_kind(value)}")
    return None


def pick_catalog(catalogs: list[SchemaCatalog], source: str | None, path: Path) -> SchemaCatalog:
    """The catalog of ``source`` (``id.database.schema``) in a saved file, or its only one."""
    from reflekt_core.warehouses.base import parse_source_ref

    if source:
        ref = parse_source_ref(source)
        for item in catalogs:
            if (item.source_id, item.database, item.schema) == (ref.source_id, ref.database.lower(), ref.schema.lower()):
                return item
        raise UsageError(f"{path} has no catalog for {source} (it has: {', '.join(c.ref for c in catalogs)})")
    if len(catalogs) != 1:
        raise UsageError(f"{path} holds {len(catalogs)} schema catalogs", hint="pick one with --source")
    return catalogs[0]
