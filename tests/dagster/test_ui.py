"""The Dagster UI draws the Reflekt graph: webserver on localhost, headless Chromium over the DevTools
protocol; the lineage views' nodes and a schema asset's column schema are read from the DOM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.dagster.chromium import BINARY as CHROMIUM
from tests.dagster.chromium import COLUMN_NAMES, DRAWN, NUX, Chromium
from tests.dagster.dagster_dev import alive, stop_process_group
from tests.helpers import ROOT, dagster_env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_instance_settings_turn_the_community_dialog_off(tmp_path):
    """The dagster.yaml that scripts/ui and scripts/demo copy into DAGSTER_HOME: the instance tells the
    UI not to show "Join the Dagster community" (GraphQL shouldShowNux reads nux_enabled, which is
    true by default for a persistent instance)."""
    import yaml
    from dagster import DagsterInstance

    config = yaml.safe_load((ROOT / "dagster.yaml").read_text())
    assert config["nux"] == {"enabled": False} and config["telemetry"] == {"enabled": False}
    (tmp_path / "dagster.yaml").write_text((ROOT / "dagster.yaml").read_text())
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        assert not instance.is_ephemeral
        assert instance.nux_enabled is False and instance.telemetry_enabled is False


def _shown(name: str, labels: list[str]) -> bool:
    """``name`` is among node labels, whole or middle-truncated by the UI (``Order_Compl…__v1_1``)."""
    for label in labels:
        head, _, tail = label.partition("\u2026")
        if label == name or (_ and name.startswith(head) and name.endswith(tail) and len(head + tail) < len(name)):
            return True
    return False


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="Debian's chromium is not installed")
def test_webserver_shows_the_asset_graph(demo_project, tmp_path):
    assert CHROMIUM, "scripts/test installs Debian's chromium package"
    from reflekt_dagster.prepare import prepare

    prepare(demo_project, "jaffle_shop.warehouse.segment", dbt_profiles_dir=demo_project / "dbt_profiles")
    port = _free_port()
    env = dagster_env(tmp_path / "dagster_home", demo_project)
    # A schema asset's columns go with its materialisations: materialise one into the UI's instance.
    from dagster import AssetKey, DagsterInstance

    from reflekt_dagster.definitions import build_definitions

    schema_key = AssetKey(["event_schemas", "jaffle_shop", "Order_Completed__v1_1"])
    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        defs = build_definitions(demo_project, "jaffle_shop.warehouse.segment",
                                 dbt_profiles_dir=demo_project / "dbt_profiles")
        assert defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, asset_selection=[schema_key]).success
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
        query = json.dumps({"query": "{ assetNodes { assetKey { path } groupName dependencyKeys { path } } }"}).encode()
        for _ in range(60):  # the code location loads in the background
            request = urllib.request.Request(f"{base}/graphql", data=query, headers={"Content-Type": "application/json"})
            nodes = json.loads(urllib.request.urlopen(request, timeout=30).read())["data"]["assetNodes"]
            if nodes:
                break
            time.sleep(1)
        # dagster.yaml turns Dagster's "Join the Dagster community" dialog off (nux: enabled: false):
        # the UI asks the instance, which says no before anyone dismissed anything.
        request = urllib.request.Request(f"{base}/graphql", data=json.dumps({"query": "{ shouldShowNux }"}).encode(),
                                         headers={"Content-Type": "application/json"})
        assert json.loads(urllib.request.urlopen(request, timeout=30).read())["data"] == {"shouldShowNux": False}
        edges = {"/".join(n["assetKey"]["path"]): {"/".join(d["path"]) for d in n["dependencyKeys"]} for n in nodes}
        assert "event_schemas/jaffle_shop/Order_Completed__v1_1" in edges["raw/segment/order_completed"]
        assert "raw/segment/order_completed" in edges["stg_segment__order_completed"]
        groups = {n["groupName"] for n in nodes}
        properties = json.loads((demo_project / "schemas/jaffle_shop/Order_Completed/1-1.json").read_text())["properties"]
        artefacts = Path(os.environ.get("REFLEKT_SCREENSHOT_DIR", tmp_path))
        browser = Chromium(tmp_path / "chromium")
        with browser:
            # The global lineage: one tile per group (Dagster collapses groups there).
            browser.navigate(f"{base}/asset-groups")
            browser.wait_for(DRAWN.replace("return {", "return objects.length > 0 && {", 1), 90)
            time.sleep(0.5)
            drawn = browser.evaluate(DRAWN)
            assert set(drawn["groups"]) == groups and drawn["edges"] > 0, drawn
            browser.screenshot(artefacts / "global-lineage.png")
            # One group's lineage: its schema assets as nodes and, beside them, what they feed (raw tables,
            # the lint report, the package). Only what is on screen is drawn: the middle of a tall graph.
            browser.navigate(f"{base}/locations/__repository__@reflekt/asset-groups/schemas_jaffle_shop")
            browser.wait_for(DRAWN.replace("return {", "return objects.length > 1 && {", 1), 60)
            time.sleep(0.5)
            drawn = browser.evaluate(DRAWN)
            members = {"/".join(n["assetKey"]["path"]) for n in nodes if n["groupName"] == "schemas_jaffle_shop"}
            downstream = {key for key, upstream in edges.items() if upstream & members}
            assert {key.rsplit("/", 1)[1] for key in members} & set(drawn["nodes"]), drawn
            assert set(drawn["nodes"]) <= {key.rsplit("/", 1)[1] for key in members | downstream}, drawn
            assert drawn["edges"] > 0 and not drawn["groups"], drawn
            shot = browser.screenshot(artefacts / "asset-graph.png")
            # A schema asset's own lineage: the schema, the raw table it describes, the staging model.
            browser.navigate(f"{base}/assets/event_schemas/jaffle_shop/Order_Completed__v1_1?view=lineage")
            browser.wait_for(DRAWN.replace("return {", "return objects.length > 1 && {", 1), 60)
            time.sleep(0.5)
            drawn = browser.evaluate(DRAWN)
            assert _shown("Order_Completed__v1_1", drawn["nodes"]) and "order_completed" in drawn["nodes"], drawn
            assert "stg_segment__order_completed" not in drawn["nodes"]  # two steps away: not a neighbour
            browser.screenshot(artefacts / "schema-lineage.png")
            # A schema asset's page: its properties as the asset's column schema.
            browser.navigate(f"{base}/assets/event_schemas/jaffle_shop/Order_Completed__v1_1?view=overview")
            browser.wait_for(f"{COLUMN_NAMES} && document.body.innerText.includes('Coupon code redeemed')", 60)
            assert sorted(browser.evaluate(COLUMN_NAMES)) == sorted(properties)
            text = browser.text()
            for expected in ("Coupon code redeemed on the order, if any.", "non-nullable"):
                assert expected in text, expected
            time.sleep(1.5)  # Dagster shows its dialog 1 s after a page loads
            assert not browser.evaluate(NUX), "the community dialog covers the page"
            page = browser.screenshot(artefacts / "schema-columns.png")
        assert shot.stat().st_size > 10_000 and page.stat().st_size > 10_000
    finally:
        if browser is not None:
            browser.close()
            assert browser.proc.poll() is not None
        started = stop_process_group(server)
    assert server.poll() is not None
    time.sleep(0.5)
    assert not [p for p in started if alive(p)], "a process the webserver started is still running"
