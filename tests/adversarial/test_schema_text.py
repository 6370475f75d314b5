"""Issue 9 §1: schema text is data, never code.

Hostile strings are placed at every position a schema string reaches a generated file
(event and property descriptions, enum values, pattern, format, self.metadata values, $id,
event and property names). The package is generated, then ``dbt parse`` and ``dbt build``
(which compiles every model and test, then runs them) on DuckDB with a canary environment
variable set. Nothing may execute: the canary never appears under ``target/``; every hostile
string comes back verbatim in the manifest or the compiled SQL; the accepted-values tests,
run on rows holding the hostile values, pass.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reflekt_core.dbt import generate_dbt_package
from reflekt_core.dbt.regex import Untranslatable, translate
from reflekt_core.dbt.writer import write_package
from reflekt_core.naming.segment import snakecase
from reflekt_core.project import Project
from reflekt_core.schemas.loader import parse_schema
from reflekt_core.warehouses.catalog import build_schema_catalog

DBT = Path(sys.executable).with_name("dbt")
CANARY = "canary-5e1f9b"

#: Jinja that would execute, YAML that would change meaning, SQL that would break a literal.
HOSTILE = [
    "{{ env_var('REFLEKT_CANARY') }}",
    "{{ 6*7 }}",
    "{% set x = env_var('REFLEKT_CANARY') %}{{ x }}",
    "{# an unclosed comment",
    "{%- raw %}{{ env_var('REFLEKT_CANARY') }}{% endraw %}",
    "env_var('REFLEKT_CANARY')",
    " var('x', env_var('REFLEKT_CANARY')) ",
    "{{{{ env_var('REFLEKT_CANARY') }}}}",
    "{{ run_query('select 1') }}",
    "}} {{",
    "it's",
    "'quoted'",
    "back\\slash \\' \\\\",
    "\"double\" quotes",
    "yes", "no", "null", "~", "true", "1e3", "0x1F",
    "a: b # c",
    "- leading dash",
    "# leading hash",
    "line1\nline2\r\nline3",
    "tab\tand \u2028 line separator",
    "-- sql comment",
    "'; drop table x; --",
    "émoji 🎉 ünïcode",
    "%s %(x)s {0}",
    "(?={{ env_var('REFLEKT_CANARY') }})lookahead",
]
TRACK = [("id", "varchar"), ("received_at", "timestamp"), ("event", "varchar"), ("event_text", "varchar")]


def _schema(index: int, text: str):
    doc = {
        "$id": f"hostile/Hostile_{index}/{text}/1-0.json",
        "$schema": "http://json-schema.org/draft-07/schema#",
        "description": text,
        "self": {"vendor": "com.example", "name": f"Hostile {index}", "format": "jsonschema", "version": "1-0",
                 "metadata": {"owner": text, text: "as a key"}},
        "type": "object",
        "properties": {
            "p_desc": {"type": "string", "description": text},
            "p_enum": {"type": "string", "description": "enum", "enum": [text, "ok"]},
            "p_pattern": {"type": "string", "description": "pattern", "pattern": text},
            "p_format": {"type": "string", "description": "format", "format": text},
            f"named {text}": {"type": "string"},
        },
        "required": ["p_enum"],
    }
    rel = f"hostile/Hostile_{index}/1-0.json"
    return parse_schema(Path(rel), rel, json.dumps(doc))


def _columns(index: int, text: str) -> list[tuple[str, str]]:
    named = snakecase(f"named {text}")
    return TRACK + [("p_desc", "varchar"), ("p_enum", "varchar"), ("p_pattern", "varchar"),
                    ("p_format", "varchar"), (named, "varchar")]


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    import duckdb

    root = tmp_path_factory.mktemp("schema_text")
    schemas = [_schema(i, text) for i, text in enumerate(HOSTILE)]
    rows, position = [], 0
    warehouse = root / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema segment")
        for index, text in enumerate(HOSTILE):
            columns = _columns(index, text)
            table = f"hostile_{index}"
            con.execute(f"create table segment.{table} ("
                        + ", ".join(f'"{name}" {kind}' for name, kind in columns) + ")")
            # A row holding the hostile enum value: the accepted-values test must accept it.
            con.execute(f"insert into segment.{table} (id, received_at, p_enum) values ('r1', now(), ?)", [text])
            for name, kind in columns:
                position += 1
                rows.append((table, name, kind, "YES", position))
    catalog = build_schema_catalog("wh", "duckdb", "warehouse", "segment", rows)
    project = Project(dir=root, name="hostile", vendor="com.example")
    plan, files = generate_dbt_package(project, schemas, catalog, "segment")
    package = root / "pkg"
    write_package(files, package)
    (root / "profiles.yml").write_text(
        "reflekt_hostile:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: {json.dumps(str(warehouse))}\n      schema: main\n")
    env = {**os.environ, "REFLEKT_CANARY": CANARY, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    runs = {}
    for command in ("parse", "build"):
        runs[command] = subprocess.run(
            [str(DBT), command, "--project-dir", str(package), "--profiles-dir", str(root), "--no-use-colors"],
            capture_output=True, text=True, env=env, timeout=300)
    return plan, package, runs


def test_dbt_parses_and_builds_every_hostile_string(built):
    plan, package, runs = built
    assert runs["parse"].returncode == 0, runs["parse"].stdout[-3000:]
    assert runs["build"].returncode == 0, runs["build"].stdout[-3000:]
    results = json.loads((package / "target" / "run_results.json").read_text())["results"]
    statuses = {r["unique_id"]: r["status"] for r in results}
    assert len([k for k in statuses if k.startswith("model.")]) == len(HOSTILE)
    accepted = [k for k in statuses if ".reflekt_accepted_values_" in k]
    assert len(accepted) == len(HOSTILE)
    assert set(statuses.values()) == {"success", "pass"}, {k: v for k, v in statuses.items()
                                                            if v not in ("success", "pass")}


def test_nothing_executed(built):
    _plan, package, runs = built
    for run in runs.values():
        assert CANARY not in run.stdout + run.stderr
    for path in (package / "target").rglob("*"):
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path
    manifest = (package / "target" / "manifest.json").read_text()
    assert "run_query" in manifest  # the text is there, as text


def _manifest(package: Path) -> dict:
    return json.loads((package / "target" / "manifest.json").read_text())


@pytest.mark.parametrize("index", range(len(HOSTILE)))
def test_every_position_comes_back_verbatim(built, index):
    _plan, package, _runs = built
    text = HOSTILE[index]
    manifest = _manifest(package)
    results = json.loads((package / "target" / "run_results.json").read_text())["results"]
    compiled_code = {r["unique_id"]: r["compiled_code"] for r in results}
    model = next(n for n in manifest["nodes"].values()
                 if n["resource_type"] == "model" and n["name"].endswith(f"__hostile_{index}"))
    assert model["description"] == text
    assert model["columns"]["p_desc"]["description"] == text
    named = snakecase(f"named {text}")
    if named:
        assert model["columns"][named]["description"] == f"named {text}."
    source = next(s for s in manifest["sources"].values() if s["name"] == f"hostile_{index}")
    assert source["description"] == text
    tests = [n for n in manifest["nodes"].values()
             if n["resource_type"] == "test" and n.get("attached_node") == model["unique_id"]]
    compiled_tests = {n["test_metadata"]["name"]: compiled_code[n["unique_id"]] for n in tests}
    # Test arguments are rendered when the test compiles: the values arrive as the adapter's literals.
    assert f"not in ({_sql_literal(text)}, 'ok')" in compiled_tests["reflekt_accepted_values"]
    try:
        regex = translate(text)
    except Untranslatable:
        assert "reflekt_pattern" not in compiled_tests
    else:
        assert f"regexp_matches(p_pattern, {_sql_literal(regex)})" in compiled_tests["reflekt_pattern"]
    compiled = compiled_code[model["unique_id"]]
    metadata = json.dumps({"owner": text, text: "as a key"}, sort_keys=True)
    assert _sql_literal(metadata) + " as schema_metadata" in compiled
    assert _sql_literal(f"hostile/Hostile_{index}/{text}/1-0.json") + " as schema_id" in compiled


def test_untranslatable_or_odd_patterns_are_reported_not_broken(built):
    plan, _package, _runs = built
    reported = {d.schema_id for d in plan.drift if d.kind == "untranslatable_pattern"}
    tested = {m.schema.id for m in plan.models for c in m.columns
              if any(isinstance(t, dict) and "reflekt_pattern" in t for t in c.tests)}
    assert reported | tested == {m.schema.id for m in plan.models}
    assert reported and tested
    assert not reported & tested
