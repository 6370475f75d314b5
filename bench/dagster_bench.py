"""Benchmark: load the Dagster Definitions for N event schemas, a sensor tick, an idle automation tick.

    .venv/bin/python bench/dagster_bench.py [--schemas 1000]

Reuses the build benchmark's N-event project (bench/out/build<N>), gives it a DuckDB warehouse
with one Segment table per event, prepares the code location once (``reflekt_dagster.prepare``:
package + ``dbt parse``, not timed, as a deploy does at build time), then times a whole process
that builds the Definitions and resolves the asset graph, a schemas-sensor tick with no change,
and an automation-condition evaluation with nothing to do.
Targets (issue 13): at 5,000 schemas Definitions under 10 s from process start; idle
automation evaluation under 1 s.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE / "out" / "build1000"  # replaced by main() from --schemas

LOAD = """
import time, sys
start = time.perf_counter()
from reflekt_dagster.definitions import build_definitions
defs = build_definitions(sys.argv[1], "wh.warehouse.segment", dbt_profiles_dir=sys.argv[2])
graph = defs.resolve_asset_graph()
print(len(graph.get_all_asset_keys()), round(time.perf_counter() - start, 2), time.time())
"""


def prepare(count: int) -> Path:
    import duckdb
    import yaml

    if not (PROJECT / "catalog.json").exists():
        subprocess.run([sys.executable, str(HERE / "build_bench.py"), str(count)], check=True)
    db = PROJECT / "warehouse.duckdb"
    if not db.exists():
        catalog = json.loads((PROJECT / "catalog.json").read_text())["catalogs"][0]
        with duckdb.connect(str(db)) as con:
            con.execute("create schema segment")
            for table, columns in catalog["tables"].items():
                cols = ", ".join(f'"{c["name"]}" varchar' for c in columns)
                con.execute(f'create table segment."{table}" ({cols})')
    (PROJECT / "reflekt_profiles.yml").write_text(yaml.safe_dump({"dev": {"source": [
        {"id": "wh", "type": "duckdb", "path": str(db)}]}}))
    profiles = PROJECT / "dbt_profiles"
    profiles.mkdir(exist_ok=True)
    (profiles / "profiles.yml").write_text(yaml.safe_dump({"reflekt_bench": {"target": "dev", "outputs": {
        "dev": {"type": "duckdb", "path": str(db), "schema": "staging"}}}}))
    from reflekt_dagster.package import PackageStore
    from reflekt_dagster.prepare import prepare as prepare_location

    if not (PROJECT / ".git").exists():  # the schemas sensor watches git
        (PROJECT / ".gitignore").write_text("artifacts/\n*.duckdb*\n")
        git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
        for args in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "bench"]):
            subprocess.run([*git, *args], cwd=PROJECT, check=True, capture_output=True)
    if PackageStore.for_project(PROJECT).manifest() is None:
        prepare_location(PROJECT, "wh.warehouse.segment", dbt_profiles_dir=profiles)
    return profiles


def main() -> None:
    import argparse

    global PROJECT
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--schemas", type=int, default=1000, help="number of event schemas (default 1000)")
    count = parser.parse_args().schemas
    PROJECT = HERE / "out" / f"build{count}"
    sys.path.insert(0, str(HERE.parent))
    profiles = prepare(count)
    os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    subprocess.run([sys.executable, "-c", LOAD, str(PROJECT), str(profiles)], check=True, capture_output=True)
    runs, ready = [], []
    for _ in range(3):
        spawned, start = time.time(), time.perf_counter()
        out = subprocess.run([sys.executable, "-c", LOAD, str(PROJECT), str(profiles)], check=True,
                             capture_output=True, text=True).stdout.split()
        runs.append(time.perf_counter() - start)
        ready.append(float(out[2]) - spawned)
    print(f"Definitions, {count:,} schemas: {out[0]} assets; process start to Definitions loaded best "
          f"{min(ready):.2f} s; whole process including interpreter exit best {min(runs):.2f} s "
          f"(imports + build in process {out[1]} s)")

    from dagster import DagsterInstance, build_sensor_context

    from reflekt_dagster.definitions import build_definitions

    defs = build_definitions(PROJECT, "wh.warehouse.segment", dbt_profiles_dir=profiles)
    sensor = defs.resolve_sensor_def("reflekt_schemas_sensor")
    instance = DagsterInstance.ephemeral()
    first = sensor.evaluate_tick(build_sensor_context(instance=instance, cursor=None))
    ticks = []
    for _ in range(5):
        start = time.perf_counter()
        result = sensor.evaluate_tick(build_sensor_context(instance=instance, cursor=first.cursor))
        ticks.append(time.perf_counter() - start)
        assert not result.run_requests
    print(f"Sensor tick with no change, {count:,} schemas: best {min(ticks) * 1000:.0f} ms, "
          f"worst {max(ticks) * 1000:.0f} ms")
    automation(defs, instance, count)


def automation(defs, instance, count: int) -> None:
    """Idle declarative-automation evaluation: every condition, nothing to request."""
    from dagster import evaluate_automation_conditions

    first = evaluate_automation_conditions(defs=defs, instance=instance)
    times = []
    cursor = first.cursor
    for _ in range(3):
        start = time.perf_counter()
        result = evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
        times.append(time.perf_counter() - start)
        cursor = result.cursor
    print(f"Automation evaluation, {count:,} schemas: first (all missing) {first.total_requested} requested; "
          f"idle best {min(times):.2f} s, worst {max(times):.2f} s")


if __name__ == "__main__":
    main()
