"""The Segment push diff and its batches, without HTTP."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import pytest

from reflekt_core.registries.segment_plan import (delete_batches, plan_rule_changes, rule_identity,
                                                  upsert_batches)
from reflekt_core.registries.segment_rules import comparable, rule_to_schema, schema_to_rule
from reflekt_core.schemas.model import EventSchema
from tests.integration.segment_fake import realistic_rules


def _schema(remote) -> EventSchema:
    return EventSchema(path=Path(remote.rel_path), rel_path=remote.rel_path, doc=remote.doc, text="")


def _rules(*keys):
    return {rule_identity(r): r for r in ({"type": "TRACK", "key": k, "version": 1, "jsonSchema": {}} for k in keys)}


EDGE_RULES = [
    # terraform-provider-segment's fixture shape, and its create example (json_schema = jsonencode({}))
    {"type": "TRACK", "key": "Add Rule", "version": 1, "jsonSchema": {"properties": {
        "context": {}, "traits": {}, "properties": {}}}},
    {"type": "TRACK", "key": "Empty", "version": 1, "jsonSchema": {}},
    {"type": "IDENTIFY", "version": 2, "jsonSchema": {"properties": {"context": {}}}},
    {"type": "SCREEN", "key": "Home", "version": 1, "jsonSchema": {"properties": {"properties": {
        "type": ["object"], "properties": {"id": {"type": "string"}}, "minProperties": 1}}}},
]


@pytest.mark.parametrize("rule", realistic_rules() + EDGE_RULES,
                         ids=lambda r: f"{r['type']}-{r.get('key')}-{r['version']}")
def test_pull_then_push_of_each_realistic_rule_is_the_same_rule(rule):
    back = schema_to_rule(_schema(rule_to_schema(rule, "web", "com.x")))
    assert comparable(back) == comparable(rule)
    assert set(back) <= {"type", "key", "version", "jsonSchema"}  # RuleInputV1, nothing else
    if rule["type"] in ("COMMON", "IDENTIFY", "GROUP"):
        assert "key" not in back
    if rule["type"] not in ("TRACK", "PAGE"):
        assert "labels" not in (back["jsonSchema"] or {})


def test_ids_and_type_arrays_do_not_make_a_change():
    remote = {"type": "TRACK", "key": "A", "version": 1, "jsonSchema": {"properties": {"properties": {
        "properties": {"p": {"id": "/properties/properties/properties/p", "type": ["string"]}}}}}}
    local = {"type": "TRACK", "key": "A", "version": 1, "jsonSchema": {"properties": {"properties": {
        "properties": {"p": {"type": "string"}}}}, "description": ""}}
    assert comparable(remote) == comparable(local)


def test_whole_plan_upserts_differences_and_deletes_the_rest_but_never_common():
    remote = {**_rules("A", "B", "Gone"), ("COMMON", None, 1): {"type": "COMMON", "version": 1, "jsonSchema": {}}}
    desired = _rules("A", "B", "New")
    desired[("TRACK", "B", 1)] = {**desired[("TRACK", "B", 1)], "jsonSchema": {"description": "changed"}}
    changes = plan_rule_changes(desired, remote, whole_plan=True, delete=False)
    assert [r["key"] for r in changes.upserts] == ["B", "New"]
    assert changes.deletes == [("TRACK", "Gone", 1)] and "COMMON v1" in changes.notes[0]
    assert (changes.created, changes.updated, changes.unchanged) == (["TRACK New v1"], ["TRACK B v1"], ["TRACK A v1"])
    partial = plan_rule_changes(desired, remote, whole_plan=False, delete=False)
    assert partial.deletes == [] and not partial.notes


def test_delete_mode_removes_only_what_exists():
    changes = plan_rule_changes(_rules("A", "Missing"), _rules("A", "B"), whole_plan=False, delete=True)
    assert changes.deletes == [("TRACK", "A", 1)] and changes.upserts == []
    assert changes.unchanged == ["TRACK Missing v1 (not in Segment)"]


def test_unchanged_plan_means_no_writes():
    assert not plan_rule_changes(_rules("A"), _rules("A"), whole_plan=True, delete=False).writes


def test_upserts_are_cut_at_200():
    assert [len(b) for b in upsert_batches(list(range(450)))] == [200, 200, 50]


@pytest.mark.parametrize("count,key_length", [(1, 5), (20, 5), (21, 5), (100, 5), (30, 400), (3, 5000)])
def test_delete_batches_stay_under_20_entries_and_8_kb(count, key_length):
    identities = [("TRACK", f"{n:04d}" + "k" * key_length, 1) for n in range(count)]
    identities.append(("IDENTIFY", None, 2))
    batches = delete_batches(identities)
    sent = []
    for params in batches:
        entries = {k.split("]")[0] for k in params}
        assert len(entries) <= 20
        if len(entries) > 1:
            assert len(urlencode(params)) <= 7000
        sent.extend(params[k] for k in params if k.endswith("[type]"))
    assert len(sent) == count + 1  # every rule once, in order
    assert "rules[0][key]" not in batches[-1] or batches[-1].get("rules[0][type]") != "IDENTIFY"
