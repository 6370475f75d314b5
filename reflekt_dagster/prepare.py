"""Prepare the code location: ``reflekt build`` into a package version, then ``dbt parse`` it.

    python -m reflekt_dagster.prepare

Reflekt's counterpart of ``dagster-dbt project prepare-and-package``: run it where the
warehouse is reachable (``scripts/demo`` does; a deployment runs it when it builds the
code-location image), so that loading the code location reads files only. Then it loads the
code location once and stores the snapshots its code server sends the webserver and the daemon
(``reflekt_dagster.snapcache``), so the next start sends them instead of building them.
Configured like the code location (REFLEKT_PROJECT_DIR, REFLEKT_SOURCE, ...). Exit code 0 on success, 2
with one line saying what to do otherwise.
"""

from __future__ import annotations

import sys
from pathlib import Path


def prepare(project_dir: str | Path, source: str, sdk: str = "segment", *, profile: str | None = None,
            dbt_profiles_dir: str | Path | None = None) -> Path:
    """Build the package from the warehouse catalog, publish it as the current version; its folder."""
    from reflekt_core.dbt import build_from_project
    from reflekt_core.project import load_project
    from reflekt_dagster.package import PackageStore, package_files

    project = load_project(Path(project_dir))
    result = build_from_project(project, sdk, source, profile=profile, dry_run=True)
    folder, _ = PackageStore.for_project(project.dir).publish(
        package_files(result), Path(dbt_profiles_dir) if dbt_profiles_dir else None)
    return folder


def main() -> int:
    from reflekt_core.errors import ReflektError
    from reflekt_dagster.definitions import config_from_env

    config = config_from_env()
    try:
        folder = prepare(config["project_dir"], config["source"][0], config["sdk"],
                         dbt_profiles_dir=config["dbt_profiles_dir"])
    except ReflektError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"prepared: {folder} (dbt manifest in {folder / 'target' / 'manifest.json'})")
    stored = prime_snapshots()
    if stored:
        print(f"stored the code server's snapshots for the next start ({stored}; reflekt_dagster.snapcache)")
    return 0


def prime_snapshots() -> int:
    """Load the code location as a code server would and store its snapshots (how many were stored)."""
    from reflekt_dagster import snapcache

    try:
        return snapcache.prime()
    except Exception as exc:  # noqa: BLE001 - the location reports it when it loads; prepare succeeded
        print(f"warning: the code server's snapshots were not stored ({type(exc).__name__}: {exc}); "
              "the next start builds them", file=sys.stderr)
        return 0


if __name__ == "__main__":
    sys.exit(main())
