"""Iglu's pure parts: keys and the identity mapping, selectors, the push plan, SchemaVer."""

from __future__ import annotations

import pytest

from reflekt_core.errors import RegistryError, UsageError
from reflekt_core.registries.iglu import parse_iglu_selector, plan_push
from reflekt_core.registries.iglu_key import IgluKey, key_from_path, key_from_self, key_problem
from reflekt_core.schemas.version import parse_version, scheme_of, version_gaps, version_problem

SELF_DESC = "http://iglucentral.com/schemas/com.snowplowanalytics.self-desc/schema/jsonschema/1-0-0#"


def test_the_identity_mapping_is_exact_both_ways():
    key = IgluKey("com.acme-shop", "link_click", "jsonschema", "3-2-1")
    assert key.rel_path == "com.acme-shop/link_click/3-2-1.json"
    assert key.path == "schemas/com.acme-shop/link_click/jsonschema/3-2-1"
    assert key.uri == "iglu:com.acme-shop/link_click/jsonschema/3-2-1"
    assert key_from_path(key.path) == key
    assert key_from_self(key.self_block(), "x") == key


@pytest.mark.parametrize("parts", [
    ("..", "e", "jsonschema", "1-0-0"), (".", "e", "jsonschema", "1-0-0"), ("com.acme", "..", "jsonschema", "1-0-0"),
    ("com/acme", "e", "jsonschema", "1-0-0"), ("com.acme", "e.f", "jsonschema", "1-0-0"),
    ("com.acme", "e", "jsonschema", "1-0"), ("com.acme", "e", "jsonschema", "0-1-0"),
    ("com.acme", "e", "jsonschema", "01-0-0"), ("com acme", "e", "jsonschema", "1-0-0"), (None, "e", "jsonschema", "1-0-0"),
])
def test_keys_that_could_leave_a_folder_or_are_not_iglu_are_refused(parts):
    assert key_problem(*parts)
    if all(isinstance(p, str) for p in parts):
        assert key_from_path("schemas/" + "/".join(parts)) is None
    with pytest.raises(RegistryError):
        key_from_self(dict(zip(("vendor", "name", "format", "version"), parts)), "remote")


def test_selectors_take_globs_and_default_to_everything():
    assert parse_iglu_selector(None).plan == "*"
    sel = parse_iglu_selector("schemas/com.acme/link_click/1-0-0.json")
    assert (sel.plan, sel.event, sel.version) == ("com.acme", "link_click", "1-0-0")
    with pytest.raises(UsageError):
        parse_iglu_selector("a/b/c/d")


def _doc(version, **body):
    return {"$schema": SELF_DESC, "self": {"vendor": "v", "name": "n", "format": "jsonschema", "version": version},
            "type": "object", **body}


def test_the_push_plan_compares_content_not_formatting_and_orders_by_schemaver():
    keys = {v: IgluKey("v", "n", "jsonschema", v) for v in ("1-0-0", "1-0-1", "1-1-0", "2-0-0", "1-0-10")}
    desired = {keys[v]: _doc(v) for v in keys}
    remote = {keys["1-0-0"]: dict(reversed(list(_doc("1-0-0").items()))),  # same JSON, other key order
              keys["1-0-1"]: _doc("1-0-1", description="changed")}
    plan = plan_push(desired, remote)
    assert plan.unchanged == [keys["1-0-0"]] and plan.conflicts == [keys["1-0-1"]]
    assert [k.version for k in plan.create] == ["1-0-10", "1-1-0", "2-0-0"]  # numeric order, not text


def test_versions_of_both_schemes():
    assert parse_version("1-0") == (1, 0) and parse_version("3-2-1") == (3, 2, 1) and parse_version("1") is None
    assert scheme_of({"$schema": SELF_DESC}) == "schemaver" and scheme_of({}, "major-minor") == "major-minor"
    assert version_problem("1-0-0", "schemaver") is None and "SchemaVer" in version_problem("1-0", "schemaver")
    assert version_gaps({(1, 0, 0), (1, 0, 1), (1, 1, 0), (2, 0, 0), (2, 0, 1)}) == []
    assert version_gaps({(1, 0, 0), (1, 1, 1)}) == ["missing 1-1-0"]
    assert version_gaps({(1, 0), (3, 0)}) == ["missing major version(s) 2-0"]
