"""What the generated package means: versions, collisions, renamed properties, nullability, rows read."""

from __future__ import annotations

import pytest
import yaml

from reflekt_core.dbt import generate_dbt_package
from reflekt_core.dbt.grouping import ModelCollisionError
from reflekt_core.project import load_project
from reflekt_core.schemas import load_selected
from reflekt_core.warehouses.catalog import build_schema_catalog
from tests.helpers import make_project

S = {"type": "string", "description": "A value."}
CALL = [("id", "varchar"), ("anonymous_id", "varchar"), ("user_id", "varchar"), ("received_at", "timestamp"),
        ("timestamp", "timestamp")]
TRACK = CALL + [("event", "varchar"), ("event_text", "varchar")]
VERSIONED = TRACK + [("context_protocols_event_version", "bigint"), ("order_id", "varchar"), ("coupon", "varchar")]


def _generate(tmp_path, files, tables, project=None, sdk="segment"):
    root = make_project(tmp_path / "p", files, project)
    loaded = load_project(root)
    rows = [(t, c, d, "YES", i) for t, cols in tables.items() for i, (c, d) in enumerate(cols, start=1)]
    catalog = build_schema_catalog("wh", "duckdb", "warehouse", "segment", rows)
    return generate_dbt_package(loaded, load_selected(loaded.schemas_dir).schemas, catalog, sdk)


def _columns(plan, name):
    return {c.name: c for c in next(m for m in plan.models if m.name == name).columns}


def _three_versions(required_from_1_1="coupon"):
    return {"web/Order_Completed/1-0.json": {"properties": {"coupon": {"type": "string", "description": "C."}}},
            "web/Order_Completed/1-1.json": {"properties": {"coupon": {"type": "string", "description": "C."}},
                                             "required": ["order_id", required_from_1_1]},
            "web/Order_Completed/2-0.json": {"properties": {"coupon": {"type": "string", "description": "C."}},
                                             "required": ["order_id", required_from_1_1]}}


def test_versions_make_one_model_with_tests_only_where_every_version_holds(tmp_path):
    plan, files = _generate(tmp_path, _three_versions(), {"order_completed": VERSIONED})
    assert [m.name for m in plan.models] == ["stg_segment__order_completed"]
    columns = _columns(plan, "stg_segment__order_completed")
    assert columns["order_id"].tests == ["not_null"]                   # required in every version
    # Required from 1-1 only: 1-0 and 1-1 share major 1, so only the 2 rows are tested.
    assert columns["coupon"].tests == [{"not_null": {"config": {"where": "schema_version = 2"}}}]
    assert columns["schema_version"].source == "context_protocols_event_version"
    assert "protocols_event_version" not in columns
    docs = yaml.safe_load(files["models/segment/_stg_segment__order_completed.yml"])
    coupon = next(c for c in docs["models"][0]["columns"] if c["name"] == "coupon")
    assert coupon["data_tests"] == [{"not_null": {"config": {"where": "schema_version = 2"}}}]


def test_without_a_version_column_a_test_must_hold_for_every_version(tmp_path):
    tables = {"order_completed": [c for c in VERSIONED if c[0] != "context_protocols_event_version"]}
    plan, _ = _generate(tmp_path, _three_versions(), tables)
    columns = _columns(plan, "stg_segment__order_completed")
    assert columns["coupon"].tests == [] and "schema_version" not in columns


def test_per_version_keeps_06_names_filtered_on_the_version_column(tmp_path):
    project = {"artifacts": {"dbt": {"models": {"versions": "per_version"}}}}
    plan, files = _generate(tmp_path, _three_versions(), {"order_completed": VERSIONED}, project)
    by_name = {m.name: m for m in plan.models}
    assert set(by_name) == {"stg_segment__order_completed", "stg_segment__order_completed__v1_1",
                            "stg_segment__order_completed__v2_0"}
    assert by_name["stg_segment__order_completed__v2_0"].conditions == [("context_protocols_event_version", 2)]
    assert "where context_protocols_event_version = 2" in files["models/segment/stg_segment__order_completed__v2_0.sql"]
    # 1-1's model reads the 1-0 rows too (same major): no not_null on coupon there; 2-0's has it.
    assert _columns(plan, "stg_segment__order_completed__v1_1")["coupon"].tests == []
    assert _columns(plan, "stg_segment__order_completed__v2_0")["coupon"].tests == ["not_null"]


