"""The generated dbt package's models in the asset graph, via dagster-dbt.

dbt sources map to raw-table assets, and each raw table depends on the event schemas that
describe it, so lineage reads event schema -> raw table -> staging model. Every model also
depends on ``reflekt/dbt_package`` (it must not run before the package is written) and on the
schemas of its raw table. Models carry no automation condition: the schemas sensor's run for a
change includes exactly the models that read the changed schemas (reflekt_dagster.automation).
"""


from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional

from dagster import (AssetExecutionContext, AssetKey, AssetMaterialization, AssetSpec, Failure, Output,
                     TableColumnDep, TableColumnLineage, multi_asset)
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject, dbt_assets

from reflekt_dagster.package import OfflineDbtCliResource, PackageStore
from reflekt_dagster.resources import DbtRunResource
from reflekt_dagster.translator import ReflektTranslator

UNPREPARED_HINT = ("the dbt package is not prepared: run `python -m reflekt_dagster.prepare` "
                   "(scripts/demo does), then reload the code location")


class ReflektDbtTranslator(DagsterDbtTranslator):
    """dbt sources become Reflekt's raw-table keys; models go to ``dbt_staging``, after the package."""

    def __init__(self, translator: ReflektTranslator, raw_schemas: Mapping[AssetKey, list[AssetKey]] | None = None,
                 automation: bool = True, lineage: Mapping[str, Any] | None = None):
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True))
        self.reflekt = translator
        self.raw_schemas = raw_schemas or {}
        self.automation = automation
        self.lineage = lineage or {}
        self._model_specs: dict[tuple[int, str], AssetSpec] = {}
        self._schema_keys: dict[str, AssetKey] = {}

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return self.reflekt.raw_table_key(dbt_resource_props["source_name"], dbt_resource_props["name"])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> Optional[str]:
        return "dbt_staging" if dbt_resource_props["resource_type"] == "model" else None

    def get_asset_spec(self, manifest, unique_id, project) -> AssetSpec:
        # dagster-dbt asks again for a model's spec for each of its tests: memoised, as its own is.
        memo = (id(manifest), unique_id)
        if memo in self._model_specs:
            return self._model_specs[memo]
        spec = super().get_asset_spec(manifest, unique_id, project)
        if not unique_id.startswith("model."):
            return spec
        parents = [d.asset_key for d in spec.deps]
        schemas = [s for p in parents for s in self.raw_schemas.get(p, [])]
        lineage = column_lineage(self.lineage, manifest["nodes"][unique_id]["name"], self.reflekt,
                                 self._schema_keys)
        spec = spec.replace_attributes(
            deps=[*spec.deps, self.reflekt.dbt_package_key(), *dict.fromkeys(schemas)],
            metadata={**spec.metadata, **({COLUMN_LINEAGE: lineage} if lineage else {})})
        self._model_specs[memo] = spec
        return spec


COLUMN_LINEAGE = "dagster/column_lineage"


def column_lineage(lineage: Mapping[str, Any], model: str, translator: ReflektTranslator,
                   schema_keys: dict[str, AssetKey] | None = None) -> TableColumnLineage | None:
    """A staging model's columns back to their raw column and the schema properties they carry
    (reflekt_core.dbt.lineage, written beside the package when it was built)."""
    columns = (lineage.get("models") or {}).get(model)
    if not columns:
        return None
    source = lineage.get("source", "")
    keys = schema_keys if schema_keys is not None else {}
    deps = {}
    for name, origin in columns.items():
        found = [TableColumnDep(asset_key=keys.get(rel) or keys.setdefault(rel, translator.schema_path_key(rel)),
                                column_name=path) for rel, path in origin.get("properties") or []]
        if origin.get("raw"):
            table, column = origin["raw"]
            found.append(TableColumnDep(asset_key=translator.raw_table_key(source, table), column_name=column))
        if found:
            deps[name] = found
    return TableColumnLineage(deps_by_column=deps) if deps else None


def build_dbt_model_assets(store: PackageStore, profiles_dir: Path | None, translator: ReflektTranslator,
                           raw_schemas: Mapping[AssetKey, list[AssetKey]], automation: bool = True):
    """dagster-dbt assets from the prepared manifest, or one asset that fails with a hint when there is none.

    At run time dbt runs in the *current* package version, which ``reflekt/dbt_package`` may have
    moved on since load; the loaded manifest only maps dbt's events to asset keys.
    """
    manifest = store.manifest()
    if manifest is None:
        return _unprepared_asset(translator)
    project = DbtProject(project_dir=manifest.parent.parent, profiles_dir=profiles_dir)
    dbt_translator = ReflektDbtTranslator(translator, raw_schemas, automation, store.lineage())

    @dbt_assets(manifest=manifest, project=project, name="reflekt_dbt_models", dagster_dbt_translator=dbt_translator)
    def reflekt_dbt_models(context: AssetExecutionContext, dbt: DbtRunResource):
        current = store.current()
        if current is None:
            raise Failure(description=UNPREPARED_HINT)
        cli = OfflineDbtCliResource(project_dir=str(current), profiles_dir=dbt.profiles_dir,
                                    dbt_executable=dbt.dbt_executable)
        # The materialisation carries the lineage of the version that ran (the UI's column view reads it).
        lineage = store.lineage() or {}
        for event in cli.cli(["build"], context=context).stream():
            yield _with_lineage(context, event, lineage, translator)

    return reflekt_dbt_models


def _with_lineage(context, event, lineage: Mapping[str, Any], translator: ReflektTranslator):
    if lineage and isinstance(event, (Output, AssetMaterialization)):
        key = event.asset_key if isinstance(event, AssetMaterialization) else context.asset_key_for_output(
            event.output_name)
        found = column_lineage(lineage, key.path[-1], translator)
        if found is not None:
            return event.with_metadata({**(event.metadata or {}), COLUMN_LINEAGE: found})
    return event


def _unprepared_asset(translator: ReflektTranslator):
    @multi_asset(name="reflekt_dbt_models", specs=[AssetSpec(
        key=AssetKey(["reflekt", "dbt_models"]), group_name="dbt_staging", kinds={"dbt"},
        deps=[translator.dbt_package_key()], description=f"Placeholder: {UNPREPARED_HINT}.")])
    def reflekt_dbt_models():
        raise Failure(description=UNPREPARED_HINT)

    return reflekt_dbt_models
