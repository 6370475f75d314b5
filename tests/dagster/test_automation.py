"""The cheap automation, alone and fast: the schema file -> dbt models map, and the condition on
the lint report and the package (missing, a schema materialised since, idle, in progress)."""

from __future__ import annotations

from dagster import (AssetKey, AssetMaterialization, AssetObservation, AssetSelection, AssetSpec, DagsterInstance,
                     Definitions, MaterializeResult, build_sensor_context, evaluate_automation_conditions, multi_asset)

from dagster._core.execution.api import create_execution_plan
from dagster._core.storage.dagster_run import DagsterRunStatus

from reflekt_dagster.automation import ModelIndex, SchemasUpdated, stale
from reflekt_dagster.sensors import make_automation_sensor

A, B, C = (AssetKey(["event_schemas", "plan", name]) for name in ("A__v1_0", "A__v1_1", "C__v1_0"))
BROKEN = AssetKey(["event_schemas", "plan", "Broken__v1_0"])
RAW_A, RAW_C, TRACKS = (AssetKey(["raw", "segment", t]) for t in ("a", "c", "tracks"))
PACKAGE = AssetKey(["reflekt", "dbt_package"])
STG_A, STG_C, STG_TRACKS = (AssetKey([f"stg_segment__{t}"]) for t in ("a", "c", "tracks"))


def _index() -> ModelIndex:
    raw = {RAW_A: [A, B], RAW_C: [C], TRACKS: [A, B, C]}
    models = {STG_A: {RAW_A, PACKAGE}, STG_C: {RAW_C, PACKAGE, C}, STG_TRACKS: {TRACKS, PACKAGE}}
    return ModelIndex(models, raw, [A, B, C])


def test_an_edited_schema_maps_to_the_models_that_read_it():
    index = _index()
    assert index.models_reading([A]) == [STG_A, STG_TRACKS]
    assert index.models_reading([C]) == [STG_C, STG_TRACKS]  # a direct schema dep counts too
    assert index.models_reading([]) == []
    assert index.models_reading([A, C]) == [STG_A, STG_C, STG_TRACKS]


def test_a_deleted_schema_rebuilds_only_the_models_that_remain():
    index = _index()
    assert index.models_reading([], [B]) == [STG_A, STG_TRACKS]  # A 1-0 still feeds stg_a
    assert index.models_reading([], [C]) == [STG_TRACKS]  # stg_c has nothing left: it leaves the package
    assert index.models_reading([], [A, B, C]) == []


def test_an_unknown_mapping_falls_back_to_every_model():
    # a file that could not be parsed when the location loaded: its raw tables are unknown
    assert _index().models_reading([BROKEN]) == [STG_A, STG_C, STG_TRACKS]


def test_stale_decides_from_storage_ids():
    assert stale(None, 5, None)            # missing, never requested
    assert not stale(None, 5, None, deps_missing=True)  # ... but it waits for its schemas, as eager() does
    assert not stale(None, 0, 0)           # missing, requested once already (that run failed)
    assert stale(None, 7, 0)               # ... and a schema changed since: try again
    assert not stale(10, 7, None)          # built after the newest schema: idle
    assert stale(10, 12, None)             # a schema materialised after it
    assert not stale(10, 12, 12)           # already requested for that schema change
    assert stale(10, 13, 12)


@multi_asset(specs=[AssetSpec(A), AssetSpec(B)], can_subset=True)
def schemas(context):
    for key in context.selected_asset_keys:
        yield MaterializeResult(asset_key=key)


@multi_asset(specs=[AssetSpec(PACKAGE, deps=[A, B], automation_condition=SchemasUpdated())])
def package():
    return MaterializeResult()


DEFS = Definitions(assets=[schemas, package], sensors=[make_automation_sensor(AssetSelection.assets(PACKAGE))])


def _requested(result) -> bool:
    return result.get_num_requested(PACKAGE) == 1


def test_the_condition_missing_then_idle_then_a_schema_materialised_by_hand():
    instance = DagsterInstance.ephemeral()
    fresh = evaluate_automation_conditions(defs=DEFS, instance=instance)
    assert not _requested(fresh)  # nothing exists yet: it waits for its schemas ("Materialize all" builds it)
    for key in (A, B):
        instance.report_runless_asset_event(AssetMaterialization(asset_key=key))
    first = evaluate_automation_conditions(defs=DEFS, instance=instance, cursor=fresh.cursor)
    assert _requested(first)  # missing
    again = evaluate_automation_conditions(defs=DEFS, instance=instance, cursor=first.cursor)
    assert not _requested(again)  # requested once; that run did not happen (failed): not every tick
    for key in (A, B, PACKAGE):
        instance.report_runless_asset_event(AssetMaterialization(asset_key=key))
    idle = evaluate_automation_conditions(defs=DEFS, instance=instance, cursor=again.cursor)
    assert not _requested(idle)
    instance.report_runless_asset_event(AssetMaterialization(asset_key=B))  # "Materialize" in the UI
    changed = evaluate_automation_conditions(defs=DEFS, instance=instance, cursor=idle.cursor)
    assert _requested(changed)
    once = evaluate_automation_conditions(defs=DEFS, instance=instance, cursor=changed.cursor)
    assert not _requested(once)
    instance.report_runless_asset_event(AssetMaterialization(asset_key=PACKAGE))
    assert not _requested(evaluate_automation_conditions(defs=DEFS, instance=instance, cursor=once.cursor))


