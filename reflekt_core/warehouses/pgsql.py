"""Catalog SQL shared by the PostgreSQL-protocol adapters (PostgreSQL, Redshift)."""

from __future__ import annotations

from reflekt_core.errors import WarehouseError

COLUMNS_SQL = """
select table_name, column_name, data_type, is_nullable, ordinal_position
from information_schema.columns
where table_schema = %s
order by table_name, ordinal_position
"""

SCHEMA_SQL = """
select nspname, has_schema_privilege(nspname, 'USAGE')
from pg_namespace
where nspname not like 'pg\\_%%' and nspname <> 'information_schema'
"""


def explain_empty(cursor, source_id: str, database: str, schema: str) -> None:
    """No columns came back: the schema is missing, not readable, or has no tables yet."""
    cursor.execute(SCHEMA_SQL)
    schemas = {row[0]: bool(row[1]) for row in cursor.fetchall()}
    if schema not in schemas:
        raise WarehouseError(f"schema '{schema}' not found in database '{database}' "
                             f"(schemas: {', '.join(sorted(schemas)) or 'none'})", source_id=source_id,
                             hint="check the schema part of --source")
    if not schemas[schema]:
        raise WarehouseError(f"missing privilege: no USAGE on schema '{schema}'", source_id=source_id,
                             hint=f"grant usage on schema {schema} and select on its tables to this user")


def stats_qualifier(schema: str):
    """``"schema"."table"``: the connection is already on the database."""
    from reflekt_core.warehouses.stats import quote

    return lambda table: f"{quote(schema)}.{quote(table)}"


def fetch(cursor):
    """``execute(sql) -> rows`` on a DB-API cursor."""
    def execute(sql: str):
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()]

    return execute
