"""``reflekt build --artifact dbt``: plan, render and atomically write a dbt package."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reflekt_core.cdp import get_layout
from reflekt_core.dbt.plan import Drift, PackagePlan, plan_package
from reflekt_core.dbt.render import render_package
from reflekt_core.dbt.writer import WriteResult, write_package
from reflekt_core.fsutil import atomic_write_text
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


def default_dest(project: Project) -> Path:
    return project.dir / "artifacts" / "dbt" / project.name


def generate_dbt_package(project: Project, schemas: Sequence[EventSchema], catalog: SchemaCatalog,
                         sdk: str) -> tuple[PackagePlan, dict[str, str]]:
    """The package as data: its plan (models, drift) and its files. Touches nothing."""
    layout = get_layout(sdk, catalog.source_type, project.rudderstack_divide_numbers)
    plan = plan_package(package_name(project), schemas, catalog, layout, project.dbt)
    return plan, render_package(plan, project.dbt)


def build_dbt_package(project: Project, schemas: Sequence[EventSchema], catalog: SchemaCatalog, sdk: str,
                      dest: Path | None = None, dry_run: bool = False) -> BuildResult:
    """Generate the package and write it (unless ``dry_run``), with a drift report beside it."""
    plan, files = generate_dbt_package(project, schemas, catalog, sdk)
    dest = dest or default_dest(project)
    write = write_package(files, dest, dry_run=dry_run)
    drift_path = dest.parent / f"{dest.name}.drift.json"
    if not dry_run:
        report = {"source": catalog.ref, "sdk": sdk, "drift": [d.to_dict() for d in plan.drift]}
        atomic_write_text(drift_path, json.dumps(report, indent=2) + "\n", durable=False)
    return BuildResult(plan, files, write, dest, drift_path)


__all__ = ["BuildResult", "build_dbt_package", "default_dest", "generate_dbt_package", "package_name"]
