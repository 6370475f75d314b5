"""Segment naming reproduces go-snakecase's own vectors; casing helpers."""

from __future__ import annotations

import json

import pytest

from reflekt_core.naming import casing
from reflekt_core.naming.segment import snakecase
from tests.helpers import VECTORS

SEGMENT_VECTORS = json.loads((VECTORS / "segment-go-snakecase.json").read_text())["vectors"]


@pytest.mark.parametrize("vector", SEGMENT_VECTORS, ids=lambda v: v["input"])
def test_segment_vectors(vector):
    assert snakecase(vector["input"]) == vector["expected"]


@pytest.mark.parametrize(("name", "table"), [
    ("Order Completed", "order_completed"), ("HTMLParser", "htmlparser"), ("omega v2", "omega_v2"),
    ("café au lait", "caf_au_lait"), ("_5TEst", "5test"), ("Product Grouped", "product_grouped"),
    ("2FA Enabled", "2fa_enabled"), ("CamelCase123Key", "camel_case123_key"),
])
def test_segment_derived_examples_from_contracts(name, table):
    assert snakecase(name) == table


@pytest.mark.parametrize(("name", "style", "ok"), [
    ("Order Completed", "title", True), ("order completed", "title", False),
    ("Checkout Step 2", "title", True), ("order_id", "snake", True), ("orderId", "snake", False),
    ("address_line_2", "snake", True), ("orderId", "camel", True), ("OrderId", "camel", False),
    ("OrderId", "pascal", True), ("order id", "pascal", False), ("anything at ALL", "any", True),
])
def test_follows(name, style, ok):
    assert casing.follows(name, style) is ok


@pytest.mark.parametrize(("name", "style", "expected"), [
    ("orderId", "snake", "order_id"), ("order completed", "title", "Order Completed"),
    ("order_id", "camel", "orderId"), ("HTTPStatus code", "pascal", "HttpStatusCode"),
])
def test_to_casing(name, style, expected):
    assert casing.to_casing(name, style) == expected


CDP_VECTORS = json.loads((VECTORS / "cdp-warehouse-naming.json").read_text())["vectors"]


@pytest.mark.parametrize("vector", CDP_VECTORS, ids=lambda v: f"{v['cdp']}-{v['warehouse']}-{v['input'][:20]}")
def test_cdp_warehouse_naming_rules(vector):
    from reflekt_core.cdp import get_layout

    layout = get_layout(vector["cdp"], vector["warehouse"])
    name = layout.column_name if vector["kind"] == "column" else layout.table_name
    assert name(vector["input"]) == vector["expected"], vector["rule"]
    limit = {"postgres": 63, "redshift": 127}.get(vector["warehouse"], 255)
    assert len(vector["expected"].encode()) <= limit
