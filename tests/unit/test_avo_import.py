"""Avo import planning from the documented semantics, without HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from reflekt_core.errors import UsageError
from reflekt_core.registries.avo_import import plan_import, to_import_event
from reflekt_core.schemas.model import EventSchema


def _schema(name, properties, required=(), description="", **extra):
    doc = {"$id": f"b/{name}/1-0.json", "description": description, "self": {"name": name, "version": "1-0"},
           "type": "object", "properties": properties, "required": list(required), **extra}
    return EventSchema(path=Path(doc["$id"]), rel_path=doc["$id"], doc=doc, text="")


REMOTE = {"E": {"description": "Old.", "properties": {"a": {"type": "string"}, "gone": {"type": ["string", "null"]}},
                "required": ["a"]}}


@pytest.mark.parametrize("method,props,description,expected", [
    ("addOnly", {"a": {"type": "string"}, "gone": {"type": "string"}}, "", "unchanged"),
    ("addOnly", {"a": {"type": "integer"}, "gone": {"type": "string"}}, "New.", "unchanged"),
    ("addOnly", {"a": {"type": "string"}, "new": {"type": "string"}}, "", "updated"),
    ("addAndUpdate", {"a": {"type": "string"}}, "", "unchanged"),          # removes nothing
    ("addAndUpdate", {"a": {"type": "string"}, "gone": {"type": "string"}}, "", "unchanged"),  # blank keeps
    ("addAndUpdate", {"a": {"type": "string"}, "gone": {"type": "string"}}, "New.", "updated"),
    ("addAndUpdate", {"a": {"type": "integer"}, "gone": {"type": "string"}}, "", "updated"),
    ("addUpdateAndRemove", {"a": {"type": "string"}}, "", "updated"),      # removes within the event
    ("addUpdateAndRemove", {"a": {"type": "string"}, "gone": {"type": "string"}}, "", "unchanged"),
])
def test_outcome_per_method(method, props, description, expected):
    changes = plan_import([_schema("E", props, ["a"], description)], REMOTE, set(), method)
    assert getattr(changes, expected) == ["E"]
    assert ("E" in changes.send) == (expected == "updated")


def test_new_events_are_created_and_variants_skipped():
    changes = plan_import([_schema("N", {}), _schema("E - Mobile", {})], REMOTE, {"E - Mobile"}, "addOnly")
    assert changes.created == ["N"] and list(changes.send) == ["N"] and "Avo variant" in changes.notes[0]


def test_import_event_sends_as_and_skips_group_properties():
    notes: list[str] = []
    event = to_import_event(_schema("E", {
        "a": {"type": "string"}, "s": {"type": "string", "x-avo-sendAs": "SystemProperty"},
        "g": {"type": "string", "x-avo-sendAs": "GroupProperty"},
        "user_properties": {"type": "object", "properties": {"u": {"type": "string"}}, "required": ["u"]},
        "group_properties": {"type": "object", "properties": {"h": {"type": "string"}}}}, ["a"]), notes)
    assert {n: p["x-avo-sendAs"] for n, p in event["properties"].items()} == {
        "a": "EventProperty", "s": "SystemProperty", "u": "UserProperty"}
    assert sorted(event["required"]) == ["a", "u"] and "g, h" in notes[0]


@pytest.mark.parametrize("ref,message", [("http://x/y.json", "points outside the file"),
                                         ("#/definitions/nope", "points to nothing"),
                                         ("#/properties/loop", "is recursive")])
def test_bad_refs_are_refused(ref, message):
    with pytest.raises(UsageError, match=message):
        to_import_event(_schema("E", {"loop": {"$ref": ref}}), [])


def test_pull_drops_avo_bookkeeping_but_not_sub_properties_named_like_it():
    from reflekt_core.registries.avo import event_to_schema

    event = {"name": "X", "rules": {"properties": {"properties": {"type": "object", "properties": {"item": {
        "id": "a1", "index": 0, "nameMapping": [], "type": "object",
        "properties": {"id": {"type": "string"}, "tags": {"type": "array"}}}}}}}}
    doc = event_to_schema(event, "b", "com.x").doc
    assert doc["properties"] == {"item": {"type": "object", "properties": {"id": {"type": "string"},
                                                                           "tags": {"type": "array"}}}}
