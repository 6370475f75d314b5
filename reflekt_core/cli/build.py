"""``reflekt build --artifact dbt``: generate the dbt package of staging models."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from reflekt_core.cli.common import boundary, stderr, stdout
from reflekt_core.cli.options import Exclude, Profile, ProfilesDir, ProjectDir, Select


class Artifact(str, Enum):
    dbt = "dbt"


class Sdk(str, Enum):
    segment = "segment"
    rudderstack = "rudderstack"


def _pick_catalog(catalogs, source: str | None, path: Path):
    from reflekt_core.errors import UsageError
    from reflekt_core.warehouses import parse_source_ref

    if source:
        ref = parse_source_ref(source)
        for item in catalogs:
            if (item.source_id, item.database, item.schema) == (ref.source_id, ref.database.lower(), ref.schema.lower()):
                return item
        raise UsageError(f"{path} has no catalog for {source} (it has: {', '.join(c.ref for c in catalogs)})")
    if len(catalogs) != 1:
        raise UsageError(f"{path} holds {len(catalogs)} schema catalogs", hint="pick one with --source")
    return catalogs[0]


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
        "--out", help="Package folder (default: artifacts/dbt/<project name>).", show_default=False)] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show which files would be created, changed or removed, with a diff.")] = False,
    fail_on_drift: Annotated[bool, typer.Option(
        "--fail-on-drift", help="Exit 1 when schemas and warehouse disagree.")] = False,
    profile: Profile = None,
    profiles_dir: ProfilesDir = None,
    project_dir: ProjectDir = None,
) -> None:
    """Generate a dbt package (sources, staging models, docs, tests) from event schemas."""
    from reflekt_core.dbt import build_dbt_package
    from reflekt_core.errors import UsageError
    from reflekt_core.profiles import load_profile
    from reflekt_core.project import load_project
    from reflekt_core.schemas import load_selected
    from reflekt_core.warehouses import load_catalogs, read_catalogs

    if not source and not catalog:
        raise UsageError("--source is required (or --catalog FILE to build offline)",
                         hint="e.g. --source warehouse.analytics.segment")
    project = load_project(project_dir)
    schemas = load_selected(project.schemas_dir, select, exclude).schemas
    if catalog:
        schema_catalog = _pick_catalog(load_catalogs(catalog), source, catalog)
    else:
        resolved = load_profile(project, profile, profiles_dir)
        schema_catalog = read_catalogs(resolved, [source], base_dir=project.dir)[0]
    result = build_dbt_package(project, schemas, schema_catalog, sdk.value, out, dry_run=dry_run)
    console, err = stdout(), stderr()
    write = result.write
    verb = "Would write" if dry_run else "Wrote"
    for label, paths in (("create", write.created), ("change", write.changed), ("remove", write.removed)):
        for rel in paths:
            console.print(f"  {label:<7} {rel}", markup=False)
    if dry_run and write.diff:
        sys.stdout.write(write.diff)
    for item in result.drift:
        err.print(f"drift: {item.kind}: {item.message}", markup=False, style="yellow")
    console.print(f"{verb} dbt package {result.plan.project_name} to {result.dest}: "
                  f"{len(result.plan.models)} models; {len(write.created)} created, {len(write.changed)} changed, "
                  f"{len(write.removed)} removed, {len(write.unchanged)} unchanged; "
                  f"{len(result.drift)} drift item(s)" + ("" if dry_run else f" (report: {result.drift_path})"),
                  markup=False)
    if fail_on_drift and result.drift:
        raise typer.Exit(1)
