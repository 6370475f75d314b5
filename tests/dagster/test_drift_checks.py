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
