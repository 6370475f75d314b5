"""`reflekt build --artifact dbt` on the demo: golden files, and real `dbt build` green for both CDPs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reflekt_core.dbt import build_dbt_package
from reflekt_core.project import load_project
from reflekt_core.schemas import load_selected
from reflekt_core.warehouses import make_reader
from tests.helpers import ROOT, copy_seeded_demo

GOLDEN = ROOT / "tests" / "fixtures" / "golden"
DBT = Path(sys.executable).with_name("dbt")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A copy of the demo project with its warehouse seeded."""
    return copy_seeded_demo(tmp_path_factory.mktemp("demo") / "jaffle_shop")


def _catalog(demo: Path, schema: str):
    reader = make_reader({"id": "jaffle_shop", "type": "duckdb", "path": str(demo / "warehouse.duckdb")})
    try:
        return reader.read_schema("warehouse", schema)
    finally:
        reader.close()


def _build(demo: Path, sdk: str, dest: Path):
    project = load_project(demo)
    schemas = load_selected(project.schemas_dir).schemas
    return build_dbt_package(project, schemas, _catalog(demo, sdk), sdk, dest)


def _tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text() for p in sorted(folder.rglob("*"))
            if p.is_file() and "target" not in p.relative_to(folder).parts and "logs" not in p.relative_to(folder).parts}


@pytest.mark.parametrize("sdk", ["segment", "rudderstack"])
def test_generated_package_matches_golden_files(demo, tmp_path, sdk):
    dest = tmp_path / "pkg"
    _build(demo, sdk, dest)
    actual = _tree(dest)
    golden = GOLDEN / sdk
    if os.environ.get("REFLEKT_UPDATE_GOLDEN"):
        shutil.rmtree(golden, ignore_errors=True)
        for rel, text in actual.items():
            (golden / rel).parent.mkdir(parents=True, exist_ok=True)
            (golden / rel).write_text(text)
    assert actual == _tree(golden)


@pytest.mark.slow
@pytest.mark.parametrize("sdk", ["segment", "rudderstack"])
def test_dbt_build_is_green(demo, tmp_path, sdk):
    dest = tmp_path / f"pkg_{sdk}"
    result = _build(demo, sdk, dest)
    env = {**os.environ, "REFLEKT_DEMO_DUCKDB": str(demo / "warehouse.duckdb"),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    proc = subprocess.run([str(DBT), "build", "--project-dir", str(dest), "--profiles-dir", str(demo / "dbt_profiles"),
                           "--no-use-colors"], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:]
    results = json.loads((dest / "target" / "run_results.json").read_text())["results"]
    statuses = {r["unique_id"]: r["status"] for r in results}
    models = [k for k in statuses if k.startswith("model.")]
    tests = [k for k in statuses if k.startswith("test.")]
    assert len(models) == len(result.plan.models) == 11
    assert len(tests) >= 60
    assert set(statuses.values()) <= {"success", "pass"}, {k: v for k, v in statuses.items() if v not in ("success", "pass")}
    # Derived tests of every kind ran: required, enum, pattern, range, length, format.
    names = " ".join(tests)
    for kind in ("not_null", "accepted_values", "reflekt_pattern", "reflekt_range", "reflekt_length",
                 "reflekt_format", "unique"):
        assert kind in names, kind


def test_drift_is_reported_not_dropped(demo, tmp_path):
    result = _build(demo, "segment", tmp_path / "pkg")
    kinds = {(d.kind, d.table, d.column) for d in result.drift}
    assert ("missing_table", "checkout_step_completed", None) in kinds
    assert ("column_without_property", "product_clicked", "promo_banner_id") in kinds
    assert ("property_without_column", "order_completed", "discount") in kinds
    report = json.loads(result.drift_path.read_text())
    assert report["source"] == "jaffle_shop.warehouse.segment"
    assert len(report["drift"]) == len(result.drift) == 4
    assert result.drift_path.parent == result.dest.parent
    sql = (result.dest / "models/segment/stg_segment__order_completed.sql").read_text()
    assert "cast(null as {{ dbt.type_float() }}) as discount" in sql
    assert not (result.dest / "models/segment/stg_segment__checkout_step_completed.sql").exists()


def test_cli_build_from_a_saved_catalog_dry_run_and_fail_on_drift(cli, demo, tmp_path):
    catalog = tmp_path / "catalog.json"
    assert cli(["catalog", "--source", "jaffle_shop.warehouse.segment", "--out", str(catalog)], cwd=demo).exit_code == 0
    out = tmp_path / "pkg"
    run = cli(["build", "--artifact", "dbt", "--sdk", "segment", "--catalog", str(catalog), "--out", str(out)], cwd=demo)
    assert run.exit_code == 0, run.stderr
    assert "11 models; 27 created, 0 changed, 0 removed, 0 unchanged; 4 drift item(s)" in run.stdout
    assert "drift: missing_table: table 'segment.checkout_step_completed'" in run.stderr
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    run = cli(["build", "--sdk", "segment", "--catalog", str(catalog), "--out", str(out), "--select",
               "jaffle_shop/Cart_Viewed", "--dry-run"], cwd=demo)
    assert run.exit_code == 0
    assert "  remove  models/segment/stg_segment__order_completed.sql" in run.stdout
    assert "--- a/models/segment/stg_segment__order_completed.sql" in run.stdout
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before
    run = cli(["build", "--sdk", "segment", "--catalog", str(catalog), "--out", str(out), "--fail-on-drift"], cwd=demo)
    assert run.exit_code == 1 and "0 created, 0 changed, 0 removed, 27 unchanged" in run.stdout
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before


def test_cli_build_needs_a_source(cli, demo):
    run = cli(["build", "--artifact", "dbt"], cwd=demo)
    assert run.exit_code == 2 and "--source is required (or --catalog FILE to build offline)" in run.stderr


def test_cli_build_reads_the_warehouse_through_the_profile(cli, demo, monkeypatch):
    monkeypatch.setenv("REFLEKT_DEMO_DUCKDB", str(demo / "warehouse.duckdb"))
    run = cli(["build", "--sdk", "rudderstack", "--source", "jaffle_shop.warehouse.rudderstack"], cwd=demo)
    assert run.exit_code == 0, run.stderr
    assert (demo / "artifacts" / "dbt" / "jaffle_shop" / "models" / "rudderstack" / "stg_rudderstack__users.sql").is_file()
    assert (demo / "artifacts" / "dbt" / "jaffle_shop.drift.json").is_file()
