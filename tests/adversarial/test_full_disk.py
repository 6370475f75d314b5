"""Issue 9 §2: a full disk gives one line ('no space left on device while writing ...') and the
previous files stay intact. A real, tiny tmpfs is mounted (root only; skipped otherwise)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import yaml

from tests.adversarial.harness import refused, run_cli, snapshot
from tests.helpers import make_project
from tests.integration.registry_fakes import FakeSegment

TOKEN = "sgp_full_disk_token"


@pytest.fixture
def tiny(tmp_path):
    mount = tmp_path / "tiny"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
                                           capture_output=True).returncode != 0:
        pytest.skip("mounting a tmpfs needs root")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder, leave: int) -> None:
    """Leave about ``leave`` bytes free on the file system of ``folder``."""
    stats = os.statvfs(folder)
    free = stats.f_bavail * stats.f_frsize
    if free > leave:
        (folder / "filler.bin").write_bytes(b"\0" * (free - leave))


def test_build_on_a_full_disk_keeps_the_old_package(tmp_path, tiny):
    root = make_project(tmp_path / "p", {f"web/Event_{i:03d}/1-0.json": {} for i in range(150)})
    columns = [{"name": "order_id", "type": "string", "data_type": "varchar", "nullable": True, "position": 1}]
    (root / "catalog.json").write_text(json.dumps({"reflekt_catalog_version": 1, "catalogs": [
        {"source_id": "wh", "source_type": "duckdb", "database": "warehouse", "schema": "segment",
         "tables": {f"event_{i:03d}": columns for i in range(150)}}]}))
    build = ["build", "--catalog", "catalog.json", "--out", str(tiny / "pkg")]
    assert run_cli([*build, "--select", "web/Event_00*"], root).code == 0
    before = snapshot(tiny)
    outcome = refused(build, root, ["no space left on device while writing", str(tiny / "pkg")], root=tiny)
    assert "previous files are intact" in outcome.stderr
    assert snapshot(tiny) == before and not [p for p in tiny.iterdir() if ".reflekt-" in p.name]


def test_lint_report_on_a_full_disk_keeps_the_old_report(tmp_path, tiny):
    root = make_project(tmp_path / "p", {f"web/Event_{i:03d}/1-0.json": {"description": ""} for i in range(100)})
    report = tiny / "lint.json"
    report.write_text("{}\n")
    _fill(tiny, 2048)
    refused(["lint", "--format", "json", "--output", str(report)], root,
            ["no space left on device while writing", "lint.json"], root=tiny)
    assert report.read_text() == "{}\n"


def test_pull_on_a_full_disk_writes_nothing(tmp_path, tiny):
    fake = FakeSegment(TOKEN, max_rules=1000)
    try:
        fake.add_plan("web", [{"type": "TRACK", "key": f"Event {i:03d}", "version": 1, "jsonSchema": {
            "description": "x" * 2000, "properties": {"properties": {"type": "object", "properties": {}}}}}
            for i in range(200)])
        root = make_project(tiny / "p", {"web/Keep/1-0.json": {}})
        (root / "reflekt_profiles.yml").write_text(yaml.safe_dump({"dev": {"source": [], "registry": [
            {"type": "segment", "api_token": TOKEN, "base_url": fake.url}]}}))
        refused(["pull", "--registry", "segment", "--select", "web"], root, ["no space left on device while writing"])
        assert not list((root / "schemas").glob(".reflekt-pull-*"))
    finally:
        fake.stop()
