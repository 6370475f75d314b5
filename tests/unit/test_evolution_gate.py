"""The gate's policy on in-memory inputs (no git): both version schemes, suggestions, deletions."""

from __future__ import annotations

import copy

import pytest

from reflekt_core.evolution import versions as v
from reflekt_core.evolution.gate import ADDED, DELETED, EDITED, GateInput, evaluate


def doc(version: str, **props):
    return {"self": {"vendor": "com.test", "name": "Order Completed", "format": "jsonschema", "version": version},
            "type": "object", "properties": {"id": {"type": "string"}, **props}, "required": ["id"]}


def run(status, base=None, head=None, allow_deleted=False):
    base, head = base or {}, head or {}
    return evaluate(GateInput(status=status, base=base.get, head=head.get, head_files=tuple(head),
                              base_label="main", allow_deleted=allow_deleted))


def codes(result):
    return sorted(f.code for f in result.findings)


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("1-1", "1-2", ["R702"]), ("1-1", "2-0", []),
    ("1-0-0", "1-0-1", ["R702"]), ("1-0-0", "1-1-0", ["R702"]), ("1-0-0", "2-0-0", []),
])
def test_a_breaking_change_needs_the_first_version_part_raised(old, new, expected):
    head = {f"web/A/{old}.json": doc(old, total={"type": ["number", "null"]}),
            f"web/A/{new}.json": doc(new, total={"type": "number"})}
    result = run({f"web/A/{new}.json": ADDED}, head=head)
    assert [c for c in codes(result) if c != "R705"] == expected
    if expected:
        level = "MAJOR" if len(old.split("-")) == 2 else "MODEL"
        nxt = "2-0" if level == "MAJOR" else "2-0-0"
        assert f"needs a new {level} version ({nxt})" in result.findings[0].message


@pytest.mark.parametrize(("old", "new", "could"), [("1-1", "2-0", "1-2"), ("1-0-2", "2-0-0", "1-0-3")])
def test_a_major_with_only_compatible_changes_could_be_a_minor(old, new, could):
    head = {f"web/A/{old}.json": doc(old), f"web/A/{new}.json": doc(new, coupon={"type": "string"})}
    result = run({f"web/A/{new}.json": ADDED}, head=head)
    r703 = [f for f in result.findings if f.code == "R703"]
    assert len(r703) == 1 and r703[0].message.endswith(f"it could be {could}")
    assert result.files[0].verdict == "addition" and result.files[0].compared_with == f"web/A/{old}.json"


def test_the_predecessor_is_the_highest_lower_version_and_a_first_version_is_not_compared():
    head = {p: doc(p.rsplit("/", 1)[1][:-5]) for p in ("web/A/1-0.json", "web/A/1-1.json", "web/A/2-0.json")}
    head["web/A/1-2.json"] = doc("1-2", coupon={"type": "string"})
    head["web/B/1-0.json"] = doc("1-0")
    result = run({"web/A/1-2.json": ADDED, "web/B/1-0.json": ADDED}, head=head)
    by_path = {f.rel_path: f for f in result.files}
    assert by_path["web/A/1-2.json"].compared_with == "web/A/1-1.json"
    assert by_path["web/B/1-0.json"].compared_with is None and codes(result) == ["R705"]


def test_edit_in_place_cosmetic_passes_and_a_material_one_suggests_the_next_free_version():
    old = doc("1-0", coupon={"type": "string"})
    cosmetic = copy.deepcopy(old)
    cosmetic["properties"]["coupon"]["description"] = "The coupon code."
    head = {"web/A/1-0.json": cosmetic, "web/A/1-1.json": doc("1-1"), "web/A/2-0.json": doc("2-0")}
    assert codes(run({"web/A/1-0.json": EDITED}, {"web/A/1-0.json": old}, head)) == ["R705"]
    head["web/A/1-0.json"] = doc("1-0")  # coupon removed: breaking, and 2-0 is taken
    result = run({"web/A/1-0.json": EDITED}, {"web/A/1-0.json": old}, head)
    assert codes(result) == ["R701"] and result.findings[0].message.endswith("(3-0)")
    head["web/A/1-0.json"] = doc("1-0", coupon={"type": "string"}, gift={"type": "boolean"})
    result = run({"web/A/1-0.json": EDITED}, {"web/A/1-0.json": old}, head)
    assert codes(result) == ["R701"] and result.findings[0].message.endswith("(1-2)")


