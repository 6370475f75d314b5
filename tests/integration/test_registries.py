"""push / pull against local servers that follow the Segment and Avo contracts, faults included."""

from __future__ import annotations

import json
import shutil
import time

import pytest
import yaml

from tests.helpers import DEMO, VECTORS, make_project
from tests.integration.registry_fakes import Fault, FakeAvo, FakeSegment, realistic_rules

TOKEN = "sgp_test_token_123456"
AVO_SECRET = "avo-secret-987654"


@pytest.fixture
def segment():
    fake = FakeSegment(TOKEN)
    yield fake
    fake.stop()


@pytest.fixture
def avo():
    fake = FakeAvo("ws1", "reflekt_sa_ab12", AVO_SECRET, json.loads((VECTORS / "avo-export-v1-example.json").read_text()))
    fake.add_branch("br_staging")
    yield fake
    fake.stop()


def _profile(root, segment=None, avo=None, **http):
    registry = []
    if segment:
        registry.append({"type": "segment", "api_token": TOKEN, "base_url": segment.url, "backoff": 0.1,
                         **{"timeout": 5, "retries": 5, **http}})
    if avo:
        registry.append({"type": "avo", "workspace_id": "ws1", "service_account_name": "reflekt_sa_ab12",
                         "service_account_secret": AVO_SECRET, "base_url": avo.url, "backoff": 0.1})
    (root / "reflekt_profiles.yml").write_text(yaml.safe_dump({"dev": {"registry": registry, "source": []}}))
    return root


@pytest.fixture
def demo(tmp_path):
    target = tmp_path / "jaffle_shop"
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns("*.duckdb*", "artifacts", "reports"))
    project = yaml.safe_load((target / "reflekt_project.yml").read_text())
    project["registry"]["avo"]["branches"]["staging"] = "br_staging"
    (target / "reflekt_project.yml").write_text(yaml.safe_dump(project))
    return target


def _files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "schemas").rglob("*.json"))}


# --- Segment -----------------------------------------------------------------------------------

def test_push_whole_plan_creates_it_then_is_idempotent(cli, demo, segment):
    _profile(demo, segment)
    run = cli(["push", "--registry", "segment", "--select", "jaffle_shop"], cwd=demo)
    assert run.exit_code == 0, run.stderr
    assert "whole plan: replace" in run.stdout and "9 created, 0 updated, 0 unchanged, 0 deleted" in run.stdout
    assert "Order_Completed/1-0.json: not pushed, Segment versions are MAJOR only" in run.stderr
    (plan_id, plan), = segment.plans.items()
    assert plan["name"] == "jaffle_shop" and plan["type"] == "LIVE"
    rules = {(r["type"], r.get("key")): r for r in segment.rules[plan_id]}
    assert len(rules) == 9
    order = rules[("TRACK", "Order Completed")]
    assert order["version"] == 1 and "coupon" in order["jsonSchema"]["properties"]["properties"]["properties"]
    assert order["jsonSchema"]["labels"] == {"code_owner": "growth-squad", "product_owner": "pm@jaffle-shop.example"}
    identify = rules[("IDENTIFY", None)]
    assert "email" in identify["jsonSchema"]["properties"]["traits"]["properties"]
    assert "key" not in identify and "labels" not in identify["jsonSchema"]  # omitted, never null
    writes = len(segment.requests("PUT")) + len(segment.requests("PATCH"))
    run = cli(["push", "--registry", "segment", "--select", "jaffle_shop"], cwd=demo)
    assert "0 created, 0 updated, 9 unchanged, 0 deleted" in run.stdout
    assert len(segment.requests("PUT")) + len(segment.requests("PATCH")) == writes  # nothing sent the second time


def test_round_trip_push_then_pull_reproduces_the_schemas(cli, demo, segment, tmp_path):
    _profile(demo, segment)
    assert cli(["push", "--registry", "segment", "--select", "jaffle_shop"], cwd=demo).exit_code == 0
    fresh = _profile(make_project(tmp_path / "fresh", {}, {"vendor": "com.jaffle_shop"}), segment)
    run = cli(["pull", "--registry", "segment", "--select", "jaffle_shop"], cwd=fresh)
    assert run.exit_code == 0, run.stderr
    assert "Pulled 9 schemas from segment: 9 created" in run.stdout
    for path in sorted((demo / "schemas" / "jaffle_shop").glob("*/*.json")):
        local = json.loads(path.read_text())
        if path.name == "1-0.json" and (path.parent / "1-1.json").exists():
            continue  # 1-1 is what Segment holds as version 1
        pulled = json.loads((fresh / "schemas" / "jaffle_shop" / path.parent.name / "1-0.json").read_text())
        for key in ("description", "properties", "required"):
            assert pulled[key] == local[key], (path, key)
        assert pulled["self"]["name"] == local["self"]["name"]
        # Segment keeps labels on Track and Page rules only
        expected = {} if path.parent.name == "Identify" else local["self"]["metadata"]
        assert pulled["self"]["metadata"] == expected
    lint = cli(["lint", "--skip-rules", "plan.version_sequence"], cwd=fresh)
    # the only loss: Segment has no labels on Identify rules, so the meta-schema's owners are missing
    assert lint.exit_code == 1 and "2 errors, 0 warnings in 1 schema" in lint.stdout
    assert "Identify/1-0.json" in lint.stdout and "R201" in lint.stdout


