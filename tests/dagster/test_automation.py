"""The cheap automation, alone and fast: the schema file -> dbt models map, and the condition on
the lint report and the package (missing, a schema materialised since, idle, in progress)."""

from __future__ import annotations

from dagster import (AssetKey, AssetMaterialization, AssetObservation, AssetSelection, AssetSpec, DagsterInstance,
                     Definitions, MaterializeResult, build_sensor_context, evaluate_automation_conditions, multi_asset)

from dagster._core.execution.api import create_execution_plan
from dagster._core.storage.dagster_run import DagsterRunStatus

from reflekt_dagster.automation import ModelIndex, SchemasUpdated, stale
from reflekt_dagster.resources import ReflektResource
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


# --- the schemas sensor does not forget a change whose run failed ---------------------------------
# A real project in a git repository, the real schema assets (blocking lint) and lint report; the
# package and the dbt models are stand-ins that fail as the real ones do (lint errors, a dead
# warehouse, a dbt error). Runs are executed in process on one instance, with the sensor's tags.

SHOP = {name: AssetKey(["event_schemas", "shop", f"{name}__v1_0"]) for name in ("Cart_Viewed", "Order_Completed",
                                                                                "Signed_Up")}
MODELS = {name: AssetKey([f"stg_shop__{name.lower()}"]) for name in SHOP}
LINT_KEY = AssetKey(["reflekt", "lint_report"])


class Shop:
    def __init__(self, root):
        import subprocess

        from dagster import AssetSpec, Failure, MaterializeResult, multi_asset

        from reflekt_dagster.assets import build_lint_report_asset, build_schema_assets
        from reflekt_dagster.sensors import make_schemas_sensor
        from reflekt_dagster.specs import build_schema_specs, schema_keys_for_files
        from reflekt_dagster.translator import ReflektTranslator
        from reflekt_core.project import load_project
        from tests.helpers import make_project

        self.root = make_project(root, {f"shop/{name}/1-0.json": {} for name in SHOP})
        self._git = lambda *args: subprocess.run(
            ["git", *args], cwd=self.root, check=True, capture_output=True,
            env={"GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.com", "GIT_COMMITTER_NAME": "Ada",
                 "GIT_COMMITTER_EMAIL": "ada@example.com", "PATH": "/usr/bin:/bin"})
        self._git("init", "-q")
        self._git("add", ".")
        self._git("commit", "-q", "-m", "plan")
        self.faults: set[str] = set()
        project = load_project(self.root)
        translator = ReflektTranslator()
        specs = build_schema_specs(project, translator)
        faults = self.faults

        @multi_asset(name="dbt_package", specs=[AssetSpec(PACKAGE, deps=list(SHOP.values()))])
        def dbt_package(reflekt: ReflektResource):
            from reflekt_core.lint.engine import lint_project

            if not lint_project(reflekt.load()).ok:  # as the real package: no build while lint fails
                raise Failure(description="lint failed, the dbt package was not rebuilt")
            if "warehouse" in faults:
                raise Failure(description="could not connect to the warehouse")
            return MaterializeResult()

        @multi_asset(name="models", specs=[AssetSpec(m, deps=[PACKAGE]) for m in MODELS.values()],
                     can_subset=True)
        def models(context):
            if "dbt" in faults:
                raise Failure(description="dbt build failed")
            for key in sorted(context.selected_asset_keys, key=lambda k: k.path):
                yield MaterializeResult(asset_key=key)

        index = ModelIndex({MODELS[n]: {SHOP[n], PACKAGE} for n in SHOP}, {}, SHOP.values())
        self.sensor = make_schemas_sensor(
            project.schemas_dir, lambda files: schema_keys_for_files(specs, files), PACKAGE,
            lint_report_key=LINT_KEY, models_for=lambda changed, deleted, everything=False:
            index.models_reading(changed, deleted), target="__ASSET_JOB")
        self.defs = Definitions(assets=[build_schema_assets(specs, translator),
                                        build_lint_report_asset(specs, translator, automation=False),
                                        dbt_package, models], sensors=[self.sensor],
                                resources={"reflekt": ReflektResource(project_dir=str(self.root))})
        self.instance = DagsterInstance.ephemeral()
        self.cursor = None
        assert "baseline" in self.tick().skip_message

    def tick(self):
        result = self.sensor.evaluate_tick(build_sensor_context(
            instance=self.instance, cursor=self.cursor, repository_def=self.defs.get_repository_def()))
        self.cursor = result.cursor
        assert len(self.cursor) < 600  # git state, and the newest sensor run looked at (+ those in flight)
        return result

    def request(self):
        """The one run the next tick requests."""
        requests = self.tick().run_requests
        assert len(requests) == 1, requests
        return requests[0]

    def run(self, request) -> bool:
        job = self.defs.resolve_implicit_global_asset_job_def()
        result = job.execute_in_process(instance=self.instance, asset_selection=request.asset_selection,
                                        tags=request.tags, raise_on_error=False)
        return result.success

    def edit(self, name: str, old: str, new: str) -> None:
        path = self.root / "schemas" / "shop" / name / "1-0.json"
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new, 1))

    def built(self, key: AssetKey):
        record = self.instance.get_latest_materialization_event(key)
        return record.run_id if record else None


def _names(request) -> list[str]:
    return sorted(k.to_user_string() for k in request.asset_selection)


