"""Raw tables the CDP loads: observable source assets, with drift checks attached to each.

Observing reads the warehouse catalog (nothing is materialised): each raw table gets
``dagster/table_name`` and ``dagster/column_schema`` as the warehouse has them, and its data
version is a hash of its columns. The drift checks (``property_without_column``,
``column_without_property``, ``missing_table``) sit on the raw tables they describe and run on
their own ("Execute checks"), listing their items in the check metadata.
"""

import hashlib
import warnings
from collections.abc import Mapping

from dagster import (AssetCheckExecutionContext, BetaWarning, AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey,
                     AssetSpec, DataVersion, Failure, MetadataValue, ObserveResult, TableColumn, TableSchema,
                     multi_asset_check, multi_observable_source_asset)

from reflekt_core.dbt.plan import DRIFT_KINDS
from reflekt_core.errors import ReflektError
from reflekt_dagster.resources import ReflektResource, WarehouseResource
from reflekt_dagster.translator import ReflektTranslator

#: One check per drift kind the core reports, on each raw table.
DRIFT_CHECKS = DRIFT_KINDS


def build_raw_table_assets(raw_schemas: Mapping[AssetKey, list[AssetKey]], source: str, sdk: str,
                           translator: ReflektTranslator):
    """``{raw table key: [schema keys]}`` -> (an observable multi-asset, a multi-asset drift check)."""
    from reflekt_core.warehouses import parse_source_ref

    ref = parse_source_ref(source)
    tables = {key: key.path[-1] for key in raw_schemas}
    specs = [AssetSpec(key=key, deps=schemas, group_name="raw_events", kinds={"table"},
                       metadata={"dagster/table_name": f"{ref.database}.{ref.schema}.{tables[key]}"},
                       description="Raw events the CDP loads into the warehouse (observed, never materialised).")
             for key, schemas in raw_schemas.items()]

    def _catalog(reflekt: ReflektResource):
        from reflekt_core.dbt import source_catalog

        try:
            return source_catalog(reflekt.load(), source, profile=reflekt.profile)
        except ReflektError as exc:
            raise Failure(description=str(exc)) from None

    def raw_tables(context, reflekt: ReflektResource):
        catalog = _catalog(reflekt)
        for key in context.selected_asset_keys:
            table = catalog.tables.get(tables[key])
            if table is None:
                yield ObserveResult(asset_key=key, metadata={"exists": False})
                continue
            columns = [TableColumn(name=c.name, type=c.data_type) for c in table.columns]
            digest = hashlib.sha1("\n".join(f"{c.name} {c.type}" for c in columns).encode()).hexdigest()[:16]
            yield ObserveResult(asset_key=key, data_version=DataVersion(digest), metadata={
                "exists": True, "dagster/column_schema": TableSchema(columns=columns), "columns": len(columns)})

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BetaWarning)
        raw_tables = multi_observable_source_asset(specs=specs, name="raw_tables", can_subset=True)(raw_tables)

    checks = [AssetCheckSpec(name=name, asset=key, description=text)
              for key in raw_schemas for name, text in DRIFT_CHECKS.items()]

    @multi_asset_check(specs=checks, name="raw_table_drift", can_subset=True)
    def raw_table_drift(context: AssetCheckExecutionContext, reflekt: ReflektResource, warehouse: WarehouseResource):
        from reflekt_core.dbt import generate_dbt_package
        from reflekt_core.schemas import load_selected

        catalog = _catalog(reflekt)
        project = reflekt.load()
        try:
            plan, _ = generate_dbt_package(project, load_selected(project.schemas_dir).schemas, catalog, sdk)
        except ReflektError as exc:
            raise Failure(description=str(exc)) from None
        keyed = [(translator.raw_table_key(ref.schema.lower(), d.table), d) for d in plan.drift]
        for check_key in context.selected_asset_check_keys:
            items = [d for key, d in keyed if key == check_key.asset_key and d.kind == check_key.name]
            yield AssetCheckResult(asset_key=check_key.asset_key, check_name=check_key.name, passed=not items,
                                   severity=AssetCheckSeverity.WARN, metadata={
                                       "count": len(items), "items": MetadataValue.json([d.to_dict() for d in items]),
                                       "source": source})

    return raw_tables, raw_table_drift
