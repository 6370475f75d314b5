"""Find, read and parse event schema files into :class:`EventSchema` objects.

Every problem is collected as a :class:`SchemaLoadError` naming the file (and
line and column for JSON syntax errors); nothing is skipped silently.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from reflekt_core.errors import SchemaLoadError, SchemaLoadErrors
from reflekt_core.schemas import jsonc
from reflekt_core.schemas.model import VERSION_PATTERN, EventSchema


def iter_schema_files(schemas_dir: Path) -> list[str]:
    """Relative POSIX paths of every ``*.json`` under ``schemas_dir``, sorted.

    Hidden folders (such as ``.reflekt/`` holding the meta-schema) are not event schemas.
    """
    found: list[str] = []
    stack = [(schemas_dir, "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            raise SchemaLoadError(f"cannot list folder: {exc.strerror}", where=str(folder)) from None
        for entry in entries:
            if entry.name.startswith("."):
                continue
            rel = f"{prefix}{entry.name}"
            if entry.is_dir():
                stack.append((Path(entry.path), rel + "/"))
            elif entry.name.endswith(".json"):
                found.append(rel)
    found.sort()
    return found


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def parse_schema(path: Path, rel_path: str, text: str) -> EventSchema:
    """Parse one schema's text; raise :class:`SchemaLoadError` naming what is wrong."""
    where = _display(path)
    try:
        doc = jsonc.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaLoadError(f"invalid JSON: {exc.msg}", where=f"{where}:{exc.lineno}:{exc.colno}",
                              hint="fix the syntax at that position") from None
    except RecursionError:
        raise SchemaLoadError("invalid JSON: nested too deeply", where=where) from None
    if not isinstance(doc, dict):
        raise SchemaLoadError(f"expected a JSON object at the top level, found {type(doc).__name__}",
                              where=where, hint="an event schema is one JSON Schema object")
    block = doc.get("self")
    if not isinstance(block, dict):
        raise SchemaLoadError("missing the 'self' block" if block is None else "'self' must be an object",
                              where=where,
                              hint='add "self": {"vendor": ..., "name": ..., "format": "jsonschema", '
                                   '"version": "1-0"}')
    for key in ("name", "version"):
        if not isinstance(block.get(key), str) or not block[key].strip():
            raise SchemaLoadError(f"'self.{key}' is missing or not a string", where=where,
                                  hint="every schema needs self.name and self.version")
    if not VERSION_PATTERN.match(block["version"]):
        raise SchemaLoadError(f"'self.version' is {block['version']!r}, not MAJOR-MINOR or "
                              "MODEL-REVISION-ADDITION", where=where,
                              hint="use a version such as '1-0' or '2-1' (SchemaVer: '1-0-0')")
    schema_id = doc.get("$id")
    if schema_id is not None and not isinstance(schema_id, str):
        raise SchemaLoadError("'$id' must be a string", where=where)
    if isinstance(schema_id, str):
        parts = schema_id.replace("\\", "/").split("/")
        if ".." in parts or schema_id.startswith("/") or (len(schema_id) > 1 and schema_id[1] == ":"):
            raise SchemaLoadError(f"'$id' {schema_id!r} leaves the schemas folder", where=where,
                                  hint="$id is the path relative to schemas/, e.g. "
                                       f"'{rel_path}'")
    return EventSchema(path=path, rel_path=rel_path, doc=doc, text=text)


def read_schema(schemas_dir: Path, rel: str) -> EventSchema:
    """Read and parse one schema file; every failure is a :class:`SchemaLoadError` with ``rel_path``."""
    path = schemas_dir / rel
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        return parse_schema(path, rel, raw.decode("utf-8-sig"))
    except SchemaLoadError as exc:
        error = exc
    except UnicodeDecodeError as exc:
        error = SchemaLoadError(f"not UTF-8 text (byte {exc.start})", where=_display(path),
                                hint="save the file as UTF-8")
    except OSError as exc:
        error = SchemaLoadError(f"cannot read file: {exc.strerror}", where=_display(path),
                                hint="check that the file exists and is readable")
    error.rel_path = rel
    raise error


def iter_load(schemas_dir: Path, rel_paths: Iterable[str], errors: list[SchemaLoadError],
              progress: Callable[[int], None] | None = None) -> Iterator[EventSchema]:
    """Yield schemas one at a time; failures are appended to ``errors``, never skipped silently."""
    for rel in rel_paths:
        try:
            yield read_schema(schemas_dir, rel)
        except SchemaLoadError as exc:
            errors.append(exc)
        if progress:
            progress(1)


def load_schemas(schemas_dir: Path, rel_paths: Iterable[str],
                 progress: Callable[[int], None] | None = None) -> list[EventSchema]:
    """Load the given files; raise :class:`SchemaLoadErrors` listing every failure."""
    errors: list[SchemaLoadError] = []
    schemas = list(iter_load(schemas_dir, rel_paths, errors, progress))
    if errors:
        raise SchemaLoadErrors(errors)
    return schemas
