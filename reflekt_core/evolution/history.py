"""Each schema version against the version before it, from the files on disk (no git needed).

What the Dagster ``evolution`` check and the lint report show: for every version with a
predecessor, its changes and whether its version number says enough (a breaking change
needs a new MAJOR / MODEL).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from reflekt_core.evolution import versions as v
from reflekt_core.evolution.change import Change, Kind, verdict
from reflekt_core.evolution.compare import classify


@dataclass
class VersionCheck:
    rel_path: str
    previous: str | None = None
    changes: list[Change] = field(default_factory=list)
    ok: bool = True
    message: str = "first version: nothing to compare"

    @property
    def verdict(self) -> str:
        return verdict(self.changes)

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.rel_path, "previous": self.previous, "verdict": self.verdict, "ok": self.ok,
                "message": self.message, "changes": [c.to_dict() for c in self.changes]}


def _by_folder(files: Iterable[str]) -> dict[str, dict[tuple[int, ...], str]]:
    found: dict[str, dict[tuple[int, ...], str]] = {}
    for rel in files:
        version = v.version_of(rel)
        if version:
            found.setdefault(rel.rpartition("/")[0], {})[version] = rel
    return found


def check_version(rel: str, existing: dict[tuple[int, ...], str], read: Callable[[str], Any]) -> VersionCheck:
    """``rel`` against its predecessor among ``existing`` (version -> file of the same event)."""
    version = v.version_of(rel)
    before = v.predecessor(version, existing) if version else None
    if before is None:
        return VersionCheck(rel)
    check = VersionCheck(rel, existing[before])
    old, new = read(existing[before]), read(rel)
    if old is None or new is None:
        check.message = "cannot read one of the versions"
        return check
    check.changes = classify(old, new)
    level = v.bump_level(before, version)
    broken = [c for c in check.changes if c.kind is Kind.BREAKING]
    if level > 0 and broken:
        check.ok = False
        check.message = (f"{len(broken)} breaking change(s) since {v.text(before)} need a new "
                         f"{v.level_name(version, 0)} version ({v.text(v.raise_part(before, 0, existing))}), "
                         f"not {v.text(version)}: {broken[0].reason}")
    elif level == 0 and not broken:
        check.message = (f"{check.verdict} since {v.text(before)}: it could be "
                         f"{v.text(v.raise_part(before, len(before) - 1, existing))}")
    else:
        check.message = f"{check.verdict} since {v.text(before)}"
    return check


def check_versions(rel_paths: Sequence[str], all_files: Sequence[str], read: Callable[[str], Any]) -> dict[str, VersionCheck]:
    """A :class:`VersionCheck` for each of ``rel_paths`` (files relative to ``schemas/``)."""
    folders = _by_folder(all_files)
    return {rel: check_version(rel, folders.get(rel.rpartition("/")[0], {}), read) for rel in rel_paths}


def check_project_versions(project, rel_paths: Sequence[str] | None = None,
                           loaded: dict[str, Any] | None = None) -> dict[str, VersionCheck]:
    """:func:`check_versions` on a project's files: ``loaded`` documents first, others read from disk.

    ``rel_paths`` defaults to every schema file; a file that cannot be read compares as unreadable.
    """
    from reflekt_core.errors import SchemaLoadError
    from reflekt_core.schemas.loader import iter_schema_files, read_schema

    files = iter_schema_files(project.schemas_dir) if project.schemas_dir.is_dir() else []
    docs = dict(loaded or {})

    def read(rel: str) -> Any:
        if rel not in docs:
            try:
                docs[rel] = read_schema(project.schemas_dir, rel).doc
            except SchemaLoadError:
                docs[rel] = None
        return docs[rel]

    return check_versions(list(files if rel_paths is None else rel_paths), files, read)


def markdown_table(checks: Iterable[VersionCheck]) -> str:
    """Versions that have a predecessor, as a Markdown table (schema, compared with, verdict, status)."""
    rows = [f"| schemas/{c.rel_path} | {c.previous.rsplit('/', 1)[-1]} | {c.verdict} | "
            f"{'ok' if c.ok else 'needs a new MAJOR'} | {c.message.replace('|', '/')} |"
            for c in checks if c.previous]
    if not rows:
        return "No schema has a previous version."
    return "| schema | compared with | verdict | status | detail |\n|---|---|---|---|---|\n" + "\n".join(rows)


def change_table(check: VersionCheck) -> str:
    """One version's changes as a Markdown list (kind, JSON Pointer, reason)."""
    if not check.changes:
        return "none"
    return "\n".join(f"- **{c.kind.value}** `{c.pointer or '/'}` {c.reason}" for c in check.changes)
