"""The generated dbt package on real engines, for both CDPs, on a corpus written to break it.

The corpus (tests/fixtures/corpus/dbt_engines) has every keyword and function-like name the
issue lists, camelCase and acronyms, a leading digit, a name over 63 bytes, a nested object,
an array, a nullable union, patterns with ranges and escapes (and one with a lookahead), enum
values with quotes and backslashes, and an integer that landed as text. Raw tables are created
as each CDP's loader names them in that warehouse, ``reflekt build`` reads the warehouse
through a Reflekt profile, then dbt runs the package:

* DuckDB and a real PostgreSQL server: ``dbt build`` - every model builds, every test runs,
  and exactly the seeded violations fail; models return the landed values (never a function's);
* fakesnow's server mode with the real dbt-snowflake adapter: ``dbt build`` too (fakesnow runs
  Snowflake SQL on DuckDB, so this proves the SQL is valid Snowflake, not Snowflake's regex engine);
* BigQuery: ``dbt compile`` with dbt-bigquery and a made-up key; every keyword column is in backticks.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest

from reflekt_core.cdp import get_layout
from reflekt_core.dbt import build_from_project
from reflekt_core.dbt.plan import _flat_properties
from reflekt_core.dbt.quoting import needs_quoting
from reflekt_core.dbt.regex import translate
from reflekt_core.naming.keywords import keyword_data
from reflekt_core.project import load_project
from reflekt_core.schemas import load_selected
from tests.helpers import ROOT
from tests.unit.test_dbt_sql import REAL_PATTERNS, SAMPLES

pytestmark = pytest.mark.slow

CORPUS = ROOT / "tests" / "fixtures" / "corpus" / "dbt_engines"
DBT = Path(sys.executable).with_name("dbt")
CDPS = ("segment", "rudderstack")
STANDARD = [("id", "text"), ("anonymous_id", "text"), ("user_id", "text"), ("received_at", "timestamp"),
            ("sent_at", "timestamp"), ("timestamp", "timestamp"), ("original_timestamp", "timestamp"),
            ("event", "text"), ("event_text", "text"), ("uuid_ts", "timestamp")]
#: Landed values that satisfy every test (by property path); other strings get "landed <column>".
VALID = {"URLPath": "/menu/jaffle-1_a.b/", "address.zipCode": "12345-6789", "sku": "AB.12\n", "promo": "SALE",
         "tier": "it's", "quantity": "7", "price": 1.5, "nickname": "nick", "tags": '["a", "b"]',
         }
#: The second valid row differs in these (backslash and quote escaping per adapter).
VALID_2 = {"tier": "back\\slash", "nickname": None}
VIOLATIONS = {"current_role": None, "window": None, "quantity": "500", "sku": "bad", "tier": "nope"}
#: (test macro, property) pairs that must fail, and only these.
EXPECTED_FAILURES = {("not_null", "current_role"), ("not_null", "window"), ("reflekt_range", "quantity"),
                     ("reflekt_pattern", "sku"), ("reflekt_accepted_values", "tier")}
TYPES = {"duckdb": {"text": "varchar", "timestamp": "timestamp", "boolean": "boolean", "double": "double"},
         "postgres": {"text": "text", "timestamp": "timestamp", "boolean": "boolean", "double": "double precision"},
         "snowflake": {"text": "varchar", "timestamp": "timestamp_ntz", "boolean": "boolean", "double": "float"}}


@dataclass
class RawTable:
    name: str
    columns: list[tuple[str, str]]          # (column, common kind: text/timestamp/boolean/double)
    rows: list[dict[str, Any]]
    sources: dict[str, str] = field(default_factory=dict)   # column -> property path


def _kind(node: dict[str, Any], path: str) -> str:
    kinds = node.get("type")
    kinds = [kinds] if isinstance(kinds, str) else [k for k in kinds or [] if k != "null"]
    if path == "quantity" or not kinds:
        return "text"   # declared integer, landed as text: a type mismatch on purpose
    return {"boolean": "boolean", "number": "double", "integer": "double"}.get(kinds[0], "text")


def raw_tables(cdp: str, warehouse: str) -> list[RawTable]:
    """The raw tables a CDP's loader would create in ``warehouse`` for the corpus, with rows."""
    layout = get_layout(cdp, warehouse)
    project = load_project(CORPUS)
    tables = []
    for schema in load_selected(project.schemas_dir).schemas:
        table = RawTable(layout.table_name(schema.name), list(STANDARD), [])
        for prop in _flat_properties(schema):
            column = layout.column_name(prop.path)
            table.columns.append((column, _kind(prop.node, prop.path)))
            table.sources[column] = prop.path
        base = {"id": "r1", "received_at": "2024-05-01 10:00:00", "event": table.name, "event_text": schema.name}
        row = dict(base)
        for column, kind in table.columns:
            if column in table.sources:
                row[column] = VALID.get(table.sources[column], f"landed {column}")
        table.rows.append(row)
        if schema.name == "Awkward Names":
            row2 = {**row, "id": "r2"}
            row2.update({c: VALID_2[p] for c, p in table.sources.items() if p in VALID_2})
            table.rows.append(row2)
        if schema.name == "Seeded Violations":
            row.update({c: VIOLATIONS[p] for c, p in table.sources.items() if p in VIOLATIONS})
        tables.append(table)
    return tables


