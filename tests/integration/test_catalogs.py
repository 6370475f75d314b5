"""Every adapter reads Segment- and RudderStack-shaped schemas into identical catalogs."""

from __future__ import annotations

import pytest

from reflekt_core.errors import WarehouseError
from reflekt_core.warehouses import make_reader
from tests.integration import layouts
from tests.integration.conftest import unique


def _read(engine, schema):
    reader = make_reader(engine.entry)
    try:
        return reader.read_schema(engine.database, schema)
    finally:
        reader.close()


@pytest.mark.parametrize("layout_name", ["SEGMENT", "RUDDERSTACK"])
def test_cdp_layouts_read_identically(engine, layout_name):
    layout = getattr(layouts, layout_name)
    schema = unique(layout_name.lower())
    engine.create(schema, layout)
    catalog = _read(engine, schema)
    assert catalog.source_type == engine.name
    assert catalog.schema == schema.lower() and catalog.database == engine.database.lower()
    assert layouts.logical(catalog) == layouts.expected(layout)
    received = catalog.table("tracks").column("received_at")
    assert received.type == "timestamp" and received.nullable and received.data_type


def test_a_thousand_tables_in_one_query(engine):
    layout = layouts.wide_layout(1000, 20)
    schema = unique("wide")
    engine.create(schema, layout)
    catalog = _read(engine, schema)
    assert len(catalog.tables) == 1000
    assert catalog.summary()["columns"] == 20_000
    assert layouts.logical(catalog) == layouts.expected(layout)
    if engine.name == "bigquery":  # 20,000 rows come back in pages of 5,000; the client fetched them all
        assert engine.extra["fake"].requests.count("page") >= 3


def test_missing_schema_is_a_clear_error(engine):
    engine.create(unique("present"), {"tracks": layouts.SEGMENT["tracks"]})
    with pytest.raises(WarehouseError) as info:
        _read(engine, "no_such_schema")
    message = str(info.value)
    assert f"source '{engine.entry['id']}'" in message
    assert "no_such_schema" in message and "not found" in message


def test_empty_schema_is_an_empty_catalog(engine):
    if engine.name == "bigquery":
        schema = unique("empty")
        engine.extra["fake"].datasets[schema] = {}
    else:
        schema = unique("empty")
        engine.create(schema, {})
    assert _read(engine, schema).tables == {}


def test_connection_check(engine):
    make_reader(engine.entry).check_connection()
