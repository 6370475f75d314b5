"""The code location on the demo: definitions, in-process materialisation, checks, lineage, sensor."""

from __future__ import annotations

import json

import pytest
from dagster import AssetCheckKey, AssetKey, DagsterInstance, build_sensor_context

from reflekt_dagster.definitions import DagsterOptions, build_definitions
from tests.helpers import ROOT

SOURCE = "jaffle_shop.warehouse.segment"


@pytest.fixture(scope="module")
def defs(demo_project):
    from reflekt_dagster.prepare import prepare

    prepare(demo_project, SOURCE, "segment", dbt_profiles_dir=demo_project / "dbt_profiles")
    return build_definitions(demo_project, SOURCE, "segment", dbt_profiles_dir=demo_project / "dbt_profiles")


def test_asset_keys_groups_owners_and_lineage(defs, demo_project):
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
    assert node.group_name == "schemas_jaffle_shop"  # one group per plan (split by initial past 300 files)
    assert node.owners == ["team:growth_squad", "pm@jaffle-shop.example"]
    assert node.tags["reflekt/call_type"] == "track"
    identify = AssetKey(["event_schemas", "jaffle_shop", "Identify__v1_0"])
    assert identify in graph.get(AssetKey(["raw", "segment", "users"])).parent_keys
    # dbt models run after the package; the schemas sensor runs schemas and models (no condition),
    # the lint report and the package carry the one cheap condition
    assert AssetKey(["reflekt", "dbt_package"]) in graph.get(model).parent_keys
    assert schema not in graph.get(model).parent_keys  # through its raw table
    assert graph.get(model).automation_condition is None
    assert graph.get(schema).automation_condition is None
    for key in (["reflekt", "dbt_package"], ["reflekt", "lint_report"]):
        assert graph.get(AssetKey(key)).automation_condition.get_label() == "missing or a schema updated"
    # Column lineage: each staging column back to its raw column and the schema properties it carries.
    # Only materialisations carry it (the UI reads it from there), so loading does not build it.
    assert "dagster/column_lineage" not in graph.get(model).metadata
    assert "dagster/column_schema" not in graph.get(model).metadata  # nor its columns: both are on materialisations
    from reflekt_dagster.dbt import column_lineage
    from reflekt_dagster.package import PackageStore
    from reflekt_dagster.translator import ReflektTranslator

    lineage = column_lineage(PackageStore.for_project(demo_project).lineage(), model.path[-1],
                             ReflektTranslator()).deps_by_column
    order_10 = AssetKey(["event_schemas", "jaffle_shop", "Order_Completed__v1_0"])
    assert {(d.asset_key, d.column_name) for d in lineage["coupon"]} == {(schema, "coupon"), (raw, "coupon")}
    assert (order_10, "total") in {(d.asset_key, d.column_name) for d in lineage["total"]}  # both versions
    assert {(d.asset_key, d.column_name) for d in lineage["received_at_tstamp"]} == {(raw, "received_at")}
    assert "call_type" not in lineage  # a literal: no upstream column
    meta = node.metadata
    assert "dagster/column_schema" not in meta  # the properties go with each materialisation
    assert meta["dagster/code_references"].code_references[0].file_path.endswith("Order_Completed/1-1.json")


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
    # one dbt_tests check per model, listing each of its dbt tests
    dbt_tests = [c for (key, name), c in checks.items() if key.startswith("stg_")]
    assert {name for (key, name) in checks if key.startswith("stg_")} == {"dbt_tests"}
    assert len(dbt_tests) >= 9 and all(c.passed for c in dbt_tests)
    assert sum(c.metadata["tests"].value for c in dbt_tests) >= 50
    order = checks[("stg_segment__order_completed", "dbt_tests")].metadata["test_results"].value
    assert {"name": "unique_stg_segment__order_completed_event_id", "status": "pass", "severity": "ERROR",
            "failures": 0} in order
    lint_meta = next(m.event_specific_data.materialization.metadata for m in result.get_asset_materialization_events()
                     if m.asset_key == AssetKey(["reflekt", "lint_report"]))
    assert lint_meta["ok"].value is True and lint_meta["summary"].value["schemas"] == 10
    schema_meta = next(m.event_specific_data.materialization.metadata for m in result.get_asset_materialization_events()
                       if m.asset_key == AssetKey(["event_schemas", "jaffle_shop", "Order_Completed__v1_1"]))
    assert schema_meta["version"].value == "1-1" and "| `coupon` | string | no |" in schema_meta["properties"].value
    columns = {c.name: c for c in schema_meta["dagster/column_schema"].value.columns}
    assert columns["coupon"].type == "string" and columns["coupon"].constraints.nullable  # optional
    assert columns["coupon"].description == "Coupon code redeemed on the order, if any."
    required = json.loads((ROOT / "examples/jaffle_shop/schemas/jaffle_shop/Order_Completed/1-1.json").read_text())["required"]
    assert required and all(not columns[name].constraints.nullable for name in required)
    model_meta = next(m.event_specific_data.materialization.metadata for m in result.get_asset_materialization_events()
                      if m.asset_key == AssetKey(["stg_segment__cart_viewed"]))
    assert "cart_id" in [c.name for c in model_meta["dagster/column_schema"].value.columns]  # not in the definition
    deps = model_meta["dagster/column_lineage"].value.deps_by_column["cart_id"]
    assert [(d.asset_key.to_user_string(), d.column_name) for d in deps] == [
        ("event_schemas/jaffle_shop/Cart_Viewed__v1_0", "cart_id"), ("raw/segment/cart_viewed", "cart_id")]


