"""`reflekt catalog` and `reflekt debug` against real engines, through a profiles file."""

from __future__ import annotations

import json

import yaml

from reflekt_core.warehouses import load_catalogs
from tests.helpers import make_project
from tests.integration import layouts
from tests.integration.conftest import unique


def _project(tmp_path, *entries):
    root = make_project(tmp_path / "p", {"web/Order_Completed/1-0.json": {}})
    (root / "reflekt_profiles.yml").write_text(yaml.safe_dump({"dev": {"source": list(entries)}}))
    return root


def test_catalog_of_two_engines_concurrently_saved_and_reloaded(cli, tmp_path, duckdb_engine, postgres_engine):
    seg, rud = unique("segment"), unique("rudder")
    duckdb_engine.create(seg, layouts.SEGMENT)
    postgres_engine.create(rud, layouts.RUDDERSTACK)
    root = _project(tmp_path, duckdb_engine.entry, postgres_engine.entry)
    out = tmp_path / "catalog.json"
    run = cli(["catalog", "--source", f"wh.warehouse.{seg}", "--source", f"pg.dev.{rud}", "--out", str(out)],
              cwd=root)
    assert run.exit_code == 0, run.stderr
    assert f"wh.warehouse.{seg} (duckdb): 6 tables" in run.stdout
    assert f"pg.dev.{rud} (postgres): 5 tables" in run.stdout
    catalogs = {c.ref: c for c in load_catalogs(out)}
    assert layouts.logical(catalogs[f"wh.warehouse.{seg}"]) == layouts.expected(layouts.SEGMENT)
    assert layouts.logical(catalogs[f"pg.dev.{rud}"]) == layouts.expected(layouts.RUDDERSTACK)
    assert postgres_engine.entry["password"] not in out.read_text() + run.stdout + run.stderr


def test_catalog_json_to_stdout(cli, tmp_path, duckdb_engine):
    schema = unique("segment")
    duckdb_engine.create(schema, {"tracks": layouts.SEGMENT["tracks"]})
    root = _project(tmp_path, duckdb_engine.entry)
    run = cli(["catalog", "--source", f"wh.warehouse.{schema}", "--format", "json"], cwd=root)
    data = json.loads(run.stdout)["catalogs"][0]
    assert data["tables"]["tracks"][0] == {"name": "id", "type": "string", "data_type": "varchar",
                                           "nullable": True, "position": 1}


def test_catalog_errors_exit_2_with_one_line(cli, tmp_path, postgres_engine):
    entry = {**postgres_engine.entry, "password": "not-the-password"}
    run = cli(["catalog", "--source", "pg.dev.segment"], cwd=_project(tmp_path, entry))
    assert run.exit_code == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "source 'pg'" in lines[0] and "authentication failed" in lines[0]
    assert "not-the-password" not in run.stderr


def test_catalog_unknown_source_id(cli, tmp_path, duckdb_engine):
    run = cli(["catalog", "--source", "nope.warehouse.segment"], cwd=_project(tmp_path, duckdb_engine.entry))
    assert run.exit_code == 2 and "no source with id 'nope' (configured: wh)" in run.stderr


def test_debug_tests_each_source(cli, tmp_path, duckdb_engine, postgres_engine):
    broken = {**postgres_engine.entry, "id": "pg_bad", "password": "bad-password-42"}
    run = cli(["debug"], cwd=_project(tmp_path, duckdb_engine.entry, postgres_engine.entry, broken))
    assert run.exit_code == 2
    assert "ok     source 'wh' (duckdb): connected" in run.stdout
    assert "ok     source 'pg' (postgres): connected" in run.stdout
    assert "failed source 'pg_bad' (postgres)" in run.stdout and "authentication failed" in run.stdout
    assert "bad-password-42" not in run.stdout and postgres_engine.entry["password"] not in run.stdout
