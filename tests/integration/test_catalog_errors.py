"""Warehouse failures: one clear line naming the source and what to check, never a secret."""

from __future__ import annotations

import socket
import threading

import pytest

from reflekt_core.errors import MissingDependencyError, WarehouseError
from reflekt_core.warehouses import make_reader, parse_source_ref
from tests.integration.conftest import unique


def _fails(entry, database="dev", schema="segment") -> str:
    reader = make_reader(entry)
    try:
        with pytest.raises(WarehouseError) as info:
            reader.read_schema(database, schema)
    finally:
        reader.close()
    message = str(info.value)
    assert f"source '{entry['id']}'" in message
    for secret in (entry.get("password"), "sf-secret-pass"):
        if secret:
            assert secret not in message
    return message


@pytest.mark.parametrize("name", ["postgres_engine", "redshift_engine"])
def test_bad_password(request, name):
    engine = request.getfixturevalue(name)
    message = _fails({**engine.entry, "password": "wrong-password-123"})
    assert "authentication failed" in message and "check the user and password" in message
    assert "wrong-password-123" not in message


@pytest.mark.parametrize("name", ["postgres_engine", "redshift_engine"])
def test_unreachable_host(request, name):
    engine = request.getfixturevalue(name)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    message = _fails({**engine.entry, "port": closed_port})
    assert "cannot reach the warehouse" in message and "check host, port" in message


@pytest.mark.parametrize("name", ["postgres_engine", "redshift_engine"])
def test_connect_timeout(request, name):
    engine = request.getfixturevalue(name)
    silent = socket.create_server(("127.0.0.1", 0))  # accepts, never answers
    accepted = []
    threading.Thread(target=lambda: accepted.append(silent.accept()), daemon=True).start()
    try:
        message = _fails({**engine.entry, "port": silent.getsockname()[1], "connect_timeout": 1})
    finally:
        silent.close()
    assert "timed out" in message and "connect_timeout" in message


def test_missing_database(postgres_engine):
    message = _fails(postgres_engine.entry, database="no_such_db")
    assert "no_such_db" in message and "not found" in message


def test_missing_privilege(postgres_engine):
    server = postgres_engine.extra["server"]
    schema = unique("locked")
    server.admin(f"create schema {schema}", f"create table {schema}.tracks (id text)",
                 f"revoke all on schema {schema} from public", database=server.database)
    message = _fails(postgres_engine.entry, database=server.database, schema=schema)
    assert "missing privilege" in message and "grant usage" in message


def test_snowflake_missing_database(snowflake_engine):
    message = _fails(snowflake_engine.entry, database="NO_SUCH_DB", schema="segment")
    assert "NO_SUCH_DB" in message.upper()


def test_snowflake_database_name_is_not_sql(snowflake_engine):
    message = _fails(snowflake_engine.entry, database="x; drop table y", schema="segment")
    assert "not a plain identifier" in message


def test_bigquery_missing_dataset(bigquery_engine):
    message = _fails(bigquery_engine.entry, database="acme-analytics", schema="missing_ds")
    assert "dataset 'acme-analytics.missing_ds' not found" in message


def test_bigquery_rejected_credentials(bigquery_engine, httpserver):
    entry = {**bigquery_engine.entry, "keyfile_json": {**bigquery_engine.entry["keyfile_json"],
                                                       "token_uri": httpserver.url_for("/bad-token")}}
    httpserver.expect_request("/bad-token", method="POST").respond_with_json(
        {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}, status=400)
    message = _fails(entry, database="acme-analytics", schema="segment")
    assert "authentication failed" in message and "invalid_grant" in message
    assert "PRIVATE KEY" not in message


def test_bigquery_bad_keyfile(tmp_path):
    keyfile = tmp_path / "key.json"
    keyfile.write_text('{"type": "service_account"}')
    message = _fails({"id": "bq", "type": "bigquery", "project": "proj-1", "keyfile": str(keyfile)}, "proj-1", "ds")
    assert "cannot load the service account key from keyfile" in message


def test_missing_duckdb_file(tmp_path):
    message = _fails({"id": "local", "type": "duckdb", "path": str(tmp_path / "nope.duckdb")}, "nope", "main")
    assert "DuckDB file not found" in message


def test_duckdb_missing_database_lists_the_real_one(duckdb_engine):
    duckdb_engine.create(unique("s"), {})
    message = _fails(duckdb_engine.entry, database="analytics", schema="segment")
    assert "database 'analytics' not found" in message and "(databases: warehouse" in message


def test_missing_extra_names_the_pip_command(monkeypatch):
    import importlib

    real = importlib.import_module

    def fake_import(name, *args, **kwargs):
        if name == "snowflake.connector":
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(importlib, "import_module", fake_import)
    with pytest.raises(MissingDependencyError, match=r'pip install "reflekt\[snowflake\]"'):
        make_reader({"id": "sf", "type": "snowflake", "account": "a", "user": "u"})


@pytest.mark.parametrize("text", ["warehouse.segment", "a..b", "", "a.b."])
def test_bad_source_ref(text):
    from reflekt_core.errors import UsageError

    with pytest.raises(UsageError, match="is not of the form source_id.database.schema"):
        parse_source_ref(text)


def test_source_ref_allows_dots_in_the_database():
    ref = parse_source_ref("bq.example.com:proj.segment")
    assert (ref.source_id, ref.database, ref.schema) == ("bq", "example.com:proj", "segment")


def test_a_port_number_is_not_an_http_status():
    from reflekt_core.warehouses.errors import classify

    exc = Exception('connection to server at "127.0.0.1", port 40123 failed: FATAL:  database "x" does not exist')
    assert "not found" in str(classify(exc, "pg", "connecting"))
    assert "authentication failed" in str(classify(Exception("HTTP 401 Unauthorized"), "bq", "reading"))
