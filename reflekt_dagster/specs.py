"""Specs computed from plain Reflekt data, before any Dagster decorator is applied (testable alone)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dagster import AssetCheckSpec, AssetKey, AssetSpec

from reflekt_core.errors import SchemaLoadError
from reflekt_core.project import Project
from reflekt_core.schemas.loader import iter_load, iter_schema_files
from reflekt_core.schemas.model import EventSchema
from reflekt_dagster.translator import ReflektTranslator

LINT_CHECK = "lint"
EVOLUTION_CHECK = "evolution"


@dataclass
class SchemaEntry:
    """One schema file: parsed when possible (a broken file still gets an asset)."""

    rel_path: str
    key: AssetKey
    schema: EventSchema | None = None
    error: str | None = None


@dataclass
class SchemaSpecs:
    entries: list[SchemaEntry]
    specs: list[AssetSpec] = field(default_factory=list)
    checks: list[AssetCheckSpec] = field(default_factory=list)

    def by_path(self) -> dict[str, SchemaEntry]:
        return {e.rel_path: e for e in self.entries}


def _plan_and_event(rel_path: str) -> tuple[str, str]:
    """``<plan>/<Event>/<version>.json`` -> (plan, Event); a shallower path's last part stands for the event."""
    parts = rel_path.split("/")
    return parts[0], parts[-2] if len(parts) > 2 else parts[-1]


def build_schema_specs(project: Project, translator: ReflektTranslator, automation: bool = True) -> SchemaSpecs:
    """An asset spec, a blocking lint check spec and an evolution check spec per schema file.

    Schema assets carry no automation condition: the schemas sensor runs them (an edit, and a new
    file once the location has loaded it). ``automation`` is kept for callers; it changes nothing here.
    """
    schemas_dir = project.schemas_dir
    files = iter_schema_files(schemas_dir) if schemas_dir.is_dir() else []
    errors: list[SchemaLoadError] = []
    entries = [SchemaEntry(s.rel_path, translator.schema_key(s), s) for s in iter_load(schemas_dir, files, errors)]
    entries += [SchemaEntry(e.rel_path, translator.schema_path_key(e.rel_path), error=str(e))
                for e in errors if e.rel_path]
    entries.sort(key=lambda e: e.rel_path)
    # distinct files never share a key (``link-click`` and ``link_click``): only colliding keys move
    unique = translator.unique_schema_keys({e.rel_path: e.key for e in entries})
    for entry in entries:
        entry.key = unique[entry.rel_path]
    # Groups the lineage view can draw: a plan's events split by name prefix past max_group_size files.
    plan_event = [_plan_and_event(entry.rel_path) for entry in entries]
    events: dict[str, list[str]] = {}
    for plan, event in plan_event:
        events.setdefault(plan, []).append(event)
    splits = {plan: translator.group_split(names) for plan, names in events.items()}
    result = SchemaSpecs(entries)
    for entry, (plan, event) in zip(entries, plan_event):
        schema = entry.schema
        split = splits[plan][event]
        result.specs.append(AssetSpec(
            key=entry.key,
            group_name=(translator.schema_group(schema, split=split) if schema else
                        translator.schema_path_group(entry.rel_path, split=split)),
            owners=translator.schema_owners(schema) if schema else [],
            tags=translator.schema_tags(schema) if schema else {},
            description=translator.schema_description(schema) if schema else f"schemas/{entry.rel_path} (unreadable)",
            metadata=translator.schema_metadata(schema) if schema else {"path": f"schemas/{entry.rel_path}"},
            kinds={"json"},
            skippable=True,
        ))
        result.checks.append(AssetCheckSpec(name=LINT_CHECK, asset=entry.key, blocking=True,
                                            description="Lint rules of reflekt_project.yml: errors fail the check."))
        result.checks.append(AssetCheckSpec(
            name=EVOLUTION_CHECK, asset=entry.key,
            description="Compared with the event's previous version: every change classified (addition, "
                        "breaking, cosmetic); a breaking change in a new MINOR fails the check."))
    return result


def schema_keys_for_files(specs: SchemaSpecs, rel_paths: list[str]) -> list[AssetKey]:
    by_path = specs.by_path()
    return [by_path[rel].key for rel in rel_paths if rel in by_path]
