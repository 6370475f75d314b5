"""Parsing schema files: JSON with comments, and one clear error per bad file."""

from __future__ import annotations

import json

import pytest

from reflekt_core.errors import SchemaLoadError, SchemaLoadErrors
from reflekt_core.schemas import jsonc
from reflekt_core.schemas.loader import iter_schema_files, load_schemas, parse_schema
from tests.helpers import base_schema


def test_jsonc_accepts_comments_and_trailing_commas_but_keeps_strings():
    text = '{\n  // line comment with "quotes"\n  "a": "http://x//y", /* block, */\n  "b": [1, 2,],\n}'
    assert jsonc.loads(text) == {"a": "http://x//y", "b": [1, 2]}


def test_jsonc_keeps_error_positions():
    text = '{\n  // comment\n  "a": 1,\n  "b" 2\n}'
    with pytest.raises(json.JSONDecodeError) as info:
        jsonc.loads(text)
    assert (info.value.lineno, info.value.colno) == (4, 7)


def _parse(tmp_path, text, rel="web/Order_Completed/1-0.json"):
    path = tmp_path / rel
    return parse_schema(path, rel, text)


@pytest.mark.parametrize(("text", "message"), [
    ('{"a": 1,\n "b": }', r"1-0.json:2:7: invalid JSON: Expecting value"),
    ("[1, 2]", "expected a JSON object at the top level, found list"),
    ('{"type": "object"}', "missing the 'self' block"),
    ('{"self": "x"}', "'self' must be an object"),
    ('{"self": {"name": "A", "version": "1.0"}}', r"'self.version' is '1.0', not MAJOR-MINOR"),
    ('{"self": {"name": "A", "version": "v1"}}', "not MAJOR-MINOR"),
    ('{"self": {"name": "A"}}', r"'self.version' is missing"),
    ('{"$id": "../../etc/passwd.json", "self": {"name": "A", "version": "1-0"}}', "leaves the schemas folder"),
    ('{"$id": "/abs/1-0.json", "self": {"name": "A", "version": "1-0"}}', "leaves the schemas folder"),
])
def test_bad_schema_files_name_file_and_problem(tmp_path, text, message):
    with pytest.raises(SchemaLoadError, match=message) as info:
        _parse(tmp_path, text)
    assert "Order_Completed/1-0.json" in str(info.value)


def test_commented_schema_loads(tmp_path):
    doc = base_schema("web/Order_Completed/1-0.json")
    text = json.dumps(doc, indent=2).replace('"type": "object",', '"type": "object", // the event\n', 1)
    assert _parse(tmp_path, text).name == "Order Completed"


def test_every_failure_is_collected(tmp_path):
    schemas = tmp_path / "schemas"
    (schemas / "a" / "X").mkdir(parents=True)
    (schemas / "a" / "X" / "1-0.json").write_text("{")
    (schemas / "a" / "X" / "1-1.json").write_bytes(b'{"self": "\xff"}')
    (schemas / "a" / "X" / "1-2.json").write_text(json.dumps(base_schema("a/X/1-2.json")))
    (schemas / ".reflekt").mkdir()
    (schemas / ".reflekt" / "ignored.json").write_text("{")
    files = iter_schema_files(schemas)
    assert files == ["a/X/1-0.json", "a/X/1-1.json", "a/X/1-2.json"]
    with pytest.raises(SchemaLoadErrors) as info:
        load_schemas(schemas, files)
    messages = [str(e) for e in info.value.errors]
    assert len(messages) == 2
    assert "1-0.json:1:2: invalid JSON" in messages[0]
    assert "not UTF-8" in messages[1]


def test_line_of_a_pointer_follows_array_indexes_and_keys_exactly():
    """Found on Iglu Central: '/anyOf/2/...' was reported on the first branch's line, and
    '/properties/type' on the first "type" keyword of the file."""
    from reflekt_core.schemas.walk import line_of_pointer

    text = ('{\n  "type": "object",\n  "anyOf": [\n    {"required": ["a"]},\n    {\n      "required": [\n'
            '        "b",\n        "c"\n      ]\n    }\n  ],\n  // a comment "type"\n  "properties": {\n'
            '    "x": {"type": "string", "s": "q\\",]}"},\n    "type": {"type": "string"}\n  }\n}\n')
    assert line_of_pointer(text, "/anyOf/0/required/0") == 4
    assert line_of_pointer(text, "/anyOf/1/required/1") == 8
    assert line_of_pointer(text, "/properties/type") == 15
    assert line_of_pointer(text, "/properties/type/type") == 15
    assert line_of_pointer(text, "/properties/x/description") == 14   # absent: its parent's line
    assert line_of_pointer(text, "/description") == 1
    assert line_of_pointer(text, "") == 1