def test_large_plans_are_written_in_batches_of_200(cli, tmp_path, segment):
    files = {f"big/Event_{chr(65 + n // 26)}{chr(65 + n % 26)}/1-0.json": {} for n in range(250)}
    root = _profile(make_project(tmp_path / "big", files, {"schemas": {"conventions": {"event": {"casing": "any"}}}}),
                    segment)
    run = cli(["push", "--registry", "segment", "--select", "big"], cwd=root)
    assert run.exit_code == 0, run.stderr
    # no chunked PUT (it leaves a window with rules missing): PATCH upserts of at most 200 rules
    assert not segment.requests("PUT") and [len(r.body["rules"]) for r in segment.requests("PATCH")] == [200, 50]
    (plan_id,) = segment.plans
    assert len(segment.rules[plan_id]) == 250
    run = cli(["pull", "--registry", "segment", "--select", "big", "--dry-run"], cwd=root)
    assert "250 unchanged" in run.stdout
    rule_pages = [r for r in segment.requests("GET") if r[1].endswith("/rules")]
    assert any("pagination%5Bcursor%5D" in r[2] for r in rule_pages)  # followed the opaque cursor


def test_more_than_200_rules_in_one_request_is_refused_by_the_fake(segment):
    import requests

    plan_id = segment.add_plan("x")
    rules = [{"type": "TRACK", "key": f"E{n}", "version": 1, "jsonSchema": {}} for n in range(201)]
    response = requests.put(f"{segment.url}/tracking-plans/{plan_id}/rules", json={"rules": rules},
                            headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == '"rules" must contain less than or equal to 200 items'


def test_partial_push_upserts_only_what_changed(cli, demo, segment):
    _profile(demo, segment)
    cli(["push", "--registry", "segment", "--select", "jaffle_shop"], cwd=demo)
    path = demo / "schemas/jaffle_shop/Cart_Viewed/1-0.json"
    doc = json.loads(path.read_text())
    doc["description"] = "A customer opened the cart page."
    path.write_text(json.dumps(doc, indent=2))
    before = len(segment.requests("PATCH"))
    run = cli(["push", "--registry", "segment", "--select", "jaffle_shop/Cart_Viewed"], cwd=demo)
    assert "(upsert): 0 created, 1 updated, 0 unchanged, 0 deleted" in run.stdout
    assert len(segment.requests("PATCH")) == before + 1 and not segment.requests("PUT")
    assert [r["key"] for r in segment.requests("PATCH")[-1].body["rules"]] == ["Cart Viewed"]
    (plan_id,) = segment.plans
    cart = next(r for r in segment.rules[plan_id] if r.get("key") == "Cart Viewed")
    assert cart["jsonSchema"]["description"] == "A customer opened the cart page."


def test_delete_asks_first_and_sends_rules_as_query_parameters(cli, demo, segment):
    _profile(demo, segment)
    cli(["push", "--registry", "segment", "--select", "jaffle_shop"], cwd=demo)
    (plan_id,) = segment.plans
    run = cli(["push", "--registry", "segment", "--select", "jaffle_shop/Cart_Viewed", "--delete"], cwd=demo, input="n\n")
    assert run.exit_code == 1 and len(segment.rules[plan_id]) == 9
    run = cli(["push", "--registry", "segment", "--select", "jaffle_shop/Cart_Viewed", "--delete", "--force"], cwd=demo)
    assert run.exit_code == 0 and "1 deleted" in run.stdout
    assert {r.get("key") for r in segment.rules[plan_id]} >= {"Order Completed"}
    assert "Cart Viewed" not in {r.get("key") for r in segment.rules[plan_id]}
    delete = segment.requests("DELETE")[-1]
    assert "rules%5B0%5D%5Btype%5D=TRACK" in delete[2] and "rules%5B0%5D%5Bkey%5D=Cart+Viewed" in delete[2]


def test_pull_accepts_real_world_rule_shapes(cli, tmp_path, segment):
    segment.add_plan("Web Plan", [
        {"type": "TRACK", "key": "Signed Up", "version": 2, "jsonSchema": {
            "labels": {"team": "growth"}, "description": "",
            "properties": {"properties": {"type": "object", "properties": {
                "plan": {"type": ["string"], "description": ""}, "seats": {"type": ["integer", "null"]}},
                "required": ["plan"]}}}},
        {"type": "IDENTIFY", "version": 1, "jsonSchema": {"properties": {"traits": {"properties": {
            "email": {"type": "string"}}}}}},
        {"type": "GROUP", "version": 1, "jsonSchema": None},
        {"type": "COMMON", "version": 1, "jsonSchema": {"properties": {"context": {"type": "object"}}}},
    ])
    root = _profile(make_project(tmp_path / "p", {}), segment)
    run = cli(["pull", "--registry", "segment", "--select", "web_plan"], cwd=root)
    assert run.exit_code == 0, run.stderr
    assert "skipped the COMMON rule" in run.stderr
    signed = json.loads((root / "schemas/web_plan/Signed_Up/2-0.json").read_text())
    assert signed["properties"]["plan"] == {"type": "string", "description": ""}
    assert signed["properties"]["seats"]["type"] == ["integer", "null"]
    assert signed["required"] == ["plan"] and signed["self"]["metadata"] == {"team": "growth"}
    assert json.loads((root / "schemas/web_plan/Identify/1-0.json").read_text())["properties"]["email"]
    assert json.loads((root / "schemas/web_plan/Group/1-0.json").read_text())["properties"] == {}
    run = cli(["pull", "--registry", "segment", "--select", "web_plan/Signed_Up/2-1"], cwd=root)
    assert run.exit_code == 2 and "Segment rule versions are MAJOR only" in run.stderr


def test_pull_never_overwrites_local_changes_without_force(cli, demo, segment):
    _profile(demo, segment)
    cli(["push", "--registry", "segment", "--select", "jaffle_shop"], cwd=demo)
    path = demo / "schemas/jaffle_shop/Cart_Viewed/1-0.json"
    path.write_text(path.read_text().replace("A customer viewed their shopping cart.", "Edited locally."))
    before = _files(demo)
    run = cli(["pull", "--registry", "segment", "--select", "jaffle_shop"], cwd=demo)
    assert run.exit_code == 2 and "differ from the registry" in run.stderr and "Cart_Viewed/1-0.json" in run.stderr
    assert _files(demo) == before
    run = cli(["pull", "--registry", "segment", "--select", "jaffle_shop", "--dry-run"], cwd=demo)
    assert "-  \"description\": \"Edited locally.\"" in run.stdout and _files(demo) == before
    run = cli(["pull", "--registry", "segment", "--select", "jaffle_shop", "--force"], cwd=demo)
    assert run.exit_code == 0 and "A customer viewed their shopping cart." in path.read_text()


@pytest.mark.parametrize("fault", [Fault("429", times=3), Fault("500", times=3), Fault("drop", times=2)],
                         ids=["429-burst", "500-burst", "dropped-connection"])
def test_transient_faults_are_retried(cli, demo, segment, fault):
    _profile(demo, segment)
    assert cli(["push", "--registry", "segment", "--select", "jaffle_shop"], cwd=demo).exit_code == 0
    (plan_id,) = segment.plans
    fault.path = "/rules"
    segment.faults.append(fault)
    started = time.monotonic()
    fresh = demo.parent / "fresh"
    _profile(make_project(fresh, {}), segment)
    run = cli(["pull", "--registry", "segment", "--select", "jaffle_shop"], cwd=fresh)
    assert run.exit_code == 0, run.stderr
    assert fault.times == 0 and len(list((fresh / "schemas" / "jaffle_shop").glob("*/*.json"))) == 9
    if fault.kind == "429":
        assert time.monotonic() - started >= 3  # Retry-After: 1, honoured each time


def test_connection_dropped_in_the_middle_of_pagination(cli, tmp_path, segment):
    segment.add_plan("big", [{"type": "TRACK", "key": f"E{n}", "version": 1, "jsonSchema": {}} for n in range(450)])
    segment.faults.append(Fault("drop", times=1, path="/rules", query="cursor"))
    root = _profile(make_project(tmp_path / "p", {}), segment)
    run = cli(["pull", "--registry", "segment", "--select", "big"], cwd=root)
    assert run.exit_code == 0, run.stderr
    assert len(list((root / "schemas/big").glob("*/*.json"))) == 450


@pytest.mark.parametrize("fault,message", [
    (Fault("500", times=100), "failed with HTTP 500 (after 2 retries): Internal server error"),
    (Fault("slow", times=100, seconds=1.5), "timed out after 0.5 s"),
], ids=["persistent-500", "slow"])
def test_persistent_faults_end_in_one_clear_line_and_no_local_change(cli, demo, segment, fault, message):
    _profile(demo, segment, timeout=0.5, retries=2)
    segment.add_plan("jaffle_shop", [{"type": "TRACK", "key": "Cart Viewed", "version": 1, "jsonSchema": {}}])
    before = _files(demo)
    segment.faults.append(fault)
    run = cli(["pull", "--registry", "segment", "--select", "jaffle_shop", "--force"], cwd=demo)
    assert run.exit_code == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], run.stderr
    assert _files(demo) == before


