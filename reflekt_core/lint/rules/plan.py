"""Plan-wide rules: versions of one event, and events against each other and the CDP."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence

from reflekt_core.lint.result import Level
from reflekt_core.lint.rule import Finding, LintContext, plan_rule, schema_rule
from reflekt_core.schemas.layout import IGLU, REFLEKT, file_identity
from reflekt_core.schemas.model import EventSchema
from reflekt_core.schemas.version import parse_version, version_gaps

PlanFinding = tuple[EventSchema, Finding]


def _versions_by_event(ctx: LintContext, schemas: Sequence[EventSchema]) -> dict[str, set[tuple[int, ...]]]:
    """Versions per event folder, from every file in the project (not just the selection)."""
    versions: dict[str, set[tuple[int, ...]]] = defaultdict(set)
    for rel in ctx.all_files or [s.rel_path for s in schemas]:
        identity = file_identity(rel, ctx.layout)
        parts = parse_version(identity.version) if identity else None
        if parts:
            versions[identity.event_dir].add(parts)
    return versions


@plan_rule("R601", "plan.version_sequence", Level.ERROR)
def version_sequence(schemas: Sequence[EventSchema], ctx: LintContext) -> Iterator[PlanFinding]:
    """An event's versions start at ``1-0`` and have no gaps (``1-0, 1-1, 2-0``, not ``1-0, 1-2``).

    SchemaVer likewise: ``1-0-0, 1-0-1, 1-1-0, 2-0-0``, not ``1-0-0, 1-0-2``.

    Fails: files ``Order_Completed/1-0.json`` and ``Order_Completed/1-2.json``
    Passes: files ``Order_Completed/1-0.json``, ``1-1.json`` and ``2-0.json``
    """
    versions = _versions_by_event(ctx, schemas)
    reported: set[str] = set()
    for schema in sorted(schemas, key=lambda s: s.rel_path):
        identity = file_identity(schema.rel_path, ctx.layout)
        folder = identity.event_dir if identity else schema.event_dir
        if folder in reported or folder not in versions:
            continue
        reported.add(folder)  # one verdict per event folder, on its first schema
        problems = version_gaps(versions[folder])
        if problems:
            yield schema, ("/self/version", f"versions of '{schema.name}' have gaps: {'; '.join(problems)}")


def _loose_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _other_events(schemas: Sequence[EventSchema], ctx: LintContext) -> dict[str, str]:
    """Event name per event folder: selected schemas by ``self.name``, others by folder name."""
    names = {}
    for rel in ctx.all_files:
        if ctx.layout == IGLU:  # vendor/name/format/version: the name folder is the Iglu name itself
            identity = file_identity(rel, IGLU)
            if identity:
                names[identity.event_dir] = identity.event
            continue
        folder = rel.rpartition("/")[0]
        names[folder] = folder.rpartition("/")[2].replace("_", " ")
    for schema in schemas:
        names[schema.event_dir] = schema.name
    return names


def _plan_folder(event_folder: str, layout: str = REFLEKT) -> str:
    """The plan of an event folder (``web`` for ``web/Order_Completed``, the vendor for an Iglu
    ``vendor/name/format``): what lands in one warehouse schema."""
    if layout == IGLU:
        return event_folder.split("/", 1)[0]
    return event_folder.rsplit("/", 1)[0] if "/" in event_folder else ""


def _project_wide(ctx: LintContext) -> bool:
    return getattr(ctx.project.lint, "collision_scope", "plan") == "project"


def _clashes(schemas: Sequence[EventSchema], ctx: LintContext, key,
             scoped: bool = False) -> Iterator[tuple[EventSchema, str]]:
    """Schemas whose event name has the same ``key`` as another event's (within its plan when ``scoped``)."""
    names = _other_events(schemas, ctx)
    groups: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for folder, name in names.items():
        groups[(_plan_folder(folder, ctx.layout) if scoped else "", key(name))][folder] = name
    for schema in sorted(schemas, key=lambda s: s.rel_path):
        group = groups.get((_plan_folder(schema.event_dir, ctx.layout) if scoped else "", key(schema.name)), {})
        others = sorted({name for folder, name in group.items()
                         if folder != schema.event_dir and name != schema.name})
        if others:
            yield schema, ", ".join(f"'{o}'" for o in others)