def _create_statements(engine: str, schema: str, table: RawTable, upper: bool = False) -> list[str]:
    def q(name: str) -> str:
        return '"' + (name.upper() if upper else name) + '"'
    columns = ", ".join(f"{q(c)} {TYPES[engine][k]}" for c, k in table.columns)
    return [f"create table {q(schema)}.{q(table.name)} ({columns})"]


def _insert(table: RawTable, schema: str, marker: str, upper: bool = False) -> list[tuple[str, list[Any]]]:
    statements = []
    for row in table.rows:
        names = list(row)
        cols = ", ".join('"' + (n.upper() if upper else n) + '"' for n in names)
        target = '"' + (schema.upper() if upper else schema) + '"."' + (table.name.upper() if upper else table.name) + '"'
        statements.append((f"insert into {target} ({cols}) values ({', '.join([marker] * len(names))})",
                           [row[n] for n in names]))
    return statements


def _reflekt_project(root: Path, source: dict[str, Any]) -> Path:
    project = root / "project"
    shutil.copytree(CORPUS, project)
    (project / "reflekt_profiles.yml").write_text(
        "version: 1.0\ntest:\n  registry: []\n  source:\n    - " + json.dumps(source) + "\n")
    return project


def _dbt(command: list[str], package: Path, profiles: Path, env: dict[str, str] | None = None):
    return subprocess.run([str(DBT), *command, "--project-dir", str(package), "--profiles-dir", str(profiles),
                           "--no-use-colors"], capture_output=True, text=True, timeout=600,
                          env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **(env or {})})


def _write_profile(folder: Path, package: str, output: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "profiles.yml").write_text(json.dumps({package: {"target": "t", "outputs": {"t": output}}}))
    return folder


def _results(package: Path) -> dict[str, str]:
    results = json.loads((package / "target" / "run_results.json").read_text())["results"]
    return {r["unique_id"]: r["status"] for r in results}


def _failures(statuses: dict[str, str], result, tables: list[RawTable]) -> set[tuple[str, str]]:
    """Failed tests as (test macro, property path) on the violations model."""
    manifest = json.loads((result.dest / "target" / "manifest.json").read_text())
    violations = next(t for t in tables if t.name.endswith("seeded_violations"))
    failed = set()
    for unique_id, status in statuses.items():
        if status == "pass" or not unique_id.startswith("test."):
            continue
        node = manifest["nodes"][unique_id]
        column = node.get("column_name", "").strip('"`')
        failed.add((node["test_metadata"]["name"], violations.sources.get(column, column)))
    return failed


