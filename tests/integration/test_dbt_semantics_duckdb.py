"""A sharp corpus through `reflekt build` and a real `dbt build` on DuckDB, for both CDPs.

The corpus has what real projects have: the same event in two plans, several page schemas,
a RudderStack event named like its own table, properties named like Reflekt's columns,
three versions with a property required only from 1-1, duplicate message ids, and nullable
required properties. Expected: every planned model on disk and built, nothing dropped
silently, duplicates removed, and no 1-0 row failing a test derived from 1-1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from reflekt_core.dbt import build_dbt_package
from reflekt_core.project import load_project
from reflekt_core.schemas import load_selected
from reflekt_core.warehouses import make_reader
from tests.helpers import make_project

DBT = Path(sys.executable).with_name("dbt")
CALL = [("id", "VARCHAR"), ("anonymous_id", "VARCHAR"), ("user_id", "VARCHAR"), ("received_at", "TIMESTAMP"),
        ("sent_at", "TIMESTAMP"), ("timestamp", "TIMESTAMP"), ("original_timestamp", "TIMESTAMP"),
        ("uuid_ts", "TIMESTAMP"), ("context_library_name", "VARCHAR")]
TRACK = CALL + [("event", "VARCHAR"), ("event_text", "VARCHAR")]
S = {"type": "string", "description": "A value."}
NULLABLE = {"type": ["string", "null"], "description": "May be null."}

SCHEMAS = {
    "web/Order_Completed/1-0.json": {"properties": {"coupon": S}},
    "web/Order_Completed/1-1.json": {"properties": {"coupon": S}, "required": ["order_id", "coupon"]},
    "web/Order_Completed/2-0.json": {"properties": {"coupon": S}, "required": ["order_id", "coupon"]},
    "app/Order_Completed/1-0.json": {},
    "web/Checkout_Started/1-0.json": {
        "properties": {"event_id": S, "call_type": S, "source_table": S, "tstamp": S, "note": NULLABLE,
                       "tier": {"type": "string", "enum": ["gold", None], "description": "Tier."}},
        "required": ["order_id", "event_id", "call_type", "note", "tier"]},
    "web/Page_Viewed/1-0.json": {"properties": {"order_id": None}, "required": []},
    "web/Home_Viewed/1-0.json": {"self": {"call_type": "page"}, "properties": {"order_id": None, "section": S},
                                 "required": ["section"]},
    "web/Identify/1-0.json": {"properties": {"order_id": None, "email": {"type": "string",
                                                                          "description": "Their email."}},
                              "required": []},
    "web/Users/1-0.json": {},  # RudderStack: table _users; Segment: excluded (its own users table)
}

ORDER_ROWS = [  # (id, version, coupon, received day): m2 arrives twice; 1-0 rows have no coupon
    ("m1", 1, None, 1), ("m2", 1, "C2", 1), ("m2", 1, "C2", 2), ("m3", 2, "C3", 3), ("m4", None, None, 4)]


def _create(con, schema: str, table: str, columns: list[tuple[str, str]], rows: list[dict]) -> None:
    con.execute(f'create table "{schema}"."{table}" ({", ".join(f"{c} {t}" for c, t in columns)})')
    for row in rows:
        values = [row.get(c) for c, _ in columns]
        con.execute(f'insert into "{schema}"."{table}" values ({", ".join("?" for _ in columns)})', values)


def _call(message_id: str, day: int, **extra) -> dict:
    stamp = f"2026-10-{day:02d} 12:00:00"
    return {"id": message_id, "anonymous_id": "a1", "user_id": "u1", "received_at": stamp, "sent_at": stamp,
            "timestamp": stamp, "original_timestamp": stamp, "uuid_ts": stamp, "context_library_name": "js", **extra}


def _seed(path: Path, schema: str, users_event_table: str | None) -> None:
    con = duckdb.connect(str(path))
    con.execute(f'create schema "{schema}"')
    orders = [_call(i, d, event="order_completed", event_text="Order Completed", order_id=f"o-{i}", coupon=c,
                    context_protocols_event_version=v) for i, v, c, d in ORDER_ROWS]
    _create(con, schema, "order_completed", TRACK + [("context_protocols_event_version", "BIGINT"),
                                                      ("order_id", "VARCHAR"), ("coupon", "VARCHAR")], orders)
    _create(con, schema, "tracks", TRACK, [_call(r["id"], 1, event=r["event"], event_text=r["event_text"])
                                           for r in orders])
    checkout = [_call("c1", 1, event="checkout_started", event_text="Checkout Started", order_id="o1",
                      event_id="my-own-id", call_type="button", source_table="cart", tstamp="noon", note=None,
                      tier=None),
                _call("c1", 2, event="checkout_started", event_text="Checkout Started", order_id="o1",
                      event_id="my-own-id", call_type="button", source_table="cart", tstamp="noon", note=None,
                      tier=None),
                _call("c2", 3, event="checkout_started", event_text="Checkout Started", order_id="o2",
                      event_id="x", call_type="link", source_table="cart", tstamp="one", note="n", tier="gold")]
    _create(con, schema, "checkout_started", TRACK + [(c, "VARCHAR") for c in (
        "order_id", "event_id", "call_type", "source_table", "tstamp", "note", "tier")], checkout)
    pages = [_call("p1", 1, name="Home Viewed", section="top"), _call("p2", 1, name="Cart", section=None),
             _call("p1", 2, name="Home Viewed", section="top")]
    _create(con, schema, "pages", CALL + [("name", "VARCHAR"), ("section", "VARCHAR")], pages)
    _create(con, schema, "identifies", CALL + [("email", "VARCHAR")], [_call("i1", 1, email="a@b.c")])
    _create(con, schema, "users", [("id", "VARCHAR"), ("received_at", "TIMESTAMP"), ("email", "VARCHAR")],
            [{"id": "u1", "received_at": "2026-10-01 12:00:00", "email": "a@b.c"}])
    if users_event_table:
        _create(con, schema, users_event_table, TRACK + [("order_id", "VARCHAR")],
                [_call("e1", 1, event="users", event_text="Users", order_id="o9")])
    con.close()


@pytest.mark.slow
@pytest.mark.parametrize("sdk", ["segment", "rudderstack"])
def test_corpus_builds_green_with_nothing_lost(tmp_path, sdk):
    root = make_project(tmp_path / "corpus", SCHEMAS, {"artifacts": {"dbt": {"docs": {"tests": {
        "id": ["unique", "not_null"]}}}}})
    warehouse = tmp_path / "warehouse.duckdb"
    _seed(warehouse, sdk, "_users" if sdk == "rudderstack" else None)
    project = load_project(root)
    exclude = ["web/Users"] if sdk == "segment" else None
    schemas = load_selected(project.schemas_dir, None, exclude).schemas
    reader = make_reader({"id": "wh", "type": "duckdb", "path": str(warehouse)})
    try:
        catalog = reader.read_schema("warehouse", sdk)
    finally:
        reader.close()
    result = build_dbt_package(project, schemas, catalog, sdk, tmp_path / "pkg")
    names = sorted(m.name for m in result.plan.models)
    p = f"stg_{sdk}__"
    expected = [f"{p}app__order_completed", f"{p}checkout_started", f"{p}identifies", f"{p}pages",
                f"{p}pages__home_viewed", f"{p}tracks", f"{p}users", f"{p}web__order_completed"]
    if sdk == "rudderstack":
        expected.append(f"{p}_users")  # the event "Users" lands in _users, beside RudderStack's users table
    assert names == sorted(expected)
    on_disk = sorted(f.stem for f in (result.dest / "models" / sdk).glob("*.sql"))
    assert on_disk == names  # every planned model is a file
    renamed = {d.column for d in result.drift if d.kind == "renamed_property"}
    assert renamed == {"event_id", "call_type", "source_table", "tstamp"}

    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "profiles.yml").write_text(
        f"reflekt_test_project:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: '{warehouse}'\n      schema: staging\n      threads: 2\n")
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    proc = subprocess.run([str(DBT), "build", "--project-dir", str(result.dest), "--profiles-dir",
                           str(tmp_path / "profiles"), "--no-use-colors"], capture_output=True, text=True, env=env,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:]
    results = json.loads((result.dest / "target" / "run_results.json").read_text())["results"]
    statuses = {r["unique_id"]: r["status"] for r in results}
    assert set(statuses.values()) <= {"success", "pass"}
    assert sorted(k.split(".")[-1] for k in statuses if k.startswith("model.")) == names
    tests = [k for k in statuses if k.startswith("test.")]
    # coupon's not_null runs only on major 2's rows; none runs on all rows (1-0 sent no coupon).
    coupon = [t for t in tests if "not_null" in t and "web__order_completed_coupon" in t]
    assert len(coupon) == 1
    manifest = json.loads((result.dest / "target" / "manifest.json").read_text())
    assert manifest["nodes"][coupon[0]]["config"]["where"] == "schema_version = 2"
    assert not [t for t in tests if "not_null" in t and ("_note" in t or "_tier" in t)]  # nullable types

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(f"select event_id, coupon, schema_version, received_at_tstamp from staging."
                           f"{p}web__order_completed order by event_id").fetchall()
        assert [r[0] for r in rows] == ["m1", "m2", "m3", "m4"]  # m2 arrived twice: one row, the latest
        assert str(rows[1][3]).startswith("2026-10-02")
        own = con.execute(f"select event_id, property_event_id, call_type, property_call_type, source_table, "
                          f"property_source_table from staging.{p}checkout_started order by event_id").fetchall()
        assert own == [("c1", "my-own-id", "track", "button", "checkout_started", "cart"),
                       ("c2", "x", "track", "link", "checkout_started", "cart")]
        home = con.execute(f"select page_id, section from staging.{p}pages__home_viewed").fetchall()
        assert home == [("p1", "top")]  # only the Home Viewed page, once
    finally:
        con.close()
