"""``reflekt build --artifact dbt``: generate the dbt package of staging models."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from reflekt_core.cli.common import boundary, print_lines, stderr, stdout
from reflekt_core.cli.options import Exclude, Profile, ProfilesDir, ProjectDir, Select


class Artifact(str, Enum):
    dbt = "dbt"


class Sdk(str, Enum):
    segment = "segment"
    rudderstack = "rudderstack"


@boundary
def build(
    artifact: Annotated[Artifact, typer.Option("--artifact", help="What to build.")] = Artifact.dbt,
    select: Select = None,
    exclude: Exclude = None,
    sdk: Annotated[Sdk, typer.Option("--sdk", help="The CDP that loads the events.")] = Sdk.segment,
    source: Annotated[Optional[str], typer.Option(
        "--source", help="<source_id>.<database>.<schema> of the raw events, as in reflekt 0.6.",
        show_default=False)] = None,
    catalog: Annotated[Optional[Path], typer.Option(
        "--catalog", help="Use a catalog saved by 'reflekt catalog --out' instead of connecting.",
        show_default=False)] = None,
    out: Annotated[Optional[Path], typer.Option(
        "--out", help="Package folder (default: artifacts/dbt/<project name>__<source schema>__<sdk>).", show_default=False)] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show which files would be created, changed or removed, with a diff.")] = False,
    fail_on_drift: Annotated[bool, typer.Option(
        "--fail-on-drift", help="Exit 1 when schemas and warehouse disagree.")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Write into an existing --out folder that Reflekt did not generate (your files "
        "there are kept).")] = False,
    profile: Profile = None,
    profiles_dir: ProfilesDir = None,
    project_dir: ProjectDir = None,
) -> None:
    """Generate a dbt package (sources, staging models, docs, tests) from event schemas."""
    from reflekt_core.dbt import build_from_project
    from reflekt_core.gcpause import gc_paused
    from reflekt_core.project import load_project

    # Schemas, plan and files form no reference cycles: the cyclic GC's repeated scans of all
    # of them freed nothing and took ~0.2 s of the 1,000-event benchmark.
    with gc_paused():
        project = load_project(project_dir)
        result = build_from_project(project, sdk.value, source, catalog_file=catalog, select=select,
                                    exclude=exclude, profile=profile, profiles_dir=profiles_dir, dest=out,
                                    dry_run=dry_run, force=force)
        console, err = stdout(), stderr()
        write = result.write
        verb = "Would write" if dry_run else "Wrote"
        print_lines(console, [f"  {label:<7} {rel}" for label, paths in (
            ("create", write.created), ("change", write.changed), ("remove", write.removed)) for rel in paths])
        if dry_run and write.diff:
            sys.stdout.write(write.diff)
        print_lines(err, [f"drift: {item.kind}: {item.message}" for item in result.drift], style="yellow")
        console.print(f"{verb} dbt package {result.plan.project_name} to {result.dest}: "
                      f"{len(result.plan.models)} models; {len(write.created)} created, {len(write.changed)} changed, "
                      f"{len(write.removed)} removed, {len(write.unchanged)} unchanged; "
                      f"{len(result.drift)} drift item(s)" + ("" if dry_run else f" (report: {result.drift_path})"),
                      markup=False)
    if fail_on_drift and result.drift:
        raise typer.Exit(1)
