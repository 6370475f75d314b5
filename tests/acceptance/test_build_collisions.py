"""`reflekt build` never loses a model silently: a collision stops it with exit 2 and writes nothing."""

from __future__ import annotations

from reflekt_core.warehouses.catalog import build_schema_catalog, save_catalogs
from tests.helpers import make_project

COLUMNS = ["id", "received_at", "event", "event_text", "order_id"]


def test_two_events_in_one_table_stop_the_build_naming_schemas_and_table(cli, tmp_path):
    root = make_project(tmp_path / "p", {"web/Order_Completed/1-0.json": {},
                                         "web/OrderCompleted/1-0.json": {"self": {"name": "OrderCompleted"}}},
                        {"schemas": {"conventions": {"event": {"casing": "any"}}}})
    catalog = tmp_path / "catalog.json"
    rows = [("order_completed", c, "varchar", "YES", i) for i, c in enumerate(COLUMNS, start=1)]
    save_catalogs([build_schema_catalog("wh", "duckdb", "warehouse", "segment", rows)], catalog)
    out = tmp_path / "pkg"
    run = cli(["build", "--catalog", str(catalog), "--out", str(out), "--project-dir", str(root)])
    assert run.exit_code == 2
    assert "web/Order_Completed/1-0.json" in run.stderr and "web/OrderCompleted/1-0.json" in run.stderr
    assert "table 'order_completed'" in run.stderr and "rename one of the events" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr
    assert not out.exists()
    run = cli(["lint", "--project-dir", str(root)])
    assert run.exit_code == 1 and "R603" in run.stdout
