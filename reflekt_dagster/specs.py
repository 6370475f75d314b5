"""Specs computed from plain Reflekt data, before any Dagster decorator is applied (testable alone)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dagster import AssetCheckSpec, AssetKey, AssetSpec

from reflekt_core.errors import ReflektError
from reflekt_core.project import Project
from reflekt_core.schemas.loader import iter_schema_files, parse_schema
from reflekt_core.schemas.model import EventSchema
from reflekt_dagster.translator import ReflektTranslator, clean

LINT_CHECK = "lint"


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


def build_schema_specs(project: Project, translator: ReflektTranslator) -> SchemaSpecs:
    """An asset spec and a lint check spec per schema file, from the files on disk."""
    entries = []
    schemas_dir = project.schemas_dir
    for rel in iter_schema_files(schemas_dir) if schemas_dir.is_dir() else []:
        try:
            schema = parse_schema(schemas_dir / rel, rel, (schemas_dir / rel).read_text(encoding="utf-8-sig"))
            entries.append(SchemaEntry(rel, translator.schema_key(schema), schema))
        except (ReflektError, OSError, UnicodeDecodeError) as exc:
            entries.append(SchemaEntry(rel, _broken_key(rel), error=str(exc)))
    result = SchemaSpecs(entries)
    for entry in entries:
        schema = entry.schema
        result.specs.append(AssetSpec(
            key=entry.key,
            group_name=translator.schema_group(schema) if schema else "event_schemas",
            owners=translator.schema_owners(schema) if schema else [],
            tags=translator.schema_tags(schema) if schema else {},
            description=translator.schema_description(schema) if schema else f"schemas/{entry.rel_path} (unreadable)",
            metadata=translator.schema_metadata(schema) if schema else {"path": f"schemas/{entry.rel_path}"},
            kinds={"json"},
            skippable=True,
        ))
        result.checks.append(AssetCheckSpec(name=LINT_CHECK, asset=entry.key,
                                            description="Lint rules of reflekt_project.yml: errors fail the check."))
    return result


def _broken_key(rel_path: str) -> AssetKey:
    parts = rel_path[: -len(".json")].split("/")
    plan = parts[0] if len(parts) > 1 else "schemas"
    folder = parts[-2] if len(parts) > 1 else "unknown"
    version = parts[-1].replace("-", "_")
    return AssetKey(["event_schemas", clean(plan), f"{clean(folder)}__v{clean(version)}"])


def schema_keys_for_files(specs: SchemaSpecs, rel_paths: list[str]) -> list[AssetKey]:
    by_path = specs.by_path()
    return [by_path[rel].key for rel in rel_paths if rel in by_path]


def project_path(project_dir: str | Path) -> Path:
    return Path(project_dir).expanduser().resolve()
