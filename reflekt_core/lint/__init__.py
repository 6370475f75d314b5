"""The linter: a catalogue of coded rules, an engine, and reporters."""

from reflekt_core.lint.catalogue import ALL_RULES, get_rule, resolve_rules
from reflekt_core.lint.engine import lint_project, lint_schemas
from reflekt_core.lint.result import Level, LintResult, Violation

__all__ = ["ALL_RULES", "Level", "LintResult", "Violation", "get_rule", "lint_project", "lint_schemas", "resolve_rules"]
