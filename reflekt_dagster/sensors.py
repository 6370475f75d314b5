"""The sensor on the schemas repository: each changed schema file becomes a run of its schema asset.

What happens downstream (lint report, dbt package, the changed schema's dbt models) is up to
the assets' automation conditions, evaluated by the ``reflekt_automation`` sensor over those
assets only (:func:`automated_selection`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from dagster import (AssetKey, AssetSelection, AutomationConditionSensorDefinition, DefaultSensorStatus, RunRequest,
                     SensorEvaluationContext, SensorResult, SkipReason, sensor)

from reflekt_core.errors import ReflektError
from reflekt_dagster.reload import RELOAD_TAG


def _status(running: bool) -> DefaultSensorStatus:
    return DefaultSensorStatus.RUNNING if running else DefaultSensorStatus.STOPPED


def _split_cursor(cursor: str | None) -> tuple[str | None, list[str]]:
    """(the git cursor, new files waiting for the location to load them)."""
    if not cursor:
        return None, []
    data = json.loads(cursor)
    if "git" not in data:  # a cursor written before new files were tracked: the git cursor itself
        return cursor, []
    return data["git"], list(data.get("pending") or [])


def _join_cursor(git: str, pending: list[str]) -> str:
    return json.dumps({"git": git, "pending": sorted(set(pending))}, separators=(",", ":"))


def make_schemas_sensor(schemas_dir: Path, keys_for_files: Callable[[list[str]], list[AssetKey]],
                        package_key: AssetKey, *, remote: str | None = None, branch: str | None = None,
                        name: str = "reflekt_schemas_sensor", interval: int = 30, running: bool = True):
    """Watch the schemas folder as git sees it (working tree, or ``remote``/``branch`` when given).

    - an edited or added file that this code location has loaded: a run of its schema asset,
      tagged with the commit and its author;
    - a deleted file, or a new one not loaded yet: a run of the dbt package (which also asks
      for a reload); a new file waits in the cursor until a tick finds its asset loaded, and
      that tick runs it. Schema assets need no automation condition, so the automation sensor
      never evaluates thousands of them.

    The cursor is the last commit SHA plus the hashes of uncommitted schema files and the new
    files still waiting. The first tick records a baseline and launches nothing. No run key:
    the cursor alone decides what is new, so a revert or a fix to an earlier content is a new change.
    """
    where = f"{remote}/{branch}" if remote else "the working tree"

    @sensor(name=name, minimum_interval_seconds=interval, default_status=_status(running),
            target=AssetSelection.key_prefixes(["event_schemas"]) | AssetSelection.assets(package_key),
            description=f"Watches schemas/ in {where} (git) and materialises the schema files that changed.")
    def schemas_sensor(context: SensorEvaluationContext):
        from reflekt_core.schemas.gitchanges import detect_changes

        git_cursor, pending = _split_cursor(context.cursor)
        try:
            found = detect_changes(schemas_dir, git_cursor, remote=remote, branch=branch)
        except ReflektError as exc:
            return SkipReason(str(exc))
        if found.baseline:
            return SensorResult(skip_reason=f"baseline recorded at {found.commit[:12] or 'no commit'}",
                                cursor=_join_cursor(found.cursor, []))
        deleted = {c.rel_path for c in found.of_kind("deleted")}
        pending = [rel for rel in pending if rel not in deleted]
        loaded_now = [rel for rel in pending if keys_for_files([rel])]
        edited = [c.rel_path for c in found.changes if c.kind != "deleted"]
        unloaded = [rel for rel in edited if not keys_for_files([rel])]
        still = [rel for rel in pending if rel not in loaded_now and rel not in edited] + unloaded
        cursor = _join_cursor(found.cursor, still)
        keys = keys_for_files(sorted(set(edited) | set(loaded_now)))
        if not found.changes and not keys:
            return SensorResult(skip_reason="no schema file changed"
                                + (f" ({len(still)} new file(s) wait for a reload)" if still else ""), cursor=cursor)
        structural = bool(unloaded) or bool(deleted)
        selection = [*keys, *([package_key] if structural else [])]
        summary = ", ".join([*(f"{c.kind} {c.rel_path}" for c in found.changes[:20]),
                             *(f"loaded {rel}" for rel in loaded_now[:20])])
        context.log.info(f"{len(found.changes)} schema file(s) changed, {len(loaded_now)} newly loaded: {summary}")
        tags = {"reflekt/commit": found.commit or "none", "reflekt/author": found.author or "unknown",
                "reflekt/changed_files": str(len(found.changes)),
                **({"reflekt/new_files": str(len(loaded_now))} if loaded_now else {}),
                **({RELOAD_TAG: "true"} if structural else {})}
        return SensorResult(run_requests=[RunRequest(asset_selection=selection, tags=tags)], cursor=cursor)

    return schemas_sensor


def automated_selection(translator) -> AssetSelection:
    """What carries an automation condition: the lint report, the dbt package and the dbt models
    (schema assets are run by the schemas sensor, raw tables are observed)."""
    return (AssetSelection.assets(translator.lint_report_key(), translator.dbt_package_key())
            | AssetSelection.groups("dbt_staging"))


def make_automation_sensor(targets: Sequence[AssetKey] | AssetSelection | None = None, *, interval: int = 30,
                           running: bool = True) -> AutomationConditionSensorDefinition:
    """The sensor that evaluates the assets' automation conditions (eager, on_missing)."""
    return AutomationConditionSensorDefinition(
        "reflekt_automation", target=targets if targets is not None else AssetSelection.all(),
        minimum_interval_seconds=interval, default_status=_status(running),
        description="Rebuilds what depends on a changed schema: lint report, dbt package, its dbt models.")
