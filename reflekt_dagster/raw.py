"""Raw tables the CDP loads, per source: observable source assets with drift checks attached to each.

Observing reads the source once (reflekt_core.warehouses.observe: the catalog, then row counts
and the last ``received_at`` in batched statements) and materialises nothing: each raw table
gets ``dagster/table_name``, ``dagster/column_schema``, ``dagster/row_count`` and
``dagster/last_updated_timestamp`` (its newest ``received_at``); its data version is a hash of
its columns, so new rows do not mark the models below it unsynced. One ``drift`` check sits on
each raw table, for every source, and runs on its own ("Execute checks"); it lists every drift
kind's items (one check per kind cost 7 check specs per table: 35,000 at 5,000 schemas).
"""


import hashlib
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from dagster import (AssetCheckExecutionContext, AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey,
                     AssetSpec, BetaWarning, DataVersion, Failure, MetadataValue, ObserveResult, TableColumn,
                     TableSchema, multi_asset_check, multi_observable_source_asset)

from reflekt_core.dbt.plan import DRIFT_KINDS
from reflekt_core.errors import ReflektError
from reflekt_dagster.resources import ReflektResource
from reflekt_dagster.translator import ReflektTranslator, clean

#: One drift check per raw table; its metadata counts and lists the items by kind (DRIFT_KINDS).
DRIFT_CHECK = "drift"
DRIFT_DESCRIPTION = ("Schemas against the warehouse (warns): " + "; ".join(
    f"{kind}: {text}" for kind, text in DRIFT_KINDS.items()))


def _drift_metadata(items, source: str) -> dict:
    """Counts per kind, a Markdown list and the items as JSON."""
    listing = "\n".join(f"- **{d.kind}** {d.message}" for d in items) or "no drift"
    return {"count": len(items), "source": source,
            **{kind: sum(1 for d in items if d.kind == kind) for kind in DRIFT_KINDS},
            "items": MetadataValue.json([d.to_dict() for d in items]), "drift": MetadataValue.md(listing)}


@dataclass(frozen=True)
class RawSource:
    """One source's raw tables: asset key -> (warehouse table, the schema assets that describe it)."""

    source: str                    # source_id.database.schema
    sdk: str
    tables: dict[AssetKey, tuple[str, list[AssetKey]]]
    #: the raw tables' group (then ``_<prefix>`` past max_group_size); ``source_groups`` names them per source
    group: str = "raw_events"

    @property
    def name(self) -> str:
        return clean(self.source.replace(".", "__"))

    def schema_deps(self) -> dict[AssetKey, list[AssetKey]]:
        return {key: deps for key, (_, deps) in self.tables.items()}

    def table_keys(self) -> dict[str, AssetKey]:
        """Warehouse table name -> its asset key."""
        return {table: key for key, (table, _) in self.tables.items()}


def raw_source(source: str, sdk: str, layout, label: str, schema_entries: Sequence,
               translator: ReflektTranslator) -> RawSource:
    """The tables each schema writes in ``layout`` (the CDP's, for the source's warehouse type),
    keyed so that distinct tables never share a key (``translator.raw_table_keys``)."""
    written: dict[str, set[AssetKey]] = {}
    for entry in schema_entries:
        if entry.schema is None:
            continue
        for table in layout.tables_written(entry.schema.name, entry.schema.call_type):
            written.setdefault(table, set()).add(entry.key)
    keys = translator.raw_table_keys(label, written)
    found = {keys[table]: (table, deps) for table, deps in written.items()}
    return RawSource(source, sdk, {key: (table, sorted(deps, key=lambda k: k.path))
                                   for key, (table, deps) in sorted(found.items(), key=lambda i: i[0].path)})


def _failure(exc: ReflektError) -> Failure:
    return Failure(description=str(exc))


def _observation(table, stats) -> tuple[DataVersion, dict]:
    columns = [TableColumn(name=c.name, type=c.data_type) for c in table.columns]
    digest = hashlib.sha1("\n".join(f"{c.name} {c.type}" for c in columns).encode()).hexdigest()[:16]
    metadata = {"exists": True, "dagster/column_schema": TableSchema(columns=columns), "columns": len(columns)}
    if stats is not None:
        metadata["dagster/row_count"] = stats.row_count
        if stats.last_loaded is not None:
            metadata["dagster/last_updated_timestamp"] = MetadataValue.timestamp(stats.last_loaded)
            metadata["last_received_at"] = stats.last_loaded.isoformat()
    return DataVersion(digest), metadata


