"""Benchmark: load the Dagster Definitions for 1,000 event schemas, and a sensor tick with no change.

    .venv/bin/python bench/dagster_bench.py

Reuses the build benchmark's 1,000-event project (bench/out/build1000), gives it a DuckDB
warehouse with one Segment table per event, generates the dbt package and its manifest once
(not timed: `dagster dev` and the demo prepare it the same way), then times a whole process
that builds the Definitions and resolves the asset graph, and a sensor tick in process.
Targets (issue 6): Definitions under 5 s whole process; a no-change tick under 0.2 s.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE / "out" / "build1000"

LOAD = """
import time, sys
start = time.perf_counter()
from reflekt_dagster.definitions import build_definitions
defs = build_definitions(sys.argv[1], "wh.warehouse.segment", dbt_profiles_dir=sys.argv[2])
graph = defs.resolve_asset_graph()
print(len(graph.get_all_asset_keys()), round(time.perf_counter() - start, 2), time.time())
"""


def prepare() -> Path:
    import duckdb
    import yaml

    if not (PROJECT / "catalog.json").exists():
        subprocess.run([sys.executable, str(HERE / "build_bench.py"), "1000"], check=True)
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
    return profiles


def main() -> None:
    profiles = prepare()
    os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    subprocess.run([sys.executable, "-c", LOAD, str(PROJECT), str(profiles)], check=True, capture_output=True)
    runs, ready = [], []
    for _ in range(3):
        spawned, start = time.time(), time.perf_counter()
        out = subprocess.run([sys.executable, "-c", LOAD, str(PROJECT), str(profiles)], check=True,
                             capture_output=True, text=True).stdout.split()
        runs.append(time.perf_counter() - start)
        ready.append(float(out[2]) - spawned)
    print(f"Definitions, 1,000 schemas: {out[0]} assets; process start to Definitions loaded best "
          f"{min(ready):.2f} s; whole process including interpreter exit best {min(runs):.2f} s "
          f"(imports + build in process {out[1]} s)")

    sys.path.insert(0, str(HERE.parent))
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
    print(f"Sensor tick with no change, 1,000 schemas: best {min(ticks) * 1000:.0f} ms, "
          f"worst {max(ticks) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
