"""Which staging models a set of schemas makes, and what each is named (pure).

Every schema lands in one warehouse table (the CDP layout decides which). The rules, in order:

* Events of several plans in one table (the same event in two plans): one model per plan,
  named with the plan (``stg_segment__web__order_completed``). Both read the same rows.
* Page and screen schemas: the generic ``Page Viewed`` / ``Screen Viewed`` schema models the
  whole table (``stg_segment__pages``); any other page schema models the rows whose ``name``
  is its event name (``stg_segment__pages__home``), as Segment keys page rules by page name.
* Identify, group and alias schemas of one plan: one model over the union of their traits,
  since nothing in the rows tells them apart.
* Two different track events of one plan in one table (``Order Completed`` and
  ``OrderCompleted``): the build stops, naming both (lint rule R606 reports it earlier).
* Versions of one event: one model over all versions (``union``, the default), or reflekt
  0.6's one model per version (``per_version``: ``__v1_1`` for every version but ``1-0``).

Any two models that would still share a name stop the build: nothing is lost silently.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from reflekt_core.cdp.layout import CALL_TABLES, CdpLayout
from reflekt_core.errors import ReflektError
from reflekt_core.schemas.model import EventSchema

#: Tables the CDPs write themselves: an event table may not take their model names.
CDP_TABLES = frozenset(CALL_TABLES.values()) | {"users"}
#: Page/screen event names that describe every page or screen call (Segment's default rule keys).
GENERIC_VIEW_NAMES = frozenset({"page viewed", "screen viewed", "page", "screen"})
#: Calls whose rows carry the page/screen name in the ``name`` column.
NAMED_CALLS = frozenset({"page", "screen"})


class ModelCollisionError(ReflektError):
    """Two schemas would make models with one name: the build stops rather than drop one."""


@dataclass
class ModelSpec:
    """One staging model: its name, its table, the schema versions it covers and its row filter."""

    name: str
    table: str
    call_type: str
    schemas: list[EventSchema]                   # oldest version first
    page_name: str | None = None                 # rows whose ``name`` column is this value
    version_major: int | None = None             # per_version: rows of this major version
    one_event: bool = True                       # every schema is a version of one event
    plan_name: str = ""
    #: per_version: every version of the event (the rows the model reads, without a version filter).
    all_versions: list[EventSchema] = field(default_factory=list)

    @property
    def newest(self) -> EventSchema:
        return self.schemas[-1]


@dataclass
class _Event:
    plan: str
    name: str
    call_type: str
    versions: list[EventSchema] = field(default_factory=list)


def plan_of(schema: EventSchema) -> str:
    """The plan a schema belongs to: its folder above the event folder (``web`` in ``web/Order_Completed/1-0.json``)."""
    folder = schema.event_dir
    return folder.rsplit("/", 1)[0] if "/" in folder else ""


def slug(text: str) -> str:
    """A name part for a model: lower case letters, digits and single underscores."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "x"


def table_stem(table: str) -> str:
    """A table as a model name part: RudderStack's ``_`` escape dropped, unless that makes it a CDP table."""
    stripped = table.lstrip("_")
    return stripped if stripped and stripped not in CDP_TABLES else table


def _version_key(schema: EventSchema) -> tuple[tuple[int, ...], str]:
    return (schema.version_parts, schema.rel_path)


def _events(schemas: Sequence[EventSchema], layout: CdpLayout) -> dict[str, list[_Event]]:
    """Events (every version of one name in one plan) per warehouse table."""
    events: dict[tuple[str, str, str], _Event] = {}
    for schema in sorted(schemas, key=lambda s: (plan_of(s), s.name, *_version_key(s))):
        table = layout.table_for(schema.name, schema.call_type)
        key = (table, plan_of(schema), schema.name)
        event = events.setdefault(key, _Event(plan_of(schema), schema.name, schema.call_type))
        event.versions.append(schema)
    by_table: dict[str, list[_Event]] = defaultdict(list)
    for (table, _plan, _name), event in sorted(events.items()):
        by_table[table].append(event)
    return by_table


def _ids(events: Sequence[_Event]) -> str:
    return ", ".join(s.id for e in events for s in e.versions)


@dataclass
class Collision:
    """Schemas whose models cannot all be written: ``kind`` is ``table`` or ``name``."""

    kind: str
    message: str
    schemas: list[EventSchema]


