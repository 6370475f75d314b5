"""Pairing local schemas with a registry's versions: Segment by MAJOR, Iglu by exact version."""

from __future__ import annotations

from pathlib import Path

from reflekt_core.evolution.remote import compare_with_remote
from reflekt_core.registries.base import RemoteSchema
from reflekt_core.schemas.model import EventSchema


def schema(rel, **props):
    doc = {"self": {"name": "A", "version": rel.rsplit("/", 1)[1][:-5]}, "type": "object",
           "properties": {"id": {"type": "string"}, **props}}
    return EventSchema(path=Path(rel), rel_path=rel, doc=doc, text="")


def test_segment_compares_the_highest_minor_of_each_major_with_its_rule():
    local = [schema("p/A/1-0.json"), schema("p/A/1-1.json", coupon={"type": "string"}), schema("p/A/2-0.json")]
    remote = [RemoteSchema("p/A/1-0.json", schema("p/A/1-0.json").doc)]
    (only,) = compare_with_remote(local, remote, "segment")
    assert (only.local, only.verdict, only.refused) == ("p/A/1-1.json", "addition", False)
    remote = [RemoteSchema("p/A/1-0.json", schema("p/A/1-0.json", coupon={"type": "string"}, gift={}).doc)]
    (only,) = compare_with_remote(local, remote, "segment")
    assert only.refused and "needs a new MAJOR version (2-0)" in only.describe()


def test_iglu_versions_are_immutable_and_avo_is_not_compared():
    local = [schema("com.acme/a/1-0-0.json", coupon={"type": "string"})]
    remote = [RemoteSchema("com.acme/a/1-0-0.json", schema("com.acme/a/1-0-0.json").doc)]
    (only,) = compare_with_remote(local, remote, "iglu")
    assert only.verdict == "addition" and only.refused and "immutable" in only.describe()
    assert compare_with_remote(local, remote, "avo") == []
