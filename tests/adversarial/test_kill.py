"""Issue 9 §2: SIGKILL at random points of 'build' and 'pull' on 1,000 schemas.

After every kill the files are all-old or all-new (the package is swapped in one exchange;
pulled schemas are staged and committed with a mark), and once the next command has run no
temporary file is left anywhere.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.adversarial.harness import run_cli, snapshot
from tests.helpers import make_project
from tests.integration.registry_fakes import FakeSegment

KILLS = 20  # runs actually killed before finishing (issue 9: at least 20 per command)
MAX_ATTEMPTS = 3 * KILLS  # runs that finish before their kill are retried, aiming earlier
EVENTS = 1000
TOKEN = "sgp_kill_loop_token"
ENV = {**os.environ, "NO_COLOR": "1"}


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "reflekt_core.cli", *args], cwd=cwd, env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)


def _kill_after(args: list[str], cwd: Path, seconds: float) -> bool:
    """Run, SIGKILL after ``seconds``; True if it was killed before finishing."""
    proc = _start(args, cwd)
    try:
        proc.wait(timeout=seconds)
        return False
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return True


def _timed(args: list[str], cwd: Path) -> float:
    started = time.monotonic()
    outcome = run_cli(args, cwd, timeout=300)
    assert outcome.code in (0, 1), outcome.stderr
    return time.monotonic() - started


def _leftovers(root: Path) -> list[str]:
    return [str(p.relative_to(root)) for p in root.rglob("*") if ".reflekt-pull-" in p.name or
            ".reflekt-new-" in p.name or ".reflekt-old-" in p.name or p.name.endswith(".tmp")]


def _tree(folder: Path) -> dict[str, str]:
    return snapshot(folder) if folder.exists() else {}


@pytest.mark.slow
def test_build_killed_at_random_points(tmp_path):
    root = make_project(tmp_path / "p", {f"web/Event_{i:04d}/1-0.json": {} for i in range(EVENTS)})
    columns = [{"name": "order_id", "type": "string", "data_type": "varchar", "nullable": True, "position": 1}]
    tables = {f"event_{i:04d}": columns for i in range(EVENTS)}
    (root / "catalog.json").write_text(json.dumps({"reflekt_catalog_version": 1, "catalogs": [
        {"source_id": "wh", "source_type": "duckdb", "database": "warehouse", "schema": "segment",
         "tables": {**tables, "tracks": columns}}]}))
    full = ["build", "--catalog", "catalog.json", "--out", "pkg"]
    small = [*full, "--select", "web/Event_000*"]
    # The two states a killed build moves between, written once without interruption.
    duration = _timed(full, root)
    tree_full = _tree(root / "pkg")
    _timed(small, root)
    tree_small = _tree(root / "pkg")
    assert len(tree_full) > 1000 and tree_small != tree_full
    rng = random.Random(9)
    killed = attempts = 0
    while killed < KILLS:
        attempts += 1
        assert attempts <= MAX_ATTEMPTS, f"only {killed} of {attempts - 1} runs were killed before finishing"
        # small -> full, killed somewhere in the run (most of the time is loading, so bias late).
        if _kill_after(full, root, rng.uniform(0.3, 1.0) * duration):
            killed += 1
        else:
            duration *= 0.8  # the run was faster than the first one: aim earlier
        assert _tree(root / "pkg") in (tree_small, tree_full), "the package is neither all-old nor all-new"
        _timed(small, root)  # the next command
        assert _tree(root / "pkg") == tree_small
        assert _leftovers(root) == []


@pytest.mark.slow
def test_pull_killed_at_random_points(tmp_path):
    def rules(variant: str) -> list[dict]:
        return [{"type": "TRACK", "key": f"Event {i:04d}", "version": 1, "jsonSchema": {
            "description": f"{variant} {i}", "properties": {"properties": {"type": "object", "properties": {}}}}}
            for i in range(EVENTS)]

    fake = FakeSegment(TOKEN, max_rules=EVENTS)
    try:
        plan_id = fake.add_plan("web")
        root = make_project(tmp_path / "p", {})
        (root / "reflekt_profiles.yml").write_text(yaml.safe_dump({"dev": {"source": [], "registry": [
            {"type": "segment", "api_token": TOKEN, "base_url": fake.url}]}}))
        pull = ["pull", "--registry", "segment", "--select", "web", "--force"]
        states = {}
        for variant in ("old", "new"):
            fake.rules[plan_id] = [fake._stored(r) for r in rules(variant)]
            duration = _timed(pull, root)
            states[variant] = _tree(root / "schemas" / "web")
        assert len(states["old"]) == EVENTS and states["old"] != states["new"]
        rng = random.Random(7)
        current, killed, attempts = "new", 0, 0
        while killed < KILLS:
            attempts += 1
            assert attempts <= MAX_ATTEMPTS, f"only {killed} of {attempts - 1} runs were killed before finishing"
            target = "old" if current == "new" else "new"
            fake.rules[plan_id] = [fake._stored(r) for r in rules(target)]
            if _kill_after(pull, root, rng.uniform(0.3, 1.0) * duration):
                killed += 1
            else:
                duration *= 0.8  # the run was faster than the timed one: aim earlier
            run_cli(["debug", "--skip-connections"], root)  # the next command
            tree = _tree(root / "schemas" / "web")
            assert tree in (states["old"], states["new"]), "schemas are neither all-old nor all-new"
            current = "old" if tree == states["old"] else "new"
            assert _leftovers(root) == []
    finally:
        fake.stop()
