"""Pull and push as whole operations: nothing local changes unless everything succeeded."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reflekt_core.errors import ReflektError
from reflekt_core.registries.base import PullResult
from reflekt_core.registries.remotepaths import check_remote_paths
from reflekt_core.schemas import jsonc


class PullConflict(ReflektError):
    """Local schemas differ from the registry and --force was not given."""

    def __init__(self, paths: list[str]):
        super().__init__(f"{len(paths)} local schema(s) differ from the registry: {', '.join(paths)}",
                         hint="nothing was written; re-run with --force to overwrite them, or --dry-run to see the diff")
        self.paths = paths


@dataclass
class PullPlan:
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    diff: str = ""


def schema_text(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def plan_pull(schemas_dir: Path, pulled: PullResult, plan_folder: str | None = None) -> PullPlan:
    """Compare what the registry holds with the local files (by content, not formatting).

    With ``plan_folder``, every remote item is first checked to land inside
    ``schemas/<plan_folder>/`` (see :func:`check_remote_paths`).
    """
    if plan_folder is not None:
        check_remote_paths(schemas_dir, plan_folder, pulled.schemas)
    plan = PullPlan()
    diffs: list[str] = []
    for remote in pulled.schemas:
        text = remote.text if remote.text is not None else schema_text(remote.doc)
        plan.texts[remote.rel_path] = text
        path = schemas_dir / remote.rel_path
        if not path.exists():
            plan.created.append(remote.rel_path)
            diffs.extend(difflib.unified_diff([], text.splitlines(True), "/dev/null", f"b/schemas/{remote.rel_path}"))
            continue
        try:
            old = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            old = ""
        try:
            same = jsonc.loads(old) == remote.doc
        except (ValueError, RecursionError):
            same = False
        if same:
            plan.unchanged.append(remote.rel_path)
        else:
            plan.changed.append(remote.rel_path)
            diffs.extend(difflib.unified_diff(old.splitlines(True), text.splitlines(True),
                                              f"a/schemas/{remote.rel_path}", f"b/schemas/{remote.rel_path}"))
    plan.diff = "".join(line if line.endswith("\n") else line + "\n" for line in diffs)
    return plan


def apply_pull(schemas_dir: Path, plan: PullPlan, force: bool = False) -> list[str]:
    """Write created and (with ``force``) changed schemas, all or nothing (see :mod:`.staging`)."""
    from reflekt_core.registries.staging import commit_files

    if plan.changed and not force:
        raise PullConflict(plan.changed)
    targets = plan.created + plan.changed
    commit_files(schemas_dir, {rel: plan.texts[rel] for rel in targets})
    return targets


def push_selection(project, registry, select: str, *, delete: bool = False, dry_run: bool = False,
                   import_method: str | None = None, allow_breaking: bool = False):
    """Load the selected schemas and push them: a whole plan folder replaces, part of one upserts.

    Before anything is sent, the schemas are classified against the registry's current content
    (``result.evolution``); a breaking change under an existing version raises ``PushRefused``
    unless ``allow_breaking`` (a dry run reports it instead). Returns ``(result, schemas, whole_plan)``.
    """
    from reflekt_core.evolution.remote import PushRefused, check_push

    from reflekt_core.schemas import load_selected
    from reflekt_core.schemas.select import normalise_selector

    selection = load_selected(project.schemas_dir, [select])
    plan_folder = normalise_selector(select).split("/")[0]
    in_plan = {f for f in selection.all_files if f.split("/", 1)[0] == plan_folder}
    whole_plan = {s.rel_path for s in selection.schemas} == in_plan
    getattr(registry, "ensure_writable", lambda: None)()  # a read-only registry says so first
    evolution = [] if delete else check_push(registry, select, selection.schemas)
    if any(c.refused for c in evolution) and not allow_breaking and not dry_run:
        raise PushRefused(evolution)
    try:
        result = registry.push(selection.schemas, whole_plan, delete=delete, dry_run=dry_run,
                               import_method=import_method)
    except ReflektError:
        if dry_run and not allow_breaking and any(c.refused for c in evolution):
            raise PushRefused(evolution, dry_run=True) from None  # the registry refuses it too (Iglu)
        raise
    result.evolution = evolution
    return result, selection.schemas, whole_plan
