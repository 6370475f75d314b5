"""Helpers that build real Reflekt projects on disk for tests."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "jaffle_shop"
VECTORS = ROOT / "tests" / "fixtures" / "vectors"

BASE_PROJECT: dict[str, Any] = {
    "version": 1.0,
    "name": "test_project",
    "vendor": "com.test",
    "default_profile": "dev",
    "schemas": {"conventions": {
        "event": {"casing": "title", "numbers": False, "reserved": []},
        "property": {"casing": "snake", "numbers": False, "reserved": []},
        "data_types": ["string", "integer", "number", "boolean", "object", "array", "null"],
    }},
}


def deep_merge(base: Any, override: Any) -> Any:
    """``override`` merged into a copy of ``base``; a ``None`` value deletes the key."""
    if not isinstance(base, dict) or not isinstance(override, dict):
        return copy.deepcopy(override)
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = deep_merge(merged.get(key), value) if key in merged else copy.deepcopy(value)
    return merged


def base_schema(rel_path: str) -> dict[str, Any]:
    """A lint-clean schema for ``plan/Event_Name/M-N.json``."""
    folder, _, file_name = rel_path.rpartition("/")
    name = folder.rsplit("/", 1)[-1].replace("_", " ") or "Order Completed"
    return {
        "$id": rel_path,
        "$schema": "http://json-schema.org/draft-07/schema#",
        "description": f"Fires when {name.lower()} happens.",
        "self": {"vendor": "com.test", "name": name, "format": "jsonschema",
                 "version": file_name[: -len(".json")],
                 "metadata": {"code_owner": "team", "product_owner": "pm@test.example"}},
        "type": "object",
        "properties": {"order_id": {"type": "string", "description": "The order id."}},
        "required": ["order_id"],
        "additionalProperties": False,
    }


def meta_schema() -> str:
    return (DEMO / "schemas" / ".reflekt" / "meta" / "1-0.json").read_text()


def make_project(root: Path, files: dict[str, Any] | None = None, project: dict[str, Any] | None = None,
                 meta: bool = True, raw_files: dict[str, str] | None = None) -> Path:
    """Write a project: each ``files`` entry is merged onto :func:`base_schema` for its path."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "reflekt_project.yml").write_text(yaml.safe_dump(deep_merge(BASE_PROJECT, project or {})))
    schemas = root / "schemas"
    schemas.mkdir(exist_ok=True)
    if meta:
        (schemas / ".reflekt" / "meta").mkdir(parents=True, exist_ok=True)
        (schemas / ".reflekt" / "meta" / "1-0.json").write_text(meta_schema())
    for rel, override in (files or {}).items():
        path = schemas / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(deep_merge(base_schema(rel), override or {}), indent=2))
    for rel, text in (raw_files or {}).items():
        path = schemas / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def make_iglu_project(root: Path, profiles: dict[str, dict], project: dict[str, Any]) -> Path:
    """A project whose profiles each hold one iglu registry entry (``dev`` is the default)."""
    make_project(root, {}, project, meta=False)
    data = {name: {"registry": [{"type": "iglu", "backoff": 0.05, **entry}]} for name, entry in profiles.items()}
    (root / "reflekt_profiles.yml").write_text(yaml.safe_dump(data))
    return root


def schema_bytes(root: Path) -> dict[str, bytes]:
    """Every ``schemas/**/*.json`` of a project, by path under ``schemas/``."""
    return {p.relative_to(root / "schemas").as_posix(): p.read_bytes()
            for p in sorted((root / "schemas").rglob("*.json"))}


def copy_seeded_demo(target: Path) -> Path:
    """A copy of the demo project at ``target`` with its DuckDB warehouse seeded."""
    import shutil
    import subprocess
    import sys

    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns("*.duckdb*", "artifacts", "reports", "target"))
    subprocess.run([sys.executable, str(target / "seed.py"), str(target / "warehouse.duckdb")], check=True,
                   capture_output=True)
    return target


def dagster_env(home: Path, project: Path) -> dict[str, str]:
    """Environment for Dagster CLI processes on a demo copy (with a DAGSTER_HOME of its own)."""
    import os
    import sys

    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text((ROOT / "dagster.yaml").read_text())
    return {**os.environ, "DAGSTER_HOME": str(home), "REFLEKT_PROJECT_DIR": str(project),
            "REFLEKT_DBT_PROFILES_DIR": str(project / "dbt_profiles"),
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}


GIT_ENV = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com", "GIT_COMMITTER_NAME": "Test",
           "GIT_COMMITTER_EMAIL": "test@example.com", "GIT_CONFIG_NOSYSTEM": "1"}


def git(root: Path, *args: str) -> str:
    """Run git in ``root`` with a fixed identity; returns stdout."""
    import os
    import subprocess

    env = {**os.environ, **GIT_ENV, "HOME": str(root)}
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True, env=env).stdout


def make_git_project(root: Path, base: dict[str, Any], files: dict[str, Any] | None = None,
                     deleted: list[str] | None = None, project: dict[str, Any] | None = None) -> Path:
    """A project committed to git with ``base`` files, then ``files`` written over it (each merged
    onto :func:`base_schema`, as in :func:`make_project`) and ``deleted`` removed, uncommitted."""
    make_project(root, base, project)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    make_project(root, files or {}, project)
    for rel in deleted or []:
        (root / "schemas" / rel).unlink()
    return root
