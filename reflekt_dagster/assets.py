"""Reflekt's assets: each body calls one reflekt_core function and reports its result."""


import json
from collections.abc import Sequence
from pathlib import Path

from dagster import (AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetExecutionContext, AssetKey, AssetSpec,
                     AssetsDefinition, AutomationCondition, DataVersion, Failure, MaterializeResult, MetadataValue,
                     asset, multi_asset)

from reflekt_core.errors import ReflektError
from reflekt_dagster.package import PackageStore, package_files
from reflekt_dagster.reload import RELOAD_TAG, request_reload
from reflekt_dagster.resources import ReflektResource, RegistryResource, WarehouseResource
from reflekt_dagster.specs import EVOLUTION_CHECK, LINT_CHECK, SchemaSpecs
from reflekt_dagster.translator import ReflektTranslator


def _failure(exc: ReflektError) -> Failure:
    return Failure(description=str(exc))


def _run_metadata(context: AssetExecutionContext) -> dict:
    """The commit and author the schemas sensor put on the run, when it launched it."""
    tags = context.run.tags
    return {key: tags[f"reflekt/{key}"] for key in ("commit", "author") if f"reflekt/{key}" in tags}


def build_schema_assets(specs: SchemaSpecs, translator: ReflektTranslator) -> AssetsDefinition:
    """One multi-asset for every event schema version, with a blocking lint check on each.

    The data version of a schema asset is its file's git blob hash. A file with lint errors is
    not materialised: its check fails, the step fails with the lint messages, and nothing
    downstream runs on it.
    """
    entries = specs.by_path()

    # Every check targets one of these assets: Dagster's check of that compares each check with a list of
    # every asset (quadratic: 9 s of CPU at 5,000 schemas), so it is skipped.
    @multi_asset(name="event_schemas", specs=specs.specs, check_specs=specs.checks, can_subset=True,
                 allow_arbitrary_check_specs=True)
    def event_schemas(context: AssetExecutionContext, reflekt: ReflektResource):
        from reflekt_core.evolution.history import check_project_versions
        from reflekt_core.lint.engine import lint_schemas
        from reflekt_core.lint.result import Level
        from reflekt_core.report import render_schema
        from reflekt_core.schemas.gitchanges import blob_hash
        from reflekt_core.schemas.loader import iter_load, iter_schema_files

        project = reflekt.load()
        selected = [rel for rel, e in entries.items() if e.key in context.selected_asset_keys]
        missing = [rel for rel in selected if not (project.schemas_dir / rel).is_file()]
        errors: list = []
        loaded = list(iter_load(project.schemas_dir, [r for r in selected if r not in missing], errors))
        broken = {e.rel_path: str(e) for e in errors}
        broken.update({rel: f"schemas/{rel} was deleted (reload the code location to drop its asset)"
                       for rel in missing})
        result = lint_schemas(loaded, project, all_files=iter_schema_files(project.schemas_dir))
        versions = check_project_versions(project, [s.rel_path for s in loaded], {s.rel_path: s.doc for s in loaded})
        run_meta = _run_metadata(context)
        for schema in loaded:
            entry = entries[schema.rel_path]
            yield _evolution_check(entry.key, versions[schema.rel_path])
            violations = result.for_path(f"schemas/{schema.rel_path}")
            errors_ = [v for v in violations if v.level is Level.ERROR]
            listing = "\n".join(f"- **{v.level.value}** `{v.code}` {v.message}" for v in violations) or "none"
            yield AssetCheckResult(
                asset_key=entry.key, check_name=LINT_CHECK, passed=not errors_, severity=AssetCheckSeverity.ERROR,
                metadata={"errors": len(errors_), "warnings": len(violations) - len(errors_),
                          "violations": MetadataValue.md(listing)})
            if errors_:
                broken[schema.rel_path] = "; ".join(f"{v.code} {v.message}" for v in errors_)
                continue
            yield MaterializeResult(asset_key=entry.key, data_version=DataVersion(blob_hash(schema.path.read_bytes())),
                                    metadata={"version": schema.version, "schema_id": schema.id, **run_meta,
                                              "dagster/column_schema": translator.schema_columns(schema),
                                              "owners": ", ".join(translator.schema_owners(schema)) or "-",
                                              "properties": MetadataValue.md(render_schema(schema))})
        for rel, message in broken.items():
            if rel not in {s.rel_path for s in loaded}:
                yield AssetCheckResult(asset_key=entries[rel].key, check_name=LINT_CHECK, passed=False,
                                       severity=AssetCheckSeverity.ERROR, metadata={"error": message})
        if broken:
            raise Failure(description="lint failed: " + " | ".join(f"schemas/{rel}: {msg}"
                                                                   for rel, msg in sorted(broken.items())),
                          allow_retries=False)

    return event_schemas


