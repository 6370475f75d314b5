"""Run the selected rules over loaded schemas and collect a :class:`LintResult`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence

from reflekt_core.cdp import get_layout
from reflekt_core.errors import SchemaLoadError
from reflekt_core.lint.catalogue import resolve_rules
from reflekt_core.lint.result import LintResult, Violation
from reflekt_core.lint.rule import LintContext
from reflekt_core.project import SCHEMAS_DIR, Project
from reflekt_core.schemas import jsonc
from reflekt_core.schemas.model import EventSchema
from reflekt_core.schemas.walk import line_of_pointer


def load_meta_validator(project: Project):
    """A validator for the project's meta-schema, or None when the project has none."""
    path = project.meta_schema_path
    if not path.is_file():
        return None
    from jsonschema import Draft7Validator
    from jsonschema.exceptions import SchemaError

    try:
        meta = jsonc.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SchemaLoadError(f"invalid JSON in the meta-schema: {exc.msg}",
                              where=f"{path}:{exc.lineno}:{exc.colno}") from None
    except OSError as exc:
        raise SchemaLoadError(f"cannot read the meta-schema: {exc.strerror}", where=str(path)) from None
    try:
        Draft7Validator.check_schema(meta)
    except SchemaError as exc:
        raise SchemaLoadError(f"the meta-schema is not valid JSON Schema: {exc.message}",
                              where=str(path)) from None
    return Draft7Validator(meta)


def build_context(project: Project, all_files: Sequence[str] = ()) -> LintContext:
    return LintContext(project=project, meta_validator=load_meta_validator(project),
                       all_files=tuple(all_files),
                       layouts={name: get_layout(name) for name in project.lint.cdp})


def lint_schemas(schemas: Iterable[EventSchema], project: Project, *,
                 select_rules: Iterable[str] | None = None, skip_rules: Iterable[str] | None = None,
                 all_files: Sequence[str] = (), progress: Callable[[int], None] | None = None,
                 context: LintContext | None = None) -> LintResult:
    """Lint ``schemas`` with the project's rules; ``all_files`` lets plan rules see unselected files."""
    rules = resolve_rules(project, select_rules, skip_rules)
    ctx = context or build_context(project, all_files)
    schemas = list(schemas)
    result = LintResult(rule_codes=[rule.code for rule, _ in rules])
    active = [s for s in schemas if s.lint_enabled]
    result.schema_paths = [f"{SCHEMAS_DIR}/{s.rel_path}" for s in active]
    result.skipped_paths = [f"{SCHEMAS_DIR}/{s.rel_path}" for s in schemas if not s.lint_enabled]

    def add(rule, level, schema: EventSchema, pointer: str, message: str) -> None:
        result.violations.append(Violation(
            code=rule.code, name=rule.name, level=level, schema_id=schema.id,
            path=f"{SCHEMAS_DIR}/{schema.rel_path}", pointer=pointer, message=message,
            line=line_of_pointer(schema.text, pointer)))

    schema_rules = [(r, lvl) for r, lvl in rules if r.scope == "schema"]
    for schema in active:
        for rule, level in schema_rules:
            for pointer, message in rule.check(schema, ctx):
                add(rule, level, schema, pointer, message)
        if progress:
            progress(1)
    for rule, level in rules:
        if rule.scope == "plan":
            for schema, (pointer, message) in rule.check(active, ctx):
                add(rule, level, schema, pointer, message)
    result.violations = result.sorted()
    return result


def lint_project(project: Project, select: list[str] | None = None, exclude: list[str] | None = None, *,
                 select_rules: Iterable[str] | None = None, skip_rules: Iterable[str] | None = None,
                 progress: Callable[[int], None] | None = None,
                 on_count: Callable[[int], None] | None = None) -> LintResult:
    """Select, load and lint a project's schemas: the one call behind ``reflekt lint``."""
    from reflekt_core.schemas import load_selected

    resolve_rules(project, select_rules, skip_rules)  # fail on a bad rule name before any work
    selection = load_selected(project.schemas_dir, select, exclude, on_count=on_count)
    return lint_schemas(selection.schemas, project, select_rules=select_rules, skip_rules=skip_rules,
                        all_files=selection.all_files, progress=progress)
