"""The Dagster code location: ``build_definitions`` assembles it; ``defs`` is what workspace.yaml loads.

Nothing happens at import: ``defs`` is a ``@definitions`` function that Dagster calls when
it loads the code location. Configuration comes from its arguments, or for ``defs`` from
environment variables read at load time:

- ``REFLEKT_PROJECT_DIR`` (default: the embedded demo, examples/jaffle_shop)
- ``REFLEKT_SOURCE`` (``source_id.database.schema``, comma-separated for several; the first
  feeds the dbt package; default ``jaffle_shop.warehouse.segment``)
- ``REFLEKT_SDK`` (``segment`` | ``rudderstack``), ``REFLEKT_DBT_PROFILES_DIR``
- ``REFLEKT_SEGMENT_PLAN`` + ``SEGMENT_API_TOKEN`` and/or ``REFLEKT_AVO_BRANCH`` + ``AVO_WORKSPACE_ID``,
  ``AVO_SERVICE_ACCOUNT_NAME``, ``AVO_SERVICE_ACCOUNT_SECRET``, and/or ``REFLEKT_IGLU_URI`` (+
  ``REFLEKT_IGLU_SELECT``, ``REFLEKT_IGLU_KIND``, ``IGLU_API_KEY``) to add registry assets
- ``REFLEKT_PULL_CRON`` (default ``0 6 * * *``), ``REFLEKT_PULL_TIMEZONE`` (``UTC``),
  ``REFLEKT_PULL_SCHEDULE`` (``off``: the schedule starts stopped; ``on``: running)
- ``REFLEKT_DAGSTER_AUTOMATION`` (``on``: the schemas sensor and the automation sensor start
  running; ``off``: both start stopped and assets carry no automation condition)
- ``REFLEKT_SENSOR_INTERVAL`` / ``REFLEKT_AUTOMATION_INTERVAL`` (seconds, default 30)
- ``REFLEKT_SCHEMAS_REMOTE`` + ``REFLEKT_SCHEMAS_BRANCH``: watch a remote branch (fetch and
  fast-forward the checkout) instead of the working tree
- ``REFLEKT_DAGSTER_EXECUTOR`` (``multiprocess``, or ``in_process``): the runs' default executor
- ``REFLEKT_DAGSTER_SNAPSHOT_CACHE`` (``off``: the code server builds its snapshots at every start
  and stores none; see ``reflekt_dagster.snapcache``)
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dagster import Definitions, EnvVar, definitions

from reflekt_dagster.assets import (build_catalog_asset, build_dbt_package_asset, build_lint_report_asset,
                                    build_registry_assets, build_schema_assets)
from reflekt_dagster.dbt import build_dbt_model_assets
from reflekt_dagster.raw import build_raw_table_assets, raw_source, source_groups, source_labels
from reflekt_dagster.executor import make_executor
from reflekt_dagster.package import PackageStore, dbt_executable
from reflekt_dagster.resources import DbtRunResource, ReflektResource, RegistryResource, WarehouseResource
from reflekt_dagster.schedules import make_registry_pull_schedule, make_registry_push_job
from reflekt_dagster.automation import models_for
from reflekt_dagster.sensors import automated_selection, make_automation_sensor, make_schemas_sensor
from reflekt_dagster.specs import build_schema_specs, schema_keys_for_files
from reflekt_dagster.translator import ReflektTranslator

REPO_ROOT = Path(__file__).resolve().parents[1]
IMPLICIT_ASSET_JOB = "__ASSET_JOB"  # Dagster's job over every asset
PUSHABLE = ("segment", "avo", "iglu")


@dataclass(frozen=True)
class DagsterOptions:
    """How the code location runs: automation, the schemas sensor, the pull schedule."""

    automation: bool = True               # sensor + automation conditions on (RUNNING by default)
    sensor_interval: int = 30
    automation_interval: int = 30
    schemas_remote: str | None = None     # e.g. "origin": watch a branch of a remote instead of the working tree
    schemas_branch: str = "main"
    pull_cron: str = "0 6 * * *"
    pull_timezone: str = "UTC"
    pull_running: bool = False            # the pull schedule's default state
    executor: str = "multiprocess"        # runs' default executor (a run's config may pick in_process)


def build_definitions(project_dir: str | Path, source: str | Sequence[str], sdk: str = "segment", *,
                      profile: str | None = None, dbt_profiles_dir: str | Path | None = None,
                      registries: Mapping[str, RegistryResource] | None = None,
                      translator: ReflektTranslator | None = None,
                      source_sdks: Mapping[str, str] | None = None,
                      options: DagsterOptions | None = None) -> Definitions:
    """Every Reflekt asset, check, sensor, schedule and job for one project.

    Reads only the schema files and the prepared dbt manifest (``python -m reflekt_dagster.prepare``):
    no warehouse, no network, no writes. ``source`` is ``source_id.database.schema``, or several:
    each gets a warehouse catalog asset and its raw tables (observable, with drift checks), and
    the first is the one the dbt package is built from. ``source_sdks`` names the CDP of a source
    that is not ``sdk``; each source's warehouse type comes from the profile file (unrendered).

    Built with Python's cyclic garbage collector paused, then its objects are frozen
    (``gc.freeze``): they live as long as the code location, and each later full collection
    (Dagster's asset graph, snapshots and runs allocate millions of objects) would scan them
    all again. At 5,000 schemas the collector took a fifth of the load. A later build in the same
    process (a notebook, a test session) first hands the frozen objects back to the collector
    and collects (a full collection), so that an earlier build dropped before this one starts is
    freed; one still held then (``defs = build_definitions(...)`` again) is frozen once more.
    """
    import gc

    from reflekt_core.gcpause import gc_paused

    if gc.get_freeze_count():
        gc.unfreeze()
        gc.collect()
    with gc_paused():
        defs = _build_definitions(project_dir, source, sdk, profile=profile, dbt_profiles_dir=dbt_profiles_dir,
                                  registries=registries, translator=translator, source_sdks=source_sdks,
                                  options=options)
        gc.freeze()
    return defs


def _build_definitions(project_dir, source, sdk, *, profile, dbt_profiles_dir, registries, translator,
                       source_sdks, options) -> Definitions:
    from reflekt_core.cdp import get_layout
    from reflekt_core.profiles import declared_source_types
    from reflekt_core.project import PROJECT_FILE, load_project
    from reflekt_core.warehouses import parse_source_ref

    from reflekt_dagster import fastpath

    fastpath.apply()  # Dagster's type resolution, 110,000 times at 5,000 schemas
    fastpath.skip_own_checks_in_job_wiring()  # a quadratic step of Dagster's asset-job wiring
    fastpath.check_each_resource_requirement_once()  # 240,000 identical IO-manager checks at 5,000 schemas
    fastpath.share_repository_asset_graph()  # the builder's asset graph is the repository's too
    options = options or DagsterOptions()
    sources = [source] if isinstance(source, str) else list(source)
    source = sources[0]
    translator = translator or ReflektTranslator()
    registries = dict(registries or {})
    project = load_project(Path(project_dir))
    reflekt = ReflektResource(project_dir=str(project.dir), profile=profile)
    auto = options.automation
    specs = build_schema_specs(project, translator, automation=auto)
    profiles_dir = Path(dbt_profiles_dir) if dbt_profiles_dir else None
    store = PackageStore.for_project(project.dir)
    loaded = store.current()

    # Raw tables per source, named as the CDP names them in that source's warehouse type (read from
    # the profile file without rendering it: no credentials needed to load).
    warehouse_types = declared_source_types(project, profile)
    labels = source_labels(sources)
    raw_sources = []
    for ref_text in sources:
        ref = parse_source_ref(ref_text)
        source_sdk = (source_sdks or {}).get(ref_text, sdk)
        layout = get_layout(source_sdk, warehouse_types.get(ref.source_id), project.rudderstack_divide_numbers)
        raw_sources.append(raw_source(ref_text, source_sdk, layout, labels[ref_text], specs.entries, translator))
    raw_sources = source_groups(raw_sources, labels)  # raw_events for the first, raw_events__<label> for others
    raw_assets = [build_raw_table_assets(raw, translator) for raw in raw_sources]
    raw_schemas = raw_sources[0].schema_deps()
    # the location's keys where names collide (translator.raw_table_keys, unique_schema_keys), for the models too
    raw_keys = {(labels[raw.source], table): key for raw in raw_sources for table, key in raw.table_keys().items()}
    dbt_models = build_dbt_model_assets(
        store, profiles_dir, translator, raw_schemas, automation=auto,
        raw_key=lambda source, table: raw_keys.get((source, table)) or translator.raw_table_key(source, table),
        schema_keys={entry.rel_path: entry.key for entry in specs.entries})
    package = build_dbt_package_asset(specs, source, translator, store, profiles_dir,
                                      loaded.name if loaded else None, automation=auto)
    # The schemas sensor's runs are runs of Dagster's implicit asset job (what "Materialize" launches):
    # a sensor on an asset selection, or a second job over every asset, made Dagster build and
    # snapshot one more job over the whole graph (seconds of every load at 5,000 schemas).
    sensors = [make_schemas_sensor(project.schemas_dir, lambda files: schema_keys_for_files(specs, files),
                                   translator.dbt_package_key(), lint_report_key=translator.lint_report_key(),
                                   models_for=models_for(dbt_models if store.manifest() else None, raw_schemas,
                                                         specs, translator.dbt_package_key()),
                                   config_path=project.dir / PROJECT_FILE, target=IMPLICIT_ASSET_JOB,
                                   remote=options.schemas_remote, branch=options.schemas_branch,
                                   interval=options.sensor_interval, running=auto),
               make_automation_sensor(automated_selection(translator), interval=options.automation_interval,
                                      running=auto)]
    pull_keys = [translator.registry_pull_key(r) for r in sorted(registries)]
    schedules = [make_registry_pull_schedule(pull_keys, options.pull_cron, options.pull_timezone,
                                             options.pull_running)] if registries else []
    resources = {
        "reflekt": reflekt,
        "warehouse": WarehouseResource(source=source, sdk=sdk),
        "dbt": DbtRunResource(profiles_dir=str(profiles_dir) if profiles_dir else None,
                              dbt_executable=dbt_executable()),
        **{f"registry_{name}": resource for name, resource in registries.items()},
    }
    return Definitions(
        assets=[build_schema_assets(specs, translator), build_lint_report_asset(specs, translator, automation=auto),
                *[build_catalog_asset(s, translator) for s in sources],
                package, dbt_models, *build_registry_assets(sorted(registries), translator),
                *[observable for observable, _ in raw_assets]],
        asset_checks=[check for _, drifts in raw_assets for check in drifts],
        sensors=sensors, schedules=schedules, resources=resources, executor=make_executor(options.executor),
        jobs=[make_registry_push_job(r) for r in sorted(registries) if r in PUSHABLE])


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
    if os.environ.get("REFLEKT_IGLU_URI"):
        found["iglu"] = RegistryResource(type="iglu", uri=os.environ["REFLEKT_IGLU_URI"],
                                         kind=os.environ.get("REFLEKT_IGLU_KIND") or None,
                                         api_key=EnvVar("IGLU_API_KEY") if os.environ.get("IGLU_API_KEY") else None,
                                         select=os.environ.get("REFLEKT_IGLU_SELECT", ""))
    return found


def options_from_env() -> DagsterOptions:
    env = os.environ.get
    return DagsterOptions(
        automation=env("REFLEKT_DAGSTER_AUTOMATION", "on").lower() not in ("off", "0", "false", "no"),
        sensor_interval=int(env("REFLEKT_SENSOR_INTERVAL", "30")),
        automation_interval=int(env("REFLEKT_AUTOMATION_INTERVAL", "30")),
        schemas_remote=env("REFLEKT_SCHEMAS_REMOTE") or None, schemas_branch=env("REFLEKT_SCHEMAS_BRANCH", "main"),
        pull_cron=env("REFLEKT_PULL_CRON", "0 6 * * *"), pull_timezone=env("REFLEKT_PULL_TIMEZONE", "UTC"),
        pull_running=env("REFLEKT_PULL_SCHEDULE", "off").lower() in ("on", "1", "true", "yes"),
        executor=env("REFLEKT_DAGSTER_EXECUTOR", "multiprocess"))


def config_from_env() -> dict:
    """The code location's configuration from the environment (read at load time, never at import)."""
    demo = REPO_ROOT / "examples" / "jaffle_shop"
    return dict(
        project_dir=os.environ.get("REFLEKT_PROJECT_DIR", str(demo)),
        source=[s.strip() for s in os.environ.get("REFLEKT_SOURCE", "jaffle_shop.warehouse.segment").split(",")
                if s.strip()],
        sdk=os.environ.get("REFLEKT_SDK", "segment"),
        dbt_profiles_dir=os.environ.get("REFLEKT_DBT_PROFILES_DIR", str(demo / "dbt_profiles")),
        registries=_registries_from_env(), options=options_from_env())


@definitions
def defs() -> Definitions:
    """The code location, built once per load (``reflekt_dagster.loadcache``); its snapshots are
    kept on disk for the next start (``reflekt_dagster.snapcache``).

    The repository and its jobs, which Dagster builds right after (``load_all_definitions``),
    are built here too with the collector paused, so that they join the frozen objects.
    """
    import gc

    from reflekt_core.gcpause import gc_paused

    from reflekt_dagster import fastpath, snapcache
    from reflekt_dagster.loadcache import cached_build

    # in a code server: one snapshot for webserver and daemon, kept on disk for the next start
    shared = fastpath.share_repository_snapshots()

    def build(fingerprint: object) -> Definitions:
        snapcache.forget()  # the previous build is not kept alive while this one runs
        keyed = shared and snapcache.enabled() and snapcache.in_code_server()
        key = snapcache.start(config, fingerprint) if keyed else None  # hashed while the build runs
        with gc_paused():
            built = build_definitions(**config)
            built.get_repository_def().load_all_definitions()
            gc.freeze()
        if key is not None:
            snapcache.register(built, key)
        return built

    config = config_from_env()
    return cached_build(config, build)
