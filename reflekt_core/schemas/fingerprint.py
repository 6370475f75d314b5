"""Content fingerprints of the schemas folder, for change detection (the Dagster sensor)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from reflekt_core.schemas.loader import iter_schema_files


def fingerprint(schemas_dir: Path) -> dict[str, str]:
    """``{relative path: sha1 of the bytes}`` for every schema file (and the meta-schema)."""
    result: dict[str, str] = {}
    if not schemas_dir.is_dir():
        return result
    files = iter_schema_files(schemas_dir)
    meta = schemas_dir / ".reflekt" / "meta" / "1-0.json"
    if meta.is_file():
        files = [*files, ".reflekt/meta/1-0.json"]
    for rel in files:
        try:
            result[rel] = hashlib.sha1((schemas_dir / rel).read_bytes()).hexdigest()
        except OSError:
            result[rel] = "unreadable"
    return result


def changed_files(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Files added, removed or edited between two fingerprints, sorted."""
    return sorted(rel for rel in before.keys() | after.keys() if before.get(rel) != after.get(rel))