def _check_build(result, proc, tables: list[RawTable]) -> dict[str, str]:
    statuses = _results(result.dest)
    models = [k for k in statuses if k.startswith("model.")]
    assert len(models) == len(result.plan.models) and all(statuses[m] == "success" for m in models), proc.stdout[-4000:]
    errors = {k: v for k, v in statuses.items() if v not in ("success", "pass", "fail")}
    assert not errors, proc.stdout[-4000:]
    assert _failures(statuses, result, tables) == EXPECTED_FAILURES, proc.stdout[-4000:]
    tests = [k for k in statuses if k.startswith("test.")]
    assert len(tests) >= 14
    return statuses


def _check_drift(result) -> None:
    report = json.loads(result.drift_path.read_text())["drift"]
    assert {(d["kind"], d["column"]) for d in report} == {(d.kind, d.column) for d in result.drift}
    kinds = {(d.kind, d.column) for d in result.drift}
    assert ("type_mismatch", "quantity") in kinds
    assert ("untranslatable_pattern", "promo") in kinds
    assert not [d for d in result.drift if d.kind in ("property_without_column", "column_without_property")], \
        result.drift


def _check_values(rows: list[dict[str, Any]], tables: list[RawTable]) -> None:
    """The keyword model returns the landed text for every column (never current_user, now(), ...)."""
    keyword = next(t for t in tables if t.name.endswith("keyword_columns"))
    (row,) = rows
    for column, path in keyword.sources.items():
        assert row[column] == keyword.rows[0][column], (column, row[column])


def _build(project: Path, cdp: str, source: str, dest: Path):
    return build_from_project(load_project(project), cdp, source, profile="test", dest=dest)


# --- DuckDB ----------------------------------------------------------------------------------


def test_duckdb_both_cdps(tmp_path):
    import duckdb

    path = tmp_path / "warehouse.duckdb"
    project = _reflekt_project(tmp_path, {"id": "wh", "type": "duckdb", "path": str(path)})
    per_cdp = {cdp: raw_tables(cdp, "duckdb") for cdp in CDPS}
    with duckdb.connect(str(path)) as con:
        for cdp, tables in per_cdp.items():
            con.execute(f'create schema "{cdp}"')
            for table in tables:
                for statement in _create_statements("duckdb", cdp, table):
                    con.execute(statement)
                for statement, params in _insert(table, cdp, "?"):
                    con.execute(statement, params)
    for cdp, tables in per_cdp.items():
        result = _build(project, cdp, f"wh.warehouse.{cdp}", tmp_path / f"pkg_{cdp}")
        _check_drift(result)
        profiles = _write_profile(tmp_path / f"profiles_{cdp}", result.plan.project_name,
                                  {"type": "duckdb", "path": str(path), "schema": f"stg_{cdp}", "threads": 1})
        proc = _dbt(["build"], result.dest, profiles)
        _check_build(result, proc, tables)
        model = next(m.name for m in result.plan.models if m.table.endswith("keyword_columns"))
        with duckdb.connect(str(path)) as con:
            cursor = con.execute(f'select * from "stg_{cdp}"."{model}"')
            names = [d[0] for d in cursor.description]
            _check_values([dict(zip(names, r)) for r in cursor.fetchall()], tables)


# --- PostgreSQL ------------------------------------------------------------------------------


