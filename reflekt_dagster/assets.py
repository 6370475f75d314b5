"""Reflekt's assets: each body calls one reflekt_core function and reports its result."""


import json
from collections.abc import Sequence

from dagster import (AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetExecutionContext, AssetKey, AssetSpec,
                     AssetsDefinition, Failure, MaterializeResult, MetadataValue, asset, multi_asset)

from reflekt_core.dbt.plan import DRIFT_KINDS
from reflekt_core.errors import ReflektError
from reflekt_core.lint.reporters import render_json
from reflekt_core.lint.result import Level
from reflekt_dagster.resources import ReflektResource, RegistryResource, WarehouseResource
from reflekt_dagster.specs import LINT_CHECK, SchemaSpecs
from reflekt_dagster.translator import ReflektTranslator


def _failure(exc: ReflektError) -> Failure:
    return Failure(description=str(exc))


def build_schema_assets(specs: SchemaSpecs, translator: ReflektTranslator) -> AssetsDefinition:
    """One multi-asset for every event schema version, with a lint check on each."""
    entries = specs.by_path()

    @multi_asset(name="event_schemas", specs=specs.specs, check_specs=specs.checks, can_subset=True)
    def event_schemas(context: AssetExecutionContext, reflekt: ReflektResource):
        from reflekt_core.lint.engine import lint_schemas
        from reflekt_core.report import render_schema
        from reflekt_core.schemas.loader import iter_load, iter_schema_files

        project = reflekt.load()
        selected = [rel for rel, e in entries.items() if e.key in context.selected_asset_keys]
        errors: list = []
        loaded = list(iter_load(project.schemas_dir, selected, errors))
        broken = {e.rel_path: str(e) for e in errors}
        result = lint_schemas(loaded, project, all_files=iter_schema_files(project.schemas_dir))
        for schema in loaded:
            entry = entries[schema.rel_path]
            violations = result.for_path(f"schemas/{schema.rel_path}")
            errors_ = [v for v in violations if v.level is Level.ERROR]
            yield MaterializeResult(asset_key=entry.key, metadata={
                "version": schema.version, "schema_id": schema.id,
                "owners": ", ".join(translator.schema_owners(schema)) or "-",
                "properties": MetadataValue.md(render_schema(schema)),
            })
            yield AssetCheckResult(
                asset_key=entry.key, check_name=LINT_CHECK, passed=not errors_, severity=AssetCheckSeverity.ERROR,
                metadata={"errors": len(errors_), "warnings": len(violations) - len(errors_),
                          "violations": MetadataValue.md("\n".join(
                              f"- **{v.level.value}** `{v.code}` {v.message}" for v in violations) or "none")})
        for rel, message in broken.items():
            yield AssetCheckResult(asset_key=entries[rel].key, check_name=LINT_CHECK, passed=False,
                                   severity=AssetCheckSeverity.ERROR, metadata={"error": message})

    return event_schemas


def build_lint_report_asset(specs: SchemaSpecs, translator: ReflektTranslator) -> AssetsDefinition:
    # A one-spec multi_asset: for 1,000 deps it builds 3x faster than @asset(deps=...).
    @multi_asset(name="lint_report", specs=[AssetSpec(
        key=translator.lint_report_key(), group_name=translator.group(), deps=[s.key for s in specs.specs],
        kinds={"json"}, description="reflekt lint over every schema: the report as JSON and Markdown.")])
    def lint_report(reflekt: ReflektResource) -> MaterializeResult:
        from reflekt_core.lint.engine import lint_project

        try:
            result = lint_project(reflekt.load())
        except ReflektError as exc:
            raise _failure(exc) from None
        summary = result.summary()
        table = "\n".join(f"| {v.path} | {v.level.value} | {v.code} | {v.message} |" for v in result.violations)
        markdown = (f"**{summary['schemas']} schemas, {summary['errors']} errors, {summary['warnings']} warnings**\n\n"
                    + ("| file | level | code | message |\n|---|---|---|---|\n" + table if table else "No violations."))
        return MaterializeResult(metadata={"summary": MetadataValue.json(summary), "ok": result.ok,
                                           "report": MetadataValue.json(json.loads(render_json(result))),
                                           "markdown": MetadataValue.md(markdown)})

    return lint_report


#: One check per drift kind the core reports (reflekt_core.dbt.plan.DRIFT_KINDS).
DRIFT_CHECKS = DRIFT_KINDS