def _evolution_check(key: AssetKey, check) -> AssetCheckResult:
    """A schema version against the previous one (reflekt_core.evolution.history), as a check."""
    from reflekt_core.evolution.history import change_table

    counts = {kind: sum(1 for c in check.changes if c.kind.value == kind)
              for kind in ("breaking", "addition", "cosmetic")}
    return AssetCheckResult(
        asset_key=key, check_name=EVOLUTION_CHECK, passed=check.ok, severity=AssetCheckSeverity.ERROR,
        description=check.message,
        metadata={"previous": check.previous or "-", "verdict": check.verdict, **counts,
                  "changes": MetadataValue.md(change_table(check)),
                  "change_list": MetadataValue.json([c.to_dict() for c in check.changes])})


def _condition(automation: bool) -> AutomationCondition | None:
    """Missing, or a schema materialised after this asset (one batched query per tick, whatever
    the number of schemas: reflekt_dagster.automation)."""
    from reflekt_dagster.automation import schemas_updated

    return schemas_updated() if automation else None


def build_lint_report_asset(specs: SchemaSpecs, translator: ReflektTranslator, automation: bool = True) -> AssetsDefinition:
    # A one-spec multi_asset: for 1,000 deps it builds 3x faster than @asset(deps=...).
    @multi_asset(name="lint_report", specs=[AssetSpec(
        key=translator.lint_report_key(), group_name=translator.group(), deps=[s.key for s in specs.specs],
        automation_condition=_condition(automation),
        kinds={"json"}, description="reflekt lint over every schema: the report as JSON and Markdown.")])
    def lint_report(reflekt: ReflektResource) -> MaterializeResult:
        from reflekt_core.evolution.history import check_project_versions, markdown_table
        from reflekt_core.lint.engine import lint_project
        from reflekt_core.lint.reporters import render_json

        try:
            project = reflekt.load()
            result = lint_project(project)
            versions = check_project_versions(project)
        except ReflektError as exc:
            raise _failure(exc) from None
        summary = result.summary()
        table = "\n".join(f"| {v.path} | {v.level.value} | {v.code} | {v.message} |" for v in result.violations)
        markdown = (f"**{summary['schemas']} schemas, {summary['errors']} errors, {summary['warnings']} warnings**\n\n"
                    + ("| file | level | code | message |\n|---|---|---|---|\n" + table if table else "No violations."))
        evolution = [v.to_dict() for v in versions.values() if v.previous]
        return MaterializeResult(metadata={"summary": MetadataValue.json(summary), "ok": result.ok,
                                           "report": MetadataValue.json(json.loads(render_json(result))),
                                           "markdown": MetadataValue.md(markdown),
                                           "evolution": MetadataValue.md(markdown_table(versions.values())),
                                           "evolution_report": MetadataValue.json(evolution)})

    return lint_report


def build_catalog_asset(source: str, translator: ReflektTranslator) -> AssetsDefinition:
    """The warehouse catalog of one source: tables and columns (drift checks sit on the raw tables)."""
    @asset(key=translator.catalog_key(source), group_name=translator.group(), kinds={"warehouse"},
           description=f"Tables and columns the CDP loaded into {source}.")
    def warehouse_catalog(reflekt: ReflektResource) -> MaterializeResult:
        from reflekt_core.dbt import source_catalog

        try:
            catalog = source_catalog(reflekt.load(), source, profile=reflekt.profile)
        except ReflektError as exc:
            raise _failure(exc) from None
        tables = "\n".join(f"| {t.name} | {len(t.columns)} | {', '.join(t.column_names)} |"
                           for t in catalog.tables.values())
        return MaterializeResult(metadata={
            **catalog.summary(), "source": source,
            "tables_markdown": MetadataValue.md("| table | columns | names |\n|---|---|---|\n" + tables)})

    return warehouse_catalog