def test_properties_named_like_reflekt_columns_are_kept_under_another_name(tmp_path):
    props = {name: {"type": "string", "description": f"The {name} property."}
             for name in ("event_id", "tstamp", "call_type", "source_table", "library_name")}
    tables = {"order_completed": TRACK + [("context_library_name", "varchar"), ("order_id", "varchar")]
              + [(name, "varchar") for name in props]}
    plan, files = _generate(tmp_path, {"web/Order_Completed/1-0.json": {"properties": props}}, tables)
    columns = _columns(plan, "stg_segment__order_completed")
    for name in props:
        assert columns[f"property_{name}"].source == name
    assert columns["event_id"].source == "id" and columns["tstamp"].source == "timestamp"
    assert columns["call_type"].literal == "track" and columns["source_table"].literal == "order_completed"
    assert columns["library_name"].source == "context_library_name"
    renamed = {d.column for d in plan.drift if d.kind == "renamed_property"}
    assert renamed == set(props)
    sql = files["models/segment/stg_segment__order_completed.sql"]
    assert "call_type as property_call_type" in sql and "'track' as call_type" in sql


def test_nullable_required_properties_get_no_not_null(tmp_path):
    props = {"coupon": {"type": ["string", "null"], "description": "C."},
             "tier": {"type": "string", "enum": ["a", "b", None], "description": "T."},
             "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "description": "N."}}
    files = {"web/Order_Completed/1-0.json": {"properties": props, "required": ["order_id", *props]}}
    tables = {"order_completed": TRACK + [("order_id", "varchar"), ("coupon", "varchar"), ("tier", "varchar"),
                                          ("note", "varchar")]}
    plan, _ = _generate(tmp_path, files, tables)
    columns = _columns(plan, "stg_segment__order_completed")
    assert columns["order_id"].tests == ["not_null"]
    assert columns["coupon"].tests == [] and columns["note"].tests == []
    assert columns["tier"].tests == [{"reflekt_accepted_values": {"arguments": {"values": ["a", "b"]}}}]


def test_two_events_in_one_table_stop_the_build_naming_both(tmp_path):
    files = {"web/Order_Completed/1-0.json": {}, "web/OrderCompleted/1-0.json": {"self": {"name": "OrderCompleted"}}}
    with pytest.raises(ModelCollisionError) as err:
        _generate(tmp_path, files, {"order_completed": TRACK + [("order_id", "varchar")]},
                  {"schemas": {"conventions": {"event": {"casing": "any"}}}})
    text = str(err.value)
    assert "web/Order_Completed/1-0.json" in text and "web/OrderCompleted/1-0.json" in text
    assert "'order_completed'" in text and "rename one of the events" in text


def test_the_same_event_in_two_plans_is_plan_qualified(tmp_path):
    files = {"web/Order_Completed/1-0.json": {}, "app/Order_Completed/1-0.json": {}}
    plan, rendered = _generate(tmp_path, files, {"order_completed": TRACK + [("order_id", "varchar")]})
    assert [m.name for m in plan.models] == ["stg_segment__app__order_completed", "stg_segment__web__order_completed"]
    assert sum(1 for p in rendered if p.endswith(".sql") and p.startswith("models/")) == 2


def test_several_page_schemas_one_model_per_page_name(tmp_path):
    files = {"web/Page_Viewed/1-0.json": {}, "web/Home_Viewed/1-0.json": {"self": {"call_type": "page"}},
             "web/Cart_Page/1-0.json": {"self": {"name": "Cart's Page", "call_type": "page"}}}
    plan, rendered = _generate(tmp_path, files, {"pages": CALL + [("name", "varchar"), ("order_id", "varchar")]})
    assert {m.name: m.conditions for m in plan.models} == {
        "stg_segment__pages": [], "stg_segment__pages__home_viewed": [("name", "Home Viewed")],
        "stg_segment__pages__cart_s_page": [("name", "Cart's Page")]}
    sql = rendered["models/segment/stg_segment__pages__cart_s_page.sql"]
    assert "    where name = {{ reflekt_string(" in sql  # page names are schema text: escaped, never raw SQL


def test_rudderstack_events_named_like_its_tables_keep_their_own_models(tmp_path):
    files = {"web/Users/1-0.json": {}, "web/Tracks/1-0.json": {}}
    tables = {"_users": TRACK + [("order_id", "varchar")], "_tracks": TRACK + [("order_id", "varchar")],
              "users": [("id", "varchar"), ("received_at", "timestamp")], "tracks": TRACK}
    plan, rendered = _generate(tmp_path, files, tables, sdk="rudderstack")
    assert [m.name for m in plan.models] == ["stg_segment___tracks", "stg_segment___users", "stg_segment__tracks",
                                             "stg_segment__users"]
    assert len([p for p in rendered if p.endswith(".sql") and p.startswith("models/")]) == 4


def test_filter_with_where_applies_to_every_model_06_filtered(tmp_path):
    project = {"artifacts": {"dbt": {"models": {"filter": "where received_at < current_date"}}}}
    files = {"web/Order_Completed/1-0.json": {}, "web/Identify/1-0.json": {}, "web/Page_Viewed/1-0.json": {}}
    tables = {"order_completed": TRACK + [("order_id", "varchar")], "identifies": CALL + [("order_id", "varchar")],
              "pages": CALL + [("name", "varchar"), ("order_id", "varchar")], "tracks": TRACK,
              "users": [("id", "varchar"), ("received_at", "timestamp"), ("order_id", "varchar")]}
    _plan, rendered = _generate(tmp_path, files, tables, project)
    for model in ("order_completed", "identifies", "pages", "tracks"):
        sql = rendered[f"models/segment/stg_segment__{model}.sql"]
        assert "    where received_at < current_date\n" in sql and "where where" not in sql, model
    assert "current_date" not in rendered["models/segment/stg_segment__users.sql"]


def test_docs_tests_by_06_column_name_and_users_trait_docs(tmp_path):
    project = {"artifacts": {"dbt": {"docs": {"tests": {"id": ["unique", "not_null"]}}}}}
    files = {"web/Identify/1-0.json": {"properties": {"email": {"type": "string", "description": "Their email."}}}}
    tables = {"identifies": CALL + [("order_id", "varchar"), ("email", "varchar")],
              "users": [("id", "varchar"), ("received_at", "timestamp"), ("email", "varchar")]}
    plan, _ = _generate(tmp_path, files, tables, project)
    users = _columns(plan, "stg_segment__users")
    assert users["email"].description == "Their email."
    assert users["user_id"].source == "id" and "Unique id of the call" not in users["user_id"].description
    assert users["user_id"].tests == ["unique", "not_null"]
    assert _columns(plan, "stg_segment__identifies")["identify_id"].tests == ["unique", "not_null"]


def test_portability_database_freshness_and_dedupe_settings(tmp_path):
    files = {"web/Order_Completed/1-0.json": {"self": {"metadata": {"freshness": False}}},
             "web/Cart_Viewed/1-0.json": {"self": {"metadata": {"freshness": {
                 "warn_after": {"count": 1, "period": "hour"}}}}}}
    tables = {"order_completed": TRACK + [("order_id", "varchar")], "cart_viewed": TRACK + [("order_id", "varchar")]}
    _plan, rendered = _generate(tmp_path, files, tables)
    source = yaml.safe_load(rendered["models/segment/__src_segment.yml"])["sources"][0]
    assert "database" not in source and source["config"]["freshness"]["error_after"] == {"count": 72,
                                                                                         "period": "hour"}
    tables_cfg = {t["name"]: t.get("config") for t in source["tables"]}
    assert tables_cfg == {"cart_viewed": {"freshness": {"warn_after": {"count": 1, "period": "hour"}}},
                          "order_completed": {"freshness": None}}
    assert "row_number() over (partition by id order by received_at desc)" in rendered[
        "models/segment/stg_segment__order_completed.sql"]
    assert yaml.safe_load(rendered["dbt_project.yml"])["require-dbt-version"] == ">=1.10.0"
    project = {"artifacts": {"dbt": {"sources": {"database": "raw_events", "freshness": False},
                                     "models": {"dedupe": False}}}}
    _plan, rendered = _generate(tmp_path / "b", files, tables, project)
    source = yaml.safe_load(rendered["models/segment/__src_segment.yml"])["sources"][0]
    assert source["database"] == "raw_events" and "freshness" not in source["config"]
    assert "row_number" not in rendered["models/segment/stg_segment__order_completed.sql"]


def test_a_text_version_column_is_compared_as_text(tmp_path):
    tables = {"order_completed": [(c, "varchar" if c == "context_protocols_event_version" else d)
                                  for c, d in VERSIONED]}
    plan, _ = _generate(tmp_path, _three_versions(), tables)
    assert _columns(plan, "stg_segment__order_completed")["coupon"].tests == [
        {"not_null": {"config": {"where": "schema_version = '2'"}}}]


def test_several_identify_schemas_of_one_plan_are_one_model_in_either_version_mode(tmp_path):
    files = {"web/Identify/1-0.json": {"properties": {"email": S}, "required": ["order_id", "email"]},
             "web/Identify_Customer/1-0.json": {"self": {"call_type": "identify"},
                                                "properties": {"email": S, "plan": S}}}
    tables = {"identifies": CALL + [("order_id", "varchar"), ("email", "varchar"), ("plan", "varchar")]}
    for project in (None, {"artifacts": {"dbt": {"models": {"versions": "per_version"}}}}):
        plan, _ = _generate(tmp_path / str(bool(project)), files, tables, project)
        assert [m.name for m in plan.models] == ["stg_segment__identifies"]
        columns = _columns(plan, "stg_segment__identifies")
        assert {"email", "plan", "order_id"} <= set(columns)
        assert columns["email"].tests == []  # required by one identify schema only
        assert columns["order_id"].tests == ["not_null"]  # required by both
