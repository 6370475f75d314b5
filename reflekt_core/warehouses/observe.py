"""Observe one source: its catalog and its tables' row counts and last load times, on one connection."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reflekt_core.project import Project
from reflekt_core.warehouses.base import parse_source_ref
from reflekt_core.warehouses.catalog import SchemaCatalog
from reflekt_core.warehouses.stats import LOADED_AT, TableStats


@dataclass(frozen=True)
class SourceObservation:
    """What one look at a source found: every table's columns, and stats for the tables asked about."""

    catalog: SchemaCatalog
    stats: dict[str, TableStats] = field(default_factory=dict)


def observe_source(project: Project, source: str, tables: list[str] | None = None, *,
                   profile: str | None = None, profiles_dir: Path | None = None) -> SourceObservation:
    """The catalog of ``source_id.database.schema`` (one query) and the stats of ``tables`` that
    exist (every table when None; one statement per 200 tables: reflekt_core.warehouses.stats)."""
    from reflekt_core.profiles import load_profile
    from reflekt_core.warehouses import make_reader

    ref = parse_source_ref(source)
    entry = load_profile(project, profile, profiles_dir).source_entry(ref.source_id)
    reader = make_reader(entry, project.dir)
    try:
        catalog = reader.read_schema(ref.database, ref.schema)
        wanted = catalog.tables if tables is None else [t for t in tables if t in catalog.tables]
        targets = [(name, catalog.tables[name].column(LOADED_AT) is not None) for name in wanted]
        stats = reader.read_stats(ref.database, ref.schema, targets) if targets else []
    finally:
        reader.close()
    return SourceObservation(catalog, {s.table: s for s in stats})


__all__ = ["SourceObservation", "observe_source"]
