"""Run the selected rules over loaded schemas and collect a :class:`LintResult`."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from reflekt_core.cdp import get_layout
from reflekt_core.errors import SchemaLoadError
from reflekt_core.gcpause import gc_paused
from reflekt_core.lint.catalogue import resolve_rules
from reflekt_core.lint.result import Level, LintResult, Violation
from reflekt_core.lint.rule import LintContext, Rule
from reflekt_core.project import SCHEMAS_DIR, Project
from reflekt_core.schemas import jsonc
from reflekt_core.schemas.model import EventSchema

log = logging.getLogger(__name__)


def load_meta_validator(project: Project):
    """A validator for the project's meta-schema, or None when the project has none."""
    path = project.meta_schema_path
    if not path.is_file():
        return None
    from jsonschema import Draft7Validator
    from jsonschema.exceptions import SchemaError

    from reflekt_core.validation import Validator

    try:
        meta = jsonc.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SchemaLoadError(f"invalid JSON in the meta-schema: {exc.msg}",
                              where=f"{path}:{exc.lineno}:{exc.colno}") from None
    except OSError as exc:
        raise SchemaLoadError(f"cannot read the meta-schema: {exc.strerror}", where=str(path)) from None
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError, huge integers, nesting
        raise SchemaLoadError(f"cannot read the meta-schema: {str(exc)[:120]}", where=str(path)) from None
    try:
        Draft7Validator.check_schema(meta)
    except SchemaError as exc:
        raise SchemaLoadError(f"the meta-schema is not valid JSON Schema: {exc.message}",
                              where=str(path)) from None
    return Validator(meta)


def build_context(project: Project, all_files: Sequence[str] = ()) -> LintContext:
    return LintContext(project=project, meta_validator=load_meta_validator(project),
                       all_files=tuple(all_files),
                       layouts={name: get_layout(name) for name in project.lint.cdp})


@dataclass
class SchemaPass:
    """What the per-schema rules found over some schemas, in file order (the part of a lint a
    worker process hands back): violations, the paths linted and skipped, the slim plan view."""

    violations: list[Violation] = field(default_factory=list)
    schema_paths: list[str] = field(default_factory=list)
    skipped_paths: list[str] = field(default_factory=list)
    plan_view: list[EventSchema] = field(default_factory=list)


def _violation(rule: Rule, level: Level, schema: EventSchema, pointer: str, message: str) -> Violation:
    return Violation(code=rule.code, name=rule.name, level=level, schema_id=schema.id,
                     path=f"{SCHEMAS_DIR}/{schema.rel_path}", pointer=pointer, message=message,
                     line=schema.line_of(pointer))


def check_schemas(schemas: Iterable[EventSchema], schema_rules: Sequence[tuple[Rule, Level]], ctx: LintContext,
                  progress: Callable[[int], None] | None = None) -> SchemaPass:
    """Run the per-schema rules over ``schemas`` (a generator is fine: each document is checked,
    then only a slim copy is kept for the plan-wide rules)."""
    found = SchemaPass()
    add = found.violations.append
    with gc_paused():  # documents form no reference cycles: the collector's scans free nothing
        for schema in schemas:
            if not schema.lint_enabled:
                found.skipped_paths.append(f"{SCHEMAS_DIR}/{schema.rel_path}")
                continue
            found.schema_paths.append(f"{SCHEMAS_DIR}/{schema.rel_path}")
            for rule, level in schema_rules:
                for pointer, message in rule.check(schema, ctx):
                    add(_violation(rule, level, schema, pointer, message))
            found.plan_view.append(schema.slim())
            if progress:
                progress(1)
    return found


def check_plan(plan_view: Sequence[EventSchema], plan_rules: Sequence[tuple[Rule, Level]],
               ctx: LintContext) -> list[Violation]:
    """Run the plan-wide rules over the slim views of every linted schema."""
    found: list[Violation] = []
    with gc_paused():
        for rule, level in plan_rules:
            for schema, (pointer, message) in rule.check(plan_view, ctx):
                found.append(_violation(rule, level, schema, pointer, message))
    return found


def lint_schemas(schemas: Iterable[EventSchema], project: Project, *,
                 select_rules: Iterable[str] | None = None, skip_rules: Iterable[str] | None = None,
                 all_files: Sequence[str] = (), progress: Callable[[int], None] | None = None,
                 context: LintContext | None = None) -> LintResult:
    """Lint ``schemas`` with the project's rules; ``all_files`` lets plan rules see unselected files.

    ``schemas`` may be a generator: each document is checked, then only a slim copy is kept
    for the plan-wide rules, so memory stays flat for plans of many thousand events.
    """
    # An Iglu repository linted in place also runs igluctl's stricter checks (default-off rules).
    rules = resolve_rules(project, select_rules, skip_rules, iglu=context is not None and context.layout == "iglu")
    ctx = context or build_context(project, all_files)
    found = check_schemas(schemas, [(r, lvl) for r, lvl in rules if r.scope == "schema"], ctx, progress)
    return assemble(rules, [found], ctx)


