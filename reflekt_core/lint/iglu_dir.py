"""``reflekt lint --iglu-dir``: lint a static Iglu repository in place, as ``igluctl lint`` does.

Files are ``schemas/<vendor>/<name>/<format>/<version>`` without extension. Identity rules read
that layout (the vendor, name, format and version folders against ``self``), every rule runs
(igluctl's stricter checks included, see ``IGLUCTL_NAMES``), and a project, when there is one,
contributes its conventions and ``lint`` settings; without one, no naming convention applies.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from reflekt_core.errors import SchemaLoadError, SchemaLoadErrors, SelectionError, UsageError
from reflekt_core.lint.result import LintResult
from reflekt_core.lint.rule import LintContext
from reflekt_core.project import SCHEMAS_DIR, LintSettings, Project
from reflekt_core.schemas.layout import IGLU


def iglu_root(path: Path) -> Path:
    """The repository root: the folder holding ``schemas/``, or ``schemas/`` itself given."""
    path = path.expanduser().resolve()
    if (path / SCHEMAS_DIR).is_dir():
        return path
    if path.name == SCHEMAS_DIR and path.is_dir():
        return path.parent
    raise UsageError(f"--iglu-dir {path} holds no schemas/ folder",
                     hint="point it at a static Iglu repository (the folder holding schemas/<vendor>/...)")


#: Files a repository keeps beside its schemas that are not schemas.
_DOCS = (".md", ".txt", ".rst", ".html")
_DOC_NAMES = ("README", "LICENSE", "CHANGELOG")


def iter_iglu_files(schemas_dir: Path, other_formats: list[str] | None = None
                    ) -> tuple[list[str], list[SchemaLoadError]]:
    """Schema files at ``<vendor>/<name>/jsonschema/<version>``; anything else is an error to fix.

    Files of another Iglu format (``avro``, ``thrift``, ``protobuf``...: Iglu Central holds some)
    are not JSON Schema: like ``igluctl lint``, which reads only the ``jsonschema`` format
    folder, they are left out, and listed in ``other_formats`` when given.
    """
    found: list[str] = []
    misplaced: list[SchemaLoadError] = []
    for dirpath, dirnames, filenames in os.walk(schemas_dir):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel_dir = os.path.relpath(dirpath, schemas_dir).replace(os.sep, "/")
        for name in filenames:
            if name.startswith(".") or name.lower().endswith(_DOCS) or name.split(".")[0].upper() in _DOC_NAMES:
                continue
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if rel.count("/") == 3 and rel.split("/")[2] != "jsonschema":
                if other_formats is not None:
                    other_formats.append(f"{SCHEMAS_DIR}/{rel}")
            elif rel.count("/") == 3:
                found.append(rel)
            else:
                misplaced.append(SchemaLoadError(
                    "not at schemas/<vendor>/<name>/<format>/<version>", where=f"{SCHEMAS_DIR}/{rel}",
                    hint="move it, or remove it from the repository"))
    found.sort()
    return found, misplaced


#: Outside a project, rules checking what an igluctl linter checks take that linter's level
#: (schema-ddl ``Linter``: description is info, rootObject a warning, the *Properties checks errors),
#: and R401 (igluctl has no such check) is a warning.
IGLUCTL_LEVELS = {"R301": "info", "R302": "info", "R501": "warning", "R506": "error", "R401": "warning"}


def default_project(root: Path) -> Project:
    """Settings for a repository outside any Reflekt project: no conventions, no CDP rules,
    igluctl's levels."""
    return Project(dir=root, name="iglu", vendor="", lint=LintSettings(cdp=(), levels=dict(IGLUCTL_LEVELS)),
                   versioning="schemaver")


def lint_iglu_dir(path: Path, project: Project | None = None, select: list[str] | None = None,
                  exclude: list[str] | None = None, *, select_rules: Iterable[str] | None = None,
                  skip_rules: Iterable[str] | None = None, progress: Callable[[int], None] | None = None,
                  on_count: Callable[[int], None] | None = None, base: str | None = None) -> tuple[LintResult, Path]:
    """Load and lint every schema of a static Iglu repository; returns the result and the root.

    ``base``: a git ref; the evolution gate (R7xx) then compares the repository's schemas in the
    work tree with it, SchemaVer by SchemaVer, as in a project.
    """
    from reflekt_core.cdp import get_layout
    from reflekt_core.lint.catalogue import resolve_rules
    from reflekt_core.lint.engine import lint_schemas
    from reflekt_core.schemas.loader import iter_load
    from reflekt_core.schemas.select import select_files

    root = iglu_root(path)
    settings = project or default_project(root)
    rules = resolve_rules(settings, select_rules, skip_rules, iglu=True)  # a bad rule name fails before any work
    schemas_dir = root / SCHEMAS_DIR
    other_formats: list[str] = []
    all_files, errors = iter_iglu_files(schemas_dir, other_formats)
    if not all_files and not errors:
        raise SelectionError(f"{schemas_dir} holds no jsonschema schema"
                             + (f" ({len(other_formats)} of other formats)" if other_formats else ""),
                             hint="check --iglu-dir")
    gate = None
    if base is not None:  # git errors (no repository, unknown ref) before any linting
        from dataclasses import replace

        from reflekt_core.evolution.run import gate_project

        gate = gate_project(replace(settings, dir=root), base, select, exclude, head_files=all_files, iglu=True)
    files = select_files(all_files, select, exclude, schemas_dir) if (select or exclude) else all_files
    if on_count:
        on_count(len(files))
    context = LintContext(project=settings, meta_validator=None, all_files=tuple(all_files),
                          layouts={name: get_layout(name) for name in settings.lint.cdp}, layout=IGLU)
    result = lint_schemas(iter_load(schemas_dir, files, errors), settings, select_rules=select_rules,
                          skip_rules=skip_rules, all_files=all_files, progress=progress, context=context)
    if errors:
        raise SchemaLoadErrors(errors)
    evolution = {rule.code for rule, _ in rules if rule.scope == "evolution"}
    if gate is not None:
        from dataclasses import replace

        from reflekt_core.evolution.lint import gate_violations

        result.violations.extend(gate_violations(replace(settings, dir=root), gate, rules))
        result.violations = result.sorted()
    else:
        result.rule_codes = [code for code in result.rule_codes if code not in evolution]
    result.other_formats = other_formats
    return result, root