def test_one_batched_asset_record_query_per_evaluation(monkeypatch):
    instance = DagsterInstance.ephemeral()
    for key in (A, B, PACKAGE, B):
        instance.report_runless_asset_event(AssetMaterialization(asset_key=key))
    calls: list[int] = []
    real = instance.get_asset_records
    monkeypatch.setattr(instance, "get_asset_records", lambda keys=None: calls.append(len(keys or [])) or real(keys))
    assert _requested(evaluate_automation_conditions(defs=DEFS, instance=instance))
    assert calls == [3]  # the package and both schemas, in one query (Dagster's prefetch); none per schema


def test_not_while_a_run_of_it_is_in_progress():
    instance = DagsterInstance.ephemeral()
    for key in (A, B, PACKAGE):
        instance.report_runless_asset_event(AssetMaterialization(asset_key=key))
    instance.report_runless_asset_event(AssetMaterialization(asset_key=A))
    assert _requested(evaluate_automation_conditions(defs=DEFS, instance=instance))  # stale
    job = DEFS.resolve_implicit_global_asset_job_def().get_subset(asset_selection={PACKAGE})
    instance.create_run_for_job(job, execution_plan=create_execution_plan(job), asset_selection=frozenset({PACKAGE}),
                                status=DagsterRunStatus.STARTED)  # its materialisation is planned, not done
    assert not _requested(evaluate_automation_conditions(defs=DEFS, instance=instance))


def test_the_sensor_evaluates_it_in_the_code_location():
    instance = DagsterInstance.ephemeral()
    sensor = DEFS.resolve_sensor_def("reflekt_automation")
    repository = DEFS.get_repository_def()
    for key in (A, B):
        instance.report_runless_asset_event(AssetMaterialization(asset_key=key))
    first = sensor.evaluate_tick(build_sensor_context(instance=instance, repository_def=repository))
    assert [r.asset_selection for r in first.run_requests] == [[PACKAGE]]
    for key in (A, B, PACKAGE):
        instance.report_runless_asset_event(AssetMaterialization(asset_key=key))
    def tick(cursor):
        return sensor.evaluate_tick(build_sensor_context(instance=instance, repository_def=repository, cursor=cursor))

    evaluated = tick(first.cursor)  # new events: a full evaluation, which requests nothing
    assert evaluated.run_requests == [] and "since the previous" not in (evaluated.skip_message or "")
    assert len(evaluated.cursor) < 2000
    idle = tick(evaluated.cursor)  # nothing written since: skipped after one query
    assert idle.run_requests == [] and "since the previous evaluation" in idle.skip_message
    assert idle.cursor == evaluated.cursor
    instance.report_runless_asset_event(AssetObservation(asset_key=A))  # an observation cannot make it true
    observed = tick(idle.cursor)
    assert observed.run_requests == [] and "since the previous evaluation" in observed.skip_message
    instance.report_runless_asset_event(AssetMaterialization(asset_key=A))
    assert [r.asset_selection for r in tick(idle.cursor).run_requests] == [[PACKAGE]]
    # Dagster copies sensors when it rewrites their metadata: the copy still skips idle ticks
    copied = sensor.with_attributes(metadata={"team": "data"})
    assert type(copied) is type(sensor) and copied.sensor_type == sensor.sensor_type


def test_the_sensor_wakes_up_when_the_run_it_waited_for_ends():
    instance = DagsterInstance.ephemeral()
    sensor = DEFS.resolve_sensor_def("reflekt_automation")
    repository = DEFS.get_repository_def()

    def tick(cursor):
        return sensor.evaluate_tick(build_sensor_context(instance=instance, repository_def=repository, cursor=cursor))

    for key in (A, B, PACKAGE):
        instance.report_runless_asset_event(AssetMaterialization(asset_key=key))
    settled = tick(None)
    job = DEFS.resolve_implicit_global_asset_job_def().get_subset(asset_selection={PACKAGE})
    run = instance.create_run_for_job(job, execution_plan=create_execution_plan(job),
                                      asset_selection=frozenset({PACKAGE}), status=DagsterRunStatus.STARTED)
    instance.report_runless_asset_event(AssetMaterialization(asset_key=A))  # by hand, while the package runs
    waiting = tick(settled.cursor)
    assert waiting.run_requests == []  # in progress
    instance.report_run_failed(run)  # the run ends without the package: a run end wakes the sensor
    assert [r.asset_selection for r in tick(waiting.cursor).run_requests] == [[PACKAGE]]
