"""The Dagster UI serves the Reflekt graph: webserver on localhost, headless Chromium, a screenshot."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.dagster.dagster_dev import alive, stop_process_group
from tests.helpers import ROOT, dagster_env

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]




@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="Debian's chromium is not installed")
def test_webserver_shows_the_asset_graph(demo_project, tmp_path):
    assert CHROMIUM, "scripts/test installs Debian's chromium package"
    from reflekt_dagster.prepare import prepare

    prepare(demo_project, "jaffle_shop.warehouse.segment", dbt_profiles_dir=demo_project / "dbt_profiles")
    port = _free_port()
    env = dagster_env(tmp_path / "dagster_home", demo_project)
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("dagster-webserver")), "-w", str(ROOT / "workspace.yaml"),
         "-h", "127.0.0.1", "-p", str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    browser = None
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                info = json.loads(urllib.request.urlopen(f"{base}/server_info", timeout=2).read())
                break
            except OSError:
                assert server.poll() is None, "the webserver exited"
                assert time.monotonic() < deadline, "the webserver did not start"
                time.sleep(0.5)
        assert info["dagster_version"]
        query = json.dumps({"query": "{ assetNodes { assetKey { path } dependencyKeys { path } } }"}).encode()
        for _ in range(60):  # the code location loads in the background
            request = urllib.request.Request(f"{base}/graphql", data=query, headers={"Content-Type": "application/json"})
            nodes = json.loads(urllib.request.urlopen(request, timeout=30).read())["data"]["assetNodes"]
            if nodes:
                break
            time.sleep(1)
        # Dagster's "Join the Dagster community" dialog covers the page on localhost until it is dismissed;
        # dismiss it the way its own Skip button does (the instance remembers it).
        for body in ("mutation { setNuxSeen }", "{ shouldShowNux }"):
            request = urllib.request.Request(f"{base}/graphql", data=json.dumps({"query": body}).encode(),
                                             headers={"Content-Type": "application/json"})
            answer = json.loads(urllib.request.urlopen(request, timeout=30).read())["data"]
        assert answer == {"shouldShowNux": False}
        edges = {"/".join(n["assetKey"]["path"]): {"/".join(d["path"]) for d in n["dependencyKeys"]} for n in nodes}
        assert "event_schemas/jaffle_shop/Order_Completed__v1_1" in edges["raw/segment/order_completed"]
        assert "raw/segment/order_completed" in edges["stg_segment__order_completed"]
        shot = tmp_path / "asset-graph.png"
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'chromium'}", "--window-size=1400,900", "--virtual-time-budget=20000"]
        url = f"{base}/asset-groups/schemas_jaffle_shop"
        browser = subprocess.Popen([CHROMIUM, *flags, f"--screenshot={shot}", url], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        browser.wait(timeout=120)
        dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120,
                             start_new_session=True).stdout
        assert shot.is_file() and shot.stat().st_size > 10_000
        assert "Dagster" in dom or "dagster" in dom
        # A schema asset's page: its properties as the asset's column schema.
        columns = json.dumps({"query": """{ assetNodes(assetKeys: [{path: ["event_schemas", "jaffle_shop",
            "Order_Completed__v1_1"]}]) { metadataEntries { label ... on TableSchemaMetadataEntry {
            schema { columns { name type } } } } } }"""}).encode()
        request = urllib.request.Request(f"{base}/graphql", data=columns, headers={"Content-Type": "application/json"})
        entries = json.loads(urllib.request.urlopen(request, timeout=30).read())["data"]["assetNodes"][0]
        schema = next(e["schema"] for e in entries["metadataEntries"] if e["label"] == "dagster/column_schema")
        assert {"name": "coupon", "type": "string"} in schema["columns"]
        page = tmp_path / "schema-columns.png"
        asset_url = f"{base}/assets/event_schemas/jaffle_shop/Order_Completed__v1_1?view=overview"
        subprocess.run([CHROMIUM, *flags, f"--screenshot={page}", asset_url], capture_output=True, timeout=120,
                       start_new_session=True)
        asset_dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", asset_url], capture_output=True, text=True,
                                   timeout=120, start_new_session=True).stdout
        assert page.is_file() and page.stat().st_size > 10_000
        assert "Order_Completed__v1_1" in asset_dom
        assert "Join the Dagster community" not in asset_dom  # nothing covers the page
        # The column schema is on the page: every property, with its type and description.
        for text in ("coupon", "Coupon code redeemed on the order, if any.", "checkout_id"):
            assert text in asset_dom, text
        artefacts = Path(os.environ.get("REFLEKT_SCREENSHOT_DIR", tmp_path))
        if artefacts != tmp_path:
            artefacts.mkdir(parents=True, exist_ok=True)
            shutil.copy(shot, artefacts / shot.name)
            shutil.copy(page, artefacts / page.name)
    finally:
        if browser is not None and browser.poll() is None:
            os.killpg(browser.pid, signal.SIGKILL)
        started = stop_process_group(server)
    assert server.poll() is not None
    time.sleep(0.5)
    assert not [p for p in started if alive(p)], "a process the webserver started is still running"
