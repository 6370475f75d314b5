"""The dbt generator on hand-made catalogs: naming, collisions, renames, tests, determinism."""

from __future__ import annotations

import pytest

from reflekt_core.dbt import generate_dbt_package
from reflekt_core.project import load_project
from reflekt_core.schemas import load_selected
from reflekt_core.warehouses.catalog import build_schema_catalog
from tests.helpers import make_project

TRACK_COLUMNS = [("id", "varchar"), ("anonymous_id", "varchar"), ("user_id", "varchar"), ("received_at", "timestamp"),
                 ("timestamp", "timestamp"), ("event", "varchar"), ("event_text", "varchar"),
                 ("context_library_name", "varchar")]


def _catalog(tables: dict[str, list[tuple[str, str]]], schema="segment"):
    rows = [(t, c, d, "YES", i) for t, cols in tables.items() for i, (c, d) in enumerate(cols, start=1)]
    return build_schema_catalog("wh", "duckdb", "warehouse", schema, rows)


def _generate(tmp_path, files, tables, project=None, sdk="segment"):
    root = make_project(tmp_path / "p", files, project)
    loaded = load_project(root)
    return generate_dbt_package(loaded, load_selected(loaded.schemas_dir).schemas, _catalog(tables), sdk)


def test_table_names_come_from_the_cdp_naming_function(tmp_path):
    # reflekt 0.6 turned "Product Grouped" into product_groupsed and silently skipped the model.
    plan, files = _generate(tmp_path, {"web/Product_Grouped/1-0.json": {}},
                            {"product_grouped": TRACK_COLUMNS + [("order_id", "varchar")]})
    assert [m.name for m in plan.models] == ["stg_segment__product_grouped"]
    assert "source('segment', 'product_grouped')" in files["models/segment/stg_segment__product_grouped.sql"]
    assert plan.drift == []


def test_rudderstack_names_tables_its_own_way(tmp_path):
    plan, _ = _generate(tmp_path, {"web/Tracks/1-0.json": {}}, {"_tracks": TRACK_COLUMNS + [("order_id", "varchar")]},
                        sdk="rudderstack")
    assert plan.models[0].table == "_tracks" and plan.drift == []


def test_a_property_colliding_with_a_standard_column_is_selected_once(tmp_path):
    files = {"web/Page_Viewed/1-0.json": {"properties": {"name": {"type": "string", "description": "Page name."}},
                                          "required": ["name"]}}
    plan, rendered = _generate(tmp_path, files, {"pages": [("id", "varchar"), ("name", "varchar"),
                                                           ("received_at", "timestamp")]})
    sql = rendered["models/segment/stg_segment__pages.sql"]
    assert sql.count("        name,") == 1 and " as _name" not in sql
    assert [c.name for c in plan.models[0].columns].count("name") == 1


def test_reserved_properties_are_not_columns(tmp_path):
    files = {"web/Order_Completed/1-0.json": {"properties": {"timestamp": {"type": "string", "description": "x"}}}}
    plan, _ = _generate(tmp_path, files, {"order_completed": TRACK_COLUMNS + [("order_id", "varchar")]})
    names = [c.name for c in plan.models[0].columns]
    assert names.count("tstamp") == 1 and "timestamp" not in names


def test_renames_and_added_columns(tmp_path):
    plan, rendered = _generate(tmp_path, {"web/Order_Completed/1-1.json": {}, "web/Order_Completed/1-0.json": {}},
                               {"order_completed": TRACK_COLUMNS + [("order_id", "varchar")], "tracks": TRACK_COLUMNS})
    by_name = {m.name: m for m in plan.models}
    # One model per table by default, covering both versions (settings.versions: per_version keeps 0.6's names).
    assert set(by_name) == {"stg_segment__order_completed", "stg_segment__tracks"}
    columns = {c.name: c for c in by_name["stg_segment__order_completed"].columns}
    assert columns["event_id"].source == "id" and columns["event_name"].source == "event_text"
    assert columns["received_at_tstamp"].source == "received_at" and columns["tstamp"].source == "timestamp"
    assert columns["library_name"].source == "context_library_name"
    assert columns["schema_id"].literal == "web/Order_Completed/1-1.json"
    assert columns["order_id"].tests == ["not_null"]
    # The tracks model belongs to no single schema: no schema_id at all.
    assert "schema_id" not in {c.name for c in by_name["stg_segment__tracks"].columns}


def test_nested_objects_flatten_and_derived_tests(tmp_path):
    files = {"web/Order_Completed/1-0.json": {"properties": {
        "shipping": {"type": "object", "description": "x", "properties": {
            "zip_code": {"type": "string", "description": "Zip.", "pattern": "^[0-9]{5}$"}}},
        "tier": {"type": "string", "description": "x", "enum": ["a", "b"]},
        "quantity": {"type": "integer", "description": "x", "minimum": 1, "exclusiveMaximum": 10},
        "email": {"type": "string", "description": "x", "format": "email", "maxLength": 200}}}}
    tables = {"order_completed": TRACK_COLUMNS + [("order_id", "varchar"), ("shipping_zip_code", "varchar"),
                                                  ("tier", "varchar"), ("quantity", "bigint"), ("email", "varchar")]}
    plan, _ = _generate(tmp_path, files, tables)
    columns = {c.name: c for c in plan.models[0].columns}
    assert columns["shipping_zip_code"].tests == [{"reflekt_pattern": {"arguments": {"pattern": "^[0-9]{5}$", "regex": "^[0-9]{5}$"}}}]
    assert columns["tier"].tests == [{"reflekt_accepted_values": {"arguments": {"values": ["a", "b"]}}}]
    assert columns["quantity"].tests == [{"reflekt_range": {"arguments": {
        "min_value": 1, "max_value": 10, "min_inclusive": True, "max_inclusive": False}}}]
    assert {"reflekt_format": {"arguments": {"format": "email"}}} in columns["email"].tests
    assert plan.drift == []


