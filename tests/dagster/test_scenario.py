"""The schemas sensor and declarative automation in a real ``dagster dev``, on PostgreSQL storage.

One ``dagster dev`` (webserver + daemon, multiprocess executor, dagster-postgres storage on the
test PostgreSQL server) is driven over GraphQL through: "Materialize all" (nothing pushed), edit
a property (targeted rebuild), revert it (rebuilds again), add a file (materialised after the
reload), break a file beside a good edit (red run, dbt models untouched), fix it (green, the good
file's model rebuilt too), and a dry-run push.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.dagster.dagster_dev import DagsterDev, wait_for
from tests.helpers import ROOT, copy_seeded_demo, dagster_env

LOCATION = "reflekt"
CART = ["event_schemas", "jaffle_shop", "Cart_Viewed__v1_0"]
CART_FILE = "schemas/jaffle_shop/Cart_Viewed/1-0.json"
CART_MODEL = ["stg_segment__cart_viewed"]
TRACKS_MODEL = ["stg_segment__tracks"]  # reads the shared tracks table: every track event feeds it
OTHER_MODEL = ["stg_segment__order_completed"]
OTHER = ["event_schemas", "jaffle_shop", "Order_Completed__v1_1"]
OTHER_FILE = "schemas/jaffle_shop/Order_Completed/1-1.json"
LINT = ["reflekt", "lint_report"]
PACKAGE = ["reflekt", "dbt_package"]
NEW = ["event_schemas", "jaffle_shop", "Coupon_Applied__v1_0"]
TOKEN = "tok-scenario-123456"
ASSET_NODES = "{ assetNodes { assetKey { path } isMaterializable } }"
SENSOR_TICKS = """query($s: SensorSelector!) { sensorOrError(sensorSelector: $s) { __typename
  ... on PythonError { message } ... on SensorNotFoundError { message }
  ... on Sensor { sensorState { status ticks(limit: 5) { status timestamp } } } } }"""
WRITES = ("POST", "PUT", "PATCH", "DELETE")
EVENTS_MESSAGES = """query($id: ID!) { logsForRun(runId: $id, limit: 200) { ... on EventConnection { events {
  ... on EngineEvent { message } } } } }"""


def _git(project: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Ada Analyst", "GIT_AUTHOR_EMAIL": "ada@jaffle-shop.example",
           "GIT_COMMITTER_NAME": "Ada Analyst", "GIT_COMMITTER_EMAIL": "ada@jaffle-shop.example"}
    return subprocess.run(["git", *args], cwd=project, env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


def _postgres_instance(home: Path, pg) -> None:
    pg.admin(f"create database dagster owner {pg.user}")
    # psycopg2 named in the URL: SQLAlchemy 2.1 would pick psycopg 3, which dagster-postgres does not speak.
    storage = {"storage": {"postgres": {"postgres_url": {"env": "DAGSTER_PG_URL"}}},
               # queued runs start within a second (the default checks every 5 s)
               "run_coordinator": {"module": "dagster._core.run_coordinator", "class": "QueuedRunCoordinator",
                                   "config": {"dequeue_interval_seconds": 1}}}
    (home / "dagster.yaml").write_text((ROOT / "dagster.yaml").read_text() + "\n" + yaml.safe_dump(storage))


@pytest.fixture(scope="module")
def dev(tmp_path_factory):
    from tests.integration.pgserver import start_server
    from tests.integration.registry_fakes import FakeSegment

    root = tmp_path_factory.mktemp("scenario")
    project = copy_seeded_demo(root / "jaffle_shop")
    _git(project, "init", "-q", "-b", "main")
    _git(project, "add", ".")
    _git(project, "commit", "-q", "-m", "tracking plan")
    fake = FakeSegment(TOKEN)
    fake.add_plan("jaffle_shop")
    pg = start_server()
    server = None
    try:
        home = root / "home"
        env = {**dagster_env(home, project), "REFLEKT_DEMO_DUCKDB": str(project / "warehouse.duckdb"),
               "REFLEKT_SENSOR_INTERVAL": "2", "REFLEKT_AUTOMATION_INTERVAL": "2",
               # sensor and automation runs in process; "Materialize all" asks for the multiprocess executor
               "REFLEKT_DAGSTER_EXECUTOR": "in_process",
               "REFLEKT_SEGMENT_PLAN": "jaffle_shop", "SEGMENT_API_TOKEN": TOKEN,
               "REFLEKT_SEGMENT_BASE_URL": fake.url, "DAGSTER_PG_URL":
                   f"postgresql+psycopg2://{pg.user}:{pg.password}@127.0.0.1:{pg.port}/dagster",
               "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        _postgres_instance(home, pg)
        prepared = subprocess.run([sys.executable, "-m", "reflekt_dagster.prepare"], env=env, capture_output=True,
                                  text=True, timeout=180)
        assert prepared.returncode == 0, prepared.stderr
        server = DagsterDev(env, home, root / "dagster-dev.log")
        yield server, project, fake
    finally:
        if server is not None:
            server.stop()
        fake.stop()
        pg.stop()


class Phases:
    """Wall time of each step of the scenario, printed at the end (pytest -s, or in the failure report)."""

    def __init__(self):
        self.start = self.last = time.monotonic()
        self.times: list[tuple[str, float]] = []

    def __call__(self, name: str) -> None:
        now = time.monotonic()
        self.times.append((name, now - self.last))
        self.last = now

    def __str__(self) -> str:
        return ", ".join(f"{n} {t:.0f} s" for n, t in self.times) + f"; total {self.last - self.start:.0f} s"


def _ticks_after(server: DagsterDev, sensor: str, since: float) -> int:
    selector = {"repositoryLocationName": LOCATION, "repositoryName": "__repository__", "sensorName": sensor}
    ticks = server.gql(SENSOR_TICKS, s=selector)["sensorOrError"]["sensorState"]["ticks"]
    return sum(1 for t in ticks if t["timestamp"] > since and t["status"] != "STARTED")


def _settled(server: DagsterDev, what: str) -> None:
    """No run in flight, and two automation ticks since then that started nothing."""
    wait_for(lambda: _idle(server), 300, what)
    since = time.time()
    wait_for(lambda: _ticks_after(server, "reflekt_automation", since) >= 2, 120, f"{what}: automation ticks")
    wait_for(lambda: _idle(server), 300, what)


def _engine(server: DagsterDev, run_id: str) -> str:
    messages = server.gql(EVENTS_MESSAGES, id=run_id)["logsForRun"]["events"]
    text = " ".join(m.get("message") or "" for m in messages)
    return "multiprocess" if "multiprocess executor" in text else "in process" if "in process" in text else text


def _idle(server: DagsterDev) -> bool:
    return not [r for r in server.runs() if r["status"] in ("QUEUED", "NOT_STARTED", "STARTING", "STARTED")]


def _after(server: DagsterDev, key: list[str], since: float):
    latest = server.latest(*key)
    return latest if latest and latest[1] / 1000 > since else None


def _run(server: DagsterDev, run_id: str) -> dict:
    return next(r for r in server.runs() if r["runId"] == run_id)


def _selection(run: dict) -> list[list[str]]:
    """A run's assets in the order the schemas sensor lists them: schemas, lint, package, models."""
    order = {"event_schemas": 0, "reflekt": 1}
    return sorted((a["path"] for a in run["assetSelection"] or []),
                  key=lambda p: (order.get(p[0], 2), p != LINT, p))


