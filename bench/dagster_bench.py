"""Benchmark: Definitions load, a sensor tick, idle automation, and dagster dev's asset graph for N schemas.

    .venv/bin/python bench/dagster_bench.py [--schemas 1000] [--skip graphql ...]

Reuses the build benchmark's N-event project (bench/out/build<N>), gives it a DuckDB warehouse
with one Segment table per event, prepares the code location once (``reflekt_dagster.prepare``:
package + ``dbt parse``, not timed, as a deploy does at build time), then times a whole process
that builds the Definitions and resolves the asset graph (wall and CPU), a schemas-sensor tick
with no change, idle ticks of the automation sensor (every asset materialised once, then
``reflekt_automation`` evaluated as its code server does, wall and CPU), and ``dagster dev``
until it answers the asset graph over GraphQL, cold (no stored snapshots) and with the snapshots
the previous start stored.
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


def _materialise_all(defs, instance) -> None:
    """Every materialisable asset once, in dependency order, as "Materialize all" leaves them; schema
    assets with the metadata their real materialisation carries (the automation tick reads each
    schema's latest materialisation record, so its size matters)."""
    from dagster import AssetMaterialization, MetadataValue

    from reflekt_core.project import load_project
    from reflekt_core.report import render_schema
    from reflekt_core.schemas.loader import iter_load, iter_schema_files
    from reflekt_dagster.translator import ReflektTranslator

    project = load_project(PROJECT)
    translator = ReflektTranslator()
    metadata = {translator.schema_key(schema): {
        "version": schema.version, "schema_id": schema.id, "commit": "0" * 40, "author": "Bench <bench@example.com>",
        "owners": ", ".join(translator.schema_owners(schema)) or "-",
        "properties": MetadataValue.md(render_schema(schema))}
        for schema in iter_load(project.schemas_dir, iter_schema_files(project.schemas_dir), [])}
    graph = defs.resolve_asset_graph()
    materializable = graph.materializable_asset_keys
    for key in graph.toposorted_asset_keys:
        if key in materializable:
            instance.report_runless_asset_event(AssetMaterialization(asset_key=key, metadata=metadata.get(key)))


def _timed(fn):
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - start, time.process_time() - cpu


def automation(defs, instance, count: int, repeat: int = 3) -> None:
    """``reflekt_automation`` evaluated as its code server evaluates it (``evaluate_tick`` with the
    repository, the cursor carried from tick to tick), after every asset was materialised once:

    - idle ticks: nothing written since the previous evaluation (skipped after one query);
    - ticks after an observation (a raw table observed): skipped too (nothing materialised);
    - ticks after an unrelated materialisation (a dbt model): a full evaluation of the condition,
      which requests nothing (its cost grows with the number of schemas: one asset record each);
    - a tick after a schema was materialised by hand: the lint report and the package are requested.
    """
    from dagster import AssetMaterialization, AssetObservation, build_sensor_context

    _materialise_all(defs, instance)
    graph = defs.resolve_asset_graph()
    sensor = defs.resolve_sensor_def("reflekt_automation")
    repository = defs.get_repository_def()
    targets = len(sensor.asset_selection.resolve(graph))

    def tick(cursor):
        return sensor.evaluate_tick(build_sensor_context(instance=instance, repository_def=repository, cursor=cursor))

    first, first_wall, first_cpu = _timed(lambda: tick(None))
    cursor = first.cursor
    idle, observed, busy = [], [], []
    raw = next(k for k in graph.get_all_asset_keys() if k.path[0] == "raw")
    model = next(k for k in sorted(graph.materializable_asset_keys)
                 if (graph.get(k).group_name or "").startswith("dbt_staging"))
    skipped = "since the previous evaluation"
    for _ in range(repeat):
        result, wall, cpu = _timed(lambda: tick(cursor))
        assert not result.run_requests and skipped in (result.skip_message or ""), result.skip_message
        idle.append((wall, cpu))
        instance.report_runless_asset_event(AssetObservation(asset_key=raw))
        result, wall, cpu = _timed(lambda: tick(cursor))
        assert not result.run_requests and skipped in (result.skip_message or ""), result.skip_message
        observed.append((wall, cpu))
        instance.report_runless_asset_event(AssetMaterialization(asset_key=model))
        result, wall, cpu = _timed(lambda: tick(cursor))
        assert not result.run_requests and skipped not in (result.skip_message or ""), result.skip_message
        busy.append((wall, cpu))
        cursor = result.cursor
    schema = next(k for k in sorted(graph.materializable_asset_keys) if k.path[0] == "event_schemas")
    instance.report_runless_asset_event(AssetMaterialization(asset_key=schema))  # "Materialize" in the UI
    by_hand, hand_wall, hand_cpu = _timed(lambda: tick(cursor))

    def best(times):
        wall, cpu = min(times)
        return (f"best {wall:.3f} s wall, {cpu:.3f} s CPU (worst {max(t[0] for t in times):.3f} s wall, "
                f"{max(t[1] for t in times):.3f} s CPU, {len(times)} ticks)")

    print(f"automation, {count:,} schemas ({targets} assets with a condition), load average {_load_avg()}:\n"
          f"  first tick (cold code server caches): {len(first.run_requests)} run(s) requested, "
          f"{first_wall:.2f} s wall, {first_cpu:.2f} s CPU\n"
          f"  idle tick, nothing written since the previous evaluation: {best(idle)}\n"
          f"  tick after an observation (skipped: nothing materialised): {best(observed)}\n"
          f"  tick after an unrelated materialisation (a dbt model), full evaluation, nothing requested: "
          f"{best(busy)}\n"
          f"  tick after a schema materialised by hand: {len(by_hand.run_requests)} run(s) requested "
          f"({', '.join(k.to_user_string() for r in by_hand.run_requests for k in r.asset_selection)}), "
          f"{hand_wall:.3f} s wall, {hand_cpu:.3f} s CPU\n"
          f"  sensor cursor {len(cursor or ''):,} bytes")


def graphql(profiles: Path, count: int, repeat: int = 1) -> None:
    """``dagster dev`` on the project ``repeat`` times each way, interleaved (the figure varies by
    several seconds from one start to the next: three processes share the two cores): *cold*,
    with no stored snapshots (the first start after the schemas or the code changed), then
    *stored*, sending the snapshots the cold start stored (``reflekt_dagster.snapcache``: any start
    after the previous one or after a prepare, with nothing changed); each, then the best."""
    import shutil

    from reflekt_dagster.snapcache import FOLDER

    times: dict[str, list[float]] = {"cold": [], "stored": []}
    for _ in range(repeat):
        shutil.rmtree(PROJECT / FOLDER, ignore_errors=True)
        times["cold"].append(graphql_once(profiles, count, "cold"))
        times["stored"].append(graphql_once(profiles, count, "stored"))
    for kind, taken in times.items():
        if repeat > 1:
            print(f"dagster dev, {count:,} schemas, {kind}: best of {repeat} {min(taken):.1f} s "
                  f"(all: {', '.join(f'{t:.1f}' for t in taken)} s)")


def graphql_once(profiles: Path, count: int, kind: str = "", timeout: float = 600) -> float:
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
        took = time.perf_counter() - start
        print(f"dagster dev, {count:,} schemas{', ' + kind if kind else ''}: spawn -> asset graph over GraphQL "
              f"({len(nodes):,} nodes) "
              f"{took:.1f} s wall; load average {_load_avg()}", flush=True)
        return took
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
    parser.add_argument("--repeat", type=int, default=3,
                        help="timed load processes, idle ticks and dagster dev starts (default 3)")
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
        graphql(profiles, count, args.repeat)


if __name__ == "__main__":
    main()
