"""Row counts and the last received_at of raw tables, read in batched statements, on real engines."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from reflekt_core.warehouses import make_reader
from reflekt_core.warehouses import stats as stats_module
from tests.integration import layouts
from tests.integration.conftest import unique

STATS_ENGINES = ["duckdb_engine", "postgres_engine", "redshift_engine", "snowflake_engine"]
LAYOUT = {"order_completed": layouts.SEGMENT["order_completed"], "users": layouts.SEGMENT["users"],
          "no_loaded_at": [("id", "string"), ("total", "float")], "odd name": [("id", "string")],
          "empty_table": layouts.SEGMENT["order_completed"]}
ROWS = {"order_completed": ["2026-11-20 09:00:00", "2026-11-24 17:30:05", None],
        "users": ["2026-11-01 00:00:00"], "no_loaded_at": [None, None], "odd name": [None]}


def _insert(engine, schema: str) -> None:
    """Rows through the engine's own SQL (Snowflake names upper case, as the CDPs create them)."""
    upper = engine.name == "snowflake"
    statements = []
    for table, stamps in ROWS.items():
        name = table.upper() if upper else table
        has = any(c == "received_at" for c, _ in LAYOUT[table])
        column = '"RECEIVED_AT"' if upper else "received_at"
        ident = '"ID"' if upper else "id"
        prefix = f"analytics.{schema}" if upper else schema
        for index, stamp in enumerate(stamps):
            if has:
                value = f"'{stamp}'" if stamp else "null"
                statements.append(f'insert into {prefix}."{name}" ({ident}, {column}) values (\'{index}\', {value})')
            else:
                statements.append(f'insert into {prefix}."{name}" ({ident}) values (\'{index}\')')
    if engine.name == "duckdb":
        import duckdb

        with duckdb.connect(engine.entry["path"]) as con:
            for statement in statements:
                con.execute(statement)
    elif engine.name == "snowflake":
        import snowflake.connector

        conn = snowflake.connector.connect(account="acme-xy12345", user="loader", password="x", database="ANALYTICS")
        for statement in statements:
            conn.cursor().execute(statement)
    else:
        engine.extra["server"].execute(statements)


@pytest.fixture(params=STATS_ENGINES)
def stats_engine(request):
    return request.getfixturevalue(request.param)


def test_row_counts_and_last_received_at(stats_engine, monkeypatch):
    engine = stats_engine
    schema = unique("stats")
    engine.create(schema, LAYOUT)
    _insert(engine, schema)
    monkeypatch.setattr(stats_module, "BATCH", 2)  # several statements, results still in order
    reader = make_reader(engine.entry)
    try:
        catalog = reader.read_schema(engine.database, schema)
        targets = [(t, catalog.tables[t].column("received_at") is not None) for t in sorted(catalog.tables)]
        found = {s.table: s for s in reader.read_stats(engine.database, schema, targets)}
    finally:
        reader.close()
    assert set(found) == set(LAYOUT)
    assert {t: s.row_count for t, s in found.items()} == {
        "order_completed": 3, "users": 1, "no_loaded_at": 2, "odd name": 1, "empty_table": 0}
    assert found["order_completed"].last_loaded == datetime(2026, 11, 24, 17, 30, 5, tzinfo=timezone.utc)
    assert found["users"].last_loaded == datetime(2026, 11, 1, tzinfo=timezone.utc)
    assert found["no_loaded_at"].last_loaded is None and found["empty_table"].last_loaded is None


def test_bigquery_reads_no_stats(bigquery_engine):
    reader = make_reader(bigquery_engine.entry)
    assert reader.read_stats("acme-analytics", "segment", [("tracks", True)]) == []


def test_the_statement_never_holds_a_table_name_as_text():
    sql = stats_module.stats_sql([("a'; drop table x; --", True), ('b"c', False)], stats_module.quote, "received_at")
    assert "'" not in sql.replace("a'; drop", "")  # the only quote is inside the quoted identifier
    assert '"a\'; drop table x; --"' in sql and '"b""c"' in sql
    assert sql.count("union all") == 1 and "select 1 as i, count(*) as n, null" in sql
