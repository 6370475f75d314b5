"""A sensor on the schemas folder: re-lint and rebuild only what a change touches."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path

from dagster import AssetKey, AssetSelection, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from reflekt_core.schemas.fingerprint import changed_files, fingerprint


def make_schemas_sensor(schemas_dir: Path, keys_for_files: Callable[[list[str]], list[AssetKey]],
                        always: Sequence[AssetKey], name: str = "reflekt_schemas_sensor",
                        interval: int = 30):
    """Compares content hashes with the cursor; requests a run of the affected assets only.

    ``always`` are the assets any schema change affects (lint report, dbt package, dbt models).
    The cursor is the fingerprint itself, so it survives restarts; the sensor never parses a
    schema, so a broken one cannot stop it: it shows up as a failed lint check in the run.
    """

    @sensor(name=name, minimum_interval_seconds=interval, target=AssetSelection.all(),
            description="Watches schemas/ and rebuilds what changed.")
    def schemas_sensor(context: SensorEvaluationContext):
        current = fingerprint(schemas_dir)
        previous = json.loads(context.cursor) if context.cursor else {}
        changed = changed_files(previous, current)
        cursor = json.dumps(current, sort_keys=True)
        if not changed:
            return SensorResult(skip_reason=SkipReason("no schema changed"), cursor=cursor)
        keys = keys_for_files([c for c in changed if not c.startswith(".reflekt/")])
        if any(c.startswith(".reflekt/") for c in changed) or not previous:
            keys = keys_for_files(sorted(current))  # a new meta-schema (or first tick) touches every schema
        selection = list(dict.fromkeys([*keys, *always]))
        run_key = hashlib.sha1(cursor.encode()).hexdigest()
        context.log.info(f"{len(changed)} schema file(s) changed: {', '.join(changed[:10])}")
        return SensorResult(run_requests=[RunRequest(run_key=run_key, asset_selection=selection,
                                                     tags={"reflekt/changed_files": str(len(changed))})],
                            cursor=cursor)

    return schemas_sensor
