"""Segment- and RudderStack-shaped raw schemas as data, and DDL to create them in each engine.

Column sets follow shared/reference/contracts.md (sections 3 and 4): standard columns of
each call table, un-prefixed properties and traits, context_* columns, arrays as text.
"""

from __future__ import annotations

_CALL = [("id", "string"), ("anonymous_id", "string"), ("user_id", "string"),
         ("context_library_name", "string"), ("context_library_version", "string"),
         ("context_page_path", "string"), ("context_page_url", "string"), ("context_ip", "string"),
         ("received_at", "timestamp"), ("sent_at", "timestamp"), ("timestamp", "timestamp"),
         ("original_timestamp", "timestamp"), ("uuid_ts", "timestamp")]
_TRACK = _CALL + [("event", "string"), ("event_text", "string")]

SEGMENT: dict[str, list[tuple[str, str]]] = {
    "tracks": _TRACK + [("uuid", "integer")],
    "identifies": _CALL + [("email", "string"), ("first_name", "string"), ("birthday", "date"),
                           ("created_at", "timestamp"), ("uuid", "integer")],
    "users": [("id", "string"), ("received_at", "timestamp"), ("email", "string"), ("first_name", "string"),
              ("loyalty_tier", "string"), ("context_library_name", "string"), ("uuid_ts", "timestamp")],
    "pages": _CALL + [("name", "string"), ("path", "string"), ("url", "string"), ("title", "string"),
                      ("referrer", "string"), ("search", "string")],
    "order_completed": _TRACK + [("order_id", "string"), ("total", "float"), ("revenue", "float"),
                                 ("currency", "string"), ("products", "string"), ("is_gift", "boolean"),
                                 ("item_count", "integer")],
    "product_added": _TRACK + [("cart_id", "string"), ("product_id", "string"), ("price", "float"),
                               ("quantity", "integer")],
}

_RUDDER_CALL = _CALL + [("channel", "string"), ("context_request_ip", "string"), ("context_passed_ip", "string")]
RUDDERSTACK: dict[str, list[tuple[str, str]]] = {
    "tracks": _RUDDER_CALL + [("event", "string"), ("event_text", "string")],
    "identifies": _RUDDER_CALL + [("email", "string"), ("birthday", "date")],
    "users": [("id", "string"), ("received_at", "timestamp"), ("sent_at", "timestamp"),
              ("timestamp", "timestamp"), ("original_timestamp", "timestamp"), ("context_ip", "string"),
              ("context_request_ip", "string"), ("context_passed_ip", "string"), ("email", "string"),
              ("uuid_ts", "timestamp")],
    "order_completed": _RUDDER_CALL + [("event", "string"), ("event_text", "string"), ("order_id", "string"),
                                       ("total", "float"), ("products", "string"), ("payload", "json"),
                                       ("is_gift", "boolean")],
    "_groups": _RUDDER_CALL + [("event", "string"), ("event_text", "string"), ("plan", "string")],
}


def wide_layout(tables: int = 1000, columns: int = 20) -> dict[str, list[tuple[str, str]]]:
    """Many per-event tables, as a large tracking plan produces."""
    kinds = ["string", "integer", "float", "boolean", "timestamp"]
    extra = [(f"property_{i:02d}", kinds[i % len(kinds)]) for i in range(columns - len(_TRACK))]
    return {f"event_{n:04d}": _TRACK + extra for n in range(tables)}


#: How each engine spells a common type in DDL (the CDPs' own choices where documented).
DDL_TYPES = {
    "duckdb": {"string": "VARCHAR", "integer": "BIGINT", "float": "DOUBLE", "boolean": "BOOLEAN",
               "timestamp": "TIMESTAMP", "date": "DATE", "json": "JSON"},
    "postgres": {"string": "text", "integer": "bigint", "float": "numeric", "boolean": "boolean",
                 "timestamp": "timestamptz", "date": "date", "json": "jsonb"},
    "redshift": {"string": "varchar(512)", "integer": "bigint", "float": "float8", "boolean": "boolean",
                 "timestamp": "timestamp", "date": "date", "json": "jsonb"},
    "snowflake": {"string": "VARCHAR", "integer": "NUMBER(38,0)", "float": "FLOAT", "boolean": "BOOLEAN",
                  "timestamp": "TIMESTAMP_NTZ", "date": "DATE", "json": "VARIANT"},
    "bigquery": {"string": "STRING", "integer": "INT64", "float": "FLOAT64", "boolean": "BOOL",
                 "timestamp": "TIMESTAMP", "date": "DATE", "json": "JSON"},
}


def create_statements(engine: str, schema: str, layout: dict[str, list[tuple[str, str]]]) -> list[str]:
    """CREATE TABLE statements; Snowflake names are upper case, as unquoted names resolve there."""
    types = DDL_TYPES[engine]
    case = str.upper if engine == "snowflake" else str
    statements = []
    for table, columns in layout.items():
        cols = ", ".join(f'"{case(name)}" {types[kind]}' for name, kind in columns)
        statements.append(f'create table {schema}."{case(table)}" ({cols})')
    return statements


def expected(layout: dict[str, list[tuple[str, str]]]) -> dict[str, list[tuple[str, str, int]]]:
    return {table: [(name, kind, pos) for pos, (name, kind) in enumerate(columns, start=1)]
            for table, columns in layout.items()}


def logical(catalog) -> dict[str, list[tuple[str, str, int]]]:
    """A catalog reduced to what must be identical across engines."""
    return {name: [(c.name, c.type, c.position) for c in table.columns] for name, table in catalog.tables.items()}
