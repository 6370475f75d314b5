"""dbt models from the prepared model index: the index, the dbt command for a selection, the
one ``dbt_tests`` check per model, and a load that never imports dagster-dbt (pure, fast)."""

from __future__ import annotations

import subprocess
import sys

from dagster import AssetCheckSeverity, AssetKey

from reflekt_dagster.dbt import (DBT_TESTS_CHECK, DbtTestResult, dbt_command, model_index, model_specs,
                                 dbt_tests_result)
from reflekt_dagster.translator import ReflektTranslator
from tests.helpers import ROOT

MANIFEST = {
    "metadata": {"adapter_type": "duckdb"},
    "sources": {"source.p.segment.cart_viewed": {"source_name": "segment", "name": "cart_viewed"}},
    "nodes": {
        "model.p.stg_cart": {
            "resource_type": "model", "name": "stg_cart", "fqn": ["p", "staging", "stg_cart"],
            "config": {"materialized": "view"}, "description": "Cart views.", "raw_code": "select 1",
            "database": "wh", "schema": "staging", "alias": "stg_cart", "original_file_path": "models/stg_cart.sql",
            "columns": {"cart_id": {"data_type": "varchar", "description": "The cart."}},
            "depends_on": {"nodes": ["source.p.segment.cart_viewed"]}},
        "model.p.stg_tracks": {
            "resource_type": "model", "name": "stg_tracks", "fqn": ["p", "staging", "stg_tracks"],
            "config": {"materialized": "view"}, "depends_on": {"nodes": ["model.p.stg_cart"]}},
        "model.p.eph": {"resource_type": "model", "name": "eph", "config": {"materialized": "ephemeral"}},
        "test.p.unique_stg_cart_cart_id": {"resource_type": "test", "name": "unique_stg_cart_cart_id",
                                           "attached_node": "model.p.stg_cart"},
        "test.p.not_null_stg_cart_cart_id": {"resource_type": "test", "name": "not_null_stg_cart_cart_id",
                                             "attached_node": "model.p.stg_cart"},
    },
}


def test_model_index_and_specs_one_dbt_tests_check_per_model_with_tests():
    index = model_index(MANIFEST)
    assert [m["name"] for m in index["models"]] == ["stg_cart", "stg_tracks"]  # no ephemeral model
    cart = index["models"][0]
    assert cart["sources"] == [["segment", "cart_viewed"]] and cart["tests"] == 2
    assert cart["table"] == "wh.staging.stg_cart" and cart["columns"] == [["cart_id", "varchar", "The cart."]]
    translator = ReflektTranslator()
    raw = translator.raw_table_key("segment", "cart_viewed")
    specs, checks = model_specs(index, translator)
    by_key = {s.key: s for s in specs}
    cart_spec, tracks_spec = by_key[AssetKey(["stg_cart"])], by_key[AssetKey(["stg_tracks"])]
    assert {d.asset_key for d in cart_spec.deps} == {raw, translator.dbt_package_key()}  # schemas via raw
    assert AssetKey(["stg_cart"]) in {d.asset_key for d in tracks_spec.deps}
    assert cart_spec.metadata["dagster/table_name"] == "wh.staging.stg_cart"
    assert cart_spec.kinds == {"dbt", "duckdb"} and cart_spec.group_name == "dbt_staging"
    assert [(c.asset_key, c.name, c.blocking) for c in checks] == [(AssetKey(["stg_cart"]), DBT_TESTS_CHECK, True)]


def test_big_groups_split_by_name_prefix_so_the_lineage_view_can_draw_them():
    from reflekt_dagster.translator import prefix_split

    names = ["Signup"] * 2 + ["Shared", "Started", "Page"]
    assert prefix_split(names, 10) == {n: "" for n in names}  # fits: one group
    assert prefix_split([n.lower() for n in names], 2, names) == {"Signup": "si", "Shared": "sh", "Started": "st",
                                                                  "Page": "p"}

    class Small(ReflektTranslator):
        max_group_size = 1

    specs, _ = model_specs(model_index(MANIFEST), Small())
    assert sorted(s.group_name for s in specs) == ["dbt_staging_c", "dbt_staging_s"]


