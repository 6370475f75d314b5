"""The generated dbt package's models in the asset graph, via dagster-dbt.

dbt sources map to raw-table assets, and each raw table depends on the event schemas
that describe it, so lineage reads event schema -> raw table -> staging model.
"""


import os
import sys
from collections import defaultdict
from functools import cached_property
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional

from dagster import AssetExecutionContext, AssetKey, AssetSpec
from dagster_dbt import (DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject,
                         dbt_assets)

from reflekt_dagster.translator import ReflektTranslator


class ReflektDbtTranslator(DagsterDbtTranslator):
    """dbt sources become Reflekt's raw-table keys; models go to the ``dbt_staging`` group."""

    def __init__(self, translator: ReflektTranslator):
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True))
        self.reflekt = translator

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return self.reflekt.raw_table_key(dbt_resource_props["source_name"], dbt_resource_props["name"])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> Optional[str]:
        return "dbt_staging" if dbt_resource_props["resource_type"] == "model" else None


class OfflineDbtCliResource(DbtCliResource):
    """dagster-dbt's resource, minus the ``dbt --version`` it runs to learn dbt's version:
    that command asks pypi.org for the latest release, a call home from inside the job.
    dbt-core runs in this very environment, so its version is read from the package."""

    @cached_property
    def _cli_version(self):
        from dbt.version import __version__
        from packaging import version

        return version.parse(__version__)


def dbt_executable() -> str:
    """dbt beside this Python (a venv that is not activated has it off PATH)."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def prepare_dbt_project(package_dir: Path, profiles_dir: Path | None) -> DbtProject:
    """A DbtProject with its manifest parsed (``dbt parse``, no network) if it is missing."""
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    project = DbtProject(project_dir=package_dir, profiles_dir=profiles_dir)
    if not project.manifest_path.exists():
        # dbt parse with the dbt beside this Python (DbtProject's own preparer looks only on PATH).
        cli = OfflineDbtCliResource(project_dir=project, dbt_executable=dbt_executable(),
                             profiles_dir=str(profiles_dir) if profiles_dir else None)
        cli.cli(["parse", "--quiet"], target_path=project.target_path).wait()
    return project


def build_raw_table_specs(schema_tables: Mapping[AssetKey, list[tuple[str, str]]],
                          translator: ReflektTranslator) -> list[AssetSpec]:
    """``{schema asset: [(source schema, table)]}`` -> one raw-table spec per table, depending on its schemas."""
    deps: dict[AssetKey, set[AssetKey]] = defaultdict(set)
    for schema_key, tables in schema_tables.items():
        for source_schema, table in tables:
            deps[translator.raw_table_key(source_schema, table)].add(schema_key)
    return [AssetSpec(key=key, deps=sorted(schema_keys, key=lambda k: k.path), group_name="raw_events",
                      kinds={"table"}, description="Raw events the CDP loads into the warehouse.")
            for key, schema_keys in sorted(deps.items(), key=lambda item: item[0].path)]


def build_dbt_model_assets(project: DbtProject, translator: ReflektTranslator):
    @dbt_assets(manifest=project.manifest_path, project=project,
                dagster_dbt_translator=ReflektDbtTranslator(translator), name="reflekt_dbt_models")
    def reflekt_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource):
        yield from dbt.cli(["build"], context=context).stream()

    return reflekt_dbt_models