def build_raw_table_assets(raw: RawSource, translator: ReflektTranslator):
    """One source's raw tables -> (an observable multi-asset, its drift checks: a multi-asset check
    per group of tables)."""
    from reflekt_core.warehouses import parse_source_ref

    ref = parse_source_ref(raw.source)
    split = translator.group_split([table for table, _ in raw.tables.values()])  # drawable groups
    specs = [AssetSpec(key=key, deps=deps, group_name=f"{raw.group}_{split[table]}" if split[table] else raw.group,
                       kinds={"table"},
                       metadata={"dagster/table_name": f"{ref.database}.{ref.schema}.{table}", "source": raw.source},
                       description=f"Raw events the CDP loads into {raw.source} (observed, never materialised).")
             for key, (table, deps) in raw.tables.items()]

    def raw_tables(context, reflekt: ReflektResource):
        from reflekt_core.warehouses.observe import observe_source

        selected = [key for key in raw.tables if key in context.selected_asset_keys]
        try:
            seen = observe_source(reflekt.load(), raw.source, [raw.tables[k][0] for k in selected],
                                  profile=reflekt.profile)
        except ReflektError as exc:
            raise _failure(exc) from None
        for key in selected:
            name = raw.tables[key][0]
            table = seen.catalog.tables.get(name)
            if table is None:
                yield ObserveResult(asset_key=key, metadata={"exists": False, "dagster/row_count": 0})
                continue
            version, metadata = _observation(table, seen.stats.get(name))
            yield ObserveResult(asset_key=key, data_version=version, metadata=metadata)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BetaWarning)
        observable = multi_observable_source_asset(specs=specs, name=f"raw_tables__{raw.name}",
                                                   can_subset=True)(raw_tables)

    groups: dict[str, list[AssetKey]] = {}
    for key, (table, _) in raw.tables.items():
        groups.setdefault(split[table], []).append(key)
    return observable, [_drift_checks(raw, keys, suffix) for suffix, keys in sorted(groups.items())]


def _drift_checks(raw: RawSource, keys: list[AssetKey], suffix: str):
    """The drift checks of one group of raw tables, as one multi-asset check.

    One per group, not one per source: Dagster's asset job wires every input of a multi-asset check
    against each of its checks (inputs x checks), 14 million steps at 5,000 schemas in one piece.
    A run plans only the schemas that write the selected tables (every track writes ``tracks``)."""
    checks = [AssetCheckSpec(name=DRIFT_CHECK, asset=key, description=DRIFT_DESCRIPTION) for key in keys]
    by_table = {raw.tables[key][0]: key for key in keys}
    name = f"raw_table_drift__{raw.name}" + (f"__{clean(suffix)}" if suffix else "")

    @multi_asset_check(specs=checks, name=name, can_subset=True)
    def raw_table_drift(context: AssetCheckExecutionContext, reflekt: ReflektResource):
        from reflekt_core.cdp import get_layout
        from reflekt_core.dbt import plan_source, source_catalog
        from reflekt_core.schemas import load_selected

        project = reflekt.load()
        wanted = {raw.tables[k.asset_key][0] for k in context.selected_asset_check_keys}
        try:
            catalog = source_catalog(project, raw.source, profile=reflekt.profile)
            layout = get_layout(raw.sdk, catalog.source_type, project.rudderstack_divide_numbers)
            schemas = [s for s in load_selected(project.schemas_dir).schemas
                       if wanted.intersection(layout.tables_written(s.name, s.call_type))]
            plan = plan_source(project, schemas, catalog, raw.sdk)
        except ReflektError as exc:
            raise _failure(exc) from None
        for check_key in context.selected_asset_check_keys:
            items = [d for d in plan.drift if by_table.get(d.table) == check_key.asset_key]
            yield AssetCheckResult(asset_key=check_key.asset_key, check_name=DRIFT_CHECK, passed=not items,
                                   severity=AssetCheckSeverity.WARN, metadata=_drift_metadata(items, raw.source))

    return raw_table_drift


def source_groups(raws: Sequence[RawSource], labels: Mapping[str, str]) -> list[RawSource]:
    """Each source's raw tables in groups of their own: ``raw_events[_<prefix>]`` for the first
    source (as with one source), ``raw_events__<label>[_<prefix>]`` for each other one. Every source
    splits its own tables by name prefix, so sharing the group names put two sources' tables with
    one prefix in one group, past ``max_group_size`` (378 tables at 5,000 schemas, two sources)."""
    return [raw if i == 0 else replace(raw, group=f"raw_events__{clean(labels[raw.source])}")
            for i, raw in enumerate(raws)]


def source_labels(sources: Sequence[str]) -> Mapping[str, str]:
    """The key part of each source's raw tables: its schema, or ``<id>_<database>_<schema>`` when
    an earlier source has a schema of the same name (keys must not collide)."""
    from reflekt_core.warehouses import parse_source_ref

    labels: dict[str, str] = {}
    for source in sources:
        ref = parse_source_ref(source)
        label = ref.schema.lower()
        if label in labels.values():
            label = clean(f"{ref.source_id}_{ref.database}_{ref.schema}".lower())
        labels[source] = label
    return labels