MODELS = {AssetKey([n]): {"name": n, "unique_id": f"model.p.{n}", "tests": t}
          for n, t in (("a", 2), ("b", 1), ("c", 0), ("d", 3))}


def test_dbt_command_runs_tests_exactly_when_their_check_is_selected():
    every = list(MODELS)
    with_tests = [k for k in every if MODELS[k]["tests"]]
    assert dbt_command(MODELS, every, with_tests) == ["build"]  # "Materialize all"
    assert dbt_command(MODELS, [AssetKey(["a"])], [AssetKey(["a"])]) == ["build", "--select", "a"]
    # most models: exclude the others (shorter, and dbt's one argument stays small)
    assert dbt_command(MODELS, every[:3], with_tests[:2]) == ["build", "--exclude", "d"]
    # the check alone: dbt test, nothing is built
    assert dbt_command(MODELS, [], [AssetKey(["b"])]) == ["test", "--select", "b"]
    # a model without its check: no indirect selection, the checked model's tests by name
    tests_of = {"model.p.a": ["unique_a_id"], "model.p.b": ["not_null_b_id"]}
    assert dbt_command(MODELS, [AssetKey(["a"]), AssetKey(["b"])], [AssetKey(["a"])], tests_of) == [
        "build", "--indirect-selection", "empty", "--select", "a b unique_a_id"]


def test_dbt_tests_check_passes_and_fails_naming_the_failing_test():
    key = AssetKey(["stg_cart"])
    ok = dbt_tests_result(key, [DbtTestResult("unique_stg_cart_id", "pass", "ERROR", 0)])
    assert ok.passed and ok.description == "all 1 dbt tests passed" and ok.metadata["tests"].value == 1
    failed = dbt_tests_result(key, [DbtTestResult("unique_stg_cart_id", "fail", "ERROR", 2),
                                      DbtTestResult("not_null_stg_cart_id", "pass", "ERROR", 0),
                                      DbtTestResult("accepted_values_stg_cart_kind", "warn", "warn", 1)])
    assert not failed.passed and failed.severity is AssetCheckSeverity.ERROR
    assert failed.description == ("2 of 3 dbt tests did not pass: unique_stg_cart_id, "
                                  "accepted_values_stg_cart_kind")
    assert failed.metadata["fail"].value == 1 and failed.metadata["warn"].value == 1
    assert "| `unique_stg_cart_id` | fail | ERROR | 2 |" in failed.metadata["results"].value
    warned = dbt_tests_result(key, [DbtTestResult("accepted_values_stg_cart_kind", "warn", "warn", 1)])
    assert not warned.passed and warned.severity is AssetCheckSeverity.WARN


def test_loading_a_prepared_package_reads_the_index_and_imports_neither_dagster_dbt_nor_dbt(tmp_path):
    """Importing dagster-dbt costs ~3 s of CPU: loading reads the prepared model index instead."""
    import json
    import shutil

    from reflekt_dagster.package import MODEL_INDEX, POINTER

    project = tmp_path / "jaffle_shop"
    shutil.copytree(ROOT / "examples" / "jaffle_shop", project)
    version = project / "artifacts" / "dagster" / "dbt" / "v1"
    (version / "target").mkdir(parents=True)
    (version / "dbt_project.yml").write_text("name: p\n")
    (version / "target" / "manifest.json").write_text(json.dumps(MANIFEST))
    (version / "target" / MODEL_INDEX).write_text(json.dumps(model_index(MANIFEST)))
    (version.parent / POINTER).write_text("v1\n")
    code = ("import sys\nfrom reflekt_dagster.definitions import build_definitions\n"
            f"graph = build_definitions({str(project)!r}, 'jaffle_shop.warehouse.segment').resolve_asset_graph()\n"
            "print(sorted(k.to_user_string() for k in graph.get_all_asset_keys() if k.path[0].startswith('stg_')))\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'dagster_dbt', 'dbt'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    models, imported = out.stdout.strip().splitlines()[-2:]
    assert models == "['stg_cart', 'stg_tracks']" and imported == "[]", out.stdout + out.stderr
