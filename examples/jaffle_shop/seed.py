"""Create the demo's embedded warehouse: Segment- and RudderStack-shaped raw event tables in DuckDB.

    python examples/jaffle_shop/seed.py [path/to/warehouse.duckdb]

Rows are generated from the demo's own event schemas, so every value satisfies them
(required properties, enums, patterns, ranges). Like a real warehouse it also has what
schemas do not say: `coupon` arrives only with Order Completed 1-1 (null before),
`discount` was planned but never sent (no column), Product Clicked carries a
`promo_banner_id` column no schema declares, and Checkout Step Completed has never been
sent at all (no table). Deterministic: the same file every time.
"""

from __future__ import annotations

import json
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
SCHEMAS = HERE / "schemas" / "jaffle_shop"
START = datetime(2026, 10, 1, tzinfo=timezone.utc)
NEVER_SENT_EVENTS = {"Checkout Step Completed"}
NEVER_SENT_PROPERTIES = {"discount"}
UNDECLARED = {"product_clicked": ("promo_banner_id", "VARCHAR")}
SQL_TYPES = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN",
             "array": "VARCHAR", "object": "VARCHAR"}
CONTEXT = [("context_library_name", "VARCHAR"), ("context_library_version", "VARCHAR"),
           ("context_page_path", "VARCHAR"), ("context_user_agent", "VARCHAR")]


def latest_schemas() -> dict[str, dict]:
    found: dict[str, dict] = {}
    for path in sorted(SCHEMAS.glob("*/*.json")):
        doc = json.loads(path.read_text())
        name = doc["self"]["name"]
        if name not in found or doc["self"]["version"] > found[name]["self"]["version"]:
            found[name] = doc
    return found


def value_for(name: str, node: dict, rng: random.Random, when: datetime):
    if "enum" in node:
        return rng.choice(node["enum"])
    kind = node["type"] if isinstance(node["type"], str) else node["type"][0]
    if kind == "array":
        return json.dumps([{k: value_for(k, v, rng, when) for k, v in node["items"]["properties"].items()}
                           for _ in range(rng.randint(max(1, node.get("minItems", 1)), 3))])
    if kind == "integer":
        return rng.randint(node.get("minimum", 1), node.get("maximum", 5))
    if kind == "number":
        return round(rng.uniform(node.get("minimum", 0), 60), 2)
    if kind == "boolean":
        return rng.random() < 0.5
    if node.get("format") == "email":
        return f"customer{rng.randint(1, 500)}@example.com"
    if node.get("format") == "date-time":
        return (when - timedelta(days=rng.randint(1, 400))).strftime("%Y-%m-%dT%H:%M:%SZ")
    if node.get("format") == "uri":
        return f"https://jaffle.shop/{rng.choice(['menu', 'cart', 'checkout', 'about'])}"
    if name == "currency":
        return "USD"
    if name == "sku":
        return f"JAF-{rng.randint(100, 999)}"
    return f"{name}_{rng.randint(1, 999)}"


def table_for(name: str) -> str:
    return {"Identify": "identifies", "Page Viewed": "pages"}.get(name, name.lower().replace(" ", "_"))