def assemble(rules: Sequence[tuple[Rule, Level]], parts: Sequence[SchemaPass], ctx: LintContext) -> LintResult:
    """One result from the per-schema parts (in file order) and the plan-wide rules over them all."""
    result = LintResult(rule_codes=[rule.code for rule, _ in rules])
    plan_view: list[EventSchema] = []
    for part in parts:
        result.violations.extend(part.violations)
        result.schema_paths.extend(part.schema_paths)
        result.skipped_paths.extend(part.skipped_paths)
        plan_view.extend(part.plan_view)
    result.violations.extend(check_plan(plan_view, [(r, lvl) for r, lvl in rules if r.scope == "plan"], ctx))
    result.violations = result.sorted()
    return result


def lint_project(project: Project, select: list[str] | None = None, exclude: list[str] | None = None, *,
                 select_rules: Iterable[str] | None = None, skip_rules: Iterable[str] | None = None,
                 progress: Callable[[int], None] | None = None,
                 on_count: Callable[[int], None] | None = None, base: str | None = None,
                 jobs: int = 1) -> LintResult:
    """Select, load and lint a project's schemas: the one call behind ``reflekt lint``.

    Every file that fails to load is reported together in one :class:`SchemaLoadErrors`.
    ``base``: a git ref; the evolution gate (R7xx) then compares the work tree with it.
    ``jobs``: processes for the per-schema rules (0: as many as pay off; see
    :mod:`reflekt_core.lint.parallel`); the result is the same whatever the number.
    """
    from reflekt_core.errors import SchemaLoadErrors, SelectionError
    from reflekt_core.schemas.loader import iter_load, iter_schema_files
    from reflekt_core.schemas.select import select_files

    rules = resolve_rules(project, select_rules, skip_rules)  # fail on a bad rule name before any work
    if not project.schemas_dir.is_dir():
        raise SelectionError(f"the schemas folder {project.schemas_dir} does not exist",
                             hint="create it, or pull schemas with 'reflekt pull'")
    all_files = iter_schema_files(project.schemas_dir)
    gate = None
    if base is not None:  # git errors (no repository, unknown ref) before any linting
        from reflekt_core.evolution.run import gate_project

        gate = gate_project(project, base, select, exclude, head_files=all_files)
    files = select_files(all_files, select, exclude, project.schemas_dir)
    log.debug("selected %d of %d schema files under %s", len(files), len(all_files), project.schemas_dir)
    started = time.perf_counter()
    errors: list[SchemaLoadError] = []
    gate_alone = gate is not None and all(rule.scope == "evolution" for rule, _ in rules)
    workers = 1 if gate_alone else _jobs(jobs, len(files))
    if workers > 1:
        from reflekt_core.lint.parallel import lint_in_parallel

        log.debug("linting in %d processes", workers)
        result = lint_in_parallel(project, files, errors, workers, select_rules=select_rules, skip_rules=skip_rules,
                                  all_files=all_files, progress=progress, on_count=on_count)
    elif gate_alone:
        # the gate alone (--select-rules evolution): it read the changed files itself, parse nothing else
        if on_count:
            on_count(len(files))
        result = LintResult(schema_paths=[f"{SCHEMAS_DIR}/{rel}" for rel in files],
                            rule_codes=[rule.code for rule, _ in rules])
    else:
        if on_count:
            on_count(len(files))
        result = lint_schemas(iter_load(project.schemas_dir, files, errors), project,
                              select_rules=select_rules, skip_rules=skip_rules, all_files=all_files,
                              progress=progress)
    log.debug("linted %d schemas with %d rules in %.2f s: %s", len(result.schema_paths),
              len(result.rule_codes), time.perf_counter() - started, result.summary())
    if errors:
        raise SchemaLoadErrors(errors)
    if gate is not None:
        from reflekt_core.evolution.lint import gate_violations

        result.violations.extend(gate_violations(project, gate, rules))
        result.violations = result.sorted()
    else:
        evolution = {rule.code for rule, _ in rules if rule.scope == "evolution"}
        result.rule_codes = [code for code in result.rule_codes if code not in evolution]
    return result


def _jobs(jobs: int, count: int) -> int:
    if jobs == 1 or count < 2:
        return 1
    from reflekt_core.lint.parallel import resolve_jobs

    return resolve_jobs(jobs, count)
