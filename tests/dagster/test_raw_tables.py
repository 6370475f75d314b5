"""Raw tables per source: named as the CDP names them in that warehouse, observed with row count and
last received_at, drift checks on every source's tables; DuckDB and a real PostgreSQL server."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import duckdb
import pytest
import yaml
from dagster import AssetCheckKey, AssetKey, AssetSelection, DagsterInstance, Definitions, define_asset_job

from reflekt_core.cdp import get_layout
from reflekt_core.cdp.layout import CALL_TABLES
from reflekt_dagster.definitions import build_definitions
from reflekt_dagster.translator import ReflektTranslator
from tests.helpers import VECTORS, make_project

ORDER = {"properties": {"order_id": {"type": "string", "description": "The order id."},
                        "coupon": {"type": "string", "description": "The coupon code."}}}
CALL = ("id text, anonymous_id text, user_id text, received_at timestamp, sent_at timestamp, "
        "timestamp timestamp, original_timestamp timestamp, uuid_ts timestamp, event text, event_text text")


def _observe(defs, keys):
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        instance=DagsterInstance.ephemeral(), asset_selection=keys)
    assert result.success
    return {e.event_specific_data.asset_observation.asset_key: e.event_specific_data.asset_observation.metadata
            for e in result.all_events if e.event_type_value == "ASSET_OBSERVATION"}


def _checks(defs, keys):
    job = define_asset_job("drift", selection=AssetSelection.checks(*[AssetCheckKey(k, "drift") for k in keys]))
    result = Definitions.merge(defs, Definitions(jobs=[job])).resolve_job_def("drift").execute_in_process(
        instance=DagsterInstance.ephemeral())
    assert result.success and result.get_asset_materialization_events() == []  # checks alone
    return {e.asset_key: e for e in (ev.event_specific_data for ev in result.all_events
                                     if ev.event_type_value == "ASSET_CHECK_EVALUATION")}


def test_demo_raw_table_has_row_count_and_last_received_at(demo_project):
    defs = build_definitions(demo_project, "jaffle_shop.warehouse.segment",
                             dbt_profiles_dir=demo_project / "dbt_profiles")
    raw = AssetKey(["raw", "segment", "order_completed"])
    with duckdb.connect(str(demo_project / "warehouse.duckdb"), read_only=True) as con:
        count, last = con.execute("select count(*), max(received_at) from segment.order_completed").fetchone()
    meta = _observe(defs, [raw])[raw]
    assert count > 0 and meta["dagster/row_count"].value == count
    assert meta["dagster/last_updated_timestamp"].value == last.replace(tzinfo=timezone.utc).timestamp()
    assert meta["last_received_at"].value.startswith(last.isoformat()[:19])


@pytest.fixture(scope="module")
def pg():
    from tests.integration.pgserver import start_server

    server = start_server()
    yield server
    server.stop()


def test_postgres_naming_stats_and_drift_for_every_source(tmp_path, pg):
    """Event "Order" lands in `_order` on PostgreSQL (Segment prefixes reserved words) but in `order`
    on DuckDB; both sources' raw tables are observed and carry their own drift checks."""
    project = make_project(tmp_path / "plan", {"shop/Order/1-0.json": ORDER})
    pg.execute(["create schema segment", f"create table segment._order ({CALL}, order_id text)",
                f"create table segment.tracks ({CALL})",
                "insert into segment._order (id, received_at, order_id) values "
                "('a', '2026-11-20 10:00:00', 'o1'), ('b', '2026-11-25 08:15:00', 'o2')"])
    db = tmp_path / "local.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema segment")
        con.execute(f'create table segment."order" ({CALL}, order_id text, coupon text, gift_wrap boolean)')
        con.execute(f"create table segment.tracks ({CALL})")
        con.execute("""insert into segment."order" (id, received_at) values ('x', '2026-11-01 00:00:00')""")
    (project / "reflekt_profiles.yml").write_text(yaml.safe_dump({"dev": {"source": [
        {"id": "pg", "type": "postgres", "host": "127.0.0.1", "port": pg.port, "user": pg.user,
         "password": "{{ env_var('TEST_PG_PASSWORD') }}", "database": pg.database, "sslmode": "disable"},
        {"id": "local", "type": "duckdb", "path": str(db)}]}}))
    sources = [f"pg.{pg.database}.segment", "local.local.segment"]
    defs = build_definitions(project, sources)  # loads without the password: the profile is not rendered
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    # Asset keys are cleaned names (no leading "_"); the table name is the warehouse's own.
    pg_order, local_order = AssetKey(["raw", "segment", "order"]), AssetKey(["raw", "local_local_segment", "order"])
    assert {pg_order.to_user_string(), local_order.to_user_string()} <= keys
    schema_key = AssetKey(["event_schemas", "shop", "Order__v1_0"])
    graph = defs.resolve_asset_graph()
    assert schema_key in graph.get(pg_order).parent_keys and schema_key in graph.get(local_order).parent_keys

    import os
    os.environ["TEST_PG_PASSWORD"] = pg.password
    try:
        observed = _observe(defs, [pg_order, local_order])
        assert observed[pg_order]["exists"].value is True and observed[pg_order]["dagster/row_count"].value == 2
        assert observed[pg_order]["dagster/last_updated_timestamp"].value == datetime(
            2026, 11, 25, 8, 15, tzinfo=timezone.utc).timestamp()
        assert observed[local_order]["dagster/row_count"].value == 1
        assert graph.get(pg_order).metadata["dagster/table_name"] == f"{pg.database}.segment._order"
        checks = _checks(defs, [pg_order, local_order])
    finally:
        del os.environ["TEST_PG_PASSWORD"]
    pg_items, local_items = checks[pg_order].metadata["items"].value, checks[local_order].metadata["items"].value
    assert not checks[pg_order].passed and not checks[local_order].passed
    assert [(i["kind"], i["column"]) for i in pg_items] == [("property_without_column", "coupon")]
    assert [(i["kind"], i["column"]) for i in local_items] == [("column_without_property", "gift_wrap")]


