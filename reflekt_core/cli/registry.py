"""``reflekt pull`` and ``reflekt push``: sync schemas with Segment Protocols, Avo and Iglu."""

from __future__ import annotations

import sys
from enum import Enum
from typing import Annotated, Optional

import typer

from reflekt_core.cli.common import boundary, print_error, stderr, stdout
from reflekt_core.cli.options import Profile, ProfilesDir, ProjectDir
from reflekt_core.errors import UsageError
from reflekt_core.registries.base import REGISTRY_TYPES

#: The --registry choices, from the lazy registry map.
RegistryType = Enum("RegistryType", {name: name for name in REGISTRY_TYPES}, type=str)

RegistryOption = Annotated[RegistryType, typer.Option("--registry", "-r", help="Which registry.")]
SelectOption = Annotated[Optional[str], typer.Option(
    "--select", "-s", help="<plan>\\[/<Event_Name>\\[/<version>]]: a Segment tracking plan, an Avo branch or an "
    "Iglu vendor (the first folder under schemas/). Iglu: globs allowed, default every schema.",
    show_default=False)]


def _selection(registry, select: str | None) -> str:
    if select:
        return select
    if registry.value == "iglu":
        return "*"
    raise UsageError(f"--select is required for {registry.value}",
                     hint="e.g. --select jaffle_shop (the plan folder under schemas/)")
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show the planned changes; change nothing.")]


def _registry(project, registry: RegistryType, profile, profiles_dir):
    from reflekt_core.profiles import load_profile
    from reflekt_core.registries import make_registry

    resolved = load_profile(project, profile, profiles_dir)
    return make_registry(resolved.registry_entry(registry.value), project)


def _evolution(comparisons) -> None:
    """Each schema's classification against the registry's current version, and its changes."""
    console = stdout()
    for comparison in comparisons:
        if comparison.changes:
            console.print(f"  evolution {comparison.describe()}", markup=False)
            for change in comparison.changes:
                console.print(f"    {change}", markup=False)


def _lines(label: str, items: list[str]) -> None:
    console = stdout()
    for item in items:
        console.print(f"  {label:<9} {item}", markup=False)


@boundary
def pull(registry: RegistryOption, select: SelectOption = None, force: Annotated[bool, typer.Option(
        "--force", help="Overwrite local schemas that differ from the registry.")] = False,
         dry_run: DryRun = False,
         include_common: Annotated[bool, typer.Option(
             "--include-common", help="Also pull Segment's COMMON rule.")] = False,
         profile: Profile = None, profiles_dir: ProfilesDir = None, project_dir: ProjectDir = None) -> None:
    """Pull schemas from a registry into schemas/: all or nothing, never overwriting local changes without --force."""
    from reflekt_core.project import load_project
    from reflekt_core.registries.base import parse_selector
    from reflekt_core.registries.sync import apply_pull, plan_pull

    project = load_project(project_dir)
    select = _selection(registry, select)
    client = _registry(project, registry, profile, profiles_dir)
    with stderr().status(f"Pulling {select} from {registry.value}..."):
        pulled = client.pull(select, include_common=include_common)
    plan = plan_pull(project.schemas_dir, pulled, parse_selector(select).plan)
    for note in pulled.notes:
        stderr().print(f"note: {note}", markup=False)
    _lines("create", plan.created)
    _lines("update" if force else "differs", plan.changed)
    _lines("unchanged", plan.unchanged)
    if dry_run:
        sys.stdout.write(plan.diff)
        stdout().print(f"Dry run: {len(plan.created)} to create, {len(plan.changed)} differ, "
                       f"{len(plan.unchanged)} unchanged; nothing written.", markup=False)
        return
    written = apply_pull(project.schemas_dir, plan, force=force)
    stdout().print(f"Pulled {len(pulled.schemas)} schemas from {registry.value}: {len(plan.created)} created, "
                   f"{len(plan.changed) if force else 0} updated, {len(plan.unchanged)} unchanged "
                   f"({len(written)} files written).", markup=False)


@boundary
def push(registry: RegistryOption, select: SelectOption = None,
         delete: Annotated[bool, typer.Option("--delete", help="Remove the selected schemas from the registry.")] = False,
         force: Annotated[bool, typer.Option("--force", help="Do not ask before deleting.")] = False,
         dry_run: DryRun = False,
         import_method: Annotated[Optional[str], typer.Option(
             "--import-method", help="Avo: addOnly | addAndUpdate (default) | addUpdateAndRemove.",
             show_default=False)] = None,
         allow_breaking: Annotated[bool, typer.Option(
             "--allow-breaking", help="Push even a breaking change under an existing registry version.")] = False,
         profile: Profile = None, profiles_dir: ProfilesDir = None, project_dir: ProjectDir = None) -> None:
    """Push schemas to a registry. A whole plan replaces the remote rules; a part of one is upserted.

    Each schema is first classified against the registry's current version (addition, breaking,
    cosmetic); a breaking change under an existing Segment MAJOR or Iglu version is refused (exit 1)."""
    from reflekt_core.evolution.remote import PushRefused
    from reflekt_core.project import load_project
    from reflekt_core.registries.sync import push_selection
    from reflekt_core.schemas import load_selected

    project = load_project(project_dir)
    select = _selection(registry, select)
    client = _registry(project, registry, profile, profiles_dir)
    if delete and not dry_run and not force:
        selected = load_selected(project.schemas_dir, [select]).schemas
        names = ", ".join(s.id for s in selected)
        if not typer.confirm(f"Delete {len(selected)} schema(s) from {registry.value} ({names})?", default=False):
            stderr().print("Nothing deleted.", markup=False)
            raise typer.Exit(1)
    try:
        with stderr().status(f"Pushing {select} to {registry.value}..."):
            result, _, whole_plan = push_selection(project, client, select, delete=delete, dry_run=dry_run,
                                                   import_method=import_method, allow_breaking=allow_breaking)
    except PushRefused as refused:
        _evolution(refused.comparisons)
        print_error(str(refused))
        raise typer.Exit(1) from None
    _evolution(result.evolution)
    for note in result.notes:
        stderr().print(f"note: {note}", markup=False)
    _lines("create", result.created)
    _lines("update", result.updated)
    _lines("delete", result.deleted)
    _lines("unchanged", result.unchanged)
    if dry_run and result.diff:
        sys.stdout.write(result.diff)
    refused = [c for c in result.evolution if c.refused]
    if dry_run and refused and not allow_breaking:
        from reflekt_core.evolution.remote import refusal_hint

        print_error(str(PushRefused(refused, dry_run=True)) + f" ({refusal_hint(refused)})")
        raise typer.Exit(1)
    prefix = "Dry run, would push" if dry_run else "Pushed"
    stdout().print(f"{prefix} {select} to {registry.value} "
                   f"({_mode(registry.value, whole_plan, delete)}):"
                   f" {result.summary()}.", markup=False)


def _mode(registry: str, whole_plan: bool, delete: bool) -> str:
    if delete:
        return "delete"
    if registry == "iglu":
        return "publish new versions"  # Iglu versions are immutable: nothing is replaced or updated
    return "whole plan: replace" if whole_plan else "upsert"
