"""Options shared by several commands, named as in reflekt 0.6."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

ProjectDir = Annotated[Optional[Path], typer.Option(
    "--project-dir", help="Project folder (default: search upward from the current folder).",
    envvar="REFLEKT_PROJECT_DIR", show_default=False)]
Select = Annotated[Optional[list[str]], typer.Option(
    "--select", "-s", help="Schemas to use: a folder or file under schemas/ (with or without "
    "'schemas/' and '.json') or a glob. Repeatable. Default: every schema.", show_default=False)]
Exclude = Annotated[Optional[list[str]], typer.Option(
    "--exclude", "-x", help="Schemas to leave out, same forms as --select. Repeatable.",
    show_default=False)]
Profile = Annotated[Optional[str], typer.Option(
    "--profile", "-p", help="Profile from reflekt_profiles.yml (default: default_profile).",
    show_default=False)]
ProfilesDir = Annotated[Optional[Path], typer.Option(
    "--profiles-dir", help="Folder holding reflekt_profiles.yml (overrides REFLEKT_PROFILES_DIR).",
    show_default=False)]