def test_postgres_both_cdps(tmp_path, pg_server):
    import psycopg

    project = _reflekt_project(tmp_path, {"id": "wh", "type": "postgres", "host": "127.0.0.1",
                                          "port": pg_server.port, "user": pg_server.user,
                                          "password": pg_server.password, "database": pg_server.database})
    per_cdp = {cdp: raw_tables(cdp, "postgres") for cdp in CDPS}
    schemas = {cdp: f"raw_{cdp}_{os.getpid()}" for cdp in CDPS}
    statements: list[Any] = []
    for cdp, tables in per_cdp.items():
        statements.append(f'create schema "{schemas[cdp]}"')
        for table in tables:
            statements += _create_statements("postgres", schemas[cdp], table)
            statements += _insert(table, schemas[cdp], "%s")
    connect = dict(host="127.0.0.1", port=pg_server.port, user=pg_server.user, password=pg_server.password,
                   dbname=pg_server.database)
    with psycopg.connect(**connect) as conn, conn.cursor() as cursor:
        for statement in statements:
            cursor.execute(*(statement if isinstance(statement, tuple) else (statement,)))
        # The premise of the quoting policy, on the real server: pg_get_keywords() is our data.
        rows = cursor.execute("select word, catcode from pg_get_keywords()").fetchall()
        assert sorted(w for w, c in rows if c != "U") == keyword_data()["postgres"]["quote"]
        for word in keyword_data()["postgres"]["unreserved"]:  # left bare: PostgreSQL reads them as columns
            if not needs_quoting(word):
                query = f'select {word} from (select 42 as "{word}") t where {word} = 42'
                assert cursor.execute(query).fetchone() == (42,), word
        for pattern in REAL_PATTERNS:  # PostgreSQL's ARE agrees with the ECMA pattern on every sample
            for sample in SAMPLES:
                got = cursor.execute("select %s ~ %s", [sample, translate(pattern)]).fetchone()[0]
                assert got == bool(re.search(pattern, sample, re.ASCII)), (pattern, sample)
        for name in ("user", "current_user", "session_user", "current_role", "current_catalog", "current_schema",
                     "current_date", "current_time", "current_timestamp", "localtime", "localtimestamp"):
            # Why function-like names are quoted: bare, PostgreSQL returns the function's value.
            value = cursor.execute(f'select {name} from (select 0 as "{name}") t').fetchone()[0]
            assert value != 0 and name in keyword_data()["functions"]["quote"], name
    for cdp, tables in per_cdp.items():
        result = _build(project, cdp, f"wh.{pg_server.database}.{schemas[cdp]}", tmp_path / f"pkg_{cdp}")
        _check_drift(result)
        profiles = _write_profile(tmp_path / f"profiles_{cdp}", result.plan.project_name, {
            "type": "postgres", "host": "127.0.0.1", "port": pg_server.port, "user": pg_server.user,
            "password": pg_server.password, "dbname": pg_server.database, "schema": f"stg_{schemas[cdp]}",
            "threads": 1})
        proc = _dbt(["build"], result.dest, profiles)
        _check_build(result, proc, tables)
        model = next(m.name for m in result.plan.models if m.table.endswith("keyword_columns"))
        with psycopg.connect(**connect) as conn, conn.cursor() as cursor:
            cursor.execute(f'select * from "stg_{schemas[cdp]}"."{model}"')
            names = [d[0] for d in cursor.description]
            _check_values([dict(zip(names, r)) for r in cursor.fetchall()], tables)


# --- Snowflake (fakesnow server) -----------------------------------------------------------