def build_dbt_package_asset(specs: SchemaSpecs, source: str, translator: ReflektTranslator, store: PackageStore,
                            profiles_dir: Path | None, loaded_version: str | None,
                            automation: bool = True) -> AssetsDefinition:
    """Lint, generate the package into a new version folder, parse it, and point CURRENT at it.

    When the schemas sensor saw files added or deleted (its run carries ``reflekt/reload``), or
    no package was prepared at load, the location is asked to reload (``REFLEKT_DAGSTER_RELOAD_URL``)
    so the new schema assets and dbt models appear. (The run's own process loaded the files as
    they are now, so only the sensor knows what the code server is missing.)
    """
    @multi_asset(name="dbt_package", specs=[AssetSpec(
        key=translator.dbt_package_key(), group_name=translator.group(), kinds={"dbt"},
        # After the lint report (the package refuses to build when lint fails), which depends on every
        # schema: not on the schemas themselves, which cost the op 5,000 inputs at 5,000 schemas.
        deps=[translator.lint_report_key()], automation_condition=_condition(automation),
        description="The generated dbt package: sources, staging models, docs and tests.")])
    def dbt_package(context: AssetExecutionContext, reflekt: ReflektResource,
                    warehouse: WarehouseResource) -> MaterializeResult:
        from reflekt_core.dbt import build_from_project
        from reflekt_core.lint.engine import lint_project
        from reflekt_core.lint.result import Level

        try:
            project = reflekt.load()
            lint = lint_project(project)
            if not lint.ok:
                errors = [v for v in lint.violations if v.level is Level.ERROR]
                raise Failure(description="lint failed, the dbt package was not rebuilt: " + " | ".join(
                    f"{v.path}: {v.code} {v.message}" for v in errors[:5]), allow_retries=False)
            result = build_from_project(project, warehouse.sdk, source, profile=reflekt.profile, dry_run=True)
            folder, created = store.publish(package_files(result), profiles_dir)
        except ReflektError as exc:
            raise _failure(exc) from None
        if loaded_version is None or context.run.tags.get(RELOAD_TAG) == "true":
            request_reload()
        return MaterializeResult(data_version=DataVersion(folder.name), metadata={
            "path": str(folder), "version": folder.name, "new_version": created,
            "models": len(result.plan.models), "drift": len(result.drift),
            "drift_items": MetadataValue.json([d.to_dict() for d in result.drift])})

    return dbt_package


def _registry_pull_asset(registry: str, translator: ReflektTranslator) -> AssetsDefinition:
    resource_key = f"registry_{registry}"

    @asset(key=translator.registry_pull_key(registry), group_name=translator.group(), kinds={registry},
           required_resource_keys={"reflekt", resource_key},
           description=f"What {registry} holds, and how it differs from the repository.")
    def registry_plan(context) -> MaterializeResult:
        from reflekt_core.registries import make_registry
        from reflekt_core.registries.base import parse_selector
        from reflekt_core.registries.sync import plan_pull

        project = context.resources.reflekt.load()
        config: RegistryResource = getattr(context.resources, resource_key)
        try:
            pulled = make_registry(config.entry(), project).pull(config.select)
            plan = plan_pull(project.schemas_dir, pulled, parse_selector(config.select).plan)
        except ReflektError as exc:
            raise _failure(exc) from None
        return MaterializeResult(metadata={
            "remote_schemas": len(pulled.schemas), "only_remote": len(plan.created),
            "different": len(plan.changed), "same": len(plan.unchanged),
            "diff": MetadataValue.md(f"```diff\n{plan.diff or '(no difference)'}\n```")})

    return registry_plan


def build_registry_assets(registries: Sequence[str], translator: ReflektTranslator) -> list[AssetsDefinition]:
    """A pull asset per configured registry (read-only: it reports the diff, it writes nothing)."""
    return [_registry_pull_asset(registry, translator) for registry in registries]
