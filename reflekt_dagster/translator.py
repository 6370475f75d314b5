"""One place that decides how Reflekt objects look in Dagster: keys, groups, owners, tags."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from dagster import AssetKey

from reflekt_core.schemas.model import EventSchema

_NAME = re.compile(r"[^A-Za-z0-9_]")
_TAG = re.compile(r"[^A-Za-z0-9_.\-]")
_VERSION = re.compile(r"[0-9]+(-[0-9]+)*")


def _required_constraint():
    from dagster import TableColumnConstraints

    return TableColumnConstraints(nullable=False)


def clean(text: str) -> str:
    """A string usable as an asset-key part or a Dagster name."""
    return _NAME.sub("_", text).strip("_") or "_"


def _digest(text: str, size: int = 8) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:size]


def _suffixed(key: AssetKey, name: str, size: int = 8) -> AssetKey:
    return AssetKey([*key.path[:-1], f"{key.path[-1]}__{_digest(name, size)}"])


def unique_keys(keys: Mapping[str, AssetKey], canonical: Callable[[str], bool],
                alternative: Callable[[str, AssetKey], AssetKey] | None = None) -> dict[str, AssetKey]:
    """``keys`` (name -> its usual key) made collision-free, moving as few keys as possible.

    A name whose key no other name shares keeps it. Among names that share one, a ``canonical``
    name (one the key spells exactly, such as the table ``users`` for ``raw/segment/users``)
    keeps it; each other name gets ``alternative(name, key)`` (default: the key's last part with
    ``__`` and 8 hex digits of the name's SHA-1), and the hash suffix when that is taken too.
    So keys only move for names that collide, and depend on nothing but the colliding names.
    """
    alternative = alternative or (lambda name, key: _suffixed(key, name))
    shared: dict[AssetKey, list[str]] = {}
    for name, key in keys.items():
        shared.setdefault(key, []).append(name)
    result = dict(keys)
    moved: list[str] = []
    for key, names in shared.items():
        if len(names) < 2:
            continue
        keeper = [n for n in names if canonical(n)][:1]
        for name in sorted(names):
            if name not in keeper:
                result[name] = alternative(name, key)
                moved.append(name)
    taken = {key: name for name, key in result.items() if name not in moved}
    for name in sorted(moved):
        key, size = result[name], 8
        while key in taken:
            key, size = _suffixed(keys[name], name, size), size + 4
        taken[key] = name
        result[name] = key
    return result


def prefix_split(keys: list[str], max_size: int, names: list[str] | None = None) -> dict[str, str]:
    """Each of ``names`` (default ``keys``) -> the shortest prefix of its key such that at most
    ``max_size`` of ``keys`` share it, or ``""`` when all fit in one group."""
    names = keys if names is None else names
    found: dict[str, str] = {}

    def split(members: list[str], depth: int) -> None:
        if len(members) <= max_size or depth >= 32 or len(set(members)) == 1:
            for key in members:
                found[key] = key[:depth]
            return
        by_char: dict[str, list[str]] = {}
        for key in members:
            by_char.setdefault(key[depth:depth + 1], []).append(key)
        for part in by_char.values():
            split(part, depth + 1)

    split(sorted(keys), 0)
    return {name: found[key] for name, key in zip(names, keys)}


def clean_tag(text: str) -> str:
    return _TAG.sub("_", str(text))[:63]


class ReflektTranslator:
    """Override any method to change how Reflekt objects appear in Dagster."""

    def schema_key(self, schema: EventSchema) -> AssetKey:
        return self.schema_path_key(schema.rel_path)

    def schema_path_key(self, rel_path: str) -> AssetKey:
        """The key of the schema file at ``rel_path`` (relative to schemas/), readable or not."""
        parts = rel_path[: -len(".json")].split("/")
        plan = parts[0] if len(parts) > 1 else "schemas"
        folder = parts[-2] if len(parts) > 1 else "unknown"
        return AssetKey(["event_schemas", clean(plan), f"{clean(folder)}__v{clean(parts[-1].replace('-', '_'))}"])

    def unique_schema_keys(self, keys: Mapping[str, AssetKey]) -> dict[str, AssetKey]:
        """Every schema file's key (by path under schemas/), distinct for distinct files.

        Files whose keys collide (``link-click`` and ``link_click``, plans ``com.acme`` and
        ``com_acme``, a nested folder) keep their key only where the path spells it exactly
        (``<plan>/<Event>/<M>-<N>.json`` with plan and event already clean); the others get
        ``__`` and 8 hex digits of their path's SHA-1 appended. Keys that collide with none do not move.
        """
        return unique_keys(keys, canonical=self._canonical_schema_path)

    def _canonical_schema_path(self, rel_path: str) -> bool:
        parts = rel_path[: -len(".json")].split("/") if rel_path.endswith(".json") else []
        return (len(parts) == 3 and all(clean(p) == p for p in parts[:2])
                and _VERSION.fullmatch(parts[2]) is not None)

    #: A group the lineage view can still draw; a bigger one is split by name prefix (``group_split``).
    max_group_size = 300

    def group_split(self, names: list[str]) -> dict[str, str]:
        """For one would-be group, each member name's suffix: ``""`` when all ``names`` (one entry
        per asset, so repeats count) fit in ``max_group_size``; otherwise the shortest name prefix
        whose members fit (``s`` -> ``sh``, ``st``, ... when the ``s`` names are too many).
        At 5,000 schemas a first-letter split still left groups of 1,100 to 3,700 assets."""
        return prefix_split([clean(n).lower() for n in names], self.max_group_size, names)

    def schema_group(self, schema: EventSchema, plan_size: int = 0, split: str | None = None) -> str:
        """``schemas_<plan>``, or ``schemas_<plan>_<prefix>`` for a plan of more than ``max_group_size`` files."""
        return self.schema_path_group(schema.rel_path, plan_size, split)

    def schema_path_group(self, rel_path: str, plan_size: int = 0, split: str | None = None) -> str:
        """``split``: the event's suffix from ``group_split`` over the plan's files (without it, the
        event's first letter once the plan holds more than ``max_group_size`` files)."""
        parts = rel_path.split("/")
        group = f"schemas_{clean(parts[0]) if len(parts) > 1 else 'unplanned'}"
        if split is not None:
            return f"{group}_{split}" if split else group
        if plan_size > self.max_group_size and len(parts) > 2:
            group += f"_{clean(parts[-2][:1].lower())}"
        return group

    def schema_owners(self, schema: EventSchema) -> list[str]:
        owners = []
        for key in ("code_owner", "product_owner"):
            value = schema.metadata.get(key)
            if isinstance(value, str) and value.strip():
                owners.append(value if "@" in value else f"team:{clean(value)}")
        return owners

    def schema_tags(self, schema: EventSchema) -> dict[str, str]:
        tags = {"reflekt/call_type": schema.call_type, "reflekt/version": clean_tag(schema.version)}
        if schema.vendor:
            tags["reflekt/vendor"] = clean_tag(schema.vendor)
        return tags

    def schema_description(self, schema: EventSchema) -> str:
        return f"{schema.name} {schema.version} ({schema.id}): {schema.description}".strip()

    def schema_metadata(self, schema: EventSchema) -> dict[str, Any]:
        """Static metadata: the id and the file (also as a code reference).

        The properties as columns (:meth:`schema_columns`) go with each materialisation instead,
        as they do for the raw tables (observations) and the dbt models: at 5,000 schemas, in the
        definitions they were a third of the code location's snapshot (18 MB of 58) and about
        6 s of every ``dagster dev`` start."""
        import warnings

        from dagster import BetaWarning, CodeReferencesMetadataValue, LocalFileCodeReference

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BetaWarning)
            reference = CodeReferencesMetadataValue(code_references=[
                LocalFileCodeReference(file_path=os.path.abspath(schema.path), label="JSON Schema")])
        return {"schema_id": schema.id, "path": f"schemas/{schema.rel_path}", "dagster/code_references": reference}

    def schema_columns(self, schema: EventSchema) -> Any:
        """The properties as a ``TableSchema``: name, JSON type, description, non-nullable when required."""
        from dagster import TableColumn, TableSchema

        columns = []
        required = set(schema.required)  # a property recomputed per column cost 1 s at 5,000 schemas
        for name, node in schema.properties.items():
            node = node if isinstance(node, dict) else {}
            kind = node.get("type", "any")
            kind = " | ".join(map(str, kind)) if isinstance(kind, list) else str(kind)
            columns.append(TableColumn(name=name, type=kind, description=node.get("description") or None,
                                       constraints=None if name not in required else
                                       _required_constraint()))
        return TableSchema(columns=columns)

    def raw_table_key(self, source_schema: str, table: str) -> AssetKey:
        return AssetKey(["raw", clean(source_schema), clean(table)])

    def raw_table_keys(self, source_schema: str, tables: Iterable[str]) -> dict[str, AssetKey]:
        """Every table of one source -> its key, distinct for distinct tables.

        A table keeps ``raw_table_key`` unless another table of the source has that key too
        (RudderStack writes the event ``Users`` to ``_users`` beside its ``users`` table, and keeps
        an event's leading underscores: ``_Order Completed`` -> ``_order_completed`` beside
        ``order_completed``). Then the table the key spells exactly keeps it (``users``), and the
        others are keyed by their own name, invalid characters replaced but underscores kept
        (``raw/<schema>/_users``), or with a hash suffix where that is taken too.
        """
        tables = sorted(set(tables))
        keys = {table: self.raw_table_key(source_schema, table) for table in tables}
        return unique_keys(keys, canonical=lambda table: keys[table].path[-1] == table,
                           alternative=lambda table, key: AssetKey([*key.path[:-1], _NAME.sub("_", table) or "_"]))

    def lint_report_key(self) -> AssetKey:
        return AssetKey(["reflekt", "lint_report"])

    def catalog_key(self, source_ref: str) -> AssetKey:
        return AssetKey(["reflekt", "warehouse_catalog", *[clean(p) for p in source_ref.split(".")]])

    def dbt_package_key(self) -> AssetKey:
        return AssetKey(["reflekt", "dbt_package"])

    def registry_pull_key(self, registry: str) -> AssetKey:
        return AssetKey(["reflekt", "registry", f"{clean(registry)}_plan"])

    def segment_push_key(self) -> AssetKey:
        return AssetKey(["reflekt", "registry", "segment_push"])

    def group(self) -> str:
        return "reflekt"
