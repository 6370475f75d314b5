"""Amazon Redshift through redshift_connector (AWS's own driver)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from reflekt_core.warehouses import pgsql
from reflekt_core.warehouses.base import probe, require
from reflekt_core.warehouses.catalog import SchemaCatalog, build_schema_catalog
from reflekt_core.warehouses.config import DEFAULT_CONNECT_TIMEOUT, DEFAULT_PORTS, seconds
from reflekt_core.warehouses.errors import classify
from reflekt_core.warehouses.stats import LOADED_AT, TableStats, run_batches


class RedshiftReader:
    def __init__(self, entry: dict[str, Any], base_dir: Path | None = None):
        self.source_id = entry["id"]
        self._driver = require("redshift_connector", "redshift", "Reading a Redshift warehouse")
        self.entry = entry
        self._connections: dict[str, Any] = {}

    def _connect(self, database: str | None):
        database = database or self.entry.get("database") or "dev"
        if database not in self._connections:
            entry = self.entry
            sslmode = entry.get("sslmode", "verify-ca")
            options: dict[str, Any] = {"ssl": sslmode != "disable"}
            if sslmode in ("verify-ca", "verify-full"):
                options["sslmode"] = sslmode
            try:
                self._connections[database] = self._driver.connect(
                    host=entry["host"], port=int(entry.get("port") or DEFAULT_PORTS["redshift"]),
                    database=database, user=entry["user"], password=entry.get("password", ""),
                    timeout=int(seconds(entry, "connect_timeout", DEFAULT_CONNECT_TIMEOUT)),
                    application_name="reflekt", **options)
            except (self._driver.Error, OSError, socket.timeout) as exc:
                raise classify(exc, self.source_id, f"connecting to {entry['host']}:{int(entry.get('port') or DEFAULT_PORTS['redshift'])}/{database}") from None
        return self._connections[database]

    def check_connection(self) -> None:
        probe(self._connect(None))

    def read_schema(self, database: str, schema: str) -> SchemaCatalog:
        conn = self._connect(database)
        cursor = conn.cursor()
        try:
            cursor.execute(pgsql.COLUMNS_SQL, (schema,))
            rows = [tuple(row) for row in cursor.fetchall()]
            if not rows:
                pgsql.explain_empty(cursor, self.source_id, database, schema)
        except (self._driver.Error, OSError) as exc:
            raise classify(exc, self.source_id, f"reading {database}.{schema}") from None
        finally:
            cursor.close()
        return build_schema_catalog(self.source_id, "redshift", database, schema, rows)

    def read_stats(self, database: str, schema: str, tables: list[tuple[str, bool]]) -> list[TableStats]:
        """Row count and last ``received_at`` of ``(table, has received_at)`` (reflekt_core.warehouses.stats)."""
        cursor = self._connect(database).cursor()
        try:
            return run_batches(tables, pgsql.stats_qualifier(schema), LOADED_AT, pgsql.fetch(cursor))
        except (self._driver.Error, OSError) as exc:
            raise classify(exc, self.source_id, f"counting rows in {database}.{schema}") from None
        finally:
            cursor.close()

    def close(self) -> None:
        for conn in self._connections.values():
            try:
                conn.close()
            except Exception:  # noqa: BLE001 - closing a broken connection must not mask the result
                pass
        self._connections.clear()