# --- keys are collision-free: every pair of distinct tables (and schema files) gets its own key ---

WAREHOUSES = ("postgres", "redshift", "snowflake", "bigquery", "duckdb")
DAGSTER_NAME = re.compile(r"^[A-Za-z0-9_]+$")


def _names() -> list[str]:
    """Event names from the naming vectors (Segment's go-snakecase table, RudderStack's loader cases,
    the CDP naming rules), RudderStack's reserved words, the CDPs' own table names as event names,
    and each with one and two leading underscores (RudderStack keeps them)."""
    snake = json.loads((VECTORS / "segment-go-snakecase.json").read_text())
    rudder = json.loads((VECTORS / "rudderstack-naming.json").read_text())
    rules = json.loads((VECTORS / "cdp-warehouse-naming.json").read_text())
    reserved = json.loads((VECTORS / "rudderstack-reserved-tables-columns.json").read_text())
    names = [v["input"] for v in snake["vectors"]] + [v["input"] for v in snake.get("derived_examples", [])]
    names += [c["tableName"] for group in ("TestTransformTableName", "TestTransformColumnName") for c in rudder[group]]
    names += [v["input"] for v in rules["vectors"]]
    names += sorted(reserved["POSTGRES"])[:40] + [t.title() for t in [*CALL_TABLES.values(), "users", "accounts"]]
    names += ["Order Completed", "Order_Completed", "order_completed", "Order-Completed", "OrderCompleted", "Users"]
    names = [n for n in dict.fromkeys(names) if isinstance(n, str) and n.strip("_ ")]
    return [*names, *(f"_{n}" for n in names), *(f"__{n}" for n in names)]


def _tables(cdp: str, warehouse: str, names: list[str]) -> set[str]:
    layout = get_layout(cdp, warehouse)
    tables = {t for call in ("identify", "page", "screen", "group", "alias")
              for t in layout.tables_written("x", call)}
    return tables | {t for n in names for t in layout.tables_written(n, "track") if t}


