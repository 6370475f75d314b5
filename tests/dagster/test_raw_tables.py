"""Raw tables per source: named as the CDP names them in that warehouse, observed with row count and
last received_at, drift checks on every source's tables; DuckDB and a real PostgreSQL server."""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb
import pytest
import yaml
from dagster import AssetCheckKey, AssetKey, AssetSelection, DagsterInstance, Definitions, define_asset_job

from reflekt_dagster.definitions import build_definitions
from tests.helpers import make_project

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