@pytest.mark.slow
def test_a_failing_dbt_test_fails_the_run_and_its_models_check_names_it(defs, demo_project):
    """A cart view without its required cart_id: the model builds, its not_null test fails, so does the run."""
    import duckdb
    from dagster import AssetCheckKey, AssetSelection, Definitions, define_asset_job

    model = AssetKey(["stg_segment__cart_viewed"])
    job = Definitions.merge(defs, Definitions(jobs=[define_asset_job(
        "one_model", selection=AssetSelection.assets(model))])).resolve_job_def("one_model")
    with duckdb.connect(str(demo_project / "warehouse.duckdb")) as con:
        con.execute("create table segment.cart_viewed_saved as select * from segment.cart_viewed")
        con.execute("insert into segment.cart_viewed select * replace ('no-cart-' || id as id, null as cart_id) "
                    "from segment.cart_viewed limit 1")
    try:
        result = job.execute_in_process(instance=DagsterInstance.ephemeral(), raise_on_error=False)
    finally:
        with duckdb.connect(str(demo_project / "warehouse.duckdb")) as con:
            con.execute("delete from segment.cart_viewed")
            con.execute("insert into segment.cart_viewed select * from segment.cart_viewed_saved")
            con.execute("drop table segment.cart_viewed_saved")
    assert not result.success
    assert [e.asset_key for e in result.get_asset_materialization_events()] == [model]
    [check] = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    assert AssetCheckKey(check.asset_key, check.check_name) == AssetCheckKey(model, "dbt_tests")
    assert not check.passed and check.severity.value == "ERROR"
    assert check.description == "1 of 4 dbt tests did not pass: not_null_stg_segment__cart_viewed_cart_id"
    failed = [t for t in check.metadata["test_results"].value if t["status"] != "pass"]
    assert [(t["name"], t["status"], t["failures"]) for t in failed] == [
        ("not_null_stg_segment__cart_viewed_cart_id", "fail", 1)]


def test_raw_tables_are_observed_and_their_drift_checks_run_on_their_own(defs):
    from dagster import AssetCheckKey, AssetSelection, Definitions, define_asset_job

    raw = AssetKey(["raw", "segment", "order_completed"])
    assert defs.resolve_asset_graph().get(raw).metadata["dagster/table_name"] == "warehouse.segment.order_completed"
    observed = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=DagsterInstance.ephemeral(), asset_selection=[raw])
    observation = next(e.event_specific_data.asset_observation for e in observed.all_events
                       if e.event_type_value == "ASSET_OBSERVATION")
    assert "coupon" in [c.name for c in observation.metadata["dagster/column_schema"].value.columns]
    checks = [AssetCheckKey(AssetKey(["raw", "segment", "checkout_step_completed"]), "drift"),
              AssetCheckKey(raw, "drift")]
    only_checks = Definitions.merge(defs, Definitions(jobs=[define_asset_job(
        "drift_only", selection=AssetSelection.checks(*checks))]))
    result = only_checks.resolve_job_def("drift_only").execute_in_process(instance=DagsterInstance.ephemeral())
    found = {e.event_specific_data.asset_key.path[-1]: e.event_specific_data
             for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}
    assert result.get_asset_materialization_events() == []  # checks alone, nothing materialised
    missing = found["checkout_step_completed"]
    assert not missing.passed and missing.metadata["missing_table"].value >= 1
    items = found["order_completed"].metadata["items"].value
    assert {i["column"] for i in items if i["kind"] == "property_without_column"} >= {"discount"}
    assert found["order_completed"].metadata["column_without_property"].value == 0