@plan_rule("R602", "plan.similar_event_names", Level.WARNING)
def similar_event_names(schemas: Sequence[EventSchema], ctx: LintContext) -> Iterator[PlanFinding]:
    """No two events have names that differ only by case, spaces or separators.

    In a static Iglu repository (``--iglu-dir``) names are compared within one vendor: Iglu keys,
    and the warehouse tables Snowplow loads them into, carry the vendor.
    Fails: events ``Order Completed`` and ``order_completed``
    Passes: events ``Order Completed`` and ``Order Refunded``
    """
    for schema, others in _clashes(schemas, ctx, _loose_key, scoped=ctx.layout == IGLU):
        yield schema, ("/self/name", f"event '{schema.name}' differs only by case or separators from {others}")


@plan_rule("R603", "plan.table_collision", Level.ERROR)
def table_collision(schemas: Sequence[EventSchema], ctx: LintContext) -> Iterator[PlanFinding]:
    """No two events of one plan land in the same warehouse table once the CDP snake-cases their names.

    A plan (the folder above the event folders) loads into one warehouse schema, so events of
    different plans only collide with ``lint: {collision_scope: project}``.

    Fails (Segment): ``web/Order Completed`` and ``web/OrderCompleted`` (both ``order_completed``)
    Passes: ``Order Completed`` and ``Order Refunded``; ``web/Order Completed`` and ``app/OrderCompleted``
    """
    for layout in ctx.layouts.values():
        tracks = [s for s in schemas if s.call_type == "track"]
        for schema, others in _clashes(tracks, ctx, layout.table_name, scoped=not _project_wide(ctx)):
            table = layout.table_name(schema.name)
            yield schema, ("/self/name", f"event '{schema.name}' and {others} all load into the "
                                         f"{layout.display_name} table '{table}'")


@plan_rule("R604", "plan.duplicate_id", Level.ERROR)
def duplicate_id(schemas: Sequence[EventSchema], ctx: LintContext) -> Iterator[PlanFinding]:
    """No two schema files share one ``$id``.

    Fails: two files both declaring ``"$id": "web/Order_Completed/1-0.json"``
    Passes: each file's ``$id`` is its own path
    """
    by_id: dict[str, list[EventSchema]] = defaultdict(list)
    for schema in schemas:
        if isinstance(schema.doc.get("$id"), str):
            by_id[schema.doc["$id"]].append(schema)
    for schema_id, group in sorted(by_id.items()):
        if len(group) > 1:
            for schema in group:
                others = ", ".join(s.rel_path for s in group if s is not schema)
                yield schema, ("/$id", f"$id '{schema_id}' is also declared by {others}")


@schema_rule("R605", "cdp.reserved_column", Level.WARNING)
def reserved_column(schema: EventSchema, ctx: LintContext) -> Iterator[Finding]:
    """No property lands on a column the CDP reserves for its own data (``user_id``, ``timestamp``...).

    Fails (Segment, a track event): ``"properties": {"timestamp": {...}}``
    Passes: ``"properties": {"ordered_at": {...}}``
    """
    for layout in ctx.layouts.values():
        reserved = layout.reserved_columns.get(schema.call_type, frozenset())
        for prop in schema.property_nodes:
            if "[]" in prop.path:  # array items are stored as JSON text, not as columns
                continue
            column = layout.column_name(prop.path)
            if column in reserved:
                yield prop.pointer, (f"property '{prop.path}' becomes column '{column}', which "
                                     f"{layout.display_name} reserves on {schema.call_type} tables: "
                                     f"{layout.collision_behaviour}; rename the property")


@plan_rule("R606", "plan.model_collision", Level.ERROR)
def model_collision(schemas: Sequence[EventSchema], ctx: LintContext) -> Iterator[PlanFinding]:
    """No two schemas of one plan make dbt staging models with one name (``reflekt build`` would stop).

    Covers what R603 does not: a track event named like a table the CDP writes itself, and page
    or screen names, or plan names, that become the same model name.

    Fails (Segment): a track event ``Identifies`` next to an ``Identify`` schema (both ``stg_<source>__identifies``)
    Passes: ``Identify`` and ``Order Completed``
    """
    from reflekt_core.dbt.grouping import find_models, plan_of

    scopes: dict[str, list[EventSchema]] = defaultdict(list)
    for schema in schemas:
        scopes["" if _project_wide(ctx) else plan_of(schema)].append(schema)
    for layout in ctx.layouts.values():
        for scoped in scopes.values():
            _specs, collisions = find_models(scoped, layout)
            for collision in collisions:
                if collision.kind == "table":
                    continue  # R603
                for schema in collision.schemas:
                    yield schema, ("/self/name", f"{layout.display_name}: {collision.message}; rename one event")


RULES = [version_sequence, similar_event_names, table_collision, duplicate_id, reserved_column, model_collision]
