"""The Dagster code location: ``build_definitions`` assembles it; ``defs`` is what workspace.yaml loads.

Nothing happens at import: ``defs`` is a ``@definitions`` function that Dagster calls when
it loads the code location. Configuration comes from its arguments, or for ``defs`` from
environment variables read at load time:

- ``REFLEKT_PROJECT_DIR`` (default: the embedded demo, examples/jaffle_shop)
- ``REFLEKT_SOURCE`` (``source_id.database.schema``, comma-separated for several; the first
  feeds the dbt package; default ``jaffle_shop.warehouse.segment``)
- ``REFLEKT_SDK`` (``segment`` | ``rudderstack``), ``REFLEKT_DBT_PROFILES_DIR``
- ``REFLEKT_SEGMENT_PLAN`` + ``SEGMENT_API_TOKEN`` and/or ``REFLEKT_AVO_BRANCH`` + ``AVO_WORKSPACE_ID``,
  ``AVO_SERVICE_ACCOUNT_NAME``, ``AVO_SERVICE_ACCOUNT_SECRET`` to add registry assets
- ``REFLEKT_PULL_CRON`` (default ``0 6 * * *``)
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from dagster import Definitions, EnvVar, definitions

from reflekt_dagster.assets import (build_catalog_asset, build_dbt_package_asset, build_lint_report_asset,
                                    build_registry_assets, build_schema_assets)
from reflekt_dagster.dbt import (OfflineDbtCliResource, build_dbt_model_assets, build_raw_table_specs, dbt_executable,
                                 prepare_dbt_project)
from reflekt_dagster.resources import ReflektResource, RegistryResource, WarehouseResource
from reflekt_dagster.schedules import make_full_refresh_job, make_registry_pull_schedule
from reflekt_dagster.sensors import make_schemas_sensor
from reflekt_dagster.specs import build_schema_specs, schema_keys_for_files
from reflekt_dagster.translator import ReflektTranslator

REPO_ROOT = Path(__file__).resolve().parents[1]


def _ensure_package(project, source: str, sdk: str, profile: str | None) -> Path:
    """The dbt package must exist for dagster-dbt to read its manifest: generate it if absent."""
    from reflekt_core.dbt import build_from_project, default_dest

    dest = default_dest(project)
    if not (dest / "dbt_project.yml").exists():
        build_from_project(project, sdk, source, profile=profile, dest=dest)
    return dest


def build_definitions(project_dir: str | Path, source: str | Sequence[str], sdk: str = "segment", *,
                      profile: str | None = None, dbt_profiles_dir: str | Path | None = None,
                      registries: Mapping[str, RegistryResource] | None = None,
                      pull_cron: str = "0 6 * * *", translator: ReflektTranslator | None = None,
                      source_sdks: Mapping[str, str] | None = None) -> Definitions:
    """Every Reflekt asset, check, sensor, schedule and job for one project.

    ``source`` is ``source_id.database.schema``, or several: each gets a warehouse catalog asset
    with drift checks, and the first is the one the dbt package is built from. ``source_sdks``
    names the CDP of any source whose CDP is not ``sdk``.
    """
    from reflekt_core.cdp import get_layout
    from reflekt_core.project import load_project
    from reflekt_core.warehouses import parse_source_ref

    sources = [source] if isinstance(source, str) else list(source)
    source = sources[0]
    translator = translator or ReflektTranslator()
    registries = dict(registries or {})
    project = load_project(Path(project_dir))
    reflekt = ReflektResource(project_dir=str(project.dir), profile=profile)
    specs = build_schema_specs(project, translator)
    ref = parse_source_ref(source)

    package_dir = _ensure_package(project, source, sdk, profile)
    dbt_project = prepare_dbt_project(package_dir, Path(dbt_profiles_dir) if dbt_profiles_dir else None)
    layout = get_layout(sdk)
    schema_tables = {e.key: [(ref.schema.lower(), t) for t in layout.tables_written(e.schema.name, e.schema.call_type)]
                     for e in specs.entries if e.schema is not None}

    schema_assets = build_schema_assets(specs, translator)
    lint_report = build_lint_report_asset(specs, translator)
    registry_assets = build_registry_assets(sorted(registries), translator, translator.lint_report_key())
    dbt_models = build_dbt_model_assets(dbt_project, translator)
    always = [translator.lint_report_key(), translator.dbt_package_key(), *dbt_models.keys]
    sensor = make_schemas_sensor(project.schemas_dir, lambda files: schema_keys_for_files(specs, files), always)
    schedules = [make_registry_pull_schedule([translator.registry_pull_key(r) for r in sorted(registries)],
                                             pull_cron)] if registries else []
    resources = {
        "reflekt": reflekt,
        "warehouse": WarehouseResource(source=source, sdk=sdk),
        "dbt": OfflineDbtCliResource(project_dir=dbt_project, profiles_dir=str(dbt_profiles_dir) if dbt_profiles_dir else None,
                              dbt_executable=dbt_executable()),
        **{f"registry_{name}": resource for name, resource in registries.items()},
    }
    return Definitions(
        assets=[schema_assets, lint_report, *[build_catalog_asset(s, (source_sdks or {}).get(s, sdk), translator) for s in sources],
                build_dbt_package_asset(specs, source, translator), dbt_models, *registry_assets,
                *build_raw_table_specs(schema_tables, translator)],
        sensors=[sensor], schedules=schedules, jobs=[make_full_refresh_job()], resources=resources)


def _registries_from_env() -> dict[str, RegistryResource]:
    found = {}
    if os.environ.get("REFLEKT_SEGMENT_PLAN"):
        found["segment"] = RegistryResource(type="segment", api_token=EnvVar("SEGMENT_API_TOKEN"),
                                            base_url=os.environ.get("REFLEKT_SEGMENT_BASE_URL"),
                                            select=os.environ["REFLEKT_SEGMENT_PLAN"])
    if os.environ.get("REFLEKT_AVO_BRANCH"):
        found["avo"] = RegistryResource(type="avo", workspace_id=EnvVar("AVO_WORKSPACE_ID"),
                                        service_account_name=EnvVar("AVO_SERVICE_ACCOUNT_NAME"),
                                        service_account_secret=EnvVar("AVO_SERVICE_ACCOUNT_SECRET"),
                                        base_url=os.environ.get("REFLEKT_AVO_BASE_URL"),
                                        select=os.environ["REFLEKT_AVO_BRANCH"])
    return found


@definitions
def defs() -> Definitions:
    demo = REPO_ROOT / "examples" / "jaffle_shop"
    return build_definitions(
        os.environ.get("REFLEKT_PROJECT_DIR", str(demo)),
        [s.strip() for s in os.environ.get("REFLEKT_SOURCE", "jaffle_shop.warehouse.segment").split(",") if s.strip()],
        os.environ.get("REFLEKT_SDK", "segment"),
        dbt_profiles_dir=os.environ.get("REFLEKT_DBT_PROFILES_DIR", str(demo / "dbt_profiles")),
        registries=_registries_from_env(),
        pull_cron=os.environ.get("REFLEKT_PULL_CRON", "0 6 * * *"),
    )
