"""``reflekt init``: scaffold a project, by prompts or entirely by flags."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Optional

import typer

from reflekt_core.cli.common import boundary, stdout


def _default_name(folder: Path) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", folder.resolve().name).strip("_") or "reflekt_project"
    return f"_{name}" if name[0].isdigit() else name


@boundary
def init(
    dir: Annotated[Path, typer.Option("--dir", help="Folder to create the project in.")] = Path("."),
    name: Annotated[Optional[str], typer.Option("--name", help="Project name.", show_default=False)] = None,
    vendor: Annotated[Optional[str], typer.Option(
        "--vendor", help="Schema vendor, a reverse domain such as com.example.", show_default=False)] = None,
    profile: Annotated[Optional[str], typer.Option(
        "--profile", help="Name of the first profile.", show_default=False)] = None,
    no_input: Annotated[bool, typer.Option(
        "--no-input", help="Do not prompt; use flags and defaults (for scripts and CI).")] = False,
    force: Annotated[bool, typer.Option(
        "--force", help="Add the project to a folder that already holds files (existing files are kept).")] = False,
) -> None:
    """Create a Reflekt project: reflekt_project.yml, a profiles file, the meta-schema, .gitignore, README."""
    from reflekt_core.scaffold import InitOptions, init_project, validate_init_options

    folder = dir
    default_name = _default_name(folder)
    # Fail before prompting when the folder already holds a project.
    validate_init_options(InitOptions(dir=folder, name=default_name, vendor="com.example", force=force))
    if not no_input:
        name = name or typer.prompt("Project name", default=default_name)
        vendor = vendor or typer.prompt("Schema vendor (reverse domain)", default=f"com.{name.lower()}")
        profile = profile or typer.prompt("Profile name", default="dev")
    name = name or default_name
    options = InitOptions(dir=folder, name=name, vendor=vendor or f"com.{name.lower()}",
                          profile=profile or "dev", force=force)
    created = init_project(options)
    console = stdout()
    console.print(f"[green]Created Reflekt project '{options.name}' in {folder.resolve()}[/green]")
    for path in created:
        console.print(f"  {path.relative_to(folder)}", markup=False)
    console.print("Next: add schemas under schemas/<plan>/<Event_Name>/1-0.json, then run 'reflekt lint'.")