def test_api_errors_quote_the_api_and_never_the_token(cli, demo, segment):
    _profile(demo, segment)
    segment.token = "a-different-token"
    run = cli(["--verbose", "push", "--registry", "segment", "--select", "jaffle_shop"], cwd=demo)
    assert run.exit_code == 2
    assert "HTTP 401: Unauthorized: invalid or missing token" in run.stderr
    assert "check the API token" in run.stderr
    assert TOKEN not in run.stdout + run.stderr


def test_unknown_plan_on_pull(cli, demo, segment):
    _profile(demo, segment)
    run = cli(["pull", "--registry", "segment", "--select", "nope"], cwd=demo)
    assert run.exit_code == 2 and "Segment has no tracking plan named 'nope'" in run.stderr


# --- Avo ---------------------------------------------------------------------------------------

def test_avo_pull_of_the_documented_export(cli, demo, avo):
    _profile(demo, avo=avo)
    run = cli(["pull", "--registry", "avo", "--select", "main"], cwd=demo)
    assert run.exit_code == 0, run.stderr
    pulled = sorted((demo / "schemas" / "main").glob("*/1-0.json"))
    assert len(pulled) == 18
    page = json.loads((demo / "schemas/main/page_viewed/1-0.json").read_text())
    assert page["self"]["metadata"] == {"tags": ["Tier 3 - UI"]}  # reflekt 0.6 crashed on this tag
    assert page["description"] == "When a user views a web page within the website"
    title = page["properties"]["page_title"]
    assert title == {"description": "Title of the web page", "type": "string"}  # Avo-only keys dropped
    assert "page_title" in page["required"] and page["additionalProperties"] is False
    for path in pulled:
        text = path.read_text()
        assert '"nameMapping"' not in text and '"isSystemProperty"' not in text


