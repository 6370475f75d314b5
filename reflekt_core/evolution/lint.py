"""Gate findings as lint violations, so they reach every reporter (text, json, junit, github)."""

from __future__ import annotations

from collections.abc import Iterable

from reflekt_core.evolution.gate import GateResult
from reflekt_core.lint.result import Level, Violation
from reflekt_core.lint.rule import Rule
from reflekt_core.project import SCHEMAS_DIR, Project
from reflekt_core.schemas.walk import line_of_pointer


def gate_violations(project: Project, result: GateResult, rules: Iterable[tuple[Rule, Level]]) -> list[Violation]:
    """One violation per finding of a selected R7xx rule, at its effective level."""
    chosen = {rule.code: (rule, level) for rule, level in rules if rule.scope == "evolution"}
    texts: dict[str, str | None] = {}

    def line(rel: str, pointer: str) -> int | None:
        if rel not in texts:
            try:
                texts[rel] = (project.schemas_dir / rel).read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError):
                texts[rel] = None
        text = texts[rel]
        return line_of_pointer(text, pointer) if text is not None else None

    found = []
    for finding in result.findings:
        if finding.code not in chosen:
            continue
        rule, level = chosen[finding.code]
        found.append(Violation(code=rule.code, name=rule.name, level=level, schema_id=finding.rel_path,
                               path=f"{SCHEMAS_DIR}/{finding.rel_path}", pointer=finding.pointer,
                               message=finding.message, line=line(finding.rel_path, finding.pointer)))
    return found