def _edit(project: Path, old: str, new: str) -> None:
    path = project / CART_FILE
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.mark.slow
def test_sensor_and_automation_scenario(dev):
    server, project, fake = dev
    phases = Phases()
    try:
        _scenario(server, project, fake, phases)
    finally:
        print(f"scenario phases: {phases}")


def _scenario(server: DagsterDev, project: Path, fake, phase: Phases) -> None:
    assert server.wait_loaded() == "RepositoryLocation"
    phase("location loaded")
    selector = {"repositoryLocationName": LOCATION, "repositoryName": "__repository__",
                "sensorName": "reflekt_schemas_sensor"}
    wait_for(lambda: (server.gql(SENSOR_TICKS, s=selector)["sensorOrError"]["sensorState"]["ticks"]), 60,
             "the schemas sensor's baseline tick")
    phase("baseline tick")

    # "Materialize all": everything builds, nothing is pushed to the registry.
    keys = [n["assetKey"]["path"] for n in server.gql(ASSET_NODES)["assetNodes"] if n["isMaterializable"]]
    # The pass on the multiprocess executor: every step in its own process, on PostgreSQL storage.
    run = server.launch("__ASSET_JOB", LOCATION, asset_selection=keys,
                        run_config={"execution": {"config": {"multiprocess": {}}}})
    assert server.wait_run(run) == "SUCCESS", server.failure_messages(run)
    assert _engine(server, run) == "multiprocess"
    assert not [r for r in fake.requests() if r[0] in WRITES]
    _settled(server, "automation to settle")

    phase("materialize all")

    # Edit a property: ONE run rebuilds the schema, the lint report, the package and exactly the dbt
    # models that read it; it carries the commit and its author.
    head = _git(project, "rev-parse", "HEAD")
    t_edit = time.time()
    _edit(project, "Unique identifier of the cart.", "The cart's unique identifier.")
    schema_run, _ = wait_for(lambda: _after(server, CART, t_edit), 300, "the edited schema's materialisation")
    run = _run(server, schema_run)
    tags = {t["key"]: t["value"] for t in run["tags"]}
    assert tags["reflekt/commit"] == head and tags["reflekt/author"] == "Ada Analyst <ada@jaffle-shop.example>"
    assert _selection(run) == [CART, LINT, PACKAGE, CART_MODEL, TRACKS_MODEL]
    assert server.wait_run(schema_run) == "SUCCESS", server.failure_messages(schema_run)
    assert _engine(server, schema_run) == "in process"  # the location's default executor
    for key in (LINT, PACKAGE, CART_MODEL, TRACKS_MODEL):
        assert server.latest(*key)[0] == schema_run, key
    assert _after(server, OTHER_MODEL, t_edit) is None, "an unrelated dbt model was rebuilt"
    _settled(server, "automation after the edit")  # the package is newer than the schema: nothing more
    assert [r["runId"] for r in server.runs(t_edit)] == [schema_run]

    phase("edit")

    # Revert: the same content as before is a new change, and rebuilds again.
    wait_for(lambda: _idle(server), 300, "the rebuild to finish")
    t_revert = time.time()
    _edit(project, "The cart's unique identifier.", "Unique identifier of the cart.")
    revert_run, _ = wait_for(lambda: _after(server, CART, t_revert), 300, "the reverted schema's materialisation")
    assert server.wait_run(revert_run) == "SUCCESS", server.failure_messages(revert_run)
    assert server.latest(*CART_MODEL)[0] == revert_run, "the model was not rebuilt with its schema"

    phase("revert")

    # A new file: the package is rebuilt, the location reloads, the new asset is materialised.
    wait_for(lambda: _idle(server), 300, "the rebuild to finish")
    new_file = project / "schemas/jaffle_shop/Coupon_Applied/1-0.json"
    new_file.parent.mkdir()
    doc = json.loads((project / CART_FILE).read_text())
    doc["$id"] = "jaffle_shop/Coupon_Applied/1-0.json"
    doc["self"]["name"] = "Coupon Applied"
    doc["description"] = "A customer applied a coupon."
    new_file.write_text(json.dumps(doc, indent=2))
    t_new = time.time()
    new_run, _ = wait_for(lambda: _after(server, NEW, t_new), 300, "the new schema's materialisation", interval=2)
    # first the package (and the reload) for the file the location did not know; then, once loaded,
    # one run of the new schema with the lint report, the package and the models that read it
    assert _selection(_run(server, new_run))[:3] == [NEW, LINT, PACKAGE]
    assert TRACKS_MODEL in _selection(_run(server, new_run))
    assert server.wait_run(new_run) == "SUCCESS", server.failure_messages(new_run)

    phase("new file")

    # Break a file, and edit a good one in the same change set: the sensor's run is red with the
    # lint message; the dbt models of neither are rebuilt.
    wait_for(lambda: _idle(server), 300, "the rebuild to finish")
    model_before, other_before = server.latest(*CART_MODEL), server.latest(*OTHER_MODEL)
    original = (project / CART_FILE).read_text()
    other_text = (project / OTHER_FILE).read_text()
    t_break = time.time()
    (project / OTHER_FILE).write_text(other_text.replace("Unique identifier of the order.", "The order's id."))
    (project / CART_FILE).write_text(original.replace('"type": "object"', '"type": "objekt"', 1))
    failed = wait_for(lambda: [r for r in server.runs(t_break) if r["status"] == "FAILURE"
                               and any(a["path"] == CART for a in r["assetSelection"] or [])], 300, "the red run")
    assert "lint failed" in server.failure_messages(failed[0]["runId"])
    # the run asked for both files' models: the blocking check stopped them
    assert {tuple(CART_MODEL), tuple(OTHER_MODEL), tuple(OTHER)} <= {tuple(p) for p in _selection(failed[0])}
    _settled(server, "automation to settle")  # it does not rebuild the package or the models
    assert server.latest(*CART_MODEL) == model_before and server.latest(*OTHER_MODEL) == other_before
    assert _after(server, CART, t_break) is None and _after(server, PACKAGE, t_break) is None
    assert _after(server, OTHER, t_break)  # the good file passed lint and was materialised

    phase("break")

    # Fix it: green again, and the good file's model, stopped by the red run, is rebuilt too.
    t_fix = time.time()
    (project / CART_FILE).write_text(original)
    fixed_run, _ = wait_for(lambda: _after(server, CART, t_fix), 300, "the fixed schema's materialisation")
    tags = {t["key"]: t["value"] for t in _run(server, fixed_run)["tags"]}
    assert tags["reflekt/carried_runs"] == failed[0]["runId"]
    assert server.wait_run(fixed_run) == "SUCCESS", server.failure_messages(fixed_run)
    assert server.latest(*CART_MODEL)[0] == fixed_run
    assert server.latest(*OTHER_MODEL)[0] == fixed_run, "the good file's model was forgotten"

    phase("fix")

    # A schema materialised by hand ("Materialize" in the UI): the automation sensor's condition
    # sees it (one batched query) and rebuilds the lint report and the package.
    t_hand = time.time()
    hand = server.launch("__ASSET_JOB", LOCATION, asset_selection=[CART])
    assert server.wait_run(hand) == "SUCCESS", server.failure_messages(hand)
    auto_run, _ = wait_for(lambda: _after(server, PACKAGE, t_hand), 120, "automation to rebuild the package")
    assert auto_run != hand and server.wait_run(auto_run) == "SUCCESS"
    tags = {t["key"]: t["value"] for t in _run(server, auto_run)["tags"]}
    assert tags.get("dagster/sensor_name") == "reflekt_automation", tags
    assert _selection(_run(server, auto_run)) == [LINT, PACKAGE]
    _settled(server, "automation after the hand materialisation")  # once

    phase("by hand")

    # Pushing is a separate job, a dry run unless asked: it reports the diff and writes nothing.
    push = server.launch("reflekt_push_segment", LOCATION)
    assert server.wait_run(push) == "SUCCESS", server.failure_messages(push)
    assert not [r for r in fake.requests() if r[0] in WRITES]
    phase("push")