def test_avo_optional_properties_and_user_properties(avo):
    from reflekt_core.registries.avo import event_to_schema

    event = {"name": "Signed Up", "tags": ["growth", "Tier 1 - Customer/Revenue"], "rules": {"properties": {
        "properties": {"type": "object", "properties": {
            "plan": {"id": "a", "type": "string"}, "referrer": {"id": "b", "index": 2, "type": ["string", "null"]}},
            "required": ["plan"]},
        "userProperties": {"type": "object", "properties": {"email": {"type": "string", "pii": {"isPii": True}}},
                           "required": ["email"]}}}, "eventType": "variant", "variantName": "Mobile"}
    doc = event_to_schema(event, "main", "com.x").doc
    assert doc["self"]["name"] == "Signed Up - Mobile"
    assert doc["required"] == ["plan"] and doc["properties"]["referrer"] == {"type": ["string", "null"]}
    assert doc["properties"]["user_properties"]["properties"] == {"email": {"type": "string"}}
    assert doc["self"]["metadata"]["tags"] == ["growth", "Tier 1 - Customer/Revenue"]


def test_avo_push_round_trip_and_pacing(cli, demo, avo):
    _profile(demo, avo=avo)
    run = cli(["push", "--registry", "avo", "--select", "jaffle_shop", "--import-method", "addAndUpdate"], cwd=demo)
    assert run.exit_code == 2 and "branch 'jaffle_shop' has no id" in run.stderr
    staging = demo / "schemas" / "staging"
    shutil.copytree(demo / "schemas" / "jaffle_shop", staging)
    for path in staging.glob("*/*.json"):
        doc = json.loads(path.read_text())
        doc["$id"] = doc["$id"].replace("jaffle_shop/", "staging/")
        path.write_text(json.dumps(doc))
    shutil.rmtree(staging / "Order_Completed")
    run = cli(["push", "--registry", "avo", "--select", "staging"], cwd=demo)
    assert run.exit_code == 0, run.stderr
    assert "8 created, 0 updated, 0 unchanged" in run.stdout
    time.sleep(1)  # a later run: Avo's one-request-per-second limit spans processes
    avo.log.clear()
    run = cli(["push", "--registry", "avo", "--select", "staging"], cwd=demo)
    assert "0 created, 0 updated, 8 unchanged" in run.stdout
    assert [(m, p.rsplit("/", 2)[-2]) for m, p, _, _ in avo.log] == [("GET", "export")]  # nothing imported
    fresh = _profile(make_project(demo.parent / "fresh", {}, {"registry": {"avo": {"branches": {"staging": "br_staging"}}}}),
                     avo=avo)
    run = cli(["pull", "--registry", "avo", "--select", "staging"], cwd=fresh)
    assert run.exit_code == 0, run.stderr
    cart = json.loads((fresh / "schemas/staging/Cart_Viewed/1-0.json").read_text())
    local = json.loads((staging / "Cart_Viewed/1-0.json").read_text())
    assert cart["required"] == local["required"] and set(cart["properties"]) == set(local["properties"])
    path = staging / "Cart_Viewed/1-0.json"
    path.write_text(path.read_text().replace("A customer viewed their shopping cart.", "Cart page opened."))
    time.sleep(1)
    avo.log.clear()
    run = cli(["push", "--registry", "avo", "--select", "staging"], cwd=demo)
    assert "0 created, 1 updated, 7 unchanged" in run.stdout
    (_, _, _, first), (_, _, _, second) = avo.log
    assert second - first >= 0.95  # one request per second per service account