def build_catalog_asset(source: str, sdk: str, translator: ReflektTranslator) -> AssetsDefinition:
    """The warehouse catalog of one source, with drift against the schemas (``sdk``'s layout) as checks."""
    key = translator.catalog_key(source)
    checks = [AssetCheckSpec(name=name, asset=key, description=text) for name, text in DRIFT_CHECKS.items()]

    @asset(key=key, group_name=translator.group(), kinds={"warehouse"}, check_specs=checks,
           description=f"Tables and columns the CDP loaded into {source}.")
    def warehouse_catalog(reflekt: ReflektResource):
        from reflekt_core.dbt import generate_dbt_package, source_catalog
        from reflekt_core.schemas import load_selected

        try:
            project = reflekt.load()
            catalog = source_catalog(project, source, profile=reflekt.profile)
            plan, _ = generate_dbt_package(project, load_selected(project.schemas_dir).schemas, catalog, sdk)
        except ReflektError as exc:
            raise _failure(exc) from None
        tables = "\n".join(f"| {t.name} | {len(t.columns)} | {', '.join(t.column_names)} |"
                           for t in catalog.tables.values())
        yield MaterializeResult(metadata={
            **catalog.summary(), "source": source,
            "tables_markdown": MetadataValue.md("| table | columns | names |\n|---|---|---|\n" + tables)})
        for name in DRIFT_CHECKS:
            items = [d for d in plan.drift if d.kind == name]
            yield AssetCheckResult(check_name=name, passed=not items, severity=AssetCheckSeverity.WARN,
                                   metadata={"count": len(items), "items": MetadataValue.json([d.to_dict() for d in items])})

    return warehouse_catalog


def build_dbt_package_asset(specs: SchemaSpecs, source: str, translator: ReflektTranslator) -> AssetsDefinition:
    @multi_asset(name="dbt_package", specs=[AssetSpec(
        key=translator.dbt_package_key(), group_name=translator.group(), kinds={"dbt"},
        deps=[*[s.key for s in specs.specs], translator.catalog_key(source)],
        description="The generated dbt package: sources, staging models, docs and tests.")])
    def dbt_package(reflekt: ReflektResource, warehouse: WarehouseResource) -> MaterializeResult:
        from reflekt_core.dbt import build_from_project

        try:
            result = build_from_project(reflekt.load(), warehouse.sdk, source, profile=reflekt.profile)
        except ReflektError as exc:
            raise _failure(exc) from None
        write = result.write
        return MaterializeResult(metadata={
            "path": str(result.dest), "models": len(result.plan.models), "created": len(write.created),
            "changed": len(write.changed), "removed": len(write.removed), "unchanged": len(write.unchanged),
            "drift": len(result.drift)})

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


def _segment_push_asset(translator: ReflektTranslator, lint_key: AssetKey) -> AssetsDefinition:
    @asset(key=translator.segment_push_key(), group_name=translator.group(), kinds={"segment"},
           deps=[lint_key], required_resource_keys={"reflekt", "registry_segment"},
           description="Push the plan to Segment Protocols; refuses to run when lint fails.")
    def segment_push(context) -> MaterializeResult:
        from reflekt_core.lint.engine import lint_project
        from reflekt_core.registries import make_registry
        from reflekt_core.registries.sync import push_selection

        project = context.resources.reflekt.load()
        config: RegistryResource = context.resources.registry_segment
        try:
            if not lint_project(project, [config.select]).ok:
                raise Failure(description=f"lint found errors in {config.select}: not pushing to Segment")
            result, _, _ = push_selection(project, make_registry(config.entry(), project), config.select)
        except ReflektError as exc:
            raise _failure(exc) from None
        return MaterializeResult(metadata={
            "created": len(result.created), "updated": len(result.updated), "unchanged": len(result.unchanged),
            "deleted": len(result.deleted),
            "notes": MetadataValue.md("\n".join(f"- {n}" for n in result.notes) or "none")})

    return segment_push


def build_registry_assets(registries: Sequence[str], translator: ReflektTranslator,
                          lint_key: AssetKey) -> list[AssetsDefinition]:
    """A pull asset per configured registry, and a Segment push that runs only when lint passes."""
    assets = [_registry_pull_asset(registry, translator) for registry in registries]
    if "segment" in registries:
        assets.append(_segment_push_asset(translator, lint_key))
    return assets
