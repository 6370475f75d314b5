"""The sensor on the schemas repository: each changed schema file becomes a run of its schema asset.

What happens downstream (lint report, dbt package, the changed schema's dbt models) is up to
the assets' automation conditions, evaluated by the ``reflekt_automation`` sensor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from dagster import (AssetKey, AssetSelection, AutomationConditionSensorDefinition, DefaultSensorStatus, RunRequest,
                     SensorEvaluationContext, SensorResult, SkipReason, sensor)

from reflekt_core.errors import ReflektError
from reflekt_dagster.reload import RELOAD_TAG


def _status(running: bool) -> DefaultSensorStatus:
    return DefaultSensorStatus.RUNNING if running else DefaultSensorStatus.STOPPED


def make_schemas_sensor(schemas_dir: Path, keys_for_files: Callable[[list[str]], list[AssetKey]],
                        package_key: AssetKey, *, remote: str | None = None, branch: str | None = None,
                        name: str = "reflekt_schemas_sensor", interval: int = 30, running: bool = True):
    """Watch the schemas folder as git sees it (working tree, or ``remote``/``branch`` when given).

    - an edited or added file that this code location has loaded: a run of its schema asset,
      tagged with the commit and its author;
    - a deleted file, or a new one not loaded yet: a run of the dbt package (which also asks
      for a reload, so the new file's asset appears and is materialised as missing).

    The cursor is the last commit SHA plus the hashes of uncommitted schema files. The first
    tick records a baseline and launches nothing. No run key: the cursor alone decides what is
    new, so a revert or a fix to an earlier content is a new change.
    """
    where = f"{remote}/{branch}" if remote else "the working tree"

    @sensor(name=name, minimum_interval_seconds=interval, default_status=_status(running),
            target=AssetSelection.key_prefixes(["event_schemas"]) | AssetSelection.assets(package_key),
            description=f"Watches schemas/ in {where} (git) and materialises the schema files that changed.")
    def schemas_sensor(context: SensorEvaluationContext):
        from reflekt_core.schemas.gitchanges import detect_changes

        try:
            found = detect_changes(schemas_dir, context.cursor, remote=remote, branch=branch)
        except ReflektError as exc:
            return SkipReason(str(exc))
        if found.baseline:
            return SensorResult(skip_reason=f"baseline recorded at {found.commit[:12] or 'no commit'}",
                                cursor=found.cursor)
        if not found.changes:
            return SensorResult(skip_reason="no schema file changed", cursor=found.cursor)
        edited = [c.rel_path for c in found.changes if c.kind != "deleted"]
        keys = keys_for_files(edited)
        structural = len(keys) < len(edited) or bool(found.of_kind("deleted"))
        selection = [*keys, *([package_key] if structural else [])]
        summary = ", ".join(f"{c.kind} {c.rel_path}" for c in found.changes[:20])
        context.log.info(f"{len(found.changes)} schema file(s): {summary}")
        tags = {"reflekt/commit": found.commit or "none", "reflekt/author": found.author or "unknown",
                "reflekt/changed_files": str(len(found.changes)),
                **({RELOAD_TAG: "true"} if structural else {})}
        return SensorResult(run_requests=[RunRequest(asset_selection=selection, tags=tags)], cursor=found.cursor)

    return schemas_sensor


def make_automation_sensor(targets: Sequence[AssetKey] | AssetSelection | None = None, *, interval: int = 30,
                           running: bool = True) -> AutomationConditionSensorDefinition:
    """The sensor that evaluates the assets' automation conditions (eager, on_missing)."""
    return AutomationConditionSensorDefinition(
        "reflekt_automation", target=targets if targets is not None else AssetSelection.all(),
        minimum_interval_seconds=interval, default_status=_status(running),
        description="Rebuilds what depends on a changed schema: lint report, dbt package, its dbt models.")
