"""The gate on a project: read what changed since a git ref, classify, apply the policy."""

from __future__ import annotations

from reflekt_core.errors import SchemaLoadError
from reflekt_core.evolution.gate import DELETED, EDITED, GateInput, GateResult, evaluate
from reflekt_core.evolution.gitbase import BaseRef
from reflekt_core.project import SCHEMAS_DIR, Project
from reflekt_core.schemas import jsonc
from reflekt_core.schemas.select import _matches, normalise_selector


def in_selection(rel: str, select: list[str] | None, exclude: list[str] | None, project: Project) -> bool:
    """``--select``/``--exclude`` applied to one path (which may exist only at the base)."""
    stem = rel[: -len(".json")] if rel.endswith(".json") else rel
    chosen = any(_matches(normalise_selector(s, project.schemas_dir), stem) for s in select or [""])
    return chosen and not any(_matches(normalise_selector(x, project.schemas_dir), stem) for x in exclude or [])


def gate_project(project: Project, ref: str, select: list[str] | None = None,
                 exclude: list[str] | None = None, head_files: list[str] | None = None,
                 iglu: bool = False) -> GateResult:
    """Compare the work tree's schemas with git ref ``ref`` and apply the evolution policy.

    ``iglu``: ``project.dir`` is a static Iglu repository (``reflekt lint --iglu-dir``), whose
    schemas are ``schemas/<vendor>/<name>/jsonschema/<version>`` files.
    Raises :class:`~reflekt_core.evolution.gitbase.GitError` when the project is not in a git
    repository or the ref does not exist.
    """
    from reflekt_core.schemas.loader import iter_schema_files, read_schema

    base = BaseRef.resolve(project.dir, ref)
    status = {rel: s for rel, s in base.changed(project.dir, SCHEMAS_DIR, iglu=iglu).items()
              if in_selection(rel, select, exclude, project)}
    blobs = base.read(project.dir, [f"{SCHEMAS_DIR}/{rel}" for rel, s in status.items() if s in (EDITED, DELETED)])
    head_cache: dict[str, object] = {}

    def base_doc(rel: str):
        raw = blobs.get(f"{SCHEMAS_DIR}/{rel}")
        try:
            return jsonc.loads(raw.decode("utf-8-sig")) if raw is not None else None
        except (ValueError, UnicodeDecodeError, RecursionError):
            return None

    def head_doc(rel: str):
        if rel not in head_cache:
            try:
                head_cache[rel] = read_schema(project.schemas_dir, rel).doc
            except SchemaLoadError:
                head_cache[rel] = None  # lint reports the file itself
        return head_cache[rel]

    files = head_files if head_files is not None else (
        iter_schema_files(project.schemas_dir) if project.schemas_dir.is_dir() else [])
    return evaluate(GateInput(status=status, base=base_doc, head=head_doc, head_files=tuple(files),
                              base_label=ref, allow_deleted=project.evolution.allow_deleted_versions))
