"""Lint results as data: the same objects feed the CLI reporters and Dagster asset checks."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any


class Level(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule at one place: ``pointer`` is a JSON Pointer into the schema."""

    code: str
    name: str
    level: Level
    schema_id: str
    path: str
    pointer: str
    message: str
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["level"] = self.level.value
        return data


@dataclass
class LintResult:
    """Every violation found, plus what was linted and with which rules."""

    violations: list[Violation] = field(default_factory=list)
    schema_paths: list[str] = field(default_factory=list)
    skipped_paths: list[str] = field(default_factory=list)
    rule_codes: list[str] = field(default_factory=list)
    #: ``--iglu-dir``: files of an Iglu format other than jsonschema (avro, thrift...), not linted.
    other_formats: list[str] = field(default_factory=list)

    def count(self, level: Level) -> int:
        return sum(1 for v in self.violations if v.level is level)

    @property
    def ok(self) -> bool:
        """True when there is no error-level violation (warnings do not fail)."""
        return self.count(Level.ERROR) == 0

    def for_path(self, path: str) -> list[Violation]:
        return [v for v in self.violations if v.path == path]

    def summary(self) -> dict[str, Any]:
        levels = Counter(v.level.value for v in self.violations)
        failing = {v.path for v in self.violations if v.level is Level.ERROR}
        return {
            "schemas": len(self.schema_paths),
            "skipped": len(self.skipped_paths),
            "schemas_with_errors": len(failing),
            "errors": levels.get("error", 0),
            "warnings": levels.get("warning", 0),
            "infos": levels.get("info", 0),
            "rules": len(self.rule_codes),
            "ok": self.ok,
        }

    def sorted(self) -> list[Violation]:
        return sorted(self.violations, key=lambda v: (v.path, v.line or 0, v.pointer, v.code))
