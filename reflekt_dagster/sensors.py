"""The sensor on the schemas repository: each detected change set becomes ONE run.

The run materialises the changed (or newly loaded) schema assets, the lint report, the dbt
package and exactly the dbt models that read those schemas (:class:`~reflekt_dagster.automation.ModelIndex`);
lint checks are blocking, so a broken file stops the package and the models; what an unsuccessful
run did not build joins a later run (:mod:`reflekt_dagster.carry`). The dbt models
carry no automation condition; the lint report and the package carry a cheap one
(:class:`~reflekt_dagster.automation.SchemasUpdated`), evaluated by ``reflekt_automation`` over those
two assets only, which catches schema materialisations made by hand.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from dagster import (AssetKey, AssetSelection, AutomationConditionSensorDefinition, DefaultSensorStatus, RunRequest,
                     SensorEvaluationContext, SensorResult, SkipReason, sensor)

from reflekt_core.errors import ReflektError
from reflekt_dagster.carry import SENSOR_TAG, RunWatch, carried_for_change, carried_when_idle, start_watch
from reflekt_dagster.reload import RELOAD_TAG


def _status(running: bool) -> DefaultSensorStatus:
    return DefaultSensorStatus.RUNNING if running else DefaultSensorStatus.STOPPED


def _split_cursor(cursor: str | None) -> tuple[str | None, list[str], str | None, RunWatch]:
    """(the git cursor, new files waiting for the location to load them, the project file's hash,
    the sensor's runs already looked at)."""
    if not cursor:
        return None, [], None, RunWatch()
    data = json.loads(cursor)
    if "git" not in data:  # a cursor written before new files were tracked: the git cursor itself
        return cursor, [], None, RunWatch()
    return data["git"], list(data.get("pending") or []), data.get("config"), RunWatch.from_data(data.get("runs"))


def _join_cursor(git: str, pending: list[str], config: str | None = None, runs: RunWatch | None = None) -> str:
    watched = runs.to_data() if runs is not None else {}
    data = {"git": git, "pending": sorted(set(pending)), **({"config": config} if config is not None else {}),
            **({"runs": watched} if watched else {})}
    return json.dumps(data, separators=(",", ":"))


def _config_version(path: Path | None) -> str | None:
    """The project file's blob hash ("" when it is missing), or None when not watched."""
    if path is None:
        return None
    from reflekt_core.schemas.gitchanges import file_version

    return file_version(path) or ""


def make_schemas_sensor(schemas_dir: Path, keys_for_files: Callable[[list[str]], list[AssetKey]],
                        package_key: AssetKey, *, lint_report_key: AssetKey | None = None,
                        models_for: Callable[..., list[AssetKey]] | None = None,
                        config_path: Path | None = None, target=None,
                        remote: str | None = None, branch: str | None = None,
                        name: str = "reflekt_schemas_sensor", interval: int = 30, running: bool = True):
    """Watch the schemas folder as git sees it (working tree, or ``remote``/``branch`` when given).

    Each tick that finds changes requests one run, tagged with the commit and its author, of:

    - the edited or added files this code location has loaded, and new files it has loaded
      since an earlier tick saw them (their schema assets);
    - the lint report and the dbt package;
    - the dbt models that read those schemas (``models_for(changed_keys, deleted_keys)``), plus,
      for a deleted file, the models of its event that still read another file.

    A deleted file, or a new one the location has not loaded yet, adds the reload tag: the
    package asks the webserver to reload the location. A new file waits in the cursor until a
    tick finds its asset loaded; that tick runs it with its models. A change of the project file
    (``config_path``, reflekt_project.yml) runs the lint report, the package and every model
    (``models_for(..., everything=True)``), with the reload tag: which model reads what may change.

    A change is not forgotten when its run fails (a broken file in the set, a dbt error, a dead
    warehouse) or is cancelled: the next change's run also selects every asset an unsuccessful
    run of this sensor selected and that no run since has materialised (the good file's models
    beside a broken one, the failed models), and a run still in flight at the next change is
    followed up once it ends (:mod:`reflekt_dagster.carry`). Every run carries
    ``reflekt/sensor: <name>``; one that carries owed work names the runs in ``reflekt/carried_runs``.

    The cursor is the last commit SHA plus the hashes of uncommitted schema files, the new
    files still waiting, the project file's hash and the newest run of this sensor looked at
    (with those in flight then). The first tick records a baseline and
    launches nothing. No run key: the cursor alone decides what is new, so a revert or a fix to
    an earlier content is a new change.

    ``target`` is an asset selection, or the name of a job over those assets: a selection makes
    Dagster build one more job over it (at 5,000 schemas a job over most assets costs seconds of
    every load and a third of the UI's snapshot), so the code location passes the name of
    Dagster's implicit asset job, ``__ASSET_JOB``.
    """
    where = f"{remote}/{branch}" if remote else "the working tree"
    fixed = [k for k in (lint_report_key, package_key) if k is not None]
    selection = target if target is not None else (AssetSelection.key_prefixes(["event_schemas"])
                                                    | AssetSelection.assets(*fixed))

    job_target = {"job_name": selection} if isinstance(selection, str) else {"target": selection}

    @sensor(name=name, minimum_interval_seconds=interval, default_status=_status(running), **job_target,
            description=f"Watches schemas/ in {where} (git); each change set is one run: the changed schemas, "
                        "the lint report, the dbt package and the dbt models that read them.")
    def schemas_sensor(context: SensorEvaluationContext):
        from reflekt_core.schemas.gitchanges import detect_changes

        git_cursor, pending, config_seen, watch = _split_cursor(context.cursor)
        try:
            found = detect_changes(schemas_dir, git_cursor, remote=remote, branch=branch)
        except ReflektError as exc:
            return SkipReason(str(exc))
        config_now = _config_version(config_path)
        if found.baseline:
            return SensorResult(skip_reason=f"baseline recorded at {found.commit[:12] or 'no commit'}",
                                cursor=_join_cursor(found.cursor, [], config_now,
                                                    start_watch(context.instance, name)))
        # a cursor from before the project file was watched records it without a run
        config_changed = config_seen is not None and config_now is not None and config_now != config_seen
        deleted = sorted(c.rel_path for c in found.of_kind("deleted"))
        pending = [rel for rel in pending if rel not in deleted]
        loaded_now = [rel for rel in pending if keys_for_files([rel])]
        edited = [c.rel_path for c in found.changes if c.kind != "deleted"]
        unloaded = [rel for rel in edited if not keys_for_files([rel])]
        still = [rel for rel in pending if rel not in loaded_now and rel not in edited] + unloaded
        keys = keys_for_files(sorted(set(edited) | set(loaded_now)))
        known = _known_keys(context, schemas_dir)
        tags = {SENSOR_TAG: name, "reflekt/commit": found.commit or "none",
                "reflekt/author": found.author or "unknown"}
        if not found.changes and not keys and not config_changed:
            # Runs in flight at the last change that have failed since: their owed work, once.
            carried = carried_when_idle(context.instance, name, watch, known, RELOAD_TAG)
            cursor = _join_cursor(found.cursor, still, config_now, carried.watch)
            if not carried.keys:
                return SensorResult(skip_reason="no schema file changed"
                                    + (f" ({len(still)} new file(s) wait for a reload)" if still else "")
                                    + (" (earlier runs still in flight)" if carried.waiting else ""), cursor=cursor)
            context.log.info(f"{len(carried.runs)} earlier run(s) failed after the last change: rebuilding "
                             f"{len(carried.keys)} asset(s) they did not build")
            return SensorResult(run_requests=[RunRequest(asset_selection=carried.keys, tags={
                **tags, "reflekt/changed_files": "0", "reflekt/models": "0", **carried.tags(),
                **({RELOAD_TAG: "true"} if carried.reload else {})})], cursor=cursor)
        carried = carried_for_change(context.instance, name, watch, known, RELOAD_TAG)
        cursor = _join_cursor(found.cursor, still, config_now, carried.watch)
        structural = bool(unloaded) or bool(deleted) or config_changed or carried.reload
        models = (models_for(keys, keys_for_files(deleted), everything=config_changed)
                  if models_for is not None else [])
        run_selection = list(dict.fromkeys([*keys, *fixed, *models, *carried.keys]))
        summary = ", ".join([*(f"{c.kind} {c.rel_path}" for c in found.changes[:20]),
                             *(f"loaded {rel}" for rel in loaded_now[:20])])
        config_note = "; the project file changed" if config_changed else ""
        carried_note = (f"; {len(carried.keys)} asset(s) that {len(carried.runs)} earlier failed run(s) did not build"
                        if carried.keys else "")
        context.log.info(f"{len(found.changes)} schema file(s) changed, {len(loaded_now)} newly loaded: {summary}"
                         f"{config_note}; {len(models)} dbt model(s) to rebuild{carried_note}")
        tags.update({"reflekt/changed_files": str(len(found.changes)), "reflekt/models": str(len(models)),
                     **({"reflekt/new_files": str(len(loaded_now))} if loaded_now else {}),
                     **({"reflekt/config_changed": "true"} if config_changed else {}),
                     **carried.tags(), **({RELOAD_TAG: "true"} if structural else {})})
        return SensorResult(run_requests=[RunRequest(asset_selection=run_selection, tags=tags)], cursor=cursor)

    return schemas_sensor


def _known_keys(context: SensorEvaluationContext, schemas_dir: Path) -> Callable[[AssetKey], bool] | None:
    """Can a failed run's asset still be built? It is in the loaded asset graph (it may be gone
    after a reload) and, for a schema asset (metadata ``path``: ``schemas/<file>``), its file exists
    (a broken file deleted since: its asset stays until the reload, and selecting it would fail)."""
    repository = context.repository_def
    if repository is None:
        return None

    def known(key: AssetKey) -> bool:
        graph = repository.asset_graph
        if not graph.has(key):
            return False
        path = graph.get(key).metadata.get("path")
        path = getattr(path, "value", path)
        return not (isinstance(path, str) and path.startswith("schemas/")) or (
            schemas_dir / path[len("schemas/"):]).is_file()

    return known


def automated_selection(translator) -> AssetSelection:
    """What carries an automation condition: the lint report and the dbt package (schema assets
    and dbt models are run by the schemas sensor, raw tables are observed)."""
    return AssetSelection.assets(translator.lint_report_key(), translator.dbt_package_key())


def make_automation_sensor(targets: Sequence[AssetKey] | AssetSelection | None = None, *, interval: int = 30,
                           running: bool = True) -> AutomationConditionSensorDefinition:
    """The sensor that evaluates the lint report's and the package's condition
    (:class:`~reflekt_dagster.automation.SchemasUpdated`). It runs in the code location
    (``use_user_code_server``): Reflekt's condition is Python code the daemon cannot deserialise;
    a tick with no new event since the previous evaluation is skipped after one query
    (:class:`~reflekt_dagster.automation.QuietAutomationSensor`)."""
    from reflekt_dagster.automation import QuietAutomationSensor

    return QuietAutomationSensor(
        "reflekt_automation", target=targets if targets is not None else AssetSelection.all(),
        minimum_interval_seconds=interval, default_status=_status(running),
        description="Rebuilds the lint report and the dbt package when an event schema was materialised "
                    "outside the schemas sensor's runs (by hand), or when they are missing.")
