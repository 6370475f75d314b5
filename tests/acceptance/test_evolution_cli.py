"""The evolution gate end to end: a git history of real-looking changes, judged by `reflekt lint --base`
run as a real process (exit codes, every reporter, clear errors)."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from tests.helpers import git, make_git_project, make_project


def _order(version, **changes):
    """Order Completed as a team would write it, with ``changes`` merged onto its properties."""
    props = {
        "total": {"type": ["number", "null"], "description": "Order total in the shop currency.", "minimum": 0},
        "payment_method": {"type": "string", "description": "How the customer paid.",
                           "enum": ["card", "cash", "voucher"]},
        "products": {"type": "array", "description": "Products in the order.", "items": {
            "type": "object", "properties": {
                "sku": {"type": "string", "description": "Stock keeping unit.", "maxLength": 64},
                "quantity": {"type": "integer", "description": "Units bought.", "minimum": 1}},
            "required": ["sku"]}},
    }
    props.update(changes)
    return {"properties": props, "self": {"version": version}}


BASE = {f"shop/{event}/1-0.json": _order("1-0") for event in (
    "Order_Completed", "Order_Refunded", "Order_Cancelled", "Order_Updated", "Order_Shipped",
    "Order_Returned", "Order_Reviewed", "Order_Paid", "Order_Viewed")}
#: The second commit on main: a compatible new minor.
SECOND = {"shop/Order_Completed/1-1.json": _order("1-1", coupon={"type": "string", "description": "Code used."})}


def _items(**sku):
    return {"type": "array", "description": "Products in the order.", "items": {
        "type": "object", "properties": {"sku": {"type": "string", "description": "Stock keeping unit.", **sku},
                                         "quantity": {"type": "integer", "description": "Units bought.",
                                                      "minimum": 1}},
        "required": ["sku"]}}


#: Work-tree changes on top of main, one kind of change per event, and the gate's verdicts.
CHANGES = {
    # a new minor adding an optional property: fine
    "shop/Order_Refunded/1-1.json": (_order("1-1", reason={"type": "string", "description": "Why."}), []),
    # a new minor adding a required property: needs 2-0
    "shop/Order_Cancelled/1-1.json": (
        {**_order("1-1", reason={"type": "string", "description": "Why."}),
         "required": ["reason"]}, ["R702"]),
    # a property removed in a new minor: needs 2-0
    "shop/Order_Updated/1-1.json": (_order("1-1", payment_method=None), ["R702"]),
    # a type narrowed, but as a new major: fine
    "shop/Order_Shipped/2-0.json": (_order("2-0", total={"type": "number", "description": "Order total.",
                                                         "minimum": 0}), []),
    # an enum shrunk in a new minor: needs 2-0
    "shop/Order_Returned/1-1.json": (
        _order("1-1", payment_method={"type": "string", "description": "How the customer paid.",
                                      "enum": ["card", "cash"]}), ["R702"]),
    # a description-only edit of a published version: fine
    "shop/Order_Reviewed/1-0.json": (
        {**_order("1-0"), "description": "Fires when a customer reviews a delivered order."}, []),
    # an in-place edit of a published version tightening array items: refused
    "shop/Order_Paid/1-0.json": (_order("1-0", products=_items(maxLength=32)), ["R701"]),
    # a new major with only an optional property added: could be a minor
    "shop/Order_Viewed/2-0.json": (_order("2-0", referrer={"type": "string", "description": "From."}), ["R703"]),
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    root = make_git_project(tmp_path_factory.mktemp("evo") / "events", BASE, SECOND)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Order Completed 1-1: optional coupon")
    make_project(root, {rel: change for rel, (change, _) in CHANGES.items()})
    (root / "schemas" / "shop" / "Order_Completed" / "1-1.json").unlink()
    return root


def _by_file(violations):
    found = defaultdict(list)
    for violation in violations:
        if violation["code"] != "R705":
            found[violation["path"].removeprefix("schemas/")].append(violation["code"])
    return found


def test_each_change_gets_its_verdict(reflekt_process, repo):
    run = reflekt_process(["lint", "--base", "main", "--format", "json"], cwd=repo)
    assert run.exit_code == 1, run.stderr
    report = json.loads(run.stdout)
    found = _by_file(v for v in report["violations"] if v["code"].startswith("R7"))
    expected = {rel: codes for rel, (_, codes) in CHANGES.items() if codes}
    expected["shop/Order_Completed/1-1.json"] = ["R704"]
    assert {rel: sorted(set(codes)) for rel, codes in found.items()} == expected
    messages = {v["path"]: v["message"] for v in report["violations"] if v["code"] in ("R701", "R702", "R703")}
    assert "needs a new MAJOR version (2-0), not 1-1 after 1-0" in messages["schemas/shop/Order_Returned/1-1.json"]
    assert "enum values removed: \"voucher\"" in messages["schemas/shop/Order_Returned/1-1.json"]
    assert "it could be 1-1" in messages["schemas/shop/Order_Viewed/2-0.json"]
    assert "maxLength tightened from 64 to 32" in messages["schemas/shop/Order_Paid/1-0.json"]
    listed = [v for v in report["violations"] if v["code"] == "R705"]
    assert any(v["path"] == "schemas/shop/Order_Reviewed/1-0.json" and v["message"].startswith("cosmetic:")
               for v in listed)
    assert any(v["path"] == "schemas/shop/Order_Refunded/1-1.json" and v["message"].startswith("addition:")
               for v in listed)
    r702 = [v for v in report["violations"] if v["code"] == "R702" and "Order_Returned" in v["path"]][0]
    assert r702["pointer"] == "/properties/payment_method/enum" and r702["line"] > 1


def test_history_commits_pass_and_the_gate_alone_exits_by_its_own_errors(reflekt_process, repo, tmp_path):
    clone = tmp_path / "clone"
    git(repo, "clone", "-q", str(repo), str(clone))
    git(clone, "checkout", "-q", "-b", "feature")
    # the history itself: adding 1-1 with an optional coupon was a compatible step
    run = reflekt_process(["lint", "--base", "HEAD~1", "--select-rules", "evolution"], cwd=clone)
    assert run.exit_code == 0 and "0 errors" in run.stdout
    assert "addition: optional property 'coupon' added (since 1-0)" in run.stdout
    run = reflekt_process(["lint", "--base", "main", "-s", "shop/Order_Refunded", "--format", "github"], cwd=repo)
    assert run.exit_code == 0, run.stdout
    assert "::notice file=schemas/shop/Order_Refunded/1-1.json" in run.stdout


def test_github_annotations_and_junit(reflekt_process, repo):
    run = reflekt_process(["lint", "--base", "main", "--format", "github", "--skip-rules", "R705"], cwd=repo)
    assert run.exit_code == 1
    lines = [line for line in run.stdout.splitlines() if line.startswith("::error")]
    assert any(line.startswith("::error file=schemas/shop/Order_Paid/1-0.json,line=")
               and "title=R701 evolution.published_edit::" in line for line in lines)
    assert any("file=schemas/shop/Order_Completed/1-1.json,title=R704" in line for line in lines)


def test_junit_makes_gate_errors_failures(cli, repo):
    from xml.etree import ElementTree as ET

    run = cli(["lint", "--base", "main", "--format", "junit", "--select-rules", "evolution"], cwd=repo)
    assert run.exit_code == 1
    cases = {c.get("name"): c for c in ET.fromstring(run.stdout).iter("testcase")}
    failure = cases["schemas/shop/Order_Paid/1-0.json"].find("failure")
    assert failure is not None and "R701 evolution.published_edit" in failure.text
    assert cases["schemas/shop/Order_Refunded/1-1.json"].find("failure") is None


@pytest.mark.parametrize(("where", "ref", "message"), [
    ("plain", "main", "is not inside one"),
    ("repo", "origin/nope", "git ref 'origin/nope' not found"),
    ("repo", "--output=x", "is not a git ref"),
])
def test_clear_one_line_errors_exit_2(reflekt_process, repo, tmp_path, where, ref, message):
    folder = repo if where == "repo" else make_project(tmp_path / "plain", {"web/A_B/1-0.json": {}})
    run = reflekt_process(["lint", f"--base={ref}"], cwd=folder, env={"GIT_CEILING_DIRECTORIES": str(tmp_path)})
    assert run.exit_code == 2
    assert message in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert "Traceback" not in run.stderr


def test_schemaver_projects_need_a_new_model_for_a_breaking_change(cli, tmp_path):
    props = {"properties": {"total": {"type": ["number", "null"], "description": "Total."}}}
    narrowed = {"properties": {"total": {"type": "number", "description": "Total."}}}
    root = make_git_project(
        tmp_path / "iglu", {"com.acme/Order_Completed/1-0-0.json": props},
        {"com.acme/Order_Completed/1-0-1.json": narrowed,
         "com.acme/Cart_Viewed/1-0-0.json": {},
         "com.acme/Cart_Viewed/2-0-0.json": {"properties": {"coupon": {"type": "string", "description": "C."}}}},
        project={"schemas": {"versioning": "schemaver"}})
    run = cli(["lint", "--base", "main", "--select-rules", "evolution", "--format", "json"], cwd=root)
    assert run.exit_code == 1, run.stdout
    found = {(v["path"], v["code"]): v["message"] for v in json.loads(run.stdout)["violations"] if v["code"] != "R705"}
    assert set(found) == {("schemas/com.acme/Order_Completed/1-0-1.json", "R702"),
                          ("schemas/com.acme/Cart_Viewed/2-0-0.json", "R703")}
    assert "needs a new MODEL version (2-0-0), not 1-0-1 after 1-0-0" in found[
        ("schemas/com.acme/Order_Completed/1-0-1.json", "R702")]
    assert found[("schemas/com.acme/Cart_Viewed/2-0-0.json", "R703")].endswith("it could be 1-0-1")


def test_reflekt_rules_explains_classification_rules(cli):
    run = cli(["rules", "property.removed"])
    assert run.exit_code == 0 and "Fails (breaking)" in run.stdout and "Passes" in run.stdout
    assert "composition.branches" in cli(["rules"]).stdout
