"""Versioned dbt packages: dbt never runs in a folder that is being rewritten.

Each generated package goes into its own folder named by its content hash,
``<project>/artifacts/dagster/dbt/<hash>/``, is parsed there (``dbt parse`` writes the
manifest the code location loads), and only then does the ``CURRENT`` pointer move to it
(one atomic rename). A ``dbt build`` that started on the previous version keeps reading an
untouched folder; the newest few versions are kept, older ones are removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

KEEP = 5
POINTER = "CURRENT"
#: Beside each version's manifest: what loading needs of it (see reflekt_dagster.dbt.model_index).
MODEL_INDEX = "reflekt_models.json"


@lru_cache(maxsize=1)
def _offline_cli_class():
    # dagster-dbt (and dbt-core with it) is imported only where dbt runs: importing it costs
    # about 3 s of CPU, which loading the code location does not need.
    from dagster_dbt import DbtCliResource

    class OfflineDbtCliResource(DbtCliResource):
        """dagster-dbt's resource, minus the ``dbt --version`` it runs to learn dbt's version:
        that command asks pypi.org for the latest release, a call home from inside the job.
        dbt-core runs in this very environment, so its version is read from the package."""

        @cached_property
        def _cli_version(self):
            from dbt.version import __version__
            from packaging import version

            return version.parse(__version__)

    return OfflineDbtCliResource


def offline_dbt_cli(**kwargs):
    """An ``OfflineDbtCliResource`` (dagster-dbt's ``DbtCliResource`` that never calls home)."""
    return _offline_cli_class()(**kwargs)


def dbt_executable() -> str:
    """dbt beside this Python (a venv that is not activated has it off PATH)."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def package_files(result) -> dict[str, str]:
    """A build's files plus its column lineage (reflekt_core.dbt.lineage), which loading reads."""
    from reflekt_core.dbt.lineage import LINEAGE_FILE, column_lineage

    return {**result.files, LINEAGE_FILE: json.dumps(column_lineage(result.plan), sort_keys=True) + "\n"}


def package_hash(files: Mapping[str, str]) -> str:
    digest = hashlib.sha256()
    for rel in sorted(files):
        digest.update(rel.encode() + b"\0" + files[rel].encode() + b"\0")
    return digest.hexdigest()[:12]


def dbt_parse(project_dir: Path, profiles_dir: Path | None) -> None:
    """``dbt parse`` (no warehouse connection) so ``target/manifest.json`` exists."""
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    cli = offline_dbt_cli(project_dir=str(project_dir), dbt_executable=dbt_executable(),
                          profiles_dir=str(profiles_dir) if profiles_dir else None)
    cli.cli(["parse", "--quiet"], target_path=project_dir / "target").wait()
    write_model_index(project_dir)


def write_model_index(folder: Path) -> dict:
    """Write what loading needs of a parsed version's manifest (its models, their dependencies and
    tests: ``target/reflekt_models.json``, about 2 % of the manifest), so loading never reads the
    manifest itself."""
    from reflekt_core.fsutil import atomic_write_text
    from reflekt_dagster.dbt import model_index

    index = model_index(json.loads((folder / "target" / "manifest.json").read_bytes()))
    atomic_write_text(folder / "target" / MODEL_INDEX, json.dumps(index, sort_keys=True) + "\n", durable=False)
    return index


@dataclass(frozen=True)
class PackageStore:
    """The versions of one project's dbt package and the pointer to the current one."""

    root: Path

    @classmethod
    def for_project(cls, project_dir: Path) -> "PackageStore":
        return cls(Path(project_dir) / "artifacts" / "dagster" / "dbt")

    def current(self) -> Path | None:
        """The current version's folder, or None before the first prepare/build."""
        try:
            name = (self.root / POINTER).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        folder = self.root / name
        return folder if name and (folder / "dbt_project.yml").is_file() else None

    def manifest(self) -> Path | None:
        current = self.current()
        manifest = current / "target" / "manifest.json" if current else None
        return manifest if manifest and manifest.is_file() else None

    def model_index(self) -> dict | None:
        """The current version's model index (``write_model_index``); None without a manifest.

        A version prepared before the index existed is indexed from its manifest, in memory
        (slower: the whole manifest is read; the next prepare writes the index)."""
        from reflekt_dagster.dbt import model_index

        manifest = self.manifest()
        if manifest is None:
            return None
        try:
            return json.loads((manifest.parent / MODEL_INDEX).read_bytes())
        except (OSError, ValueError):
            return model_index(json.loads(manifest.read_bytes()))

    def lineage(self) -> dict | None:
        """The current version's column lineage, or None (prepared before lineage was written)."""
        from reflekt_core.dbt.lineage import LINEAGE_FILE

        current = self.current()
        try:
            return json.loads((current / LINEAGE_FILE).read_text(encoding="utf-8")) if current else None
        except (OSError, ValueError):
            return None

    def publish(self, files: Mapping[str, str], profiles_dir: Path | None) -> tuple[Path, bool]:
        """Write ``files`` as a new version (unless it exists), parse it, point CURRENT at it.

        Returns the version's folder and whether it is new.
        """
        from reflekt_core.dbt.writer import write_package
        from reflekt_core.fsutil import atomic_write_text

        folder = self.root / package_hash(files)
        created = not (folder / "target" / "manifest.json").is_file()
        if created:
            write_package(files, folder)
            dbt_parse(folder, profiles_dir)
        elif not (folder / "target" / MODEL_INDEX).is_file():
            write_model_index(folder)
        atomic_write_text(self.root / POINTER, folder.name + "\n", durable=False)
        self.prune(keep={folder.name})
        return folder, created

    def prune(self, keep: set[str]) -> list[str]:
        """Remove all but the newest ``KEEP`` versions (never one named in ``keep``)."""
        versions = sorted((p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                          key=lambda p: p.stat().st_mtime, reverse=True)
        removed = []
        for old in versions[KEEP:]:
            if old.name not in keep:
                shutil.rmtree(old, ignore_errors=True)
                removed.append(old.name)
        return removed