def test_avo_protected_and_merged_branches(cli, demo, avo):
    _profile(demo, avo=avo)
    main = demo / "schemas" / "main" / "Cart_Viewed"
    main.mkdir(parents=True)
    doc = json.loads((demo / "schemas/jaffle_shop/Cart_Viewed/1-0.json").read_text())
    doc["$id"] = "main/Cart_Viewed/1-0.json"
    (main / "1-0.json").write_text(json.dumps(doc))
    avo.protected_main = True
    run = cli(["push", "--registry", "avo", "--select", "main"], cwd=demo)
    assert run.exit_code == 2 and "branch 'main' is protected (Avo API: POST" in run.stderr
    assert "Protected main branch" in run.stderr
    avo.protected_main = False
    avo.merged.add("main")
    run = cli(["push", "--registry", "avo", "--select", "main"], cwd=demo)
    assert run.exit_code == 2 and "merged or closed" in run.stderr
    assert AVO_SECRET not in run.stderr


def test_debug_checks_each_registry(cli, demo, segment, avo):
    _profile(demo, segment, avo)
    run = cli(["debug"], cwd=demo)
    assert run.exit_code == 0, run.stdout
    assert "ok     registry segment: authenticated" in run.stdout and "ok     registry avo: authenticated" in run.stdout
    assert "api_token: '****'" in run.stdout and "service_account_secret: '****'" in run.stdout
    assert TOKEN not in run.stdout and AVO_SECRET not in run.stdout
    segment.token = "rotated"
    time.sleep(1)
    run = cli(["debug"], cwd=demo)
    assert run.exit_code == 2 and "failed registry segment" in run.stdout and "HTTP 401" in run.stdout


def test_api_validation_errors_are_quoted(cli, tmp_path, segment):
    segment.max_rules = 100  # an account with a lower limit than the client's batches
    files = {f"big/Event_{chr(65 + n // 26)}{chr(65 + n % 26)}/1-0.json": {} for n in range(150)}
    root = _profile(make_project(tmp_path / "big", files, {"schemas": {"conventions": {"event": {"casing": "any"}}}}),
                    segment)
    run = cli(["push", "--registry", "segment", "--select", "big"], cwd=root)
    assert run.exit_code == 2
    assert 'HTTP 422: "rules" must contain less than or equal to 100 items' in run.stderr
    assert "the API rejected the request body" in run.stderr


def test_avo_unknown_branch_quotes_the_api(cli, demo, avo):
    _profile(demo, avo=avo)
    project = yaml.safe_load((demo / "reflekt_project.yml").read_text())
    project["registry"]["avo"]["branches"]["gone"] = "br_deleted"
    (demo / "reflekt_project.yml").write_text(yaml.safe_dump(project))
    run = cli(["pull", "--registry", "avo", "--select", "gone"], cwd=demo)
    assert run.exit_code == 2 and "HTTP 404: Branch not found" in run.stderr
    assert AVO_SECRET not in run.stderr