def test_raw_table_keys_are_distinct_for_every_pair_of_tables_on_the_naming_vectors():
    translator, names = ReflektTranslator(), _names()
    moved = set()
    for cdp in ("segment", "rudderstack"):
        for warehouse in WAREHOUSES:
            tables = _tables(cdp, warehouse, names)
            keys = translator.raw_table_keys("segment", tables)
            assert len(set(keys.values())) == len(tables), (cdp, warehouse)
            plain = {t: translator.raw_table_key("segment", t) for t in tables}
            shared = {k for k in plain.values() if list(plain.values()).count(k) > 1}
            for table, key in keys.items():
                assert all(DAGSTER_NAME.match(part) for part in key.path), key
                if plain[table] not in shared:
                    assert key == plain[table], table  # a key that collided with none did not move
                else:
                    moved.add((cdp, table, key.path[-1]))
    # the realistic collisions: RudderStack's _users (event "Users") beside users, and an event's
    # leading underscores kept (_order_completed beside order_completed); the exact name keeps the key
    assert ("rudderstack", "_users", "_users") in moved and ("rudderstack", "users", "users") in moved
    assert ("rudderstack", "_order_completed", "_order_completed") in moved


def test_schema_keys_are_distinct_for_every_pair_of_files_on_the_naming_vectors():
    translator = ReflektTranslator()
    folders = [n for n in _names() if "/" not in n and "\0" not in n and n not in (".", "..")]
    rel_paths = list(dict.fromkeys(f"{plan}/{name}/{version}.json" for plan in ("shop", "com.acme", "com_acme")
                                   for name in folders for version in ("1-0", "1-0-0")))
    plain = {rel: translator.schema_path_key(rel) for rel in rel_paths}
    keys = translator.unique_schema_keys(plain)
    assert len(set(keys.values())) == len(rel_paths)
    counts: dict = {}
    for key in plain.values():
        counts[key] = counts.get(key, 0) + 1
    moved = [rel for rel in rel_paths if keys[rel] != plain[rel]]
    assert moved and all(counts[plain[rel]] > 1 for rel in moved)  # only colliding keys move
    assert keys["com_acme/Order_Completed/1-0.json"] == plain["com_acme/Order_Completed/1-0.json"]  # its exact spelling
    assert keys["com.acme/Order_Completed/1-0.json"] != plain["com.acme/Order_Completed/1-0.json"]
    assert all(DAGSTER_NAME.match(part) for key in keys.values() for part in key.path)


def test_colliding_tables_and_files_load_as_distinct_assets_with_their_own_lineage(tmp_path):
    """RudderStack on DuckDB: track events "Users" (table _users) and an Identify (users), and
    "_Order Completed" (_order_completed) beside "Order Completed" (order_completed); Iglu-style
    event folders link-click and link_click. Each is its own asset, wired to its own schema."""
    files = {"app/Users/1-0.json": {"self": {"name": "Users"}},
             "app/Identify/1-0.json": {"self": {"name": "Identify"}, "description": "Identifies a user."},
             "app/Order_Completed/1-0.json": {"self": {"name": "Order Completed"}},
             "app/_Order_Completed/1-0.json": {"self": {"name": "_Order Completed"}},
             "app/link-click/1-0.json": {"self": {"name": "link-click"}},
             "app/link_click/1-0.json": {"self": {"name": "link_click"}}}
    project = make_project(tmp_path / "plan", files)
    identify = project / "schemas/app/Identify/1-0.json"
    doc = json.loads(identify.read_text())
    doc["self"]["metadata"]["call_type"] = "identify"  # how Reflekt marks an identify schema
    identify.write_text(json.dumps(doc))
    (project / "reflekt_profiles.yml").write_text(yaml.safe_dump({"dev": {"source": [
        {"id": "local", "type": "duckdb", "path": str(tmp_path / "wh.duckdb")}]}}))
    defs = build_definitions(project, "local.local.rudder", sdk="rudderstack")  # loads: no duplicate key
    graph = defs.resolve_asset_graph()

    def parents(*path):
        return {k.to_user_string() for k in graph.get(AssetKey(list(path))).parent_keys}

    assert parents("raw", "rudder", "_users") == {"event_schemas/app/Users__v1_0"}
    assert "event_schemas/app/Identify__v1_0" in parents("raw", "rudder", "users")
    assert parents("raw", "rudder", "order_completed") == {"event_schemas/app/Order_Completed__v1_0"}
    underscored = parents("raw", "rudder", "_order_completed")  # the file _Order_Completed/1-0.json
    assert len(underscored) == 1 and re.fullmatch(r"event_schemas/app/Order_Completed__v1_0__[0-9a-f]{8}",
                                                  underscored.pop())
    links = sorted(k.path[-1] for k in graph.get_all_asset_keys() if k.path[-1].startswith("link_click__v1_0"))
    assert links[0] == "link_click__v1_0" and re.fullmatch(r"link_click__v1_0__[0-9a-f]{8}", links[1])
    assert graph.get(AssetKey(["raw", "rudder", "_users"])).metadata["dagster/table_name"] == "local.rudder._users"


