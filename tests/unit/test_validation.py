"""The fast validator (fastjsonschema code without error details) agrees with jsonschema's verdict."""

from __future__ import annotations

import fastjsonschema
import pytest
from jsonschema import Draft4Validator, Draft7Validator

from reflekt_core.validation import Validator, compile_fast

EVENT = {"type": "object", "description": "An event.", "properties": {
    "order": {"type": "object", "properties": {"id": {"type": "string", "maxLength": 20}},
              "required": ["id"]},
    "items": {"type": "array", "items": {"type": "object", "properties": {"sku": {"type": "string"}}}},
    "kind": {"anyOf": [{"type": "string"}, {"type": "null"}]},
}, "definitions": {"money": {"type": "number", "minimum": 0}}, "dependencies": {"order": ["items"]}}

INVALID = [
    {"type": "text"},                                                    # at the top
    {"properties": {"a": {"properties": {"b": {"type": 5}}}}},           # three levels down
    {"properties": {"a": {"items": [{"minLength": -1}]}}},               # in a list of items
    {"definitions": {"x": {"required": ["a", "a"]}}},                    # uniqueItems
    {"dependencies": {"a": {"enum": "not a list"}}},
    {"anyOf": []},
    5,
]


def _fast_valid(validate, instance) -> bool:
    try:
        validate(instance)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


@pytest.mark.parametrize("reference", [Draft7Validator, Draft4Validator])
def test_fast_meta_schema_validator_agrees_with_jsonschema(reference):
    validate = compile_fast(reference.META_SCHEMA)
    precise = reference(reference.META_SCHEMA)
    for instance in [EVENT, *INVALID]:
        assert _fast_valid(validate, instance) == precise.is_valid(instance), instance
    assert _fast_valid(validate, EVENT)
    assert not any(_fast_valid(validate, instance) for instance in INVALID)


def test_const_compiles_and_invalid_documents_get_jsonschemas_messages():
    # fastjsonschema cannot generate a terse "const" check; the validator still compiles one
    validator = Validator({"properties": {"format": {"const": "jsonschema"}, "n": {"type": "integer"}}})
    assert list(validator.iter_errors({"format": "jsonschema", "n": 1})) == []
    errors = list(validator.iter_errors({"format": "avro", "n": "x"}))
    assert sorted(e.message for e in errors) == ["'jsonschema' was expected", "'x' is not of type 'integer'"]
    assert sorted(list(e.absolute_path) for e in errors) == [["format"], ["n"]]
