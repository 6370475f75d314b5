"""Benchmark: the Dagster UI's lineage views for N schemas, drawn by headless Chromium.

    .venv/bin/python bench/ui_bench.py [--schemas 1000] [--timeout 300] [--view global ...]

Reuses dagster_bench's prepared project (bench/out/build<N>: generated schemas, a DuckDB
warehouse, the prepared dbt package; ``bench/dagster_bench.py --schemas N --skip load --skip
sensor --skip automation --skip graphql`` makes it, about 20 min at 5,000). Starts
``dagster-webserver`` on it (a DAGSTER_HOME of its own with the repository's dagster.yaml), waits
until it answers the asset graph over GraphQL, then opens one headless Chromium (Debian's
``chromium``, a fresh profile, 127.0.0.1 only) and, one after the other:

1. ``global``: the global asset lineage (``/asset-groups``): every group drawn as a collapsed tile;
2. ``groups``: the lineage of the largest group of each kind (schemas, raw tables, dbt models)
   (``/locations/<repository>@reflekt/asset-groups/<group>``; zoomed in with the mouse wheel if
   it is drawn too small to show asset nodes);
3. ``asset``: a schema asset's page, with its column schema;
4. ``asset-lineage``: the Lineage tab (nearest neighbours) of a schema, of the raw table with the
   most schemas upstream, of the lint report (every schema upstream) and of the dbt package
   (every model downstream).

For each: seconds from navigation until it is drawn (a DOM condition: group tiles, asset nodes
and edges, the column table's names), the browser's CPU (user+sys of every Chromium process),
its JS heap, and a screenshot ``bench/out/ui-<N>-<view>.png``. Each line of output is one
figure, with the load average beside it. The webserver and the browser are stopped by PID.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from tests.dagster.chromium import DRAWN, SVG, TOO_LARGE  # noqa: E402  (the page probes the UI test uses too)

ASSETS = "{ assetNodes { assetKey { path } groupName dependencyKeys { path } repository { name location { name } } } }"


def _load_avg() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _graphql(base: str, query: str, timeout: float = 300) -> dict:
    request = urllib.request.Request(f"{base}/graphql", data=json.dumps({"query": query}).encode(),
                                     headers={"Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(request, timeout=timeout).read())["data"]


def materialise_schema(project: Path, profiles: Path, home: Path, key: list[str]) -> list[str]:
    """Materialise one schema asset into ``home``'s instance; its columns' names (as recorded)."""
    from dagster import AssetKey, DagsterInstance

    from reflekt_dagster.definitions import build_definitions

    asset = AssetKey(key)
    with DagsterInstance.from_config(str(home)) as instance:
        defs = build_definitions(project, "wh.warehouse.segment", dbt_profiles_dir=profiles)
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance,
                                                                                  asset_selection=[asset])
        (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key == asset]
        metadata = event.event_specific_data.materialization.metadata
        return [c.name for c in metadata["dagster/column_schema"].value.columns]


def start_webserver(project: Path, profiles: Path, home: Path, log: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text((ROOT / "dagster.yaml").read_text())
    env = {**os.environ, "DAGSTER_HOME": str(home), "REFLEKT_PROJECT_DIR": str(project),
           "REFLEKT_SOURCE": "wh.warehouse.segment", "REFLEKT_DBT_PROFILES_DIR": str(profiles),
           "REFLEKT_DAGSTER_AUTOMATION": "off", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    proc = subprocess.Popen([str(Path(sys.executable).with_name("dagster-webserver")), "-w", str(ROOT / "workspace.yaml"),
                             "-h", "127.0.0.1", "-p", str(port)], cwd=home, env=env, stdout=log.open("w"),
                            stderr=subprocess.STDOUT, start_new_session=True)
    return proc, f"http://127.0.0.1:{port}"


def wait_for_graph(proc: subprocess.Popen, base: str, log: Path, timeout: float) -> list[dict]:
    start = time.perf_counter()
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"the webserver exited (its output: {log})")
        if time.perf_counter() - start > timeout:
            raise SystemExit(f"no asset graph after {timeout:.0f} s (webserver output: {log})")
        try:
            nodes = _graphql(base, ASSETS)["assetNodes"]
            if nodes:
                return nodes
        except OSError:
            pass
        time.sleep(1)


class Views:
    """Opens each view in the browser, times it, screenshots it, prints one line."""

    def __init__(self, browser, base: str, count: int, out: Path, timeout: float):
        self.browser, self.base, self.count, self.out, self.timeout = browser, base, count, out, timeout
        self.figures: list[dict] = []

    def open(self, name: str, path: str, ready: str, describe) -> dict | None:
        from tests.dagster.chromium import Timeout

        browser = self.browser
        cpu = browser.cpu_seconds()
        browser.navigate(self.base + path)
        try:
            seconds = browser.wait_for(ready, self.timeout)
            drawn = True
        except Timeout:
            seconds, drawn = self.timeout, False
        time.sleep(1)  # let the frame settle before the screenshot
        shot = browser.screenshot(self.out / f"ui-{self.count}-{name}.png")
        detail = describe()
        figure = {"view": name, "drawn": drawn, "seconds": round(seconds, 1),
                  "browser_cpu": round(browser.cpu_seconds() - cpu, 1), "js_heap_mb": round(browser.js_heap_mb()),
                  "load_average": _load_avg(), "screenshot": str(shot.relative_to(ROOT)), **detail}
        self.figures.append(figure)
        state = f"drawn in {seconds:.1f} s" if drawn else f"NOT drawn after {seconds:.0f} s"
        print(f"{self.count:,} schemas, {name}: {state} wall, browser {figure['browser_cpu']:.1f} s CPU, "
              f"JS heap {figure['js_heap_mb']} MB; {', '.join(f'{k} {v}' for k, v in detail.items())}; "
              f"load average {figure['load_average']}; {figure['screenshot']}", flush=True)
        return figure

    def drawn(self) -> dict:
        state = self.browser.evaluate(DRAWN) or {}
        return {"group tiles": len(state.get("groups", [])), "asset nodes on screen": len(state.get("nodes", [])),
                "edges on screen": state.get("edges", 0),
                "graph size px": f"{state.get('width', 0):.0f}x{state.get('height', 0):.0f}",
                "too large notice": bool(self.browser.evaluate(TOO_LARGE))}

    def zoom_in(self, name: str, steps: int = 12) -> dict | None:
        """Zoom into the middle of the current graph with the mouse wheel until asset nodes are drawn."""
        browser = self.browser
        cpu, start = browser.cpu_seconds(), time.perf_counter()
        box = browser.evaluate(f"""(() => {{ const r = {SVG}.parentElement.parentElement.getBoundingClientRect();
            return [r.x + r.width / 2, r.y + r.height / 2]; }})()""")
        nodes = 0
        for _ in range(steps):
            browser.send("Input.dispatchMouseEvent", type="mouseWheel", x=box[0], y=box[1], deltaX=0, deltaY=-400)
            time.sleep(0.4)
            state = browser.evaluate(DRAWN) or {}
            nodes = len(state.get("nodes", []))
            if nodes >= 3:
                break
        try:
            browser.wait_for(DRAWN.replace("return {", "return objects.length > 2 && {", 1), 60)
        except AssertionError:
            pass
        seconds = time.perf_counter() - start
        time.sleep(1)
        shot = browser.screenshot(self.out / f"ui-{self.count}-{name}.png")
        state = browser.evaluate(DRAWN) or {}
        figure = {"view": name, "drawn": len(state.get("nodes", [])) > 0, "seconds": round(seconds, 1),
                  "browser_cpu": round(browser.cpu_seconds() - cpu, 1), "js_heap_mb": round(browser.js_heap_mb()),
                  "load_average": _load_avg(), "screenshot": str(shot.relative_to(ROOT)),
                  "asset nodes on screen": len(state.get("nodes", [])), "names": state.get("nodes", [])[:3]}
        self.figures.append(figure)
        print(f"{self.count:,} schemas, {name}: {figure['asset nodes on screen']} asset nodes drawn after "
              f"{seconds:.1f} s of zooming in (wall), browser {figure['browser_cpu']:.1f} s CPU, e.g. "
              f"{', '.join(figure['names'])}; load average {figure['load_average']}; {figure['screenshot']}",
              flush=True)
        return figure


def largest_groups(nodes: list[dict]) -> dict[str, tuple[str, int]]:
    sizes: dict[str, int] = {}
    for node in nodes:
        sizes[node["groupName"]] = sizes.get(node["groupName"], 0) + 1
    found = {}
    for kind in ("schemas", "raw_events", "dbt_staging"):
        members = {g: n for g, n in sizes.items() if g.startswith(kind)}
        if members:
            group = max(members, key=lambda g: (members[g], g))
            found[kind] = (group, members[group])
    return found


VIEWS = ("global", "groups", "asset", "asset-lineage")


def _asset_path(path: list[str]) -> str:
    return "/".join(urllib.parse.quote(p) for p in path)


def run(count: int, timeout: float, graph_timeout: float, only: set[str]) -> list[dict]:
    import dagster_bench
    from tests.dagster.chromium import Chromium
    from tests.dagster.dagster_dev import stop_process_group

    dagster_bench.PROJECT = project = HERE / "out" / f"build{count}"
    profiles = dagster_bench.prepare(count)
    out = HERE / "out"
    work = Path(tempfile.mkdtemp(prefix="reflekt-ui-bench-"))
    log = out / f"ui-webserver-{count}.log"
    server, base = start_webserver(project, profiles, work / "dagster_home", log)
    try:
        start = time.perf_counter()
        nodes = wait_for_graph(server, base, log, graph_timeout)
        groups = {n["groupName"] for n in nodes}
        print(f"{count:,} schemas: webserver answered the asset graph ({len(nodes):,} assets, {len(groups)} groups) "
              f"{time.perf_counter() - start:.1f} s after start; load average {_load_avg()}", flush=True)
        repo = nodes[0]["repository"]
        repo_path = f"{repo['name']}@{repo['location']['name']}"
        with Chromium(work / "chromium") as browser:
            views = Views(browser, base, count, out, timeout)
            lineage_drawn = DRAWN.replace("return {", f"return (objects.length > 0 || {TOO_LARGE}) && {{", 1)
            if "global" in only:
                views.open("global-lineage", "/asset-groups",
                           lineage_drawn, views.drawn)
            for kind, (group, size) in largest_groups(nodes).items() if "groups" in only else ():
                figure = views.open(f"group-{kind}",
                                    f"/locations/{urllib.parse.quote(repo_path, safe='@')}/asset-groups/{group}",
                                    lineage_drawn, lambda group=group, size=size: {
                                        "group": group, "assets in group": size, **views.drawn()})
                if figure["drawn"] and not figure["asset nodes on screen"]:  # drawn too small to show nodes
                    views.zoom_in(f"group-{kind}-zoomed")
            schema = next(n for n in sorted(nodes, key=lambda n: n["assetKey"]["path"])
                          if n["assetKey"]["path"][0] == "event_schemas")
            key = schema["assetKey"]["path"]
            # its columns go with its materialisations: materialise it into the webserver's instance
            names = materialise_schema(project, profiles, work / "dagster_home", key)
            check = " && ".join(f"document.body.innerText.includes({json.dumps(n)})" for n in names[:8])
            if "asset" in only:
                views.open("schema-asset", f"/assets/{_asset_path(key)}?view=overview",
                           f"document.body.innerText.includes('Columns') && {check}",
                           lambda: {"asset": "/".join(key), "columns in its schema": len(names),
                                    "column names shown": sum(n in browser.text() for n in names)})
            # An asset's Lineage tab (nearest neighbours): a schema, the raw table with the most
            # schemas upstream (Segment's shared tracks table), the lint report every schema feeds,
            # and the package every model depends on.
            downstream: dict[str, int] = {}
            for node in nodes:
                for dep in node["dependencyKeys"]:
                    downstream["/".join(dep["path"])] = downstream.get("/".join(dep["path"]), 0) + 1
            raw = max((n for n in nodes if n["assetKey"]["path"][0] == "raw"), key=lambda n: len(n["dependencyKeys"]))
            by_key = {tuple(n["assetKey"]["path"]): n for n in nodes}
            for name, node in (("schema", schema), ("raw-table", raw),
                               ("lint-report", by_key.get(("reflekt", "lint_report"))),
                               ("dbt-package", by_key.get(("reflekt", "dbt_package")))):
                if node is None or "asset-lineage" not in only:
                    continue
                path = node["assetKey"]["path"]
                views.open(f"asset-lineage-{name}", f"/assets/{_asset_path(path)}?view=lineage", lineage_drawn,
                           lambda path=path, node=node: {
                               "asset": "/".join(path), "upstream": len(node["dependencyKeys"]),
                               "downstream": downstream.get("/".join(path), 0), **views.drawn()})
            if browser.console:
                (out / f"ui-console-{count}.log").write_text("\n".join(browser.console))
        return views.figures
    finally:
        stop_process_group(server)
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--schemas", type=int, default=1000, help="number of event schemas (default 1000)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds each view may take to draw (default 300)")
    parser.add_argument("--graph-timeout", type=float, default=900,
                        help="seconds the webserver may take to answer the asset graph (default 900)")
    parser.add_argument("--view", action="append", choices=VIEWS,
                        help="open only these views (repeatable; default all)")
    args = parser.parse_args()
    os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    figures = run(args.schemas, args.timeout, args.graph_timeout, set(args.view or VIEWS))
    (HERE / "out" / f"ui-{args.schemas}.json").write_text(json.dumps(figures, indent=1))
    if not all(f["drawn"] for f in figures):
        raise SystemExit(f"not drawn: {', '.join(f['view'] for f in figures if not f['drawn'])}")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the webserver and browser on kill
    main()
