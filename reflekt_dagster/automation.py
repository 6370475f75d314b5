"""Cheap automation at any number of schemas: one condition, evaluated on two assets, and a
map from schema files to the dbt models that read them.

Dagster's evaluator costs about 15 ms of CPU per asset that carries a condition, and a
dependency operator (``any_deps_updated`` inside ``eager()``) evaluates its child once per
dependency: at 5,000 schemas the lint report's and the package's ``eager()`` alone evaluated
10,000 dependency nodes per tick, and a condition on each dbt model cost 75 s more. So:

- the dbt models carry no condition: the schemas sensor requests, in one run, the changed
  schemas, the lint report, the package and exactly the models that read those schemas
  (:class:`ModelIndex`);
- the lint report and the package carry :class:`SchemasUpdated`, which answers "missing, or
  was a dependency materialised after my latest materialisation?" from the asset records of
  all its dependencies, fetched in one batched query per tick (the query Dagster's evaluator
  already makes to prefetch the records of the evaluated assets and their parents), instead of
  evaluating a condition per dependency. It catches schema materialisations made by hand;
- that prefetch still reads (and deserialises) one asset record per schema, about 0.3 ms each,
  so :class:`QuietAutomationSensor` skips the whole evaluation when nothing was materialised and
  no run ended since the previous one: an idle tick is one ``max(id)`` query.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence

from dagster import (AssetKey, AutomationCondition, AutomationConditionSensorDefinition, AutomationContext,
                     AutomationResult, BetaWarning, SkipReason)

LABEL = "missing or a schema updated"


class SchemasUpdated(AutomationCondition[AssetKey]):
    """True for an asset that is missing (once its dependencies all exist), or one of whose
    dependencies (the event schemas) was materialised after the asset's own latest
    materialisation; false while a run of it is in progress. Fires once per change: its cursor is the storage id of the newest dependency
    materialisation it already requested a run for, so a run that fails is not relaunched every
    tick (the next schema change, or a materialisation by hand, tries again).

    Not serialisable (a user class), so the sensor that evaluates it runs in the code location
    (``use_user_code_server=True``). Reads only Dagster's asset records, through the evaluator's
    loading context: one batched query for the asset and all its dependencies.
    """

    @property
    def name(self) -> str:
        return "schemas_updated"

    @property
    def description(self) -> str:
        return ("Missing, or an event schema was materialised after this asset's latest materialisation "
                "(not while a run of it is in progress)")

    def get_label(self) -> str | None:
        return LABEL

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self).__name__)

    async def evaluate(self, context: AutomationContext) -> AutomationResult:
        from dagster._core.storage.event_log.base import AssetRecord

        key = context.key
        previous = context.cursor
        handled = int(previous) if previous not in (None, "") else None
        if context.candidate_subset.is_empty:
            return AutomationResult(context=context, true_subset=context.get_empty_subset(), cursor=previous)
        parents = _watched(context.asset_graph, key)
        # The evaluator prefetched these records (the evaluated assets and their parents) in one
        # query; blocking_get_many answers from that cache, or batches what is missing into one query.
        records = AssetRecord.blocking_get_many(context.asset_graph_view, [key, *parents])
        own = _latest_materialisation(records[0])
        deps = [_latest_materialisation(r) for r in records[1:]]
        wanted = stale(own, max((d or 0 for d in deps), default=0), handled, deps_missing=None in deps)
        if wanted:
            in_progress = await context.asset_graph_view.compute_run_in_progress_subset(
                key=key, from_subset=context.candidate_subset)
            wanted = in_progress.is_empty
        if not wanted:
            return AutomationResult(context=context, true_subset=context.get_empty_subset(), cursor=previous)
        return AutomationResult(context=context, true_subset=context.candidate_subset,
                                cursor=str(max((d or 0 for d in deps), default=0)))


def _watched(graph, key: AssetKey) -> list[AssetKey]:
    """The asset's dependencies, and the dependencies of those that carry this condition too: the
    package depends on the lint report, and still runs in the same tick when a schema changes."""
    found: dict[AssetKey, None] = {}
    for parent in sorted(graph.get(key).parent_keys, key=lambda k: k.path):
        found[parent] = None
        if isinstance(graph.get(parent).automation_condition, SchemasUpdated):
            found.update(dict.fromkeys(graph.get(parent).parent_keys))
    return list(found)


def _latest_materialisation(record) -> int | None:
    return record.asset_entry.last_materialization_storage_id if record is not None else None


def stale(own: int | None, newest_dep: int, handled: int | None, deps_missing: bool = False) -> bool:
    """Should the asset run? ``own``: its latest materialisation's storage id (None: missing);
    ``newest_dep``: the newest materialisation among its dependencies (0: none); ``handled``: the
    dependency materialisation a run was last requested for (None: never requested);
    ``deps_missing``: some dependency was never materialised. A missing asset waits until its
    dependencies exist (as ``eager()`` does), so a fresh instance does not build the package
    before, or while, "Materialize all" does."""
    if own is None and handled is None:
        return not deps_missing
    return newest_dep > max(own or 0, handled or 0)


def schemas_updated() -> SchemasUpdated:
    return SchemasUpdated()


class ModelIndex:
    """Which dbt models read which schema assets, from what the code location already knows:
    each model's dependencies (raw tables, and the schemas themselves) and each raw table's
    schemas (the CDP layout). Built once, on the first sensor tick that needs it."""

    def __init__(self, model_deps: Mapping[AssetKey, Iterable[AssetKey]],
                 raw_schemas: Mapping[AssetKey, Sequence[AssetKey]], known_schemas: Iterable[AssetKey]):
        known = set(known_schemas)
        self.known = known
        self.models: list[AssetKey] = sorted(model_deps, key=lambda k: k.path)
        self.schemas_of: dict[AssetKey, set[AssetKey]] = {}
        self.models_of: dict[AssetKey, list[AssetKey]] = {}
        for model in self.models:
            deps = model_deps[model]
            schemas = {d for d in deps if d in known}
            schemas.update(s for d in deps for s in raw_schemas.get(d, ()))
            self.schemas_of[model] = schemas
            for schema in schemas:
                self.models_of.setdefault(schema, []).append(model)

    def models_reading(self, changed: Iterable[AssetKey], deleted: Iterable[AssetKey] = ()) -> list[AssetKey]:
        """The models to rebuild when ``changed`` schemas were edited or added and ``deleted``
        ones removed: every model that reads a changed schema, and every model of a deleted
        schema that still reads another schema after the deletion (a model whose schemas are all
        gone leaves the package). All models when a changed schema's models are unknown (it could
        not be parsed when the location loaded, so its raw tables are unknown)."""
        changed, deleted = list(changed), set(deleted)
        if any(key not in self.known for key in changed):
            return list(self.models)
        found: dict[AssetKey, None] = {}
        for key in changed:
            found.update(dict.fromkeys(self.models_of.get(key, ())))
        for key in deleted:
            for model in self.models_of.get(key, ()):
                if self.schemas_of[model] - deleted:
                    found[model] = None
        return sorted(found, key=lambda k: k.path)


def models_for(dbt_models, raw_schemas: Mapping[AssetKey, Sequence[AssetKey]], specs, package_key: AssetKey):
    """The schemas sensor's ``models_for(changed_keys, deleted_keys, everything=False)`` for this location: the
    :class:`ModelIndex` of ``dbt_models`` (dagster-dbt's assets; None when no package is prepared,
    then no model is requested: the package run prepares it and reloads the location), built on
    first use so that loading the location does not pay for it."""
    index: list[ModelIndex] = []

    def find(changed: list[AssetKey], deleted: list[AssetKey], everything: bool = False) -> list[AssetKey]:
        if dbt_models is None:
            return []
        if not index:
            deps = {key: found for key, found in dbt_models.asset_deps.items() if package_key in found}
            index.append(ModelIndex(deps, raw_schemas, [e.key for e in specs.entries if e.schema is not None]))
        return list(index[0].models) if everything else index[0].models_reading(changed, deleted)

    return find


class QuietAutomationSensor(AutomationConditionSensorDefinition):
    """Dagster's automation sensor, evaluated in the code location, that skips a tick when no
    event was written since the previous evaluation.

    Reflekt's condition (:class:`SchemasUpdated`) can only turn true after a materialisation
    (of a schema, or of the asset itself) or after a run ends (a run of the asset is no longer in
    progress), never with the clock. So a tick with neither since the previous evaluation would
    request nothing: it is skipped after at most a few indexed queries (the event log's newest
    id, then the first materialisation or run end after the previous evaluation's id) instead
    of prefetching an asset record per schema. Observations, check results and logs do not wake
    it. The previous evaluation's event id is read from the sensor's own cursor (each condition
    cursor keeps the ``last_event_id`` it was evaluated at), so nothing else is stored.
    """

    def __init__(self, name: str, **kwargs):
        from dagster._core.definitions.sensor_definition import wrap_sensor_evaluation

        with warnings.catch_warnings():  # use_user_code_server is a beta parameter
            warnings.simplefilter("ignore", BetaWarning)
            super().__init__(name, **{**kwargs, "use_user_code_server": True})
        evaluate = self._raw_fn

        def quiet(context):
            previous = _previous_event_id(context.cursor, context.repository_def)
            if previous is not None and not _relevant_events_since(context.instance.event_log_storage, previous):
                return SkipReason(f"no materialisation and no run ended since the previous evaluation "
                                  f"(event id {previous})")
            return evaluate(context)

        # the wrapped function Dagster calls for a tick (SensorDefinition.evaluate_tick)
        self._raw_fn = quiet
        self._evaluation_fn = wrap_sensor_evaluation(self.name, quiet)

    def with_attributes(self, *, jobs=None, metadata=None) -> "QuietAutomationSensor":
        return QuietAutomationSensor(
            self.name, target=self._sensor_target, tags=self._tags, run_tags=self._run_tags,
            default_status=self.default_status, minimum_interval_seconds=self.minimum_interval_seconds,
            description=self.description, metadata=metadata if metadata is not None else self._metadata,
            emit_backfills=self._emit_backfills, default_condition=self._default_condition)


def _relevant_events_since(storage, event_id: int) -> bool:
    """Was anything materialised, or did a run end, after ``event_id``?"""
    from dagster import DagsterEventType, EventRecordsFilter

    if storage.get_maximum_record_id() == event_id:
        return False
    return any(storage.get_event_records(EventRecordsFilter(event_type=kind, after_cursor=event_id), limit=1,
                                         ascending=True)
               for kind in (DagsterEventType.ASSET_MATERIALIZATION, DagsterEventType.RUN_SUCCESS,
                            DagsterEventType.RUN_FAILURE, DagsterEventType.RUN_CANCELED))


def _previous_event_id(cursor: str | None, repository_def) -> int | None:
    """The event id the previous evaluation saw (the newest of its condition cursors), or None."""
    if not cursor or repository_def is None:
        return None
    from dagster._daemon.asset_daemon import asset_daemon_cursor_from_instigator_serialized_cursor

    parsed = asset_daemon_cursor_from_instigator_serialized_cursor(cursor, repository_def.asset_graph)
    seen = [c.last_event_id for c in parsed.previous_condition_cursors or [] if c.last_event_id is not None]
    return max(seen) if seen else None
