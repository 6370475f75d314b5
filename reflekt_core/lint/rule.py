"""The shape of a lint rule: a code, a dotted name, a level, a doc and a pure check."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reflekt_core.lint.result import Level
from reflekt_core.project import Project
from reflekt_core.schemas.model import EventSchema

#: What a check yields: (JSON pointer, message).
Finding = tuple[str, str]


@dataclass(frozen=True)
class LintContext:
    """Everything a check may read besides the schema itself; built once per lint run."""

    project: Project
    meta_validator: Any = None
    #: Every schema file in the project (relative paths), for plan-wide checks of a selection.
    all_files: Sequence[str] = ()
    layouts: Mapping[str, Any] = field(default_factory=dict)
    #: ``reflekt`` (a project) or ``iglu`` (a static Iglu repository linted in place).
    layout: str = "reflekt"


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    level: Level
    scope: str  # "schema": check(schema, ctx); "plan": check(schemas, ctx) -> (schema, finding)
    check: Callable[..., Iterable[Any]]
    doc: str
    #: Off unless selected by code or name, or when linting an Iglu repository (igluctl's checks).
    default: bool = True

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0] if self.doc.strip() else ""


def _make(code: str, name: str, level: Level, scope: str, default: bool = True):
    def wrap(func: Callable[..., Iterable[Any]]) -> Rule:
        return Rule(code=code, name=name, level=level, scope=scope, check=func,
                    doc=(func.__doc__ or "").strip(), default=default)
    return wrap


def schema_rule(code: str, name: str, level: Level, *, default: bool = True):
    """Declare a rule checking one schema: ``check(schema, ctx)`` yields findings.

    ``default=False``: the rule runs only when selected, or on an Iglu repository.
    """
    return _make(code, name, level, "schema", default)


def plan_rule(code: str, name: str, level: Level):
    """Declare a rule over the whole plan: ``check(schemas, ctx)`` yields (schema, finding)."""
    return _make(code, name, level, "plan")


def active(schema: EventSchema) -> bool:
    return schema.lint_enabled
