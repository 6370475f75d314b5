"""Segment client against the contract-checked fake: lossless round trips, COMMON, rate-limit
windows, creates that never run twice, batching limits, plan-type filter, region hint."""

from __future__ import annotations

import json
import time

import pytest

from tests.helpers import make_project
from tests.integration.registry_fakes import Fault, FakeSegment, realistic_rules
from tests.integration.test_registries import TOKEN, _files, _profile, demo  # noqa: F401 (fixture)


@pytest.fixture
def segment():
    fake = FakeSegment(TOKEN)
    yield fake
    fake.stop()


@pytest.fixture
def pulled(cli, tmp_path, segment):
    """A realistic plan (UI-authored rules) pulled into an empty project, COMMON included."""
    plan_id = segment.add_plan("Web Plan", realistic_rules())
    root = _profile(make_project(tmp_path / "p", {}, {"schemas": {"conventions": {"event": {"casing": "any"}}}}),
                    segment)
    run = cli(["pull", "--registry", "segment", "--select", "web_plan", "--include-common"], cwd=root)
    assert run.exit_code == 0, run.stderr
    return root, plan_id


def _push(cli, root, select="web_plan", *extra):
    return cli(["push", "--registry", "segment", "--select", select, *extra], cwd=root)


def test_pull_keeps_what_it_cannot_map_and_drops_segment_ids(pulled):
    root, _ = pulled
    texts = {p.name: p.read_text() for p in (root / "schemas/web_plan").rglob("*.json")}
    assert '"/properties/' not in "".join(texts.values())  # Segment's property-node ids are not copied
    signed = json.loads((root / "schemas/web_plan/Signed_Up/2-0.json").read_text())
    assert signed["properties"]["plan"] == {"type": "string", "description": "Chosen plan.", "enum": ["free", "pro"]}
    kept = signed["self"]["registry"]["segment"]["jsonSchema"]
    assert kept["required"] == ["context", "properties"]
    assert kept["properties"]["context"]["required"] == ["library"]
    old = json.loads((root / "schemas/web_plan/Signed_Up/1-0.json").read_text())
    assert old["self"]["registry"]["segment"]["deprecatedAt"] == "2026-06-01T09:30:00.000Z"
    common = json.loads((root / "schemas/web_plan/Common/1-0.json").read_text())
    assert common["self"]["registry"]["segment"]["type"] == "COMMON" and common["required"] == ["context"]
    pricing = json.loads((root / "schemas/web_plan/Pricing/1-0.json").read_text())
    assert pricing["self"]["call_type"] == "page" and "registry" not in pricing["self"]  # nothing to keep


def test_unchanged_pull_then_push_sends_zero_writes(cli, pulled, segment):
    root, plan_id = pulled
    before = json.dumps(segment.rules[plan_id], sort_keys=True)
    segment.log.clear()
    run = _push(cli, root)
    assert run.exit_code == 0, run.stderr
    assert "0 created, 0 updated, 6 unchanged, 0 deleted" in run.stdout
    assert segment.writes() == [] and json.dumps(segment.rules[plan_id], sort_keys=True) == before


def test_an_edit_sends_one_rule_with_everything_segment_held(cli, pulled, segment):
    root, plan_id = pulled
    path = root / "schemas/web_plan/Signed_Up/2-0.json"
    doc = json.loads(path.read_text())
    doc["properties"]["seats"]["description"] = "Seats bought."
    path.write_text(json.dumps(doc, indent=2))
    segment.log.clear()
    run = _push(cli, root)
    assert run.exit_code == 0, run.stderr
    assert "0 created, 1 updated, 5 unchanged, 0 deleted" in run.stdout
    (patch,) = segment.writes()
    (rule,) = patch.body["rules"]
    assert rule["key"] == "Signed Up" and rule["version"] == 2
    sent = rule["jsonSchema"]
    assert sent["required"] == ["context", "properties"] and sent["labels"] == {"team": "growth"}
    assert sent["properties"]["context"]["properties"]["library"]["required"] == ["name"]
    assert sent["properties"]["properties"]["properties"]["seats"]["description"] == "Seats bought."
    assert sum(r["type"] == "COMMON" for r in segment.rules[plan_id]) == 1


