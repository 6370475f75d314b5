"""The evolution gate: the versioning policy applied to the changes between a base and the work tree.

Pure: it gets the changed files, the base and current documents, and returns findings.
- a version file that exists at base and was edited: every change must be cosmetic (R701);
- a new version is compared with its predecessor: a new MINOR (REVISION/ADDITION) must hold
  only compatible changes (R702); a new MAJOR (MODEL) with only compatible ones could have
  been a MINOR (R703, info);
- a version file deleted since base is an error unless the project allows it (R704);
- every change of an edited or new version is listed (R705, info).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reflekt_core.evolution import versions as v
from reflekt_core.evolution.change import Change, Kind, verdict
from reflekt_core.evolution.compare import classify

EDITED, ADDED, DELETED = "edited", "added", "deleted"


@dataclass(frozen=True)
class Finding:
    code: str
    rel_path: str
    pointer: str
    message: str


@dataclass
class FileReport:
    """One changed schema file: how it changed, what it was compared with, and the changes."""

    rel_path: str
    status: str
    compared_with: str | None = None
    changes: list[Change] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return verdict(self.changes)

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.rel_path, "status": self.status, "compared_with": self.compared_with,
                "verdict": self.verdict, "changes": [c.to_dict() for c in self.changes]}


@dataclass
class GateResult:
    files: list[FileReport] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


@dataclass(frozen=True)
class GateInput:
    """``status``: changed schema files (relative to ``schemas/``) -> edited/added/deleted.
    ``base(rel)`` and ``head(rel)`` return a parsed document, or None when it cannot be read.
    ``head_files``: every schema file in the work tree, to find predecessors."""

    status: Mapping[str, str]
    base: Callable[[str], Any]
    head: Callable[[str], Any]
    head_files: tuple[str, ...]
    base_label: str = "base"
    allow_deleted: bool = False


def _folder(rel: str) -> str:
    return rel.rpartition("/")[0]


def _versions_by_folder(files, folders: set[str]) -> dict[str, dict[tuple[int, ...], str]]:
    """Versions (and their files) of the event folders that changed; other folders are not parsed."""
    found: dict[str, dict[tuple[int, ...], str]] = {}
    for rel in files:
        if rel.rpartition("/")[0] not in folders:
            continue
        version = v.version_of(rel)
        if version:
            found.setdefault(_folder(rel), {})[version] = rel
    return found


def _unreadable(rel: str) -> str:
    return (f"cannot prove compatible: schemas/{rel} cannot be read as a schema "
            "(plain 'reflekt lint' shows why)")


def _listed(report: FileReport, out: list[Finding], skip: set[int], label: str) -> None:
    for index, change in enumerate(report.changes):
        if index not in skip:
            out.append(Finding("R705", report.rel_path, change.pointer,
                               f"{change.kind.value}: {change.reason} ({label})"))


def _edited(rel: str, inp: GateInput, out: list[Finding], existing: dict) -> FileReport:
    report = FileReport(rel, EDITED, compared_with=f"{inp.base_label}:{rel}")
    old, new = inp.base(rel), inp.head(rel)
    if old is None or new is None:
        out.append(Finding("R701", rel, "", _unreadable(rel if new is None else f"{inp.base_label}:{rel}")))
        return report
    report.changes = classify(old, new)
    version = v.version_of(rel)
    material = [i for i, c in enumerate(report.changes) if c.kind is not Kind.COSMETIC]
    if material and version:
        level = 0 if report.verdict == Kind.BREAKING.value else len(version) - 1
        suggestion = v.text(v.raise_part(version, level, existing))
        for i in material:
            change = report.changes[i]
            out.append(Finding("R701", rel, change.pointer,
                               f"published version {v.text(version)} (it exists at {inp.base_label}) was edited "
                               f"in place: {change.kind.value} change: {change.reason}; only cosmetic edits are "
                               f"allowed, publish this as a new version ({suggestion})"))
    _listed(report, out, set(material), f"edited in place since {inp.base_label}")
    return report


def _added(rel: str, inp: GateInput, out: list[Finding], existing: dict) -> FileReport | None:
    version = v.version_of(rel)
    if version is None:
        return None
    before = v.predecessor(version, existing)
    if before is None:
        return FileReport(rel, ADDED)
    report = FileReport(rel, ADDED, compared_with=existing[before])
    old, new = inp.head(existing[before]), inp.head(rel)
    if old is None or new is None:
        out.append(Finding("R702", rel, "", _unreadable(rel if new is None else existing[before])))
        return report
    report.changes = classify(old, new)
    level = v.bump_level(before, version)
    reported: set[int] = set()
    if level > 0:
        needed = v.raise_part(before, 0, existing)
        for i, change in enumerate(report.changes):
            if change.kind is Kind.BREAKING:
                reported.add(i)
                out.append(Finding("R702", rel, change.pointer,
                                   f"breaking change ({change.reason}) needs a new "
                                   f"{v.level_name(version, 0)} version ({v.text(needed)}), not "
                                   f"{v.text(version)} after {v.text(before)}"))
    elif report.verdict != Kind.BREAKING.value:
        smaller = v.raise_part(before, len(before) - 1, existing)
        out.append(Finding("R703", rel, "/self/version",
                           f"{v.text(version)} changes nothing incompatible since {v.text(before)} "
                           f"({report.verdict}): it could be {v.text(smaller)}"))
    _listed(report, out, reported, f"since {v.text(before)}")
    return report


def evaluate(inp: GateInput) -> GateResult:
    """Apply the versioning policy to every changed schema file; results in path order."""
    result = GateResult()
    by_folder = _versions_by_folder(inp.head_files, {_folder(rel) for rel in inp.status})
    for rel in sorted(inp.status):
        status, existing = inp.status[rel], by_folder.get(_folder(rel), {})
        if status == EDITED:
            result.files.append(_edited(rel, inp, result.findings, existing))
        elif status == ADDED:
            report = _added(rel, inp, result.findings, existing)
            if report:
                result.files.append(report)
        elif status == DELETED:
            result.files.append(FileReport(rel, DELETED, compared_with=f"{inp.base_label}:{rel}"))
            if not inp.allow_deleted:
                result.findings.append(Finding(
                    "R704", rel, "", f"version file deleted, but it exists at {inp.base_label}: events of "
                    "this version may still be sent and read (restore it, or set "
                    "'evolution: {allow_deleted_versions: true}' in reflekt_project.yml)"))
    return result
