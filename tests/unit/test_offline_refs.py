"""References resolve offline: bundled meta-schemas, never a fetch (the suite blocks the network)."""

from __future__ import annotations

import json

import pytest

from reflekt_core.lint.engine import lint_project
from reflekt_core.project import load_project
from reflekt_core.validation import Validator, ref_kind, remote_refs
from tests.helpers import make_project

#: The meta-schema every reflekt 0.6 project has (from its documentation), comments removed.
META_06 = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "$id": ".reflekt/meta/1-0.json",
    "description": "Meta-schema for all Reflekt events",
    "self": {"vendor": "reflekt", "name": "meta", "format": "jsonschema", "version": "1-0"},
    "type": "object",
    "allOf": [
        {"$ref": "http://json-schema.org/draft-07/schema#"},
        {"properties": {
            "self": {"type": "object", "properties": {
                "vendor": {"type": "string"}, "name": {"type": "string"},
                "format": {"type": "string", "const": "jsonschema"},
                "version": {"type": "string", "pattern": "^[1-9][0-9]*-(0|[1-9][0-9]*)$"},
                "metadata": {"type": "object", "properties": {"code_owner": {"type": "string"},
                                                              "product_owner": {"type": "string"}},
                             "required": ["code_owner", "product_owner"], "additionalProperties": False}},
                "required": ["vendor", "name", "format", "version"], "additionalProperties": False},
            "properties": {}, "tests": {}},
         "required": ["self", "metadata", "properties"]},
    ],
}


@pytest.mark.parametrize("uri", [
    "http://json-schema.org/draft-04/schema#", "http://json-schema.org/draft-06/schema#",
    "http://json-schema.org/draft-07/schema#", "https://json-schema.org/draft-07/schema",
    "https://json-schema.org/draft/2019-09/schema", "https://json-schema.org/draft/2020-12/schema",
])
def test_every_meta_schema_draft_is_bundled(uri):
    assert ref_kind(uri) == "bundled"
    validator = Validator({"allOf": [{"$ref": uri}]})
    assert validator.unresolved == []
    assert list(validator.iter_errors({"type": "object"})) == []
    assert [e.message for e in validator.iter_errors({"type": 5})]


@pytest.mark.parametrize(("ref", "kind"), [
    ("#/definitions/a", "local"), ("#", "local"), ("https://evil.example/x.json", "remote"),
    ("file:///etc/passwd", "remote"), ("other.json#/a", "remote"), ("//evil.example/x", "remote"),
    ("ftp://json-schema.org/draft-07/schema", "remote"),
])
def test_ref_kinds(ref, kind):
    assert ref_kind(ref, "web/Order_Completed/1-0.json") == kind


def test_a_remote_ref_is_listed_and_never_fetched():
    schema = {"properties": {"a": {"$ref": "https://evil.example/a.json"}}, "enum": [{"$ref": "http://data"}]}
    validator = Validator(schema)
    assert validator.unresolved == [("/properties/a/$ref", "https://evil.example/a.json")]
    assert list(validator.iter_errors({"a": 1})) == []
    assert remote_refs({"$ref": "#/x"}) == []


def _lint(tmp_path, meta, files):
    root = make_project(tmp_path, files, meta=False)
    (root / "schemas/.reflekt/meta").mkdir(parents=True)
    (root / "schemas/.reflekt/meta/1-0.json").write_text(json.dumps(meta))
    return lint_project(load_project(root), select_rules=["R201"])


def test_reflekt_06_meta_schema_lints_offline(tmp_path):
    good = {"web/Order_Completed/1-0.json": {"metadata": {}}}
    assert _lint(tmp_path / "a", META_06, good).violations == []
    bad = {"web/Order_Completed/1-0.json": {"metadata": {}, "properties": {"x": {"type": 5}}}}
    found = _lint(tmp_path / "b", META_06, bad).violations
    # The draft-07 meta-schema behind the $ref is applied: "type": 5 is not JSON Schema.
    assert found and all(v.code == "R201" for v in found)
    assert any("/properties/x/type" in v.message or v.pointer.startswith("/properties/x") for v in found)


def test_remote_ref_in_the_meta_schema_is_a_violation_not_a_fetch(tmp_path):
    meta = {"$schema": "http://json-schema.org/draft-07/schema#",
            "allOf": [{"$ref": "https://schemas.example.com/meta.json"}]}
    found = _lint(tmp_path, meta, {"web/Order_Completed/1-0.json": {}}).violations
    assert [v.code for v in found] == ["R201"]
    assert "https://schemas.example.com/meta.json" in found[0].message and "never fetches" in found[0].message


def test_iglu_self_describing_instance_schema_is_bundled():
    """Iglu Central's sauna command schema references Iglu's instance schema by URL; every Iglu
    client ships that schema, so Reflekt resolves it offline as it does the meta-schemas."""
    from reflekt_core.validation import IGLU_INSTANCE_URI, Validator, ref_kind

    schema = {"type": "object", "properties": {"command": {"$ref": IGLU_INSTANCE_URI + "#"}}}
    assert ref_kind(IGLU_INSTANCE_URI + "#") == "bundled"
    validator = Validator(schema)
    assert validator.unresolved == []
    assert list(validator.iter_errors({"command": {"schema": "iglu:com.acme/e/jsonschema/1-0-0", "data": {}}})) == []
    errors = [e.message for e in validator.iter_errors({"command": {"schema": "not-iglu", "data": 1, "x": 2}})]
    assert len(errors) == 2 and any("does not match" in m for m in errors)
    assert ref_kind("http://iglucentral.com/schemas/com.acme/other/jsonschema/1-0-0#") == "remote"