def test_common_round_trips_as_common(cli, pulled, segment):
    root, plan_id = pulled
    path = root / "schemas/web_plan/Common/1-0.json"
    doc = json.loads(path.read_text())
    doc["properties"]["anonymousId"] = {"type": "string"}
    path.write_text(json.dumps(doc, indent=2))
    segment.log.clear()
    run = _push(cli, root)
    assert run.exit_code == 0, run.stderr
    assert "COMMON v1" in run.stdout and "1 updated" in run.stdout
    (patch,) = segment.writes()
    (rule,) = patch.body["rules"]
    assert rule["type"] == "COMMON" and "key" not in rule
    commons = [r for r in segment.rules[plan_id] if r["type"] == "COMMON"]
    assert len(commons) == 1 and "anonymousId" in commons[0]["jsonSchema"]["properties"]
    assert not [r for r in segment.rules[plan_id] if r.get("key") == "Common"]


def test_whole_plan_push_without_common_keeps_the_common_rule(cli, tmp_path, segment):
    plan_id = segment.add_plan("Web Plan", realistic_rules())
    root = _profile(make_project(tmp_path / "p", {}, {"schemas": {"conventions": {"event": {"casing": "any"}}}}),
                    segment)
    assert cli(["pull", "--registry", "segment", "--select", "web_plan"], cwd=root).exit_code == 0
    segment.log.clear()
    run = _push(cli, root)
    assert run.exit_code == 0 and "kept the plan's COMMON v1 rule" in run.stderr
    assert segment.writes() == [] and any(r["type"] == "COMMON" for r in segment.rules[plan_id])


def test_429_without_retry_after_whose_window_outlasts_the_backoff(cli, tmp_path, segment):
    segment.add_plan("Web Plan", realistic_rules())
    root = _profile(make_project(tmp_path / "p", {}), segment, backoff=0.05, retries=2)
    segment.rate_limit = (1, 1.5)          # one request per 1.5 s window, and no Retry-After header
    started = time.monotonic()
    run = cli(["pull", "--registry", "segment", "--select", "web_plan"], cwd=root)
    elapsed = time.monotonic() - started
    assert run.exit_code == 0, run.stderr
    assert "5 created" in run.stdout
    # backoff alone (0.05 s, 0.1 s, then give up) ends inside the window; the client waited it out,
    # as msBeforeNext / X-RateLimit-Reset said, instead of knocking again and again
    assert elapsed >= 1.4 and 1 <= segment.limited <= 3


def test_a_rate_limit_window_longer_than_the_deadline_stops_at_once(cli, tmp_path, segment):
    segment.add_plan("Web Plan", realistic_rules())
    segment.rate_limit = (1, 60.0)
    root = _profile(make_project(tmp_path / "p", {}), segment, deadline=3)
    started = time.monotonic()
    run = cli(["pull", "--registry", "segment", "--select", "web_plan"], cwd=root)
    assert run.exit_code == 2 and time.monotonic() - started < 30  # it did not sit out the 60 s window
    assert "would have to wait 6" in run.stderr and "more than the" in run.stderr and "3 s deadline" in run.stderr


@pytest.mark.parametrize("fault,posts", [(Fault("drop-after", method="POST"), 1),
                                         (Fault("500-after", method="POST"), 1),
                                         (Fault("500", method="POST"), 2),
                                         (Fault("drop", method="POST"), 2)],
                         ids=["applied-then-dropped", "applied-then-502", "refused-500", "dropped-unapplied"])
def test_a_create_never_runs_twice(cli, demo, segment, fault, posts):
    _profile(demo, segment)
    fault.path = "/tracking-plans"
    segment.faults.append(fault)
    run = _push(cli, demo, "jaffle_shop")
    assert run.exit_code == 0, run.stderr
    assert len(segment.plan_named("jaffle_shop")) == 1  # never a duplicate plan
    assert len(segment.requests("POST")) == posts
    if posts == 1:
        assert "but the plan exists: using it" in run.stderr
    (plan_id,) = segment.plans
    assert len(segment.rules[plan_id]) == 9


