"""Issue 9 §2: 'pull' writes only inside the selected plan folder, whatever the registry returns.

Each case serves a hostile Segment tracking plan from the contract-following local fake and
asserts exit 2, one line naming the remote item, and no file written or changed.
"""

from __future__ import annotations

import pytest
import yaml

from tests.adversarial.harness import refused, run_cli, snapshot
from tests.helpers import make_project
from tests.integration.registry_fakes import FakeSegment

TOKEN = "sgp_adversarial_pull_token"


def rule(key, version=1, rule_type="TRACK"):
    return {"type": rule_type, "key": key, "version": version,
            "jsonSchema": {"properties": {"properties": {"type": "object", "properties": {}}}}}


CASES = [
    ("dotdot", [rule("..")], ["'..'", "leaves the plan folder"]),
    ("dot", [rule(".")], ["'.'"]),
    ("dotdot-slash", [rule("../../etc")], ["'../../etc'"]),
    ("hidden", [rule(".git")], ["'.git'", "hidden"]),
    ("nul-byte", [rule("a\x00b")], ["NUL"]),
    ("backslash", [rule("a\\..\\b")], ["backslash"]),
    ("over-255-bytes", [rule("x" * 256)], ["256 bytes", "at most 255"]),
    ("over-255-bytes-multibyte", [rule("é" * 128)], ["256 bytes"]),
    ("collide-space-underscore", [rule("A B"), rule("A_B")], ["'A_B'", "'A B'", "same file"]),
    ("collide-slash", [rule("A/B"), rule("A B")], ["same file"]),
    ("collide-case", [rule("Order"), rule("order")], ["'order'", "'Order'", "same file"]),
    ("key-int", [rule(5)], ["not text", "5"]),
    ("key-list", [rule(["a"])], ["not text"]),
    ("key-object", [rule({"a": 1})], ["not text"]),
    ("key-bool", [rule(True)], ["not text"]),
    ("version-string", [rule("Ok", "1-0")], ["'Ok'", "'1-0'"]),
    ("version-float", [rule("Ok", 1.5)], ["'Ok'", "1.5"]),
    ("version-negative", [rule("Ok", -1)], ["'Ok'", "-1"]),
    ("version-bool", [rule("Ok", True)], ["'Ok'", "True"]),
    ("version-null", [rule("Ok", None)], ["'Ok'", "None"]),
    ("lone-surrogate", [rule("a\ud800")], ["surrogate"]),
]


@pytest.fixture
def segment():
    fake = FakeSegment(TOKEN)
    yield fake
    fake.stop()


def _project(tmp_path, segment):
    root = make_project(tmp_path / "p", {"web/Keep/1-0.json": {}})
    (root / "reflekt_profiles.yml").write_text(yaml.safe_dump({"dev": {"source": [], "registry": [
        {"type": "segment", "api_token": TOKEN, "base_url": segment.url, "retries": 0}]}}))
    return root


@pytest.mark.parametrize(("case", "rules", "words"), CASES, ids=[c[0] for c in CASES])
def test_hostile_remote_items_are_refused(tmp_path, segment, case, rules, words):
    segment.add_plan("web", [rule("Fine Event"), *rules])
    root = _project(tmp_path, segment)
    extra = ["--force"] if case in ("dotdot", "collide-case", "version-string") else []
    refused(["pull", "--registry", "segment", "--select", "web", *extra], root, words, root=tmp_path)
    assert not list((root / "schemas").glob(".reflekt-pull-*"))


def test_a_clean_pull_still_works(tmp_path, segment):
    segment.add_plan("web", [rule("Fine Event"), rule("Other Event", 2)])
    root = _project(tmp_path, segment)
    before = snapshot(root)
    outcome = run_cli(["pull", "--registry", "segment", "--select", "web"], root)
    assert outcome.code == 0, outcome.stderr
    after = snapshot(root)
    assert set(after) - set(before) == {"schemas/web/Fine_Event/1-0.json", "schemas/web/Other_Event/2-0.json"}


def test_a_symlinked_event_folder_cannot_lead_out(tmp_path, segment):
    segment.add_plan("web", [rule("Fine Event")])
    root = _project(tmp_path, segment)
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "schemas/web/Fine_Event").symlink_to(outside)
    refused(["pull", "--registry", "segment", "--select", "web"], root, ["symbolic link"], root=tmp_path)
    assert list(outside.iterdir()) == []
