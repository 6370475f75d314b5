"""Every classification rule against its table of cases (tests/fixtures/evolution/<rule>.yml).

Each case runs forwards and reversed, and at every nesting level: at the root, as an object
property, as array items, as an ``anyOf`` branch and behind a local ``$ref``.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from reflekt_core.evolution import RULES, Kind, classify

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "evolution"


def _root(node, defs):
    return {**node, "definitions": {**defs, **node.get("definitions", {})}} if defs else node


CONTEXTS = {
    "root": ("", lambda x, defs: _root(x, defs)),
    "property": ("/properties/p", lambda x, defs: _root({"type": "object", "properties": {"p": x}}, defs)),
    "items": ("/properties/list/items", lambda x, defs: _root(
        {"type": "object", "properties": {"list": {"type": "array", "items": x}}}, defs)),
    "anyOf": ("/anyOf/0", lambda x, defs: _root({"anyOf": [x, {"type": "boolean"}]}, defs)),
    "ref": ("/properties/p", lambda x, defs: {"type": "object", "properties": {"p": {"$ref": "#/definitions/d"}},
                                              "definitions": {**defs, "d": x}}),
}


def _cases():
    for path in sorted(FIXTURES.glob("*.yml")):
        data = yaml.safe_load(path.read_text())
        contexts = ["root"] if data.get("nest") is False else list(CONTEXTS)
        for case in data["cases"]:
            for context in contexts:
                for direction in ("forward", "reverse"):
                    yield pytest.param(data["rule"], case, context, direction,
                                       id=f"{path.stem}-{case['name']}-{context}-{direction}")


def _expected(entries, rule, prefix):
    return sorted((prefix + (e[0] or ""), e[1], e[2] if len(e) > 2 else rule) for e in entries)


@pytest.mark.parametrize(("rule", "case", "context", "direction"), list(_cases()))
def test_rule_case(rule, case, context, direction):
    prefix, wrap = CONTEXTS[context]
    defs = case.get("definitions", {})
    old, new = copy.deepcopy(case["old"]), copy.deepcopy(case["new"])
    if direction == "reverse":
        old, new = new, old
    before, after = wrap(old, defs), wrap(new, defs)
    snapshot = copy.deepcopy((before, after))
    changes = classify(before, after)
    assert (before, after) == snapshot, "classify must not modify its inputs"
    found = sorted((c.pointer, c.kind.value, c.rule) for c in changes)
    expected = _expected(case["expect" if direction == "forward" else "reverse"], rule, prefix)
    assert found == expected, [str(c) for c in changes]
    if "reason" in case and direction == "forward":
        assert any(case["reason"] in c.reason for c in changes), [c.reason for c in changes]
    for change in changes:
        assert change.reason and "\n" not in change.reason


def test_every_rule_has_a_case_file_with_breaking_and_compatible_cases():
    files = {yaml.safe_load(p.read_text())["rule"]: yaml.safe_load(p.read_text()) for p in FIXTURES.glob("*.yml")}
    for rule in RULES:
        assert rule.name in files, f"no tests/fixtures/evolution/{rule.name}.yml"
        tables = [case[key] for case in files[rule.name]["cases"] for key in ("expect", "reverse")]
        assert any(e[1] == "breaking" for t in tables for e in t), f"{rule.name}: no breaking case"
        mine = [[e for e in t if len(e) < 3 or e[2] == rule.name] for t in tables]
        assert any(all(e[1] != "breaking" for e in t) for t in mine), f"{rule.name}: no compatible case"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_every_rule_documents_a_failing_and_a_passing_example(rule):
    assert rule.summary and "Fails" in rule.doc and "Passes" in rule.doc


def test_rule_names_are_unique():
    assert len({r.name for r in RULES}) == len(RULES)


def test_identical_documents_have_no_changes_and_recursive_refs_terminate():
    doc = {"type": "object", "properties": {"child": {"$ref": "#"}, "n": {"type": "string"}}}
    assert classify(doc, copy.deepcopy(doc)) == []
    changed = copy.deepcopy(doc)
    changed["properties"]["n"]["type"] = "integer"
    assert [(c.pointer, c.kind) for c in classify(doc, changed)] == [("/properties/n/type", Kind.BREAKING)]


def test_deeply_nested_change_is_found_with_its_full_pointer():
    def nest(leaf):
        return {"type": "object", "properties": {"a": {"type": "array", "items": {"anyOf": [
            {"type": "object", "properties": {"b": {"$ref": "#/definitions/b"}}}, {"type": "null"}]}}},
            "definitions": {"b": {"type": "object", "properties": {"c": leaf}}}}
    changes = classify(nest({"type": ["string", "null"]}), nest({"type": "string"}))
    assert [(c.pointer, c.kind) for c in changes] == [
        ("/properties/a/items/anyOf/0/properties/b/properties/c/type", Kind.BREAKING)]


def test_pathological_nesting_is_a_breaking_change_not_a_crash():
    def deep(leaf, depth=3000):
        node = leaf
        for _ in range(depth):
            node = {"type": "object", "properties": {"a": node}}
        return node
    (change,) = classify(deep({"type": "string"}), deep({"type": "integer"}))
    assert change.kind is Kind.BREAKING and "cannot prove compatible" in change.reason
