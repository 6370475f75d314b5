"""DuckDB: the embedded default warehouse (a local file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reflekt_core.errors import WarehouseError
from reflekt_core.warehouses.base import require, resolve_path
from reflekt_core.warehouses.catalog import SchemaCatalog, build_schema_catalog
from reflekt_core.warehouses.errors import classify
from reflekt_core.warehouses.stats import LOADED_AT, TableStats, quote, run_batches

COLUMNS_SQL = """
select table_name, column_name, data_type, is_nullable, ordinal_position
from information_schema.columns
where lower(table_catalog) = lower(?) and lower(table_schema) = lower(?)
order by table_name, ordinal_position
"""


class DuckDBReader:
    def __init__(self, entry: dict[str, Any], base_dir: Path | None = None):
        self.source_id = entry["id"]
        self._duckdb = require("duckdb", "duckdb", "Reading a DuckDB warehouse")
        self.path = resolve_path(entry["path"], base_dir)
        self._con = None

    def _connect(self):
        if self._con is None:
            if not self.path.is_file():
                raise WarehouseError(f"DuckDB file not found: {self.path}", source_id=self.source_id,
                                     hint="check 'path' in the profile (relative paths start at the project folder)")
            try:
                self._con = self._duckdb.connect(str(self.path), read_only=True)
            except self._duckdb.Error as exc:
                raise classify(exc, self.source_id, f"opening {self.path}") from None
        return self._con

    def check_connection(self) -> None:
        self._connect().execute("select 1").fetchall()

    def read_schema(self, database: str, schema: str) -> SchemaCatalog:
        con = self._connect()
        try:
            rows = con.execute(COLUMNS_SQL, [database, schema]).fetchall()
            if not rows:
                self._check_exists(con, database, schema)
        except self._duckdb.Error as exc:
            raise classify(exc, self.source_id, f"reading {database}.{schema}") from None
        return build_schema_catalog(self.source_id, "duckdb", database, schema, rows)

    def read_stats(self, database: str, schema: str, tables: list[tuple[str, bool]]) -> list[TableStats]:
        """Row count and last ``received_at`` of ``(table, has received_at)`` (reflekt_core.warehouses.stats)."""
        con = self._connect()
        try:
            return run_batches(tables, lambda t: f"{quote(database)}.{quote(schema)}.{quote(t)}", LOADED_AT,
                               lambda sql: con.execute(sql).fetchall())
        except self._duckdb.Error as exc:
            raise classify(exc, self.source_id, f"counting rows in {database}.{schema}") from None

    def _check_exists(self, con, database: str, schema: str) -> None:
        found = con.execute("select catalog_name, schema_name from information_schema.schemata").fetchall()
        catalogs = sorted({c for c, _ in found} - {"system", "temp"})
        if database.lower() not in {c.lower() for c in catalogs}:
            raise WarehouseError(f"database '{database}' not found in {self.path.name} "
                                 f"(databases: {', '.join(catalogs)})", source_id=self.source_id,
                                 hint="a DuckDB file's database is named after the file")
        schemas = sorted(s for c, s in found if c.lower() == database.lower())
        if schema.lower() not in {s.lower() for s in schemas}:
            raise WarehouseError(f"schema '{schema}' not found in database '{database}' "
                                 f"(schemas: {', '.join(schemas)})", source_id=self.source_id,
                                 hint="check the schema part of --source")

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None
