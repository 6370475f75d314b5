"""``reflekt lint``: check schemas against the project's conventions and structural rules."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from reflekt_core.cli.common import boundary, progress, stderr, stdout
from reflekt_core.cli.options import Exclude, ProjectDir, Select


class Format(str, Enum):
    text = "text"
    json = "json"
    junit = "junit"
    github = "github"


@boundary
def lint(
    select: Select = None,
    exclude: Exclude = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="Write the report to this file instead of stdout.", show_default=False)] = None,
    select_rules: Annotated[Optional[list[str]], typer.Option(
        "--select-rules", help="Run only these rules (codes, names or name prefixes; comma-separated "
        "or repeated).", show_default=False)] = None,
    skip_rules: Annotated[Optional[list[str]], typer.Option(
        "--skip-rules", help="Skip these rules (codes, names or name prefixes).", show_default=False)] = None,
    base: Annotated[Optional[str], typer.Option(
        "--base", help="Also run the schema evolution gate (R7xx) against this git ref, e.g. origin/main: "
        "published versions edited in place, breaking changes without a new MAJOR, deleted versions.",
        show_default=False)] = None,
    iglu_dir: Annotated[Optional[Path], typer.Option(
        "--iglu-dir", help="Lint a static Iglu repository in place (the folder holding "
        "schemas/<vendor>/<name>/jsonschema/<version>), with igluctl's checks too; a project, if "
        "one is found, adds its conventions and lint settings.", show_default=False)] = None,
    jobs: Annotated[int, typer.Option(
        "--jobs", "-j", min=0, help="Processes for linting a large selection: 0 (default) uses the usable CPUs "
        "for 1,000 schemas or more (Linux), 1 lints in this process. The report is the same either way.")] = 0,
    project_dir: ProjectDir = None,
) -> None:
    """Lint event schemas. Exit 0 when no error-level violation, 1 when there is one, 2 on bad input."""
    from reflekt_core.fsutil import atomic_write_text
    from reflekt_core.lint.engine import lint_project
    from reflekt_core.lint.reporters import REPORTERS
    from reflekt_core.outputs import check_output
    from reflekt_core.project import load_project

    if iglu_dir is not None:
        from reflekt_core.lint.iglu_dir import lint_iglu_dir

        project = _optional_project(project_dir)
        if output:
            output = check_output(output, "file", option="--output", project_dir=project.dir if project else None)
        with progress("Linting") as (set_total, advance):
            result, root = lint_iglu_dir(iglu_dir, project, select, exclude, select_rules=select_rules,
                                         skip_rules=skip_rules, progress=advance, on_count=set_total, base=base)
        report_dir = root
        if result.other_formats:
            formats = sorted({path.split("/")[3] for path in result.other_formats})
            stderr().print(f"note: {len(result.other_formats)} file(s) of format {', '.join(formats)} not linted "
                           f"(JSON Schema lint applies to the jsonschema format only, as in igluctl): "
                           f"{', '.join(result.other_formats[:3])}" + (" ..." if len(result.other_formats) > 3 else ""),
                           markup=False)
    else:
        project = load_project(project_dir)
        if output:
            output = check_output(output, "file", option="--output", project_dir=project.dir)
        with progress("Linting") as (set_total, advance):
            result = lint_project(project, select, exclude, select_rules=select_rules, skip_rules=skip_rules,
                                  progress=advance, on_count=set_total, base=base, jobs=jobs)
        report_dir = project.dir
    rendered = REPORTERS[format.value](result, report_dir)
    if output:
        if format is Format.text:
            import io

            from rich.console import Console

            console = Console(record=True, width=200, file=io.StringIO())
            console.print(rendered, markup=True)
            rendered = console.export_text()
        atomic_write_text(output, rendered if rendered.endswith("\n") else rendered + "\n")
        summary = result.summary()
        stderr().print(f"Wrote {format.value} report to {output}: {summary['schemas']} schemas, "
                       f"{summary['errors']} errors, {summary['warnings']} warnings", markup=False)
    elif format is Format.text:
        stdout().print(rendered, markup=True)
    else:
        sys.stdout.write(rendered + "\n")
    if not result.ok:
        raise typer.Exit(1)


def _optional_project(project_dir):
    """The project when one is named or found upward; None outside any project."""
    import os

    from reflekt_core.project import PROJECT_FILE, load_project

    if project_dir or os.environ.get("REFLEKT_PROJECT_DIR"):
        return load_project(project_dir)
    here = Path.cwd().resolve()
    if any((folder / PROJECT_FILE).is_file() for folder in (here, *here.parents)):
        return load_project()
    return None
