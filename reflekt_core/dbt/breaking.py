"""Breaking changes between consecutive versions of an event, seen as staging-model columns.

A column of one version's staging model that the next version removes, or declares with
another type, breaks whatever reads it when dependants move to the new model: each is a
``breaking_change`` drift item naming both models and the column. The classification is
:func:`reflekt_core.evolution.classify`; only its breaking changes that remove a property or
change its type are column breaks, so a pair of versions where no column is gone or retyped
(most pairs: compatible versions) is not classified at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence

from reflekt_core.evolution import Kind, classify
from reflekt_core.evolution.versions import parse_version


def breaking_columns(models: Sequence, layout, flat_properties, json_type) -> Iterator[tuple]:
    """``(model, table, column, schema_id, message)`` for each column broken between two versions.

    ``flat_properties(schema)`` and ``json_type(node)`` are the planner's own: which properties
    become columns, and the column type a property declares.
    """
    by_event: dict[tuple[str, str], list] = defaultdict(list)
    for model in models:
        if model.schema is not None and parse_version(model.schema.version):
            by_event[(model.table, model.schema.event_dir)].append(model)
    columns: dict[str, str] = {}  # property path -> column name, for every pair
    for group in by_event.values():
        group.sort(key=lambda m: parse_version(m.schema.version))
        for before, after in zip(group, group[1:]):
            yield from _between(before, after, layout, flat_properties, json_type, columns)


def _between(before, after, layout, flat_properties, json_type, columns: dict[str, str]) -> Iterator[tuple]:
    def column_of(path: str) -> str:
        if path not in columns:
            columns[path] = layout.column_name(path)
        return columns[path]

    old_cols = {c.name for c in before.columns}
    new_cols = {c.name for c in after.columns}
    old_props = flat_properties(before.schema)
    new_props = {p.pointer: p for p in flat_properties(after.schema)}
    old_by_pointer: dict[str, object] = {}
    for prop in old_props:
        old_by_pointer.setdefault(prop.pointer, prop)
    if old_cols <= new_cols and not any(
            pointer in old_by_pointer and column_of(old_by_pointer[pointer].path) in old_cols
            and json_type(old_by_pointer[pointer].node) != json_type(prop.node) for pointer, prop in new_props.items()):
        return  # no column gone and none retyped: no change classify could find breaks a column
    label = f"from {before.schema.version} to {after.schema.version}"
    seen: set[str] = set()
    for change in classify(before.schema.doc, after.schema.doc):
        if change.kind is not Kind.BREAKING:
            continue
        if change.rule == "property.removed":
            inside = change.pointer + "/"
            for prop in old_props:
                if prop.pointer != change.pointer and not prop.pointer.startswith(inside):
                    continue
                column = column_of(prop.path)
                if column in old_cols and column not in new_cols and column not in seen:
                    seen.add(column)
                    yield (after.name, after.table, column, after.schema.id,
                           f"breaking change {label}: {change.reason}; column '{column}' of model "
                           f"'{before.name}' is not in model '{after.name}'")
        elif change.rule == "type.changed" and change.pointer.endswith("/type"):
            new = new_props.get(change.pointer[: -len("/type")])
            old = old_by_pointer.get(change.pointer[: -len("/type")])
            if new is None or old is None:
                continue
            column = column_of(old.path)
            was, now = json_type(old.node), json_type(new.node)
            if column in old_cols and was != now and column not in seen:
                seen.add(column)
                yield (after.name, after.table, column, after.schema.id,
                       f"breaking change {label}: {change.reason}; column '{column}' is {was} in model "
                       f"'{before.name}' and {now} in model '{after.name}'")