def _git(project, *args):
    import subprocess

    env = {"GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.com", "GIT_COMMITTER_NAME": "Ada",
           "GIT_COMMITTER_EMAIL": "ada@example.com", "PATH": "/usr/bin:/bin"}
    subprocess.run(["git", *args], cwd=project, env=env, check=True, capture_output=True)


def _tick(defs, cursor):
    sensor = defs.resolve_sensor_def("reflekt_schemas_sensor")
    context = build_sensor_context(instance=DagsterInstance.ephemeral(), cursor=cursor)
    return sensor.evaluate_tick(context)


def test_schemas_sensor_reports_edits_reverts_new_and_deleted_files(defs, demo_project):
    (demo_project / ".gitignore").write_text("artifacts/\n*.duckdb*\n")
    _git(demo_project, "init", "-q")
    _git(demo_project, "add", ".")
    _git(demo_project, "commit", "-q", "-m", "plan")
    first = _tick(defs, None)
    assert first.run_requests == [] and "baseline" in first.skip_message  # turning it on rebuilds nothing
    assert len(first.cursor) < 200  # the last commit SHA, plus uncommitted files only
    path = demo_project / "schemas/jaffle_shop/Cart_Viewed/1-0.json"
    original = path.read_text()
    cart = "event_schemas/jaffle_shop/Cart_Viewed__v1_0"
    try:
        path.write_text(original.replace("Unique identifier of the cart.", "The cart's id."))
        edited = _tick(defs, first.cursor)
        request = edited.run_requests[0]  # one run: the schema, lint report, package and the models that read it
        assert [k.to_user_string() for k in request.asset_selection] == [
            cart, "reflekt/lint_report", "reflekt/dbt_package", "stg_segment__cart_viewed", "stg_segment__tracks"]
        assert request.tags["reflekt/author"] == "Ada <ada@example.com>" and len(request.tags["reflekt/commit"]) == 40
        assert _tick(defs, edited.cursor).run_requests == []
        path.write_text(original)  # a revert is a change too
        reverted = _tick(defs, edited.cursor)
        assert [k.to_user_string() for k in reverted.run_requests[0].asset_selection] == [
            k.to_user_string() for k in request.asset_selection]
        new = demo_project / "schemas/jaffle_shop/Cart_Viewed/1-1.json"
        new.write_text(original)
        added = _tick(defs, reverted.cursor)  # not loaded yet: the package is rebuilt (and the location reloaded)
        assert [k.to_user_string() for k in added.run_requests[0].asset_selection] == [
            "reflekt/lint_report", "reflekt/dbt_package"]
        assert added.run_requests[0].tags["reflekt/reload"] == "true"
        assert _tick(defs, added.cursor).run_requests == []  # still waiting for the reload
        reloaded = build_definitions(demo_project, SOURCE, "segment", dbt_profiles_dir=demo_project / "dbt_profiles")
        loaded = _tick(reloaded, added.cursor)  # the reloaded location has its asset: the sensor runs it
        assert [k.to_user_string() for k in loaded.run_requests[0].asset_selection] == [
            "event_schemas/jaffle_shop/Cart_Viewed__v1_1", "reflekt/lint_report", "reflekt/dbt_package",
            "stg_segment__cart_viewed", "stg_segment__tracks"]
        assert loaded.run_requests[0].tags["reflekt/new_files"] == "1"
        assert _tick(reloaded, loaded.cursor).run_requests == []  # once
        # the project file changed: which model reads what may have changed too, so every model
        config = demo_project / "reflekt_project.yml"
        config_text = config.read_text()
        config.write_text(config_text + "\n# reviewed\n")
        configured = _tick(reloaded, loaded.cursor)
        graph = reloaded.resolve_asset_graph()
        models = sorted(k.to_user_string() for k in graph.get_all_asset_keys()
                        if graph.get(k).group_name == "dbt_staging")
        assert len(models) >= 5
        assert [k.to_user_string() for k in configured.run_requests[0].asset_selection] == [
            "reflekt/lint_report", "reflekt/dbt_package", *models]
        assert configured.run_requests[0].tags["reflekt/config_changed"] == "true"
        assert _tick(reloaded, configured.cursor).run_requests == []
        config.write_text(config_text)
        added = _tick(reloaded, configured.cursor)
        assert added.run_requests[0].tags["reflekt/config_changed"] == "true"
        new.unlink()
        (demo_project / "schemas/jaffle_shop/Cart_Viewed/1-0.json").unlink()
        deleted = _tick(reloaded, added.cursor)  # both Cart Viewed files: its model leaves the package
        assert [k.to_user_string() for k in deleted.run_requests[0].asset_selection] == [
            "reflekt/lint_report", "reflekt/dbt_package", "stg_segment__tracks"]
        assert deleted.run_requests[0].tags["reflekt/reload"] == "true"
    finally:
        path.write_text(original)
        (demo_project / "schemas/jaffle_shop/Cart_Viewed/1-1.json").unlink(missing_ok=True)


