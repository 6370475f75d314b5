"""``reflekt report``: Markdown documentation for schemas."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from reflekt_core.cli.common import boundary, stderr
from reflekt_core.cli.options import Exclude, ProjectDir, Select


@boundary
def report(
    select: Select = None,
    exclude: Exclude = None,
    to_file: Annotated[bool, typer.Option(
        "--to-file", help="Write one Markdown file per schema under reports/ in the project.")] = False,
    out: Annotated[Optional[Path], typer.Option(
        "--out", help="Write a browsable catalog (index.md plus one page per schema) to this folder.",
        show_default=False)] = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Write the --out catalog into an existing folder that Reflekt did not generate.")] = False,
    project_dir: ProjectDir = None,
) -> None:
    """Document schemas in Markdown: to stdout, to files (--to-file), or as a catalog (--out DIR)."""
    from reflekt_core.errors import UsageError
    from reflekt_core.fsutil import write_files
    from reflekt_core.outputs import MARKER_FILE, check_output, marker_text
    from reflekt_core.project import load_project
    from reflekt_core.report import render_catalog, render_schema, report_file_name
    from reflekt_core.schemas import load_selected

    if to_file and out:
        raise UsageError("--to-file and --out cannot be used together",
                         hint="--to-file writes reports/ in the project; --out writes a catalog")
    project = load_project(project_dir)
    if out:
        out = check_output(out, "dir", option="--out", project_dir=project.dir, force=force)
    schemas = load_selected(project.schemas_dir, select, exclude).schemas
    if out or to_file:
        folder = out if out else project.dir / "reports"
        pages = (render_catalog(schemas, project.name) if out
                 else {report_file_name(s): render_schema(s) for s in schemas})
        if out:
            pages[MARKER_FILE] = marker_text("a Markdown catalog written by 'reflekt report --out'")
        changed = write_files({folder / rel: text for rel, text in pages.items()})
        count = len(pages) - (MARKER_FILE in pages)
        stderr().print(f"Wrote {count} Markdown files to {folder} ({len(changed)} changed)", markup=False)
        return
    sys.stdout.write("\n---\n\n".join(render_schema(s) for s in schemas))
