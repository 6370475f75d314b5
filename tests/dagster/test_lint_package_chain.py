"""The package depends on the lint report (which depends on every schema), not on the schemas:
automation still rebuilds both in one run when a schema changes."""

from __future__ import annotations

from dagster import (AssetKey, AssetMaterialization, AssetSelection, AssetSpec, DagsterInstance, Definitions,
                     MaterializeResult, build_sensor_context, multi_asset)

from reflekt_dagster.automation import SchemasUpdated
from reflekt_dagster.sensors import make_automation_sensor

A, B = (AssetKey(["event_schemas", "plan", name]) for name in ("A__v1_0", "B__v1_0"))
LINT = AssetKey(["reflekt", "lint_report"])
PACKAGE = AssetKey(["reflekt", "dbt_package"])


@multi_asset(specs=[AssetSpec(A), AssetSpec(B), AssetSpec(LINT, deps=[A, B], automation_condition=SchemasUpdated())],
             can_subset=True)
def schemas(context):
    for key in context.selected_asset_keys:
        yield MaterializeResult(asset_key=key)


@multi_asset(specs=[AssetSpec(PACKAGE, deps=[LINT], automation_condition=SchemasUpdated())])
def package():
    return MaterializeResult()


DEFS = Definitions(assets=[schemas, package], sensors=[make_automation_sensor(AssetSelection.assets(LINT, PACKAGE))])


def test_a_schema_materialised_by_hand_rebuilds_the_lint_report_and_the_package_in_one_run():
    instance = DagsterInstance.ephemeral()
    sensor = DEFS.resolve_sensor_def("reflekt_automation")
    repository = DEFS.get_repository_def()

    def tick(cursor=None):
        return sensor.evaluate_tick(build_sensor_context(instance=instance, repository_def=repository, cursor=cursor))

    for key in (A, B, LINT, PACKAGE):
        instance.report_runless_asset_event(AssetMaterialization(asset_key=key))
    idle = tick()
    assert idle.run_requests == []
    instance.report_runless_asset_event(AssetMaterialization(asset_key=B))  # "Materialize" in the UI
    changed = tick(idle.cursor)
    assert [sorted(r.asset_selection, key=lambda k: k.path) for r in changed.run_requests] == [[PACKAGE, LINT]]
    # the lint report rebuilt alone (by hand) is newer than the package: the package follows
    for key in (LINT, PACKAGE):
        instance.report_runless_asset_event(AssetMaterialization(asset_key=key))
    settled = tick(changed.cursor)
    assert settled.run_requests == []
    instance.report_runless_asset_event(AssetMaterialization(asset_key=LINT))
    assert [r.asset_selection for r in tick(settled.cursor).run_requests] == [[PACKAGE]]


def test_the_package_op_has_one_input():
    from reflekt_dagster.definitions import build_definitions
    from tests.helpers import ROOT

    defs = build_definitions(ROOT / "examples" / "jaffle_shop", "jaffle_shop.warehouse.segment")
    graph = defs.resolve_asset_graph()
    assert graph.get(PACKAGE).parent_keys == {LINT}
    assert len(graph.get(LINT).parent_keys) == 10  # every schema of the demo
    ops = {a.node_def.name: a.node_def for a in graph.assets_defs if a.is_executable}
    assert len(ops["dbt_package"].input_defs) == 1