def test_a_broken_file_does_not_lose_the_good_files_rebuild(tmp_path):
    shop = Shop(tmp_path / "shop")
    # one change set: Cart Viewed edited (good), Order Completed broken (an invalid type)
    shop.edit("Cart_Viewed", "The order id.", "The order's id.")
    shop.edit("Order_Completed", '"type": "object"', '"type": "objekt"')
    broken = shop.request()
    assert set(broken.asset_selection) == {SHOP["Cart_Viewed"], SHOP["Order_Completed"], LINT_KEY, PACKAGE,
                                           MODELS["Cart_Viewed"], MODELS["Order_Completed"]}
    assert not shop.run(broken)  # red: lint blocks, the package and the models are skipped
    assert shop.built(SHOP["Cart_Viewed"]) and not shop.built(MODELS["Cart_Viewed"])
    assert shop.tick().run_requests == []  # no change, nothing in flight: no retry of a broken file

    shop.edit("Order_Completed", '"type": "objekt"', '"type": "object"')  # the fix
    fix = shop.request()
    # the fix's run also rebuilds the good file's model (its schema changed in the red run)
    assert set(fix.asset_selection) == {SHOP["Order_Completed"], LINT_KEY, PACKAGE,
                                        MODELS["Cart_Viewed"], MODELS["Order_Completed"]}
    failed_run = shop.instance.get_run_records()[0].dagster_run.run_id
    assert fix.tags["reflekt/carried_runs"] == failed_run
    assert shop.run(fix)
    fix_run = shop.built(MODELS["Order_Completed"])
    assert fix_run and shop.built(MODELS["Cart_Viewed"]) == fix_run  # both models, by the fix's run

    shop.edit("Signed_Up", "The order id.", "The order's id.")  # settled: the next change is exact again
    nxt = shop.request()
    assert _names(nxt) == sorted([SHOP["Signed_Up"].to_user_string(), "reflekt/lint_report",
                                  "reflekt/dbt_package", "stg_shop__signed_up"])
    assert "reflekt/carried_runs" not in nxt.tags


def test_a_dead_warehouse_a_dbt_error_and_a_run_in_flight_are_not_forgotten(tmp_path):
    from dagster._core.execution.api import create_execution_plan

    shop = Shop(tmp_path / "shop")
    shop.faults.add("warehouse")
    shop.edit("Cart_Viewed", "The order id.", "The cart's order id.")
    assert not shop.run(shop.request())  # the package cannot read the warehouse
    shop.faults.clear()
    shop.faults.add("dbt")
    shop.edit("Signed_Up", "The order id.", "The sign-up's order id.")
    second = shop.request()
    assert MODELS["Cart_Viewed"] in second.asset_selection  # owed by the warehouse failure
    assert not shop.run(second)  # the package is built, dbt fails
    shop.faults.clear()
    shop.edit("Order_Completed", "The order id.", "The order's id.")
    third = shop.request()
    assert set(third.asset_selection) == {SHOP["Order_Completed"], LINT_KEY, PACKAGE, *MODELS.values()}
    # the dbt run carried the warehouse run's owed work: naming the dbt run is enough
    assert third.tags["reflekt/carried_runs"] == shop.instance.get_run_records()[0].dagster_run.run_id
    assert shop.run(third)
    assert {shop.built(m) for m in MODELS.values()} == {shop.instance.get_run_records()[0].dagster_run.run_id}

    # A run still in flight when the next change arrives: that change's run does not wait for it...
    shop.edit("Cart_Viewed", "The cart's order id.", "The order id.")
    slow = shop.request()
    job = shop.defs.resolve_implicit_global_asset_job_def().get_subset(asset_selection=set(slow.asset_selection))
    in_flight = shop.instance.create_run_for_job(job, execution_plan=create_execution_plan(job),
                                                 asset_selection=frozenset(slow.asset_selection), tags=slow.tags,
                                                 status=DagsterRunStatus.STARTED)
    shop.edit("Signed_Up", "The sign-up's order id.", "The order id.")
    quick = shop.request()
    assert MODELS["Cart_Viewed"] not in quick.asset_selection  # in flight: not owed (yet)
    assert shop.run(quick)
    assert "in flight" in shop.tick().skip_message
    # ... and when it fails, what it did not build and no later run built is requested, once
    shop.instance.report_run_failed(in_flight)
    follow_up = shop.request()
    assert set(follow_up.asset_selection) == {SHOP["Cart_Viewed"], MODELS["Cart_Viewed"]}
    assert follow_up.tags["reflekt/carried_runs"] == in_flight.run_id
    assert shop.tick().run_requests == []
    assert shop.run(follow_up) and shop.built(MODELS["Cart_Viewed"])


def test_a_broken_file_deleted_after_its_red_run_is_not_carried(tmp_path):
    shop = Shop(tmp_path / "shop")
    shop.edit("Order_Completed", '"type": "object"', '"type": "objekt"')
    assert not shop.run(shop.request())
    (shop.root / "schemas/shop/Order_Completed/1-0.json").unlink()  # its asset stays until a reload
    deleted = shop.request()
    # the red run's owed work, without the deleted file's schema (selecting it would fail the run)
    assert set(deleted.asset_selection) == {LINT_KEY, PACKAGE, MODELS["Order_Completed"]}
    assert deleted.tags["reflekt/reload"] == "true"
