"""``reflekt init``: the files of a new project, rendered from package templates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from reflekt_core.errors import OutputError, UsageError
from reflekt_core.fsutil import write_files
from reflekt_core.outputs import check_output
from reflekt_core.profiles import PROFILES_FILE
from reflekt_core.project import META_SCHEMA_PATH, PROJECT_FILE, SCHEMAS_DIR

NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
VENDOR_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")


@dataclass(frozen=True)
class InitOptions:
    dir: Path
    name: str
    vendor: str
    profile: str = "dev"
    force: bool = False


def validate_init_options(options: InitOptions) -> None:
    if not NAME_PATTERN.match(options.name):
        raise UsageError(f"project name '{options.name}' is not valid",
                         hint="use letters, digits and underscores, not starting with a digit")
    if not VENDOR_PATTERN.match(options.vendor):
        raise UsageError(f"vendor '{options.vendor}' is not valid",
                         hint="use a reverse domain such as com.example")
    if not NAME_PATTERN.match(options.profile):
        raise UsageError(f"profile name '{options.profile}' is not valid",
                         hint="use letters, digits and underscores")
    if (options.dir / PROJECT_FILE).exists():
        raise UsageError(f"{options.dir / PROJECT_FILE} already exists",
                         hint="reflekt init never overwrites a project; choose another --dir")
    folder = check_output(options.dir, "dir", option="--dir", force=options.force, ignore=(".git",))
    enclosing = _enclosing_project(folder)
    if enclosing is not None and (folder == enclosing / SCHEMAS_DIR or enclosing / SCHEMAS_DIR in folder.parents):
        raise OutputError(f"--dir {options.dir} is inside the schemas folder of the project in {enclosing}",
                          hint="schemas/ holds only event schemas; create the project elsewhere")


def _enclosing_project(folder: Path) -> Path | None:
    for parent in folder.parents:
        if (parent / PROJECT_FILE).is_file():
            return parent
    return None


def render_project_files(options: InitOptions) -> dict[Path, str]:
    """Every file of a new project, keyed by destination path (nothing is written)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("reflekt_core", "templates/init"),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    values = {"name": options.name, "vendor": options.vendor, "profile": options.profile}
    targets = {
        PROJECT_FILE: "reflekt_project.yml.j2",
        PROFILES_FILE: "reflekt_profiles.yml.j2",
        f"{SCHEMAS_DIR}/{META_SCHEMA_PATH}": "meta-1-0.json.j2",
        ".gitignore": "gitignore.j2",
        "README.md": "README.md.j2",
    }
    files = {}
    for target, template in targets.items():
        path = options.dir / target
        if path.exists():
            continue  # an existing folder (--force) keeps its own files: README, .gitignore, profiles...
        files[path] = env.get_template(template).render(**values)
    return files


def init_project(options: InitOptions) -> list[Path]:
    """Create a project; refuse to overwrite an existing one."""
    validate_init_options(options)
    files = render_project_files(options)
    write_files(files)
    return sorted(files)
