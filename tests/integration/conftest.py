"""Real engines for the warehouse tests: DuckDB files, a PostgreSQL server (also behind the
Redshift startup-packet proxy), fakesnow behind the real Snowflake connector, and a local
BigQuery REST endpoint behind the real google-cloud-bigquery client."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Callable

import pytest

from tests.integration import layouts

_counter = itertools.count()


def unique(prefix: str) -> str:
    return f"{prefix}_{os.getpid()}_{next(_counter)}"


@dataclass
class Engine:
    """A warehouse under test: how to create a schema in it and the profile entry to read it."""

    name: str
    entry: dict[str, Any]
    database: str
    create: Callable[[str, dict[str, list[tuple[str, str]]]], None]
    extra: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="session")
def pg_server():
    from tests.integration.pgserver import start_server

    server = start_server()
    yield server
    server.stop()


@pytest.fixture
def duckdb_engine(tmp_path) -> Engine:
    import duckdb

    path = tmp_path / "warehouse.duckdb"

    def create(schema, layout):
        with duckdb.connect(str(path)) as con:
            con.execute(f"create schema {schema}")
            for statement in layouts.create_statements("duckdb", schema, layout):
                con.execute(statement)

    duckdb.connect(str(path)).close()
    return Engine("duckdb", {"id": "wh", "type": "duckdb", "path": str(path)}, "warehouse", create)


@pytest.fixture
def postgres_engine(pg_server) -> Engine:
    def create(schema, layout):
        pg_server.execute([f"create schema {schema}", *layouts.create_statements("postgres", schema, layout)])

    entry = {"id": "pg", "type": "postgres", "host": "127.0.0.1", "port": pg_server.port, "user": pg_server.user,
             "password": pg_server.password, "database": pg_server.database, "sslmode": "disable"}
    return Engine("postgres", entry, pg_server.database, create, {"server": pg_server})


@pytest.fixture
def redshift_engine(pg_server) -> Iterator[Engine]:
    from tests.integration.redshift_proxy import RedshiftProxy

    proxy = RedshiftProxy(pg_server.port)

    def create(schema, layout):
        pg_server.execute([f"create schema {schema}", *layouts.create_statements("redshift", schema, layout)])

    entry = {"id": "rs", "type": "redshift", "host": "127.0.0.1", "port": proxy.port, "user": pg_server.user,
             "password": pg_server.password, "database": pg_server.database, "sslmode": "disable"}
    yield Engine("redshift", entry, pg_server.database, create, {"server": pg_server})
    proxy.stop()


@pytest.fixture
def snowflake_engine() -> Iterator[Engine]:
    import fakesnow
    import snowflake.connector

    with fakesnow.patch():
        conn = snowflake.connector.connect(account="acme-xy12345", user="loader", password="x",
                                           database="ANALYTICS")

        def create(schema, layout):
            cursor = conn.cursor()
            cursor.execute(f"create schema analytics.{schema}")
            for statement in layouts.create_statements("snowflake", f"analytics.{schema}", layout):
                cursor.execute(statement)

        entry = {"id": "sf", "type": "snowflake", "account": "acme-xy12345", "user": "reflekt",
                 "password": "sf-secret-pass", "role": "transformer", "warehouse": "wh_xs", "database": "ANALYTICS"}
        yield Engine("snowflake", entry, "analytics", create)


@pytest.fixture
def bigquery_engine(httpserver) -> Engine:
    from tests.integration.bigquery_fake import FakeBigQuery, service_account_info

    fake = FakeBigQuery("acme-analytics")
    fake.install(httpserver)

    def create(schema, layout):
        types = layouts.DDL_TYPES["bigquery"]
        fake.datasets[schema] = {t: [(n, types[k]) for n, k in cols] for t, cols in layout.items()}

    entry = {"id": "bq", "type": "bigquery", "project": "acme-analytics", "location": "US",
             "keyfile_json": service_account_info("acme-analytics", httpserver.url_for("/token")),
             "api_endpoint": httpserver.url_for("").rstrip("/")}
    return Engine("bigquery", entry, "acme-analytics", create, {"fake": fake})


ENGINES = ["duckdb_engine", "postgres_engine", "redshift_engine", "snowflake_engine", "bigquery_engine"]


@pytest.fixture(params=ENGINES)
def engine(request) -> Engine:
    return request.getfixturevalue(request.param)
