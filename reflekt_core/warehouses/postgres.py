"""PostgreSQL through psycopg 3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reflekt_core.warehouses import pgsql
from reflekt_core.warehouses.base import require
from reflekt_core.warehouses.catalog import SchemaCatalog, build_schema_catalog
from reflekt_core.warehouses.config import (DEFAULT_CONNECT_TIMEOUT, DEFAULT_PORTS, DEFAULT_QUERY_TIMEOUT,
                                            seconds)
from reflekt_core.warehouses.errors import classify
from reflekt_core.warehouses.stats import LOADED_AT, TableStats, run_batches


class PostgresReader:
    def __init__(self, entry: dict[str, Any], base_dir: Path | None = None):
        self.source_id = entry["id"]
        self._psycopg = require("psycopg", "postgres", "Reading a PostgreSQL warehouse")
        self.entry = entry
        self._connections: dict[str, Any] = {}

    def _connect(self, database: str | None):
        database = database or self.entry.get("database") or "postgres"
        if database not in self._connections:
            entry = self.entry
            query_ms = int(seconds(entry, "query_timeout", DEFAULT_QUERY_TIMEOUT) * 1000)
            try:
                self._connections[database] = self._psycopg.connect(
                    host=entry["host"], port=int(entry.get("port") or DEFAULT_PORTS["postgres"]),
                    dbname=database, user=entry["user"], password=entry.get("password"),
                    sslmode=entry.get("sslmode", "prefer"), application_name="reflekt",
                    connect_timeout=max(1, int(seconds(entry, "connect_timeout", DEFAULT_CONNECT_TIMEOUT))),
                    options=f"-c statement_timeout={query_ms}", autocommit=True)
            except self._psycopg.Error as exc:
                raise classify(exc, self.source_id, f"connecting to {entry['host']}:{int(entry.get('port') or DEFAULT_PORTS['postgres'])}/{database}") from None
        return self._connections[database]

    def check_connection(self) -> None:
        with self._connect(None).cursor() as cursor:
            cursor.execute("select 1")

    def read_schema(self, database: str, schema: str) -> SchemaCatalog:
        conn = self._connect(database)
        try:
            with conn.cursor() as cursor:
                cursor.execute(pgsql.COLUMNS_SQL, (schema,))
                rows = cursor.fetchall()
                if not rows:
                    pgsql.explain_empty(cursor, self.source_id, database, schema)
        except self._psycopg.Error as exc:
            raise classify(exc, self.source_id, f"reading {database}.{schema}") from None
        return build_schema_catalog(self.source_id, "postgres", database, schema, rows)

    def read_stats(self, database: str, schema: str, tables: list[tuple[str, bool]]) -> list[TableStats]:
        """Row count and last ``received_at`` of ``(table, has received_at)`` (reflekt_core.warehouses.stats)."""
        conn = self._connect(database)
        try:
            with conn.cursor() as cursor:
                return run_batches(tables, pgsql.stats_qualifier(schema), LOADED_AT, pgsql.fetch(cursor))
        except self._psycopg.Error as exc:
            raise classify(exc, self.source_id, f"counting rows in {database}.{schema}") from None

    def close(self) -> None:
        for conn in self._connections.values():
            conn.close()
        self._connections.clear()