def test_deleting_a_published_version_is_an_error_unless_allowed():
    assert codes(run({"web/A/1-0.json": DELETED})) == ["R704"]
    assert codes(run({"web/A/1-0.json": DELETED}, allow_deleted=True)) == []


def test_unreadable_documents_cannot_be_proven_compatible():
    result = run({"web/A/1-1.json": ADDED}, head={"web/A/1-0.json": None, "web/A/1-1.json": doc("1-1")})
    assert codes(result) == ["R702"] and "schemas/web/A/1-0.json cannot be read" in result.findings[0].message
    result = run({"web/A/1-0.json": EDITED}, base={"web/A/1-0.json": doc("1-0")}, head={"web/A/1-0.json": None})
    assert codes(result) == ["R701"] and result.files[0].changes == []


def test_version_arithmetic():
    assert v.parse_version("1-0-3") == (1, 0, 3) and v.parse_version("1.0") is None
    assert v.bump_level((1, 1), (2, 0)) == 0 and v.bump_level((1, 0, 0), (1, 0, 1)) == 2
    assert v.raise_part((1, 1), 0, [(1, 0), (2, 0), (3, 1)]) == (4, 0)
    assert v.raise_part((1, 0, 0), 2, [(1, 0, 0), (1, 0, 1)]) == (1, 0, 2)
    assert v.predecessor((2, 0), [(1, 0), (1, 3), (2, 0), (1, 0, 0)]) == (1, 3)
    assert v.level_name((1, 0, 0), 1) == "REVISION"


def test_each_version_against_the_one_before_it():
    from reflekt_core.evolution.history import check_versions

    docs = {"w/A/1-0.json": doc("1-0", total={"type": ["number", "null"]}),
            "w/A/1-1.json": doc("1-1", total={"type": "number"}),
            "w/A/2-0.json": doc("2-0", total={"type": "number"}),
            "w/A/3-0.json": doc("3-0", total={"type": "number"}, gift={"type": "boolean"})}
    checks = check_versions(sorted(docs), sorted(docs), docs.get)
    assert checks["w/A/1-0.json"].previous is None and checks["w/A/1-0.json"].ok
    assert not checks["w/A/1-1.json"].ok and "need a new MAJOR version (4-0), not 1-1" in checks["w/A/1-1.json"].message
    assert checks["w/A/2-0.json"].ok and checks["w/A/2-0.json"].verdict == "none"
    assert checks["w/A/3-0.json"].ok and checks["w/A/3-0.json"].message == "addition since 2-0: it could be 2-1"
    assert checks["w/A/3-0.json"].to_dict()["changes"][0]["pointer"] == "/properties/gift"


def test_project_versions_read_from_disk_and_render(tmp_path):
    from reflekt_core.evolution.history import change_table, check_project_versions, markdown_table
    from reflekt_core.project import load_project
    from tests.helpers import make_project

    root = make_project(tmp_path / "p", {"web/Order_Completed/1-0.json": {},
                                         "web/Order_Completed/1-1.json": {"properties": {"order_id": None}}})
    checks = check_project_versions(load_project(root))
    check = checks["web/Order_Completed/1-1.json"]
    assert not check.ok and check.previous == "web/Order_Completed/1-0.json"
    assert "| schemas/web/Order_Completed/1-1.json | 1-0.json | breaking | needs a new MAJOR |" in markdown_table(
        checks.values())
    assert "**breaking** `/properties/order_id` property 'order_id' removed" in change_table(check)
