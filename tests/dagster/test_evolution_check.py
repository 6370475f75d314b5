"""Each schema asset's evolution check, and the lint report's evolution table (in-process, no warehouse)."""

from __future__ import annotations

import json
import shutil

from dagster import AssetKey, DagsterInstance, materialize

from reflekt_core.project import load_project
from reflekt_dagster.assets import build_lint_report_asset, build_schema_assets
from reflekt_dagster.resources import ReflektResource
from reflekt_dagster.specs import build_schema_specs
from reflekt_dagster.translator import ReflektTranslator
from tests.helpers import DEMO

ORDER = "schemas/jaffle_shop/Order_Completed"


def test_evolution_check_and_lint_report(tmp_path):
    project_dir = tmp_path / "jaffle_shop"
    shutil.copytree(DEMO, project_dir, ignore=shutil.ignore_patterns("*.duckdb*", "artifacts", "reports"))
    doc = json.loads((project_dir / ORDER / "1-1.json").read_text())
    doc["properties"].pop("coupon")
    doc["self"]["version"], doc["$id"] = "1-2", "jaffle_shop/Order_Completed/1-2.json"
    (project_dir / ORDER / "1-2.json").write_text(json.dumps(doc, indent=2))
    translator = ReflektTranslator()
    specs = build_schema_specs(load_project(project_dir), translator, automation=False)
    assets = [build_schema_assets(specs, translator), build_lint_report_asset(specs, translator, automation=False)]
    result = materialize(assets, resources={"reflekt": ReflektResource(project_dir=str(project_dir))},
                         instance=DagsterInstance.ephemeral(), raise_on_error=False)
    checks = {(e.asset_key.path[-1], e.check_name): e for e in
              (ev.event_specific_data for ev in result.all_events if ev.event_type_value == "ASSET_CHECK_EVALUATION")}
    assert len([key for key in checks if key[1] == "evolution"]) == 11
    newer = checks[("Order_Completed__v1_1", "evolution")]
    assert newer.passed and newer.metadata["verdict"].value == "addition"
    assert "optional property 'coupon' added" in newer.metadata["changes"].value
    broken = checks[("Order_Completed__v1_2", "evolution")]
    assert not broken.passed and broken.metadata["breaking"].value == 1
    assert broken.metadata["change_list"].value[0]["pointer"] == "/properties/coupon"
    assert checks[("Cart_Viewed__v1_0", "evolution")].passed  # a first version
    report = next(m.event_specific_data.materialization.metadata for m in result.get_asset_materialization_events()
                  if m.asset_key == AssetKey(["reflekt", "lint_report"]))
    assert "| schemas/jaffle_shop/Order_Completed/1-2.json | 1-1.json | breaking | needs a new MAJOR |" in \
        report["evolution"].value
    assert {r["path"] for r in report["evolution_report"].value} == {
        "jaffle_shop/Order_Completed/1-1.json", "jaffle_shop/Order_Completed/1-2.json"}
