"""The code location on the demo: definitions, in-process materialisation, checks, lineage, sensor."""

from __future__ import annotations

import json

import pytest
from dagster import AssetKey, DagsterInstance, build_sensor_context

from reflekt_dagster.definitions import build_definitions

SOURCE = "jaffle_shop.warehouse.segment"


@pytest.fixture(scope="module")
def defs(demo_project):
    return build_definitions(demo_project, SOURCE, "segment", dbt_profiles_dir=demo_project / "dbt_profiles")


def test_asset_keys_groups_owners_and_lineage(defs):
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert "event_schemas/jaffle_shop/Order_Completed__v1_1" in keys
    assert {"reflekt/lint_report", "reflekt/dbt_package", "reflekt/warehouse_catalog/jaffle_shop/warehouse/segment",
            "stg_segment__order_completed", "stg_segment__tracks", "raw/segment/order_completed"} <= keys
    assert len([k for k in keys if k.startswith("event_schemas/")]) == 10
    schema = AssetKey(["event_schemas", "jaffle_shop", "Order_Completed__v1_1"])
    raw = AssetKey(["raw", "segment", "order_completed"])
    model = AssetKey(["stg_segment__order_completed"])  # one model over Order Completed 1-0 and 1-1
    assert schema in graph.get(raw).parent_keys and raw in graph.get(model).parent_keys
    node = graph.get(schema)
    assert node.group_name == "event_schemas"
    assert node.owners == ["team:growth_squad", "pm@jaffle-shop.example"]
    assert node.tags["reflekt/call_type"] == "track"
    identify = AssetKey(["event_schemas", "jaffle_shop", "Identify__v1_0"])
    assert identify in graph.get(AssetKey(["raw", "segment", "users"])).parent_keys


@pytest.mark.slow
def test_materialise_the_whole_demo_graph(defs):
    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(instance=DagsterInstance.ephemeral())
    assert result.success
    materialised = {m.asset_key.to_user_string() for m in result.get_asset_materialization_events()
                    for m in [m.event_specific_data.materialization]}
    assert {"event_schemas/jaffle_shop/Cart_Viewed__v1_0", "reflekt/lint_report", "reflekt/dbt_package",
            "stg_segment__order_completed", "stg_segment__users"} <= materialised
    checks = {(e.asset_key.to_user_string(), e.check_name): e for e in
              (ev.event_specific_data for ev in result.all_events if ev.event_type_value == "ASSET_CHECK_EVALUATION")}
    lint_checks = [c for (key, name), c in checks.items() if name == "lint"]
    assert len(lint_checks) == 10 and all(c.passed for c in lint_checks)
    drift = checks[("reflekt/warehouse_catalog/jaffle_shop/warehouse/segment", "missing_table")]
    assert not drift.passed and drift.metadata["count"].value == 1
    dbt_tests = [c for (key, name), c in checks.items() if key.startswith("stg_")]
    assert len(dbt_tests) >= 50 and all(c.passed for c in dbt_tests)
    lint_meta = next(m.event_specific_data.materialization.metadata for m in result.get_asset_materialization_events()
                     if m.asset_key == AssetKey(["reflekt", "lint_report"]))
    assert lint_meta["ok"].value is True and lint_meta["summary"].value["schemas"] == 10
    schema_meta = next(m.event_specific_data.materialization.metadata for m in result.get_asset_materialization_events()
                       if m.asset_key == AssetKey(["event_schemas", "jaffle_shop", "Order_Completed__v1_1"]))
    assert schema_meta["version"].value == "1-1" and "| `coupon` | string | no |" in schema_meta["properties"].value


def _tick(defs, cursor):
    sensor = defs.resolve_sensor_def("reflekt_schemas_sensor")
    context = build_sensor_context(instance=DagsterInstance.ephemeral(), cursor=cursor)
    return sensor.evaluate_tick(context)