def test_snowflake_fakesnow_server_both_cdps(tmp_path, monkeypatch):
    import fakesnow
    import snowflake.connector

    # The connector probes cloud metadata endpoints (169.254.169.254) to report its platform.
    monkeypatch.setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")

    with fakesnow.server() as kwargs:
        per_cdp = {cdp: raw_tables(cdp, "snowflake") for cdp in CDPS}
        with snowflake.connector.connect(**kwargs) as conn:
            cursor = conn.cursor()
            cursor.execute("create database engines")
            for cdp, tables in per_cdp.items():
                cursor.execute(f"create schema engines.{cdp}")
                cursor.execute(f"use schema engines.{cdp}")
                for table in tables:
                    for statement in _create_statements("snowflake", cdp, table, upper=True):
                        cursor.execute(statement)
                    for statement, params in _insert(table, cdp, "%s", upper=True):
                        cursor.execute(statement, params)
        source = {"id": "wh", "type": "snowflake", "account": kwargs["account"], "user": kwargs["user"],
                  "password": kwargs["password"], "host": kwargs["host"], "port": kwargs["port"],
                  "protocol": kwargs["protocol"], "database": "ENGINES"}
        project = _reflekt_project(tmp_path, source)
        for cdp, tables in per_cdp.items():
            result = _build(project, cdp, f"wh.engines.{cdp}", tmp_path / f"pkg_{cdp}")
            _check_drift(result)
            profiles = _write_profile(tmp_path / f"profiles_{cdp}", result.plan.project_name, {
                "type": "snowflake", "account": kwargs["account"], "user": kwargs["user"],
                "password": kwargs["password"], "host": kwargs["host"], "port": kwargs["port"],
                "protocol": kwargs["protocol"], "database": "ENGINES", "warehouse": "wh", "schema": f"STG_{cdp}",
                "threads": 1})
            proc = _dbt(["build"], result.dest, profiles)
            _check_build(result, proc, tables)
            model = next(m.name for m in result.plan.models if m.table.endswith("keyword_columns"))
            with snowflake.connector.connect(**kwargs) as conn:
                cursor = conn.cursor()
                cursor.execute(f'select * from engines.stg_{cdp}."{model.upper()}"')
                names = [d[0] for d in cursor.description]
                (row,) = cursor.fetchall()
            keyword = next(t for t in tables if t.name.endswith("keyword_columns"))
            values = dict(zip(names, row))
            for column in keyword.sources:
                # Output names are written as in the docs YAML (quoted lower case where they need quoting).
                stored = column if needs_quoting(column) else column.upper()
                assert values[stored] == keyword.rows[0][column], column


# --- BigQuery (compile only) -----------------------------------------------------------------


def _fake_key(path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    path.write_text(json.dumps({"type": "service_account", "project_id": "fake-project", "private_key_id": "0",
                                "private_key": pem, "client_email": "fake@fake-project.iam.gserviceaccount.com",
                                "client_id": "0", "token_uri": "http://127.0.0.1:9/token"}))


def test_bigquery_compile_backticks_every_keyword_column(tmp_path):
    from reflekt_core.warehouses.catalog import build_schema_catalog, save_catalogs

    tables = raw_tables("segment", "bigquery")
    rows = [(t.name, c, {"text": "STRING", "timestamp": "TIMESTAMP", "boolean": "BOOL", "double": "FLOAT64"}[k],
             "YES", i) for t in tables for i, (c, k) in enumerate(t.columns)]
    catalog = tmp_path / "catalog.json"
    save_catalogs([build_schema_catalog("wh", "bigquery", "fake-project", "segment", rows)], catalog)
    project = _reflekt_project(tmp_path, {"id": "wh", "type": "bigquery", "project": "fake-project"})
    result = build_from_project(load_project(project), "segment", catalog_file=catalog, dest=tmp_path / "pkg")
    _fake_key(tmp_path / "key.json")
    profiles = _write_profile(tmp_path / "profiles", result.plan.project_name, {
        "type": "bigquery", "method": "service-account", "keyfile": str(tmp_path / "key.json"),
        "project": "fake-project", "dataset": "staging", "threads": 1})
    proc = _dbt(["compile", "--no-populate-cache"], result.dest, profiles)
    assert proc.returncode == 0, proc.stdout[-4000:]
    compiled = {p.name: p.read_text() for p in (result.dest / "target" / "compiled").rglob("*.sql")}
    keyword = next(t for t in tables if t.name.endswith("keyword_columns"))
    model = next(m.name for m in result.plan.models if m.table == keyword.name)
    sql = compiled[f"{model}.sql"]
    quoted = [c for c in keyword.sources if needs_quoting(c)]
    assert len(quoted) >= 30
    for column in quoted:
        assert f"`{column}` as `{column}`" in sql, column
    tests = [text for name, text in compiled.items() if "keyword_columns" in name and name.startswith("not_null")]
    assert tests and all("`" in text for text in tests)
