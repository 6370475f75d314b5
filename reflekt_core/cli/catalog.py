"""``reflekt catalog``: read the tables and columns the CDP loaded into warehouse schemas."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from reflekt_core.cli.common import boundary, stderr, stdout
from reflekt_core.cli.options import Profile, ProfilesDir, ProjectDir


class Format(str, Enum):
    text = "text"
    json = "json"


@boundary
def catalog(
    source: Annotated[list[str], typer.Option(
        "--source", help="<source_id>.<database>.<schema>, as in reflekt 0.6. Repeat to read several "
        "schemas concurrently.", show_default=False)],
    out: Annotated[Optional[Path], typer.Option(
        "--out", help="Save the catalog as JSON (for 'reflekt build --catalog FILE').", show_default=False)] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format on stdout.")] = Format.text,
    profile: Profile = None,
    profiles_dir: ProfilesDir = None,
    project_dir: ProjectDir = None,
) -> None:
    """Read warehouse catalogs: one information_schema query per schema, types normalised."""
    from reflekt_core.outputs import check_output
    from reflekt_core.profiles import load_profile
    from reflekt_core.project import load_project
    from reflekt_core.warehouses import parse_source_ref, read_catalogs, save_catalogs
    from reflekt_core.warehouses.catalog import dumps

    refs = [parse_source_ref(s) for s in source]
    project = load_project(project_dir)
    if out:
        out = check_output(out, "file", option="--out", project_dir=project.dir)
    resolved = load_profile(project, profile, profiles_dir)
    catalogs = read_catalogs(resolved, refs, base_dir=project.dir)
    if out:
        save_catalogs(catalogs, out)
        stderr().print(f"Saved {len(catalogs)} schema catalog(s) to {out}", markup=False)
    if format is Format.json:
        sys.stdout.write(dumps({"catalogs": [c.to_dict() for c in catalogs]}) + "\n")
        return
    console = stdout()
    for item in catalogs:
        summary = item.summary()
        console.print(f"[bold]{item.ref}[/bold] ({item.source_type}): {summary['tables']} tables, "
                      f"{summary['columns']} columns")
        for table in item.tables.values():
            console.print(f"  {table.name} ({len(table.columns)} columns)", markup=False)