def _plan_specs(table: str, plan: str, events: list[_Event], prefix: str,
                collisions: list[Collision]) -> list[ModelSpec]:
    """Models of one plan's events in one table (``prefix`` is the model name so far)."""
    calls = sorted({e.call_type for e in events})
    if len(calls) > 1:  # e.g. a track event named "Identifies" next to an Identify schema
        collisions.append(Collision(
            "name", f"{', '.join(repr(e.name) for e in events)} ({_ids(events)}) are {' and '.join(calls)} calls "
                    f"that all load into the table '{table}'",
            [s for e in events for s in e.versions]))
        events = [e for e in events if e.call_type == events[0].call_type]
    call_type = events[0].call_type
    if call_type in NAMED_CALLS:
        specs = []
        for event in events:
            generic = event.name.strip().lower() in GENERIC_VIEW_NAMES
            name = prefix if generic else f"{prefix}__{slug(event.name)}"
            specs.append(ModelSpec(name, table, call_type, event.versions, None if generic else event.name,
                                   plan_name=plan))
        return specs
    if call_type == "track" and len(events) > 1:
        collisions.append(Collision(
            "table", f"events {', '.join(repr(e.name) for e in events)} ({_ids(events)}) all load into the "
                     f"table '{table}': their models would share one name and one table",
            [s for e in events for s in e.versions]))
        events = events[:1]
    merged = sorted((s for e in events for s in e.versions), key=_version_key)
    return [ModelSpec(prefix, table, call_type, merged, one_event=len(events) == 1, plan_name=plan)]


def _per_version(spec: ModelSpec) -> list[ModelSpec]:
    if not spec.one_event:
        return [spec]  # several identify (group, alias) schemas: no version names them apart
    result = []
    for schema in spec.schemas:
        parts = schema.version_parts  # SchemaVer 1-0-2: __v1_0_2
        suffix = "" if parts in ((1, 0), (1, 0, 0)) else "__v" + "_".join(str(p) for p in parts)
        result.append(ModelSpec(spec.name + suffix, spec.table, spec.call_type, [schema], spec.page_name,
                                schema.major, spec.one_event, spec.plan_name, list(spec.schemas)))
    return result


def find_models(schemas: Sequence[EventSchema], layout: CdpLayout, models_prefix: str = "", source_schema: str = "",
                versions: str = "union") -> tuple[list[ModelSpec], list[Collision]]:
    """Every model the schemas make, named, and every collision that would lose one."""
    specs: list[ModelSpec] = []
    collisions: list[Collision] = []
    for table, events in _events(schemas, layout).items():
        plans = sorted({e.plan for e in events})
        for plan in plans:
            qualifier = f"{slug(plan)}__" if len(plans) > 1 else ""
            prefix = f"{models_prefix}{source_schema}__{qualifier}{table_stem(table)}"
            specs.extend(_plan_specs(table, plan, [e for e in events if e.plan == plan], prefix, collisions))
    if versions == "per_version":
        specs = [v for spec in specs for v in _per_version(spec)]
    return specs, collisions + name_collisions(specs)


def plan_models(schemas: Sequence[EventSchema], layout: CdpLayout, models_prefix: str, source_schema: str,
                versions: str = "union") -> list[ModelSpec]:
    """Every model the schemas make; raises :class:`ModelCollisionError` rather than lose one."""
    specs, collisions = find_models(schemas, layout, models_prefix, source_schema, versions)
    raise_collisions(collisions)
    return specs


def name_collisions(specs: Sequence[ModelSpec]) -> list[Collision]:
    """Models that would share a name (their files would overwrite each other)."""
    by_name: dict[str, list[ModelSpec]] = defaultdict(list)
    for spec in specs:
        by_name[spec.name].append(spec)
    found = []
    for name, group in sorted(by_name.items()):
        if len(group) > 1:
            ids = ", ".join(s.id for spec in group for s in spec.schemas) or "the CDP's own tables"
            tables = ", ".join(sorted({f"'{spec.table}'" for spec in group}))
            found.append(Collision("name", f"schemas {ids} (tables {tables}) would all make the model '{name}'",
                                   [s for spec in group for s in spec.schemas]))
    return found


def raise_collisions(collisions: Sequence[Collision]) -> None:
    if collisions:
        raise ModelCollisionError(
            "; ".join(c.message for c in collisions),
            hint="rename one of the events, or build them separately with --select/--exclude; "
                 "'reflekt lint' reports these as R603/R606")


def check_unique(specs: Sequence[ModelSpec]) -> None:
    """Stop when two models share a name."""
    raise_collisions(name_collisions(specs))


__all__ = ["CDP_TABLES", "Collision", "ModelCollisionError", "ModelSpec", "check_unique", "find_models",
           "name_collisions", "plan_models", "plan_of", "raise_collisions", "slug", "table_stem"]
