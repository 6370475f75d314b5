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
