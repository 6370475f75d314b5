"""Avo client against the contract-checked fake: documented import semantics, no group
properties, local $refs inlined, variants skipped, warnings and counts surfaced."""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.helpers import make_project
from tests.integration.test_registries import AVO_SECRET, _files, _profile, avo  # noqa: F401 (fixture)

BRANCH = {"registry": {"avo": {"branches": {"staging": "br_staging"}}},
          "schemas": {"conventions": {"event": {"casing": "any"}}}}


def _event(name, properties, required=(), description="An event.", **extra):
    return {"$id": f"staging/{name.replace(' ', '_')}/1-0.json", "description": description,
            "self": {"name": name}, "type": "object", "properties": properties, "required": list(required), **extra}


def _project(tmp_path, avo, events):
    files = {e["$id"]: {**e, "properties": {"order_id": None, **e["properties"]}} for e in events}
    return _profile(make_project(tmp_path / "p", files, BRANCH), avo=avo)


def _write(root, event):
    path = root / "schemas" / event["$id"]
    doc = json.loads(path.read_text())
    doc.update({k: v for k, v in event.items() if k != "self"})
    path.write_text(json.dumps(doc, indent=2))


def _push(cli, root, method, *extra):
    time.sleep(1)  # Avo's one request per second spans processes
    return cli(["push", "--registry", "avo", "--select", "staging", "--import-method", method, *extra], cwd=root)


def _summary(text):
    return tuple(int(n) for n in re.search(r"(\d+) created, (\d+) updated, (\d+) unchanged, (\d+) deleted",
                                           text).groups())


def test_dry_run_and_summary_follow_the_documented_import_semantics(cli, tmp_path, avo):
    signed = _event("Signed Up", {"plan": {"type": "string"}, "coupon": {"type": "string"}}, ["plan"])
    viewed = _event("Page Viewed", {"url": {"type": "string"}})
    root = _project(tmp_path, avo, [signed, viewed])
    run = _push(cli, root, "addAndUpdate")
    assert run.exit_code == 0, run.stderr
    assert _summary(run.stdout) == (2, 0, 0, 0)
    assert "Avo: Import completed (2 new events, 0 updated events, 3 new properties, 0 updated properties)" in run.stderr

    # a property removed locally, a blank description: addAndUpdate removes nothing and keeps descriptions
    _write(root, {**signed, "properties": {"plan": {"type": "string"}}, "description": ""})
    avo.log.clear()
    run = _push(cli, root, "addAndUpdate")
    assert _summary(run.stdout) == (0, 0, 2, 0) and "only in Avo (coupon) kept: addAndUpdate removes nothing" in run.stderr
    assert [r.method for r in avo.log] == ["GET"]  # nothing to send

    # addUpdateAndRemove removes the property within the pushed event only, and never an event
    (root / "schemas/staging/Page_Viewed/1-0.json").unlink()
    dry = _push(cli, root, "addUpdateAndRemove", "--dry-run")
    assert _summary(dry.stdout) == (0, 1, 0, 0)
    assert "1 event(s) on branch 'staging' are not in schemas/ and stay" in dry.stderr
    run = _push(cli, root, "addUpdateAndRemove")
    assert _summary(run.stdout) == (0, 1, 0, 0) and "0 new events, 1 updated events" in run.stderr
    events = avo.events("br_staging")
    assert set(events) == {"Signed Up", "Page Viewed"}
    assert set(events["Signed Up"]["rules"]["properties"]["properties"]["properties"]) == {"plan"}
    assert events["Signed Up"]["description"] == "An event."  # blank description did not overwrite it

    # addOnly adds new properties to existing events, and changes nothing else
    _write(root, {**signed, "properties": {"plan": {"type": "integer"}, "seats": {"type": "integer"}},
                  "description": "Changed."})
    run = _push(cli, root, "addOnly")
    assert _summary(run.stdout) == (0, 1, 0, 0) and "not applied by addOnly" in run.stderr
    signed_up = avo.events("br_staging")["Signed Up"]
    props = signed_up["rules"]["properties"]["properties"]["properties"]
    assert props["plan"]["type"] == "string" and "seats" in props and signed_up["description"] == "An event."