def test_a_lint_error_fails_the_run_and_stops_the_models(defs, demo_project):
    path = demo_project / "schemas/jaffle_shop/Cart_Viewed/1-0.json"
    original = path.read_text()
    try:
        path.write_text("{ this is not json")
        job = defs.resolve_implicit_global_asset_job_def()
        result = job.execute_in_process(instance=DagsterInstance.ephemeral(), raise_on_error=False, asset_selection=[
            AssetKey(["event_schemas", "jaffle_shop", "Cart_Viewed__v1_0"]), AssetKey(["reflekt", "lint_report"]),
            AssetKey(["reflekt", "dbt_package"]), AssetKey(["stg_segment__cart_viewed"])])
        assert not result.success
        evaluations = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
        assert len(evaluations) == 1 and not evaluations[0].passed
        assert "invalid JSON" in evaluations[0].metadata["error"].value
        failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
        assert "lint failed" in failure.event_specific_data.error.message
        assert result.get_asset_materialization_events() == []  # neither the lint report, the package nor the model ran
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


def test_a_fresh_clone_loads_and_its_assets_fail_with_a_hint(tmp_path, monkeypatch):
    """No warehouse, no prepared manifest: the location loads; the assets say what to do."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    from tests.helpers import DEMO, ROOT, dagster_env

    fresh = tmp_path / "jaffle_shop"
    shutil.copytree(DEMO, fresh, ignore=shutil.ignore_patterns("*.duckdb*", "artifacts", "target"))
    env = {**dagster_env(tmp_path / "dagster_home", fresh), "REFLEKT_DEMO_DUCKDB": str(tmp_path / "none.duckdb")}
    proc = subprocess.run([str(Path(sys.executable).with_name("dagster")), "definitions", "validate",
                           "-w", str(ROOT / "workspace.yaml")], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not (fresh / "artifacts").exists()  # loading wrote nothing
    monkeypatch.setenv("REFLEKT_DEMO_DUCKDB", str(tmp_path / "none.duckdb"))
    defs = build_definitions(fresh, SOURCE, dbt_profiles_dir=fresh / "dbt_profiles")
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=DagsterInstance.ephemeral(), raise_on_error=False,
        asset_selection=[AssetKey(["reflekt", "dbt_package"]), AssetKey(["reflekt", "dbt_models"])])
    failures = [e.event_specific_data.error.message for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert len(failures) == 1 and "none.duckdb" in failures[0] and len(failures[0].strip().splitlines()) == 1
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=DagsterInstance.ephemeral(), raise_on_error=False, asset_selection=[AssetKey(["reflekt", "dbt_models"])])
    failures = [e.event_specific_data.error.message for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "python -m reflekt_dagster.prepare" in failures[0]


def test_dagster_definitions_validate_on_the_workspace(demo_project, defs, tmp_path):
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
                                 registries={"segment": registry},
                                 options=DagsterOptions(pull_cron="15 4 * * 1"))
        schedule = defs.resolve_schedule_def("reflekt_registry_pull_schedule")
        assert schedule.cron_schedule == "15 4 * * 1"
        assert schedule.job.name == "reflekt_registry_pull"
        tick = schedule.evaluate_tick(build_schedule_context(instance=DagsterInstance.ephemeral()))
        assert len(tick.run_requests) == 1
        assert schedule.execution_timezone == "UTC" and schedule.default_status.value == "STOPPED"
        keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
        assert not any("push" in k for k in keys)  # pushing is a job: "Materialize all" never pushes
        push = defs.resolve_job_def("reflekt_push_segment")
        dry = push.execute_in_process(instance=DagsterInstance.ephemeral())
        assert dry.success and not any(fake.rules.values())  # a dry run by default: nothing written
        meta = next(e.event_specific_data.metadata for e in dry.all_events if e.event_type_value == "STEP_OUTPUT")
        assert meta["dry_run"].value is True and meta["created"].value == 9
        real = push.execute_in_process(instance=DagsterInstance.ephemeral(),
                                       run_config={"ops": {"push_to_segment": {"config": {"dry_run": False}}}})
        assert real.success and len(fake.rules[next(iter(fake.plans))]) == 9
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


def test_the_component_in_a_dg_layout_builds_the_same_location(monkeypatch):
    """examples/dagster_project: a dg project whose defs/ holds one ReflektComponent (YAML)."""
    import sys

    from tests.helpers import ROOT

    monkeypatch.syspath_prepend(str(ROOT / "examples" / "dagster_project" / "src"))
    monkeypatch.setenv("SEGMENT_API_TOKEN", "tok-component-123456")
    sys.modules.pop("reflekt_example.definitions", None)
    from reflekt_example.definitions import defs as component_defs

    loaded = component_defs()
    keys = {k.to_user_string() for k in loaded.resolve_asset_graph().get_all_asset_keys()}
    assert "event_schemas/jaffle_shop/Order_Completed__v1_1" in keys and "reflekt/dbt_package" in keys
    assert {s.name for s in loaded.sensors} == {"reflekt_schemas_sensor", "reflekt_automation"}
    from reflekt_dagster.resources import RegistryResource

    iglu = RegistryResource(type="iglu", uri="iglu", select="com.jaffle_shop")
    direct = build_definitions(ROOT / "examples" / "jaffle_shop", SOURCE, registries={"iglu": iglu})
    assert keys == {k.to_user_string() for k in direct.resolve_asset_graph().get_all_asset_keys()}


def test_the_runs_default_executor_is_an_option():
    """The scenario test runs both for real; here: the default, and a bad value is one clear error."""
    from reflekt_core.errors import UsageError
    from reflekt_dagster.executor import make_executor

    assert make_executor("in_process").config_schema.default_value == {"in_process": {}}
    assert make_executor().config_schema.default_value == {"multiprocess": {}}
    with pytest.raises(UsageError, match="unknown executor 'threads'"):
        make_executor("threads")


def test_dagster_dbt_helpers_and_reflekt_equivalents_work_on_the_models(defs):
    """dagster-dbt's get_asset_key_for_model / _for_source / build_dbt_asset_selection on the models,
    which are built from Reflekt's model index, not @dbt_assets; and the manifest-free equivalents."""
    from dagster import AssetSelection, Definitions, asset, define_asset_job
    from dagster_dbt import (build_dbt_asset_selection, get_asset_key_for_model, get_asset_key_for_source,
                             get_asset_keys_by_output_name_for_source)

    from reflekt_dagster import dbt_models, model_key, source_keys

    models = dbt_models(defs)
    graph = defs.resolve_asset_graph()
    order = AssetKey(["stg_segment__order_completed"])
    assert get_asset_key_for_model([models], "stg_segment__order_completed") == order
    assert model_key(defs, "stg_segment__order_completed") == order
    with pytest.raises(KeyError):
        model_key(defs, "stg_segment__nothing")
    by_output = get_asset_keys_by_output_name_for_source([models], "segment")  # the dbt source: raw tables
    raw = source_keys(defs, "segment")
    assert raw["order_completed"] == AssetKey(["raw", "segment", "order_completed"])
    assert set(by_output.values()) <= set(raw.values()) <= set(graph.get_all_asset_keys())
    assert raw["order_completed"] in by_output.values()
    with pytest.raises(KeyError):  # as with @dbt_assets: the source has several tables
        get_asset_key_for_source([models], "segment")

    selection = build_dbt_asset_selection([models], dbt_select="stg_segment__cart_viewed stg_segment__tracks",
                                          dbt_exclude="stg_segment__tracks")
    cart = AssetKey(["stg_segment__cart_viewed"])
    assert selection.resolve(graph) == {cart}
    assert selection.downstream(depth=0).resolve_checks(graph) == {AssetCheckKey(cart, "dbt_tests")}

    @asset(deps=[get_asset_key_for_model([models], "stg_segment__order_completed")])
    def revenue():
        return None

    merged = Definitions.merge(defs, Definitions(assets=[revenue], jobs=[
        define_asset_job("cart_models", selection=selection.downstream(depth=0) | AssetSelection.assets(revenue))]))
    assert order in merged.resolve_asset_graph().get(AssetKey(["revenue"])).parent_keys
    assert merged.resolve_job_def("cart_models").asset_layer.selected_asset_keys == {cart, AssetKey(["revenue"])}