def test_plan_lookup_only_considers_live_plans(cli, demo, segment):
    library = segment.add_plan("jaffle_shop", [{"type": "TRACK", "key": "Library Rule", "version": 1,
                                                "jsonSchema": {}}], plan_type="RULE_LIBRARY")
    _profile(demo, segment)
    run = _push(cli, demo, "jaffle_shop")
    assert run.exit_code == 0, run.stderr
    live = [p for p in segment.plan_named("jaffle_shop") if p["type"] == "LIVE"]
    assert len(live) == 1 and [r["key"] for r in segment.rules[library]] == ["Library Rule"]
    lookups = [r for r in segment.requests("GET") if r.path == "/tracking-plans"]
    assert lookups and all("type=LIVE" in r.query for r in lookups)


def test_deletes_are_batched_under_the_query_limits(cli, tmp_path, segment):
    rules = [{"type": "TRACK", "key": f"Checkout Funnel Step {n:03d} " + "x" * 150, "version": 1, "jsonSchema": {}}
             for n in range(45)]
    rules.append({"type": "TRACK", "key": "Kept", "version": 1, "jsonSchema": {}})
    plan_id = segment.add_plan("big", rules)
    root = _profile(make_project(tmp_path / "p", {"big/Kept/1-0.json": {}},
                                 {"schemas": {"conventions": {"event": {"casing": "any"}}}}), segment)
    run = _push(cli, root, "big", "--allow-breaking")  # the local Kept rule is stricter than the remote one
    assert run.exit_code == 0, run.stderr
    assert "45 deleted" in run.stdout
    deletes = segment.requests("DELETE")
    assert len(deletes) >= 3 and max(d.request_line for d in deletes) < 8192
    assert all(d.query.count("%5Btype%5D") <= 20 for d in deletes)
    assert [r["key"] for r in segment.rules[plan_id]] == ["Kept"]


def test_a_401_after_a_redirect_to_another_region_hints_at_region(cli, demo, segment):
    us = FakeSegment(TOKEN)
    try:
        us.redirect_to = segment.url.replace("127.0.0.1", "localhost")  # another host: the token is not resent
        _profile(demo, us)
        before = _files(demo)
        run = _push(cli, demo, "jaffle_shop")
        assert run.exit_code == 2 and "HTTP 401" in run.stderr and "set 'region'" in run.stderr
        assert _files(demo) == before
    finally:
        us.stop()


def test_the_fake_rejects_what_segment_rejects(segment):
    import requests

    plan_id = segment.add_plan("x")
    url = f"{segment.url}/tracking-plans/{plan_id}/rules"
    auth = {"Authorization": f"Bearer {TOKEN}"}

    def put(body):
        return requests.put(url, json=body, headers=auth, timeout=5)

    ok = {"type": "TRACK", "key": "A", "version": 1, "jsonSchema": {}}
    assert put({"rules": [ok]}).status_code == 200
    cases = {
        "null key": {"rules": [{"type": "IDENTIFY", "key": None, "version": 1, "jsonSchema": {}}]},
        "key on identify": {"rules": [{"type": "IDENTIFY", "key": "Identify", "version": 1, "jsonSchema": {}}]},
        "labels on group": {"rules": [{"type": "GROUP", "version": 1, "jsonSchema": {"labels": {"a": "b"}}}]},
        "trackingPlanId": {"trackingPlanId": plan_id, "rules": [ok]},
        "two COMMON": {"rules": [{"type": "COMMON", "version": 1, "jsonSchema": {}},
                                 {"type": "COMMON", "version": 2, "jsonSchema": {}}]},
        "unknown type": {"rules": [{**ok, "type": "ALIAS"}]},
        "missing jsonSchema": {"rules": [{"type": "TRACK", "key": "A", "version": 1}]},
    }
    for name, body in cases.items():
        assert put(body).status_code == 422, name
    many = "&".join(f"rules%5B{n}%5D%5Btype%5D=TRACK&rules%5B{n}%5D%5Bkey%5D=A&rules%5B{n}%5D%5Bversion%5D=1"
                    for n in range(21))
    assert requests.delete(f"{url}?{many}", headers=auth, timeout=5).status_code == 422
    long = "&".join(f"rules%5B{n}%5D%5Btype%5D=TRACK&rules%5B{n}%5D%5Bkey%5D={'k' * 600}&rules%5B{n}%5D%5Bversion%5D=1"
                    for n in range(15))
    assert requests.delete(f"{url}?{long}", headers=auth, timeout=5).status_code == 414