def test_group_properties_and_variants_are_never_sent(cli, tmp_path, avo):
    avo.branches["br_staging"]["events"].append({
        "id": "v1", "name": "Signed Up", "eventType": "variant", "variantName": "Mobile", "description": "",
        "rules": {"properties": {"properties": {"type": "object", "properties": {}, "required": []}}}})
    event = _event("Order Placed", {
        "total": {"type": "number"}, "team": {"type": "string", "x-avo-sendAs": "GroupProperty"},
        "user_properties": {"type": "object", "properties": {"email": {"type": "string"}}, "required": ["email"]},
        "group_properties": {"type": "object", "properties": {"plan": {"type": "string"}}}})
    root = _project(tmp_path, avo, [event, _event("Signed Up - Mobile", {"os": {"type": "string"}})])
    run = _push(cli, root, "addAndUpdate")
    assert run.exit_code == 0, run.stderr
    assert "skipped group properties plan, team (Avo does not import group properties)" in run.stderr
    assert "'Signed Up - Mobile' is an Avo variant" in run.stderr
    (sent,) = avo.imports
    assert list(sent["events"]) == ["Order Placed"]
    props = sent["events"]["Order Placed"]["properties"]
    assert {n: p["x-avo-sendAs"] for n, p in props.items()} == {"total": "EventProperty", "email": "UserProperty"}
    assert sent["events"]["Order Placed"]["required"] == ["email"]
    assert "Avo warning" not in run.stderr  # nothing Avo would have converted


def test_local_refs_are_inlined_and_remote_refs_refused(cli, tmp_path, avo):
    event = _event("Order Placed", {"total": {"$ref": "#/definitions/money"}, "tax": {"$ref": "#/$defs/money"},
                                    "odd": {"type": "string", "not": {"const": "x"}}},
                   definitions={"money": {"type": "number", "minimum": 0}}, **{"$defs": {"money": {"type": "number"}}})
    root = _project(tmp_path, avo, [event])
    run = _push(cli, root, "addAndUpdate")
    assert run.exit_code == 0, run.stderr
    props = avo.imports[0]["events"]["Order Placed"]["properties"]
    assert props["total"] == {"type": "number", "minimum": 0, "x-avo-sendAs": "EventProperty"}
    assert props["tax"]["type"] == "number"
    assert "Avo warning: Unsupported keyword 'not' in property 'odd'" in run.stderr  # Avo's warnings surface
    _write(root, {**event, "properties": {"total": {"$ref": "https://example.com/money.json"}}})
    before = _files(root)
    run = _push(cli, root, "addAndUpdate")
    lines = run.stderr.strip().splitlines()
    assert run.exit_code == 2 and len(lines) == 1
    assert "$ref 'https://example.com/money.json' at /properties/total points outside the file" in lines[0]
    assert len(avo.imports) == 1 and _files(root) == before


@pytest.mark.parametrize("state,words", [("merged", "merged or closed"), ("no_actions", "has no prior actions")])
def test_a_409_names_every_cause(cli, tmp_path, avo, state, words):
    (avo.merged if state == "merged" else avo.no_actions).add("br_staging")
    root = _project(tmp_path, avo, [_event("Signed Up", {"plan": {"type": "string"}})])
    run = _push(cli, root, "addAndUpdate")
    assert run.exit_code == 2
    assert "the branch is merged or closed, or has no prior actions" in run.stderr and words in run.stderr
    assert AVO_SECRET not in run.stderr


def test_an_unchanged_pull_then_push_sends_nothing(cli, tmp_path, avo):
    root = _profile(make_project(tmp_path / "p", {}, {"schemas": {"conventions": {"event": {"casing": "any"}}}}),
                    avo=avo)
    run = cli(["pull", "--registry", "avo", "--select", "main"], cwd=root)
    assert run.exit_code == 0, run.stderr
    page = json.loads((root / "schemas/main/page_viewed/1-0.json").read_text())
    assert page["properties"]["app_name"]["x-avo-sendAs"] == "SystemProperty"  # kept for the way back
    avo.log.clear()
    for method in ("addAndUpdate", "addUpdateAndRemove"):
        time.sleep(1)
        run = cli(["push", "--registry", "avo", "--select", "main", "--import-method", method], cwd=root)
        assert run.exit_code == 0, run.stderr
        assert _summary(run.stdout) == (0, 0, 18, 0)
    assert [r.method for r in avo.log] == ["GET", "GET"] and avo.imports == []
