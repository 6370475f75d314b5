"""Work the schemas sensor's unsuccessful runs left undone, carried into a later run.

The schemas sensor requests one run per change set. A run that fails (a broken file in the set,
a dbt error, a warehouse that does not answer) or is cancelled leaves some of the assets it
selected unbuilt, and the cursor has moved past its change: without this, the change of a good
file that shared a set with a broken one never reached its dbt models.

Every run the sensor requests carries :data:`SENSOR_TAG`. The sensor's cursor keeps a
:class:`RunWatch`: the newest of those runs it has looked at (``after``) and the ones that were
still in flight then (``open``). Nothing else is stored: which assets a run selected, and which
were materialised since, come from the instance's run and asset records.

- A tick that finds a change looks at the sensor's runs since ``after`` and at the ``open``
  ones: of each run that ended unsuccessfully, the selected assets not materialised by that run
  or by a run created after it are *owed*, and join the new run (with the reload tag when
  the failed run had it).
- A tick that finds no change looks only at ``open`` runs (none in the usual idle tick: no
  query). Once they and every later sensor run have finished, the owed work of those that
  failed is requested on its own, once: a run still in flight when the next change arrived is
  not forgotten, yet a failure is never retried in a loop (a run that fails again waits for the
  next change, as a failed run does).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from dagster import AssetKey, DagsterInstance, DagsterRunStatus, RunsFilter

#: On every run the schemas sensor requests; its value is the sensor's name.
SENSOR_TAG = "reflekt/sensor"
#: On a run that carries owed work: the runs it comes from (the first few ids).
CARRIED_TAG = "reflekt/carried_runs"
#: Upper bound of runs read when the cursor's newest run was deleted from the instance.
_RESCAN_LIMIT = 1000


@dataclass(frozen=True)
class RunWatch:
    """The sensor's runs already looked at: the newest one, and those in flight then."""

    after: str | None = None
    open: tuple[str, ...] = ()

    def to_data(self) -> dict:
        return {**({"after": self.after} if self.after else {}), **({"open": list(self.open)} if self.open else {})}

    @classmethod
    def from_data(cls, data: dict | None) -> RunWatch:
        data = data or {}
        return cls(data.get("after") or None, tuple(data.get("open") or ()))


def start_watch(instance: DagsterInstance, sensor_name: str) -> RunWatch:
    """A watch that starts after the newest run the sensor already requested (a baseline tick)."""
    newest = instance.get_run_records(RunsFilter(tags={SENSOR_TAG: sensor_name}), limit=1)
    return RunWatch(newest[0].dagster_run.run_id if newest else None)


@dataclass
class Carried:
    """What a tick should add to its run (or request alone), and the watch to store."""

    keys: list[AssetKey] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)       # the unsuccessful runs the keys come from
    reload: bool = False                                 # one of them asked for a code-location reload
    watch: RunWatch = field(default_factory=RunWatch)
    waiting: bool = False                                # an idle tick found sensor runs still in flight

    def tags(self) -> dict[str, str]:
        if not self.runs:
            return {}
        shown = ",".join(self.runs[:4]) + (f",+{len(self.runs) - 4}" if len(self.runs) > 4 else "")
        return {CARRIED_TAG: shown}


def _newer_runs(instance: DagsterInstance, sensor_name: str, after: str | None) -> list:
    flt = RunsFilter(tags={SENSOR_TAG: sensor_name})
    records = list(instance.get_run_records(flt, cursor=after, ascending=True))
    if after and not records and not instance.get_run_records(RunsFilter(run_ids=[after]), limit=1):
        # the cursor's run was deleted, so "after it" matches nothing: read the newest runs instead
        records = list(reversed(instance.get_run_records(flt, limit=_RESCAN_LIMIT)))
    return records


def _owed(instance: DagsterInstance, failed: list, known: Callable[[AssetKey], bool] | None) -> list[AssetKey]:
    """The assets selected by ``failed`` runs (run records) that neither that run nor a run created
    after it materialised: two batched queries (asset records, then the materialising runs)."""
    wanted = {key for record in failed for key in record.dagster_run.asset_selection or ()}
    if known is not None:
        wanted = {key for key in wanted if known(key)}  # a deleted file's asset is gone after a reload
    if not wanted:
        return []
    made_by: dict[AssetKey, str] = {}
    for record in instance.get_asset_records(sorted(wanted, key=lambda k: k.path)):
        latest = record.asset_entry.last_materialization
        if latest is not None and latest.run_id:
            made_by[record.asset_entry.asset_key] = latest.run_id
    order = {r.dagster_run.run_id: r.storage_id for r in
             instance.get_run_records(RunsFilter(run_ids=sorted(set(made_by.values()))))} if made_by else {}
    owed: dict[AssetKey, None] = {}
    for record in failed:
        for key in record.dagster_run.asset_selection or ():
            if key in wanted and order.get(made_by.get(key, ""), -1) < record.storage_id:
                owed[key] = None
    return sorted(owed, key=lambda k: k.path)


def _failed(records: Iterable) -> list:
    return [r for r in records if r.dagster_run.is_finished and r.dagster_run.status != DagsterRunStatus.SUCCESS]


def _carried(instance: DagsterInstance, failed: list, known: Callable[[AssetKey], bool] | None,
             reload_tag: str | None, watch: RunWatch) -> Carried:
    """The owed work of ``failed`` runs, their ids, and whether one of them asked for a reload."""
    return Carried(_owed(instance, failed, known), [r.dagster_run.run_id for r in failed],
                   any(reload_tag and r.dagster_run.tags.get(reload_tag) == "true" for r in failed), watch)


def carried_for_change(instance: DagsterInstance, sensor_name: str, watch: RunWatch,
                       known: Callable[[AssetKey], bool] | None = None, reload_tag: str | None = None) -> Carried:
    """A tick that requests a run: the owed work of every unsuccessful sensor run not looked at
    yet (or in flight when last looked at); the runs still in flight stay open."""
    newer = _newer_runs(instance, sensor_name, watch.after)
    seen = {r.dagster_run.run_id for r in newer}
    still = [r for r in instance.get_run_records(RunsFilter(run_ids=list(watch.open)))
             if r.dagster_run.run_id not in seen] if watch.open else []
    records = sorted([*still, *newer], key=lambda r: r.storage_id)
    failed = _failed(records)
    in_flight = tuple(r.dagster_run.run_id for r in records if not r.dagster_run.is_finished)
    after = newer[-1].dagster_run.run_id if newer else watch.after
    return _carried(instance, failed, known, reload_tag, RunWatch(after, in_flight))


def carried_when_idle(instance: DagsterInstance, sensor_name: str, watch: RunWatch,
                      known: Callable[[AssetKey], bool] | None = None, reload_tag: str | None = None) -> Carried:
    """A tick with no change: nothing unless runs were in flight at the last change (then one
    query). Once those and every later sensor run have finished, the owed work of the ones that
    failed (the open runs are then forgotten: a retry that fails waits for the next change)."""
    if not watch.open:
        return Carried(watch=watch)
    opened = list(instance.get_run_records(RunsFilter(run_ids=list(watch.open))))
    later = _newer_runs(instance, sensor_name, watch.after)
    if any(not r.dagster_run.is_finished for r in [*opened, *later]):
        return Carried(watch=watch, waiting=True)
    failed = _failed(opened)
    return _carried(instance, failed, known, reload_tag, RunWatch(watch.after))
