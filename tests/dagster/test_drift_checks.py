"""Every drift kind the core reports reaches the drift check of its raw table, including type mismatches
and patterns no warehouse regex can check; the check runs on its own (nothing materialised)."""

from __future__ import annotations

import json
import os

import duckdb
from dagster import AssetCheckKey, AssetKey, AssetSelection, DagsterInstance, Definitions, define_asset_job

from reflekt_core.dbt.plan import DRIFT_KINDS
from reflekt_dagster.definitions import build_definitions
from tests.helpers import copy_seeded_demo

SOURCE = "jaffle_shop.warehouse.segment"


def test_type_mismatch_and_untranslatable_pattern_are_checks(tmp_path, monkeypatch):
    demo = copy_seeded_demo(tmp_path / "jaffle_shop")
    monkeypatch.setenv("REFLEKT_DEMO_DUCKDB", str(demo / "warehouse.duckdb"))
    with duckdb.connect(str(demo / "warehouse.duckdb")) as con:
        con.execute("alter table segment.order_completed alter total type varchar")
    path = demo / "schemas" / "jaffle_shop" / "Order_Completed" / "1-0.json"
    doc = json.loads(path.read_text())
    doc["properties"]["currency"]["pattern"] = "^(?!XXX)[A-Z]{3}$"
    path.write_text(json.dumps(doc, indent=2))

    defs = build_definitions(demo, SOURCE, "segment", dbt_profiles_dir=demo / "dbt_profiles")
    raw = AssetKey(["raw", "segment", "order_completed"])
    job = define_asset_job("drift", selection=AssetSelection.checks(AssetCheckKey(raw, "drift")))
    result = Definitions.merge(defs, Definitions(jobs=[job])).resolve_job_def("drift").execute_in_process(
        instance=DagsterInstance.ephemeral())
    assert result.success and result.get_asset_materialization_events() == []
    checks = [e for e in (ev.event_specific_data for ev in result.all_events)
              if type(e).__name__ == "AssetCheckEvaluation"]
    assert len(checks) == 1 and not checks[0].passed
    meta = checks[0].metadata
    assert set(DRIFT_KINDS) <= set(meta)  # a count per kind
    items = meta["items"].value
    for kind, column in (("type_mismatch", "total"), ("untranslatable_pattern", "currency")):
        assert meta[kind].value >= 1, kind  # one item per schema version that declares it
        assert {(i["table"], i["column"]) for i in items if i["kind"] == kind} == {("order_completed", column)}, kind
    assert "**type_mismatch**" in meta["drift"].value


def test_drift_checks_split_by_group_report_what_one_plan_of_every_schema_reports(tmp_path, monkeypatch):
    """Past max_group_size tables the drift checks are one multi-asset check per group; each plans
    only the schemas that write its tables, and together they report exactly the items of the
    whole source's plan."""
    from reflekt_core.dbt import plan_source, source_catalog
    from reflekt_core.project import load_project
    from reflekt_core.schemas import load_selected
    from reflekt_dagster.translator import ReflektTranslator

    class Small(ReflektTranslator):
        max_group_size = 2

    demo = copy_seeded_demo(tmp_path / "jaffle_shop")
    monkeypatch.setenv("REFLEKT_DEMO_DUCKDB", str(demo / "warehouse.duckdb"))
    with duckdb.connect(str(demo / "warehouse.duckdb")) as con:
        con.execute("alter table segment.order_completed alter total type varchar")
        con.execute("alter table segment.cart_viewed drop column cart_id")
    defs = build_definitions(demo, SOURCE, "segment", dbt_profiles_dir=demo / "dbt_profiles", translator=Small())
    check_ops = {c.node_def.name for c in defs.resolve_asset_graph().assets_defs
                 if c.check_keys and not c.keys}
    assert len(check_ops) > 2 and all(name.startswith("raw_table_drift__") for name in check_ops)
    raw_keys = [k for k in defs.resolve_asset_graph().get_all_asset_keys() if k.path[0] == "raw"]
    job = define_asset_job("drift", selection=AssetSelection.checks(*[AssetCheckKey(k, "drift") for k in raw_keys]))
    result = Definitions.merge(defs, Definitions(jobs=[job])).resolve_job_def("drift").execute_in_process(
        instance=DagsterInstance.ephemeral())
    assert result.success
    found = sorted(json.dumps(item, sort_keys=True) for ev in result.all_events
                   if type(ev.event_specific_data).__name__ == "AssetCheckEvaluation"
                   and ev.event_specific_data.check_name == "drift"
                   for item in ev.event_specific_data.metadata["items"].value)
    project = load_project(demo)
    plan = plan_source(project, load_selected(project.schemas_dir).schemas, source_catalog(project, SOURCE), "segment")
    raw_tables = {k.path[-1] for k in raw_keys}
    expected = sorted(json.dumps(d.to_dict(), sort_keys=True) for d in plan.drift if d.table in raw_tables)
    assert found == expected
    assert {json.loads(item)["table"] for item in found} >= {"order_completed", "cart_viewed"}  # two groups