def seed(path: Path) -> None:
    rng = random.Random(42)
    schemas = latest_schemas()
    if path.exists():
        path.unlink()
    con = duckdb.connect(str(path))
    for cdp in ("segment", "rudderstack"):
        con.execute(f"create schema {cdp}")
        common = [("id", "VARCHAR"), ("anonymous_id", "VARCHAR"), ("user_id", "VARCHAR"),
                  ("received_at", "TIMESTAMP"), ("sent_at", "TIMESTAMP"), ("timestamp", "TIMESTAMP"),
                  ("original_timestamp", "TIMESTAMP"), ("uuid_ts", "TIMESTAMP")] + CONTEXT
        if cdp == "rudderstack":
            common += [("channel", "VARCHAR"), ("context_ip", "VARCHAR"), ("context_request_ip", "VARCHAR"),
                       ("context_passed_ip", "VARCHAR")]
        tables: dict[str, list[tuple[str, str]]] = {"tracks": common + [("event", "VARCHAR"), ("event_text", "VARCHAR")]}
        rows: dict[str, list[dict]] = {"tracks": [], "users": []}
        users: dict[str, dict] = {}
        for name, doc in schemas.items():
            if name in NEVER_SENT_EVENTS:
                continue
            table = table_for(name)
            columns = list(common)
            if table not in ("identifies", "pages"):
                columns += [("event", "VARCHAR"), ("event_text", "VARCHAR")]
            if table == "pages":
                columns.append(("name", "VARCHAR"))
            for prop, node in doc["properties"].items():
                if prop in NEVER_SENT_PROPERTIES:
                    continue
                kind = node["type"] if isinstance(node["type"], str) else node["type"][0]
                sql = "TIMESTAMP" if node.get("format") == "date-time" else SQL_TYPES[kind]
                columns.append((prop, sql))
            if table in UNDECLARED:
                columns.append(UNDECLARED[table])
            tables[table] = columns
            rows[table] = []
        tables["users"] = [("id", "VARCHAR"), ("received_at", "TIMESTAMP"), ("uuid_ts", "TIMESTAMP"),
                           ("email", "VARCHAR"), ("first_name", "VARCHAR"), ("last_name", "VARCHAR"),
                           ("loyalty_tier", "VARCHAR"), ("context_library_name", "VARCHAR")]
        if cdp == "rudderstack":
            tables["users"] += [("sent_at", "TIMESTAMP"), ("timestamp", "TIMESTAMP"),
                                ("original_timestamp", "TIMESTAMP"), ("context_ip", "VARCHAR")]
        for n in range(2400):
            name = rng.choice(sorted(n for n in schemas if n not in NEVER_SENT_EVENTS))
            doc = schemas[name]
            table = table_for(name)
            when = START + timedelta(minutes=37 * n)
            user = f"user_{rng.randint(1, 300)}"
            row = {"id": f"{cdp[:3]}-{n:06d}", "anonymous_id": f"anon-{rng.randint(1, 900)}", "user_id": user,
                   "received_at": when, "sent_at": when - timedelta(seconds=2), "timestamp": when,
                   "original_timestamp": when - timedelta(seconds=3), "uuid_ts": when + timedelta(minutes=5),
                   "context_library_name": "analytics.js", "context_library_version": "5.2.1",
                   "context_page_path": "/menu", "context_user_agent": "Mozilla/5.0",
                   "channel": "web", "context_ip": "203.0.113.7", "context_request_ip": "203.0.113.7",
                   "context_passed_ip": "203.0.113.7"}
            late = n > 1600  # Order Completed 1-1 (coupon) ships late in the period
            for prop, node in doc["properties"].items():
                if prop in NEVER_SENT_PROPERTIES or (prop == "coupon" and not late):
                    continue
                if prop in doc.get("required", []) or rng.random() < 0.8:
                    row[prop] = value_for(prop, node, rng, when)
            if table == "pages":
                row["name"] = rng.choice(["Menu", "Cart", "Checkout"])
            elif table != "identifies":
                row["event"], row["event_text"] = table, name
                rows["tracks"].append(dict(row))
            if table == "product_clicked":
                row["promo_banner_id"] = rng.choice([None, "autumn-banner", "jaffle-week"])
            rows[table].append(row)
            if table == "identifies":
                users[user] = {"id": user, "received_at": when, "uuid_ts": when + timedelta(minutes=5),
                               "email": row.get("email"), "first_name": row.get("first_name"),
                               "last_name": row.get("last_name"), "loyalty_tier": row.get("loyalty_tier"),
                               "context_library_name": "analytics.js", "sent_at": when, "timestamp": when,
                               "original_timestamp": when, "context_ip": "203.0.113.7"}
        rows["users"] = list(users.values())
        for table, columns in tables.items():
            con.execute(f'create table {cdp}."{table}" ({", ".join(f"{chr(34)}{c}{chr(34)} {t}" for c, t in columns)})')
            names = [c for c, _ in columns]
            data = [[row.get(c) for c in names] for row in rows.get(table, [])]
            row_sql = "(" + ", ".join("?" for _ in names) + ")"
            for start in range(0, len(data), 200):  # multi-row inserts: far faster than executemany
                chunk = data[start:start + 200]
                con.execute(f'insert into {cdp}."{table}" values ' + ", ".join([row_sql] * len(chunk)),
                            [value for row in chunk for value in row])
    con.close()


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "warehouse.duckdb"
    seed(target)
    print(f"Seeded {target}")