def test_project_settings_prefixes_filter_and_name_tests(tmp_path):
    project = {"artifacts": {"dbt": {"sources": {"prefix": "src_"}, "models": {"prefix": "base_",
                                                                              "filter": "received_at > '2020-01-01'"},
                                     "docs": {"prefix": "doc_", "in_folder": True, "tests": {"user_id": ["not_null"]}}}}}
    plan, files = _generate(tmp_path, {"web/Order_Completed/1-0.json": {}},
                            {"order_completed": TRACK_COLUMNS + [("order_id", "varchar")]}, project)
    assert set(files) >= {"models/segment/src_segment.yml", "models/segment/base_segment__order_completed.sql",
                          "models/segment/docs/doc_segment__order_completed.yml"}
    assert "where received_at > '2020-01-01'" in files["models/segment/base_segment__order_completed.sql"]
    user = next(c for c in plan.models[0].columns if c.name == "user_id")
    assert user.tests == ["not_null"]


def test_output_is_deterministic(tmp_path):
    files = {f"web/Event_{c}/1-0.json": {} for c in "CAB"}
    tables = {f"event_{c.lower()}": TRACK_COLUMNS + [("order_id", "varchar")] for c in "ABC"}
    first = _generate(tmp_path / "a", files, tables)[1]
    second = _generate(tmp_path / "b", dict(reversed(list(files.items()))), tables)[1]
    assert first == second
    assert list(first) == sorted(first)


def test_call_type_can_be_set_explicitly(tmp_path):
    files = {"web/Home_Viewed/1-0.json": {"self": {"call_type": "page"}}}
    plan, _ = _generate(tmp_path, files, {"pages": [("id", "varchar"), ("name", "varchar"), ("order_id", "varchar")]})
    # A page schema other than the generic "Page Viewed" models the pages with its name.
    assert [(m.name, m.table, m.call_type, m.conditions) for m in plan.models] == [
        ("stg_segment__pages__home_viewed", "pages", "page", [("name", "Home Viewed")])]


def _types_project(tmp_path, cast=None):
    files = {"web/Order_Completed/1-0.json": {"properties": {
        "quantity": {"type": "integer", "description": "q", "maximum": 10},
        "paid": {"type": "boolean", "description": "b"},
        "price": {"type": "number", "description": "p", "minimum": 0},
        "shipped_at": {"type": "string", "format": "date-time", "description": "d"},
        "note": {"type": "string", "description": "n"},
        "code": {"type": "string", "description": "c", "pattern": "^(?=A)[A-Z]+$"}}}}
    tables = {"order_completed": TRACK_COLUMNS + [("quantity", "varchar"), ("paid", "varchar"), ("price", "bigint"),
                                                  ("shipped_at", "timestamp"), ("note", "timestamp"),
                                                  ("code", "varchar")]}
    project = {"artifacts": {"dbt": {"models": {"cast": cast}}}} if cast else None
    return _generate(tmp_path, files, tables, project)


def test_type_mismatches_are_drift_and_cast_to_the_declared_type(tmp_path):
    plan, files = _types_project(tmp_path)
    mismatches = {d.column: d.message for d in plan.drift if d.kind == "type_mismatch"}
    # Integers and floats hold each other; a date-time string may land as a timestamp.
    assert set(mismatches) == {"quantity", "paid", "note"}
    assert "declared integer but column 'segment.order_completed.quantity' landed as varchar" in mismatches["quantity"]
    columns = {c.name: c for c in plan.models[0].columns}
    assert (columns["quantity"].cast, columns["paid"].cast, columns["note"].cast) == ("integer", "boolean", "string")
    assert columns["price"].cast is None and columns["shipped_at"].cast is None
    assert {"reflekt_range": {"arguments": {"min_value": None, "max_value": 10, "min_inclusive": True,
                                            "max_inclusive": True}}} in columns["quantity"].tests
    sql = files["models/segment/stg_segment__order_completed.sql"]
    assert '{{ reflekt_safe_cast("quantity", "integer") }} as quantity' in sql
    untranslatable = [d for d in plan.drift if d.kind == "untranslatable_pattern"]
    assert [d.column for d in untranslatable] == ["code"] and "lookahead" in untranslatable[0].message
    assert not any("reflekt_pattern" in str(t) for t in columns["code"].tests)


def test_cast_none_reports_but_selects_as_landed(tmp_path):
    plan, files = _types_project(tmp_path, cast="none")
    assert {d.column for d in plan.drift if d.kind == "type_mismatch"} == {"quantity", "paid", "note"}
    assert all(c.cast is None for c in plan.models[0].columns)
    assert "reflekt_safe_cast" not in files["models/segment/stg_segment__order_completed.sql"]
