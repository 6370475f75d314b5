"""Snowflake through snowflake-connector-python."""

from __future__ import annotations

import os

from pathlib import Path
from typing import Any

from reflekt_core.errors import WarehouseError
from reflekt_core.warehouses.base import probe, check_identifier, require, resolve_path
from reflekt_core.warehouses.catalog import SchemaCatalog, build_schema_catalog
from reflekt_core.warehouses.config import DEFAULT_CONNECT_TIMEOUT, DEFAULT_QUERY_TIMEOUT, seconds
from reflekt_core.warehouses.errors import classify
from reflekt_core.warehouses.stats import LOADED_AT, TableStats, quote, run_batches

# Unquoted identifiers resolve to upper case in Snowflake; the CDPs create them that way.
COLUMNS_SQL = """
select table_name, column_name, data_type, is_nullable, ordinal_position, numeric_scale
from {database}.information_schema.columns
where upper(table_schema) = upper(%s)
order by table_name, ordinal_position
"""
SCHEMATA_SQL = "select schema_name from {database}.information_schema.schemata"


def _private_key(entry: dict[str, Any], base_dir: Path | None, source_id: str) -> bytes:
    """The DER bytes the connector expects, from a PEM key file (optionally encrypted)."""
    path = resolve_path(entry["private_key_path"], base_dir)
    serialization = require("cryptography.hazmat.primitives.serialization", "snowflake",
                            "Key-pair authentication to Snowflake")
    try:
        pem = path.read_bytes()
    except OSError as exc:
        raise WarehouseError(f"cannot read private_key_path {path}: {exc.strerror}", source_id=source_id,
                             hint="check private_key_path in the profile") from None
    passphrase = entry.get("private_key_passphrase")
    try:
        key = serialization.load_pem_private_key(pem, password=passphrase.encode() if passphrase else None)
    except (ValueError, TypeError) as exc:
        raise WarehouseError(f"cannot load the private key in {path}: {exc}", source_id=source_id,
                             hint="use a PEM private key; set private_key_passphrase if it is encrypted") from None
    return key.private_bytes(encoding=serialization.Encoding.DER, format=serialization.PrivateFormat.PKCS8,
                             encryption_algorithm=serialization.NoEncryption())


class SnowflakeReader:
    def __init__(self, entry: dict[str, Any], base_dir: Path | None = None):
        self.source_id = entry["id"]
        self._connector = require("snowflake.connector", "snowflake", "Reading a Snowflake warehouse")
        self.entry = entry
        self.base_dir = base_dir
        self._conn = None

    def _connect(self):
        if self._conn is None:
            entry = self.entry
            options: dict[str, Any] = {
                key: entry[key] for key in ("account", "user", "role", "warehouse", "database", "authenticator",
                                            "host", "protocol")
                if entry.get(key)}
            if entry.get("port"):
                options["port"] = int(entry["port"])
            if entry.get("private_key_path"):
                options["private_key"] = _private_key(entry, self.base_dir, self.source_id)
            elif entry.get("password"):
                options["password"] = entry["password"]
            timeout = seconds(entry, "connect_timeout", DEFAULT_CONNECT_TIMEOUT)
            # The connector probes cloud metadata endpoints (169.254.169.254, metadata.google.internal)
            # on every login to report the platform; this is its only switch (no connect() option).
            os.environ.setdefault("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
            try:
                # Called through the module so that test doubles patching it (fakesnow) apply.
                self._conn = self._connector.connect(
                    **options, login_timeout=timeout, network_timeout=timeout, application="reflekt",
                    session_parameters={"STATEMENT_TIMEOUT_IN_SECONDS": int(
                        seconds(entry, "query_timeout", DEFAULT_QUERY_TIMEOUT))})
            except self._connector.errors.Error as exc:
                where = f" at {entry['host']}:{entry.get('port') or 443}" if entry.get("host") else ""
                raise classify(exc, self.source_id, f"connecting to account {entry['account']}{where}") from None
        return self._conn

    def check_connection(self) -> None:
        probe(self._connect())

    def read_schema(self, database: str, schema: str) -> SchemaCatalog:
        check_identifier(database, "database", self.source_id)
        cursor = self._connect().cursor()
        try:
            cursor.execute(COLUMNS_SQL.format(database=database), (schema,))
            rows = [tuple(row) for row in cursor.fetchall()]
            if not rows:
                cursor.execute(SCHEMATA_SQL.format(database=database))
                schemas = sorted(r[0] for r in cursor.fetchall())
                if schema.upper() not in {s.upper() for s in schemas}:
                    raise WarehouseError(f"schema '{schema}' not found in database '{database}' "
                                         f"(schemas: {', '.join(schemas) or 'none'})", source_id=self.source_id,
                                         hint="check the schema part of --source, and the role's grants")
        except self._connector.errors.Error as exc:
            raise classify(exc, self.source_id, f"reading {database}.{schema}") from None
        finally:
            cursor.close()
        return build_schema_catalog(self.source_id, "snowflake", database, schema, rows)

    def read_stats(self, database: str, schema: str, tables: list[tuple[str, bool]]) -> list[TableStats]:
        """Row count and last ``received_at`` of ``(table, has received_at)`` (reflekt_core.warehouses.stats).

        Names are upper-cased and quoted: the CDPs create them unquoted, which Snowflake stores in upper case.
        """
        prefix = f"{quote(database.upper())}.{quote(schema.upper())}."
        cursor = self._connect().cursor()

        def execute(sql: str):
            cursor.execute(sql)
            return [tuple(row) for row in cursor.fetchall()]

        try:
            return run_batches(tables, lambda t: prefix + quote(t.upper()), quote(LOADED_AT.upper()), execute)
        except self._connector.errors.Error as exc:
            raise classify(exc, self.source_id, f"counting rows in {database}.{schema}") from None
        finally:
            cursor.close()

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
