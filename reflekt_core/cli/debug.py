"""``reflekt debug``: show the resolved project and profile (secrets masked) and check them."""

from __future__ import annotations

import platform
from typing import Annotated

import typer

from reflekt_core.cli.common import boundary, stdout
from reflekt_core.cli.options import Profile, ProfilesDir, ProjectDir


@boundary
def debug(project_dir: ProjectDir = None, profile: Profile = None, profiles_dir: ProfilesDir = None,
          skip_connections: Annotated[bool, typer.Option(
              "--skip-connections", help="Validate the files without connecting to anything.")] = False) -> None:
    """Check the project and profile files and print what Reflekt resolved, with secrets masked."""
    import yaml

    from reflekt_core import __version__, secrets
    from reflekt_core.errors import ReflektError
    from reflekt_core.lint.engine import load_meta_validator
    from reflekt_core.profiles import load_profile, profiles_file
    from reflekt_core.project import load_project
    from reflekt_core.schemas import iter_schema_files
    from reflekt_core.registries import make_registry
    from reflekt_core.warehouses import check_source

    console = stdout()
    failures = 0

    def check(label: str, ok: bool, detail: str) -> None:
        nonlocal failures
        failures += 0 if ok else 1
        mark = "[green]ok[/green]    " if ok else "[red]failed[/red]"
        console.print(f"  {mark} {label}: ", end="")
        console.print(secrets.redact(detail), markup=False)

    console.print(f"reflekt {__version__} · Python {platform.python_version()}", markup=False)
    console.print("[bold]project[/bold]")
    project = load_project(project_dir)
    check("reflekt_project.yml", True, str(project.path))
    console.print(f"    name={project.name} vendor={project.vendor} "
                  f"default_profile={project.default_profile}", markup=False)
    try:
        files = iter_schema_files(project.schemas_dir) if project.schemas_dir.is_dir() else []
        check("schemas", True, f"{len(files)} schema files in {project.schemas_dir}"
              if files else f"no schema files yet in {project.schemas_dir}")
        validator = load_meta_validator(project)
        check("meta-schema", True, str(project.meta_schema_path) if validator
              else "none (schemas/.reflekt/meta/1-0.json absent; R201 is not checked)")
    except ReflektError as exc:
        check("schemas", False, str(exc))

    console.print("[bold]profile[/bold]")
    try:
        resolved = load_profile(project, profile, profiles_dir)
        check("reflekt_profiles.yml", True, str(resolved.path))
        shown = {"registry": resolved.registry, "source": resolved.source}
        console.print(f"    profile '{resolved.name}':", markup=False)
        text = yaml.safe_dump(secrets.masked(shown), sort_keys=False, default_flow_style=False)
        for line in text.splitlines():
            console.print(f"      {secrets.redact(line)}", markup=False)
        if resolved.registry and not skip_connections:
            console.print("[bold]registries[/bold]")
            for entry in resolved.registry:
                try:
                    make_registry(entry, project).check_connection()
                    check(f"registry {entry['type']}", True, "authenticated")
                except ReflektError as exc:
                    check(f"registry {entry['type']}", False, exc.message + (f" ({exc.hint})" if exc.hint else ""))
        if resolved.source and not skip_connections:
            console.print("[bold]connections[/bold]")
            for entry in resolved.source:
                try:
                    check_source(entry, project.dir)
                    check(f"source '{entry['id']}' ({entry['type']})", True, "connected")
                except ReflektError as exc:
                    reason = exc.message + (f" ({exc.hint})" if exc.hint else "")
                    check(f"source '{entry['id']}' ({entry['type']})", False, reason)
    except ReflektError as exc:
        check("reflekt_profiles.yml", False, str(exc))
        console.print(f"    looked for: {profiles_file(project, profiles_dir)}", markup=False)

    if failures:
        console.print(f"[red]{failures} check(s) failed[/red]")
        raise typer.Exit(2)
    console.print("[green]All checks passed.[/green]")