def test_sensor_requests_only_affected_assets_and_survives_broken_schemas(defs, demo_project):
    first = _tick(defs, None)
    assert len(first.run_requests) == 1 and first.cursor
    assert len(first.run_requests[0].asset_selection) > 10
    again = _tick(defs, first.cursor)  # the cursor is all state: a restarted sensor resumes from it
    assert again.run_requests == [] and again.skip_message == "no schema changed"
    path = demo_project / "schemas/jaffle_shop/Cart_Viewed/1-0.json"
    original = path.read_text()
    try:
        path.write_text(original.replace("A customer viewed their shopping cart.", "Cart opened."))
        changed = _tick(defs, again.cursor)
        selection = {k.to_user_string() for k in changed.run_requests[0].asset_selection}
        assert "event_schemas/jaffle_shop/Cart_Viewed__v1_0" in selection
        assert not any(s.startswith("event_schemas/") and "Cart_Viewed" not in s for s in selection)
        assert {"reflekt/lint_report", "reflekt/dbt_package", "stg_segment__cart_viewed"} <= selection
        path.write_text("{ this is not json")
        broken = _tick(defs, changed.cursor)
        assert len(broken.run_requests) == 1  # the sensor keeps ticking on a broken schema
        job = defs.resolve_implicit_global_asset_job_def()
        result = job.execute_in_process(instance=DagsterInstance.ephemeral(), asset_selection=[
            AssetKey(["event_schemas", "jaffle_shop", "Cart_Viewed__v1_0"])])
        evaluations = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
        assert len(evaluations) == 1 and not evaluations[0].passed
        assert "invalid JSON" in evaluations[0].metadata["error"].value
    finally:
        path.write_text(original)


def test_nothing_happens_at_import():
    import subprocess
    import sys

    code = ("import sys, builtins, os\n"
            "opened = []\n"
            "real_open = builtins.open\n"
            "import reflekt_dagster.definitions as d\n"
            "print(type(d.defs).__name__)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={"PATH": "/usr/bin", "REFLEKT_PROJECT_DIR": "/nonexistent"})
    assert proc.returncode == 0, proc.stderr


def test_dagster_definitions_validate_on_the_workspace(demo_project, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from tests.helpers import ROOT, dagster_env

    env = dagster_env(tmp_path / "dagster_home", demo_project)
    proc = subprocess.run([str(Path(sys.executable).with_name("dagster")), "definitions", "validate",
                           "-w", str(ROOT / "workspace.yaml")], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Validation successful" in proc.stdout + proc.stderr


def test_registry_assets_and_the_pull_schedule(demo_project):
    from dagster import build_schedule_context

    from reflekt_dagster.resources import RegistryResource
    from tests.integration.registry_fakes import FakeSegment

    fake = FakeSegment("tok-abcdef-123456")
    try:
        registry = RegistryResource(type="segment", api_token="tok-abcdef-123456", base_url=fake.url,
                                    select="jaffle_shop")
        defs = build_definitions(demo_project, SOURCE, dbt_profiles_dir=demo_project / "dbt_profiles",
                                 registries={"segment": registry}, pull_cron="15 4 * * 1")
        schedule = defs.resolve_schedule_def("reflekt_registry_pull_schedule")
        assert schedule.cron_schedule == "15 4 * * 1"
        assert schedule.job.name == "reflekt_registry_pull"
        tick = schedule.evaluate_tick(build_schedule_context(instance=DagsterInstance.ephemeral()))
        assert len(tick.run_requests) == 1
        job = defs.resolve_implicit_global_asset_job_def()
        push = job.execute_in_process(instance=DagsterInstance.ephemeral(), asset_selection=[
            AssetKey(["reflekt", "registry", "segment_push"])])
        assert push.success and len(fake.rules[next(iter(fake.plans))]) == 9
        pull = defs.resolve_job_def("reflekt_registry_pull").execute_in_process(instance=DagsterInstance.ephemeral())
        meta = next(e.event_specific_data.materialization.metadata for e in pull.get_asset_materialization_events())
        assert meta["remote_schemas"].value == 9 and meta["only_remote"].value == 0
        # Order Completed 1-0 locally vs version 1 (= 1-1) remotely; Identify's metadata (Segment keeps
        # labels on Track and Page rules only)
        assert meta["different"].value == 2
    finally:
        fake.stop()


@pytest.mark.slow
def test_a_catalog_asset_per_source(demo_project):
    rudder = "jaffle_shop.warehouse.rudderstack"
    defs = build_definitions(demo_project, [SOURCE, rudder], dbt_profiles_dir=demo_project / "dbt_profiles",
                             source_sdks={rudder: "rudderstack"})
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"reflekt/warehouse_catalog/jaffle_shop/warehouse/segment",
            "reflekt/warehouse_catalog/jaffle_shop/warehouse/rudderstack"} <= keys
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=DagsterInstance.ephemeral(),
        asset_selection=[AssetKey(["reflekt", "warehouse_catalog", "jaffle_shop", "warehouse", "rudderstack"])])
    assert result.success
    meta = result.get_asset_materialization_events()[0].event_specific_data.materialization.metadata
    assert meta["tables"].value == 10 and meta["source"].value == "jaffle_shop.warehouse.rudderstack"