def test_models_and_their_column_lineage_use_the_collision_free_keys():
    from reflekt_dagster.dbt import column_lineage, model_specs

    translator = ReflektTranslator()
    raw = translator.raw_table_keys("rudder", ["users", "_users"])
    files = ["app/Users/1-0.json", "app/_Users/1-0.json"]  # one key each, though both clean to Users__v1_0
    schema_keys = translator.unique_schema_keys({rel: translator.schema_path_key(rel) for rel in files})
    assert len(set(schema_keys.values())) == 2
    index = {"adapter": "duckdb", "models": [
        {"unique_id": f"model.p.{name}", "name": name, "key": [name], "fqn": name, "description": "", "path": "",
         "table": "", "materialized": "view", "code_version": None, "columns": [], "sources": [["rudder", table]],
         "models": [], "tests": 0} for name, table in (("stg_users", "users"), ("stg_event_users", "_users"))]}
    specs, _ = model_specs(index, translator, lambda source, table: raw[table])
    deps = {s.key.path[-1]: {d.asset_key for d in s.deps} - {translator.dbt_package_key()} for s in specs}
    assert deps == {"stg_users": {AssetKey(["raw", "rudder", "users"])},
                    "stg_event_users": {AssetKey(["raw", "rudder", "_users"])}}
    lineage = {"source": "rudder", "models": {"stg_event_users": {
        "plan": {"raw": ["_users", "plan"], "properties": [["app/_Users/1-0.json", "plan"]]}}}}
    found = column_lineage(lineage, "stg_event_users", translator, dict(schema_keys), lambda s, t: raw[t])
    assert {(d.asset_key, d.column_name) for d in found.deps_by_column["plan"]} == {
        (AssetKey(["raw", "rudder", "_users"]), "plan"), (schema_keys["app/_Users/1-0.json"], "plan")}


def test_each_source_has_its_own_raw_table_groups(tmp_path):
    """Sources split their tables into groups by name prefix each; with shared group names two
    sources' tables of one prefix shared one group, past what the lineage view draws."""
    project = make_project(tmp_path / "plan", {"shop/Order/1-0.json": ORDER, "shop/Cart_Viewed/1-0.json": {}})
    (project / "reflekt_profiles.yml").write_text(yaml.safe_dump({"dev": {"source": [
        {"id": "prod", "type": "duckdb", "path": str(tmp_path / "prod.duckdb")},
        {"id": "staging", "type": "duckdb", "path": str(tmp_path / "staging.duckdb")}]}}))
    defs = build_definitions(project, ["prod.prod.segment", "staging.staging.segment"])
    graph = defs.resolve_asset_graph()
    groups = {k.to_user_string(): graph.get(k).group_name for k in graph.get_all_asset_keys() if k.path[0] == "raw"}
    assert groups["raw/segment/order"] == "raw_events"  # the first source: as with one source
    assert groups["raw/staging_staging_segment/order"] == "raw_events__staging_staging_segment"
    by_group: dict = {}
    for key, group in groups.items():
        by_group.setdefault(group, set()).add(key.split("/")[1])
    assert all(len(sources) == 1 for sources in by_group.values())
