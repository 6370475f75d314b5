"""Benchmark: Definitions load, a sensor tick, idle automation, and dagster dev's asset graph for N schemas.

    .venv/bin/python bench/dagster_bench.py [--schemas 1000] [--skip graphql ...]

Reuses the build benchmark's N-event project (bench/out/build<N>), gives it a DuckDB warehouse
with one Segment table per event, prepares the code location once (``reflekt_dagster.prepare``:
package + ``dbt parse``, not timed, as a deploy does at build time), then times a whole process
that builds the Definitions and resolves the asset graph (wall and CPU), a schemas-sensor tick
with no change, an automation evaluation with nothing to do (every asset materialised once, over
the automation sensor's target), and ``dagster dev`` until it answers the asset graph over GraphQL.
Each line of output is one figure, with the load average beside it.
Targets (issue 13): at 5,000 schemas Definitions under 10 s from process start, the asset graph
over GraphQL under 30 s, idle automation evaluation under 1 s.
"""

from __future__ import annotations

import json
import os
import resource
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


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _load_avg() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def load_definitions(profiles: Path, count: int, repeat: int = 3) -> None:
    """Fresh processes: spawn -> Definitions resolved (wall and the process's CPU), after one warm-up."""
    subprocess.run([sys.executable, "-c", LOAD, str(PROJECT), str(profiles)], check=True, capture_output=True)
    runs = []
    for _ in range(repeat):
        spawned, start, cpu = time.time(), time.perf_counter(), _cpu_children()
        out = subprocess.run([sys.executable, "-c", LOAD, str(PROJECT), str(profiles)], check=True,
                             capture_output=True, text=True).stdout.split()
        runs.append((float(out[2]) - spawned, time.perf_counter() - start, _cpu_children() - cpu, int(out[0])))
    ready, whole, cpu, assets = min(runs)
    print(f"definitions load, {count:,} schemas ({assets:,} assets): process start -> Definitions resolved "
          f"{ready:.2f} s wall (best of {repeat}); whole process incl. exit {whole:.2f} s wall, {cpu:.2f} s CPU; "
          f"load average {_load_avg()}")


def sensor_tick(defs, instance, count: int) -> None:
    from dagster import build_sensor_context

    sensor = defs.resolve_sensor_def("reflekt_schemas_sensor")
    first = sensor.evaluate_tick(build_sensor_context(instance=instance, cursor=None))
    ticks = []
    for _ in range(5):
        start = time.perf_counter()
        result = sensor.evaluate_tick(build_sensor_context(instance=instance, cursor=first.cursor))
        ticks.append(time.perf_counter() - start)
        assert not result.run_requests
    print(f"schemas sensor tick, nothing changed, {count:,} schemas: best {min(ticks) * 1000:.0f} ms, "
          f"worst {max(ticks) * 1000:.0f} ms wall")


def automation(defs, instance, count: int, repeat: int = 3) -> None:
    """Idle declarative automation: every asset materialised once, then ticks with nothing to do,
    over the automation sensor's own target (lint report, package, dbt models)."""
    from dagster import AssetMaterialization, evaluate_automation_conditions

    graph = defs.resolve_asset_graph()
    for key in graph.materializable_asset_keys:
        instance.report_runless_asset_event(AssetMaterialization(asset_key=key))
    target = defs.resolve_sensor_def("reflekt_automation").asset_selection
    first = evaluate_automation_conditions(defs=defs, instance=instance, asset_selection=target)
    times, cursor = [], first.cursor
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        result = evaluate_automation_conditions(defs=defs, instance=instance, asset_selection=target, cursor=cursor)
        times.append((time.perf_counter() - start, time.process_time() - cpu))
        cursor = result.cursor
        assert result.total_requested == 0, result.total_requested
    wall, cpu = min(times)
    print(f"automation evaluation, idle, {count:,} schemas: first tick {first.total_requested} requested; idle "
          f"best {wall:.2f} s wall, {cpu:.2f} s CPU (worst {max(t[0] for t in times):.2f} s wall); "
          f"load average {_load_avg()}")


def graphql(profiles: Path, count: int, timeout: float = 600) -> None:
    """``dagster dev`` on the project: spawn -> the asset graph answered over GraphQL; stopped by PID."""
    import json
    import signal
    import socket
    import tempfile
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    home = Path(tempfile.mkdtemp(prefix="reflekt-bench-home-"))
    (home / "dagster.yaml").write_text((HERE.parent / "dagster.yaml").read_text())
    env = {**os.environ, "DAGSTER_HOME": str(home), "REFLEKT_PROJECT_DIR": str(PROJECT),
           "REFLEKT_SOURCE": "wh.warehouse.segment", "REFLEKT_DBT_PROFILES_DIR": str(profiles),
           "REFLEKT_DAGSTER_AUTOMATION": "off"}
    query = json.dumps({"query": "{ assetNodes { id } }"}).encode()
    log_path = HERE / "out" / f"dagster-dev-{count}.log"  # why it failed, when it does
    log = log_path.open("w")
    start = time.perf_counter()
    proc = subprocess.Popen([str(Path(sys.executable).with_name("dagster")), "dev", "-w",
                             str(HERE.parent / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)], cwd=home,
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while True:
            assert proc.poll() is None, f"dagster dev exited (its output: {log_path})"
            assert time.perf_counter() - start < timeout, "no asset graph in time"
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=query,
                                                 headers={"Content-Type": "application/json"})
                nodes = json.loads(urllib.request.urlopen(request, timeout=120).read())["data"]["assetNodes"]
                if nodes:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        print(f"dagster dev, {count:,} schemas: spawn -> asset graph over GraphQL ({len(nodes):,} nodes) "
              f"{time.perf_counter() - start:.1f} s wall; load average {_load_avg()}")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        import shutil

        log.close()
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    import argparse

    global PROJECT
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--schemas", type=int, default=1000, help="number of event schemas (default 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed load processes and idle ticks (default 3)")
    parser.add_argument("--skip", action="append", default=[], choices=["load", "sensor", "automation", "graphql"],
                        help="leave out a measurement (repeatable)")
    args = parser.parse_args()
    count = args.schemas
    PROJECT = HERE / "out" / f"build{count}"
    sys.path.insert(0, str(HERE.parent))
    profiles = prepare(count)
    os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    if "load" not in args.skip:
        load_definitions(profiles, count, args.repeat)
    if {"sensor", "automation"} - set(args.skip):
        from dagster import DagsterInstance

        from reflekt_dagster.definitions import build_definitions

        defs = build_definitions(PROJECT, "wh.warehouse.segment", dbt_profiles_dir=profiles)
        instance = DagsterInstance.ephemeral()
        if "sensor" not in args.skip:
            sensor_tick(defs, instance, count)
        if "automation" not in args.skip:
            automation(defs, instance, count, args.repeat)
    if "graphql" not in args.skip:
        graphql(profiles, count)


if __name__ == "__main__":
    main()
