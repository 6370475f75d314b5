"""Event schemas: the model, the loader and ``--select`` semantics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reflekt_core.schemas.loader import iter_schema_files, load_schemas, parse_schema
from reflekt_core.schemas.model import EventSchema
from reflekt_core.schemas.select import normalise_selector, select_files

__all__ = ["EventSchema", "iter_schema_files", "load_schemas", "parse_schema", "select_files",
           "normalise_selector", "load_selected", "Selection"]


@dataclass(frozen=True)
class Selection:
    """The schemas a command works on, and every schema file of the project."""

    schemas: list[EventSchema]
    all_files: list[str]


def load_selected(schemas_dir: Path, select: list[str] | None = None, exclude: list[str] | None = None,
                  progress: Callable[[int], None] | None = None,
                  on_count: Callable[[int], None] | None = None) -> Selection:
    """Find the schema files that ``select``/``exclude`` name and load them."""
    from reflekt_core.errors import SelectionError

    if not schemas_dir.is_dir():
        raise SelectionError(f"the schemas folder {schemas_dir} does not exist",
                             hint="create it, or pull schemas with 'reflekt pull'")
    all_files = iter_schema_files(schemas_dir)
    files = select_files(all_files, select, exclude, schemas_dir)
    if on_count:
        on_count(len(files))
    return Selection(schemas=load_schemas(schemas_dir, files, progress), all_files=all_files)
