"""``reflekt build --artifact dbt``: plan, render and atomically write a dbt package.

The planner, renderer and writer are imported by the functions that use them, so that
``reflekt lint`` (R606 reads :mod:`reflekt_core.dbt.grouping`) does not load them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reflekt_core.errors import UsageError
from reflekt_core.fsutil import atomic_write_text

if TYPE_CHECKING:
    from reflekt_core.dbt.plan import Drift, PackagePlan
    from reflekt_core.dbt.writer import WriteResult
    from reflekt_core.project import Project
    from reflekt_core.schemas.model import EventSchema
    from reflekt_core.warehouses.catalog import SchemaCatalog


@dataclass
class BuildResult:
    plan: PackagePlan
    files: dict[str, str]
    write: WriteResult
    dest: Path
    drift_path: Path

    @property
    def drift(self) -> list[Drift]:
        return self.plan.drift


def package_name(project: Project) -> str:
    return f"reflekt_{project.name}"


def default_dest(project: Project, schema: str | None = None, sdk: str | None = None) -> Path:
    """``artifacts/dbt/<project>__<schema>__<sdk>``: one package per source, so building one never
    removes another's models, beside (not inside) reflekt 0.6's ``artifacts/dbt/<project>``
    (which is what this returns without schema and CDP)."""
    folder = project.dir / "artifacts" / "dbt"
    if schema is None or sdk is None:
        return folder / project.name
    return folder / re.sub(r"[^A-Za-z0-9_-]+", "_", f"{project.name}__{schema}__{sdk}")


def _guard_other_sources(plan: PackagePlan, write: WriteResult, dest: Path) -> None:
    """Refuse to remove models another source generated into the same folder."""
    own = f"models/{plan.source_name}/"
    others = sorted({rel.split("/")[1] for rel in write.removed if rel.startswith("models/") and
                     not rel.startswith(own) and rel.count("/") >= 2})
    if others:
        raise UsageError(f"{dest} holds the models of another source ({', '.join(others)}); building "
                         f"'{plan.source_name}' there would delete them",
                         hint="give each source its own --out folder (the default does)")


def plan_source(project: Project, schemas: Sequence[EventSchema], catalog: SchemaCatalog, sdk: str) -> PackagePlan:
    """The package plan of one source (models, columns, drift) in the CDP's layout for its warehouse."""
    from reflekt_core.cdp import get_layout
    from reflekt_core.dbt.plan import plan_package

    layout = get_layout(sdk, catalog.source_type, project.rudderstack_divide_numbers)
    return plan_package(package_name(project), schemas, catalog, layout, project.dbt)


def generate_dbt_package(project: Project, schemas: Sequence[EventSchema], catalog: SchemaCatalog,
                         sdk: str) -> tuple[PackagePlan, dict[str, str]]:
    """The package as data: its plan (models, drift) and its files. Touches nothing."""
    from reflekt_core.dbt.render import render_package

    plan = plan_source(project, schemas, catalog, sdk)
    return plan, render_package(plan, project.dbt)


def package_dest(project: Project, dest: Path | None = None, force: bool = False, schema: str | None = None,
                 sdk: str | None = None) -> Path:
    """The package folder, checked: never the project, schemas/, a file or someone else's folder."""
    from reflekt_core.outputs import check_output

    return check_output(dest or default_dest(project, schema, sdk), "dir", option="--out", project_dir=project.dir,
                        force=force)


def build_dbt_package(project: Project, schemas: Sequence[EventSchema], catalog: SchemaCatalog, sdk: str,
                      dest: Path | None = None, dry_run: bool = False, force: bool = False) -> BuildResult:
    """Generate the package and write it (unless ``dry_run``), with a drift report beside it."""
    from reflekt_core.dbt.writer import write_package
    from reflekt_core.outputs import check_output

    dest = package_dest(project, dest, force, catalog.schema, sdk)
    drift_path = check_output(dest.parent / f"{dest.name}.drift.json", "file", option="drift report",
                              project_dir=project.dir)
    plan, files = generate_dbt_package(project, schemas, catalog, sdk)
    write = write_package(files, dest, dry_run=dry_run,
                          check=lambda planned: _guard_other_sources(plan, planned, dest))
    if not dry_run:
        atomic_write_text(drift_path, drift_report_text(catalog.ref, sdk, plan.drift), durable=False)
    return BuildResult(plan, files, write, dest, drift_path)


def drift_report_text(source: str, sdk: str, drift: Sequence) -> str:
    """The drift report as JSON, one item per line (diffable; json's C encoder: the indenting
    encoder is pure Python and took 0.8 s for a 14,000-item report)."""
    items = ",\n".join("    " + json.dumps(d.to_dict()) for d in drift)
    head = f'{{\n  "source": {json.dumps(source)},\n  "sdk": {json.dumps(sdk)},\n  "drift": ['
    return head + (f"\n{items}\n  ]\n}}\n" if items else "]\n}\n")


def source_catalog(project: Project, source: str | None = None, catalog_file: Path | None = None,
                   profile: str | None = None, profiles_dir: Path | None = None) -> SchemaCatalog:
    """The catalog to build from: a saved catalog file, or the warehouse read through the profile."""
    from reflekt_core.profiles import load_profile
    from reflekt_core.warehouses import load_catalogs, read_catalogs
    from reflekt_core.warehouses.catalog import pick_catalog

    if catalog_file:
        return pick_catalog(load_catalogs(catalog_file), source, catalog_file)
    if not source:
        from reflekt_core.errors import UsageError

        raise UsageError("--source is required (or --catalog FILE to build offline)",
                         hint="e.g. --source warehouse.analytics.segment")
    return read_catalogs(load_profile(project, profile, profiles_dir), [source], base_dir=project.dir)[0]


def build_from_project(project: Project, sdk: str, source: str | None = None, *, catalog_file: Path | None = None,
                       select: list[str] | None = None, exclude: list[str] | None = None,
                       profile: str | None = None, profiles_dir: Path | None = None, dest: Path | None = None,
                       dry_run: bool = False, force: bool = False) -> BuildResult:
    """Select schemas, get the catalog, and build the package: the one call behind ``reflekt build``."""
    from reflekt_core.schemas import load_selected

    if not source and not catalog_file:
        source_catalog(project)  # raises the usage error before any work
    if source:
        from reflekt_core.warehouses.base import parse_source_ref

        parse_source_ref(source)  # a malformed --source is a usage error before the profile is read
    if dest is not None:
        dest = package_dest(project, dest, force)  # refuse a bad --out before any work (the default needs the catalog)
    schemas = load_selected(project.schemas_dir, select, exclude).schemas
    catalog = source_catalog(project, source, catalog_file, profile, profiles_dir)
    return build_dbt_package(project, schemas, catalog, sdk, dest, dry_run=dry_run, force=force)


__all__ = ["build_from_project", "plan_source", "source_catalog", "BuildResult", "build_dbt_package", "default_dest", "generate_dbt_package", "package_name"]
