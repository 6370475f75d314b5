"""A finding's line: the pointer search on plain JSON gives the token pass's line for every pointer."""

from __future__ import annotations

import json

import pytest

from reflekt_core.schemas import walk

DOCS = [
    json.dumps({"self": {"name": "a"}, "properties": {"x": {"type": "string"}, "c/d": {"e~f": [1, {"g": [[2], {}]}]}},
                "anyOf": [{"required": ["x"]}, {"required": ["y", "z"]}], "": {"": 1}, "01": [0, 1]}, indent=2),
    '{\n  "a": {"b": 1},\n  "a": {"c": 2},\n  "a": [0, {"d": 3}]\n}',                 # duplicate keys
    '{"k\\u00e9y": {"\\"q\\"": [true, null, -1.5e3]}, "t": "\\\\"}',                  # escapes, one line
]
JSONC = '{\n  // a comment\n  "a": [1, 2,],\n  "b": {"c": 3}, /* x */\n}'


def _every_pointer(text):
    lines = walk.pointer_lines(text)
    return [*lines, *(p + "/absent" for p in lines), "/nope", "/01/1", "/01/01", "/a/2/d", "/a/1"]


def _by_token_pass(text, pointer):
    lines = walk.pointer_lines(text)
    while pointer:
        if pointer in lines:
            return lines[pointer]
        pointer = pointer.rpartition("/")[0]
    return 1


@pytest.mark.parametrize("text", DOCS)
def test_search_and_token_pass_agree_on_every_pointer(text):
    assert walk._plain_json(text)
    for pointer in _every_pointer(text):
        assert walk.line_of_pointer(text, pointer) == _by_token_pass(text, pointer), pointer


def test_duplicate_keys_first_occurrence_holding_the_pointer():
    text = DOCS[1]
    assert walk.line_of_pointer(text, "/a/b") == 2
    assert walk.line_of_pointer(text, "/a/c") == 3   # the first "a" has no "c": the second's line
    assert walk.line_of_pointer(text, "/a/1/d") == 4


def test_jsonc_falls_back_to_the_token_pass():
    assert not walk._plain_json(JSONC)
    assert walk.line_of_pointer(JSONC, "/b/c") == 4
    assert walk.line_of_pointer(JSONC, "/a/1") == 3
