"""push classifies every schema against the registry's current version (local Segment server)."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.helpers import DEMO
from tests.integration.registry_fakes import FakeSegment
from tests.integration.test_registries import TOKEN, _profile

ORDER = "schemas/jaffle_shop/Order_Completed/1-1.json"


@pytest.fixture
def pushed(cli, tmp_path):
    """The demo pushed to a Segment server: each event's rule holds its highest MINOR."""
    fake = FakeSegment(TOKEN)
    project = tmp_path / "jaffle_shop"
    shutil.copytree(DEMO, project, ignore=shutil.ignore_patterns("*.duckdb*", "artifacts", "reports"))
    _profile(project, fake)
    assert cli(["push", "-r", "segment", "-s", "jaffle_shop"], cwd=project).exit_code == 0
    yield project, fake
    fake.stop()


def _edit(project, change):
    path = project / ORDER
    doc = json.loads(path.read_text())
    change(doc["properties"])
    path.write_text(json.dumps(doc, indent=2))


def _writes(fake):
    return len(fake.requests("PATCH")) + len(fake.requests("PUT")) + len(fake.requests("DELETE"))


def test_a_breaking_change_under_an_existing_major_is_refused(cli, pushed):
    project, fake = pushed
    _edit(project, lambda props: props.pop("coupon"))
    before = _writes(fake)
    run = cli(["push", "-r", "segment", "-s", "jaffle_shop", "--dry-run"], cwd=project)
    assert run.exit_code == 1
    assert f"evolution {ORDER} against segment version 1: breaking - refused" in run.stdout
    assert "breaking /properties/coupon: property 'coupon' removed" in run.stdout
    assert "the push would be refused" in run.stderr
    run = cli(["push", "-r", "segment", "-s", "jaffle_shop/Order_Completed"], cwd=project)
    assert run.exit_code == 1 and "push refused: 1 schema(s)" in run.stderr and "needs a new MAJOR" in run.stdout
    assert _writes(fake) == before, "a refused push sends nothing"
    run = cli(["push", "-r", "segment", "-s", "jaffle_shop", "--allow-breaking"], cwd=project)
    assert run.exit_code == 0 and "1 updated" in run.stdout and _writes(fake) > before


def test_compatible_changes_are_reported_and_pushed(cli, pushed):
    project, fake = pushed
    _edit(project, lambda props: props.update(gift_wrap={"type": "boolean", "description": "Wrapped as a gift."}))
    run = cli(["push", "-r", "segment", "-s", "jaffle_shop", "--dry-run"], cwd=project)
    assert run.exit_code == 0, run.stderr
    assert f"evolution {ORDER} against segment version 1: addition" in run.stdout
    assert "addition /properties/gift_wrap: optional property 'gift_wrap' added" in run.stdout
    assert "refused" not in run.stdout
    run = cli(["push", "-r", "segment", "-s", "jaffle_shop/Order_Completed/1-1"], cwd=project)
    assert run.exit_code == 0 and "1 updated" in run.stdout


def test_a_new_major_is_not_compared_and_differences_segment_cannot_hold_are_cosmetic(cli, pushed):
    project, _ = pushed
    doc = json.loads((project / ORDER).read_text())
    doc["properties"].pop("coupon")
    doc["self"]["version"], doc["$id"] = "2-0", "jaffle_shop/Order_Completed/2-0.json"
    (project / "schemas/jaffle_shop/Order_Completed/2-0.json").write_text(json.dumps(doc, indent=2))
    run = cli(["push", "-r", "segment", "-s", "jaffle_shop", "--dry-run"], cwd=project)
    assert run.exit_code == 0, run.stdout + run.stderr
    evolution = [line for line in run.stdout.splitlines() if line.startswith("  evolution")]
    # Segment keeps labels on Track and Page rules only: Identify's metadata is a cosmetic difference
    assert evolution == ["  evolution schemas/jaffle_shop/Identify/1-0.json against segment version 1: cosmetic"]
    assert "create    TRACK Order Completed v2" in run.stdout


def test_iglu_push_dry_run_classifies_and_refuses_a_changed_published_version(cli, tmp_path):
    from tests.integration.iglu_corpus import generate_repository
    from tests.integration.test_iglu import _project

    repo, out = tmp_path / "repo", tmp_path / "out"
    generate_repository(repo, 3)
    out.mkdir()
    root = _project(tmp_path / "p", {"dev": {"uri": "../repo"}, "disk": {"uri": "../out"}})
    assert cli(["pull", "--registry", "iglu"], cwd=root).exit_code == 0
    assert cli(["push", "--registry", "iglu", "--profile", "disk"], cwd=root).exit_code == 0
    target = next(p for p in sorted((root / "schemas").rglob("1-0-0.json"))
                  if json.loads(p.read_text()).get("properties"))
    doc = json.loads(target.read_text())
    removed = sorted(doc["properties"])[0]
    doc["properties"].pop(removed)
    target.write_text(json.dumps(doc, indent=2))
    rel = target.relative_to(root).as_posix()
    run = cli(["push", "--registry", "iglu", "--profile", "disk", "--dry-run"], cwd=root)
    assert run.exit_code == 1, run.stdout + run.stderr
    assert f"evolution {rel} against iglu" in run.stdout and "immutable" in run.stdout
    assert f"breaking /properties/{removed}: property '{removed}' removed" in run.stdout
    # the advice is Iglu's: a new MODEL for a breaking change, named (no --allow-breaking, no MAJOR)
    event = rel[len("schemas/"):].rsplit("/", 1)[0]
    advice = " ".join(run.stderr.split())
    assert f"change a published version: {rel}" in advice and f"(here: {event}/2-0-0)" in advice, advice
    assert "--allow-breaking" not in advice and "MAJOR" not in advice
