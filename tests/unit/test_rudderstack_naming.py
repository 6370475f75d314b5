"""RudderStack naming reproduces its loader's own test cases."""

from __future__ import annotations

import json
import re

import pytest

from reflekt_core.naming import rudderstack
from tests.helpers import VECTORS

DATA = json.loads((VECTORS / "rudderstack-naming.json").read_text())
WAREHOUSES = {"whutils.SNOWFLAKE": "snowflake", "whutils.POSTGRES": "postgres", "whutils.BQ": "bigquery"}


def _go_value(text: str) -> str:
    """The vectors write long names as Go expressions: strings.Repeat("a", 70)."""
    match = re.fullmatch(r'strings\.Repeat\("(.)", (\d+)\)', text)
    return match.group(1) * int(match.group(2)) if match else text


def _expected(text: str) -> str:
    return text.split(",", 1)[0].strip().strip('"') if "//" in text else text


def _transform_cases(key):
    for case in DATA[key]:
        yield pytest.param(case, id=f"{case['name']}-{case['tableName']!r}")


@pytest.mark.parametrize("case", list(_transform_cases("TestTransformTableName")))
def test_transform_table_name(case):
    name = _go_value(case["tableName"])
    if "useBlendoCasing: true" in case["intrOpts"]:
        result = rudderstack.blendo_table_name(name)
    else:
        result = rudderstack.transform_name(name, "underscoreDivideNumbers: true" in case["destOpts"])
    assert result == _go_value(case["expected"])


@pytest.mark.parametrize("case", list(_transform_cases("TestTransformColumnName")))
def test_transform_column_name(case):
    name = _go_value(case["tableName"])
    warehouse = WAREHOUSES[case["destType"]]
    if "useBlendoCasing: true" in case["intrOpts"]:
        result = rudderstack.blendo_column_name(name)
    else:
        result = rudderstack.transform_name(name, "underscoreDivideNumbers: true" in case["destOpts"])
    if warehouse == "postgres":
        result = result[:63]
    assert result == _go_value(case["expected"])


@pytest.mark.parametrize("key,field", [("TestSafeTableName", "tableName"), ("TestSafeColumnName", "columnName")])
def test_safe_names(key, field):
    checked = 0
    for case in DATA[key]:
        warehouse = WAREHOUSES.get(case["destType"])
        if warehouse is None or not case[field]:
            continue  # data lakes and the empty-name error case are not warehouses Reflekt reads
        skip = "skipReservedKeywordsEscaping: true" in case.get("options", "")
        assert rudderstack.safe_name(case[field], warehouse, skip) == _expected(case["expected"]), case["name"]
        checked += 1
    assert checked == 5


@pytest.mark.parametrize(("event", "table"), [
    ("Order Completed", "order_completed"), ("tracks", "_tracks"), ("Users", "_users"),
    ("select", "_select"), ("9mega", "_9mega"), ("XMLHttp Request", "xml_http_request"),
])
def test_table_name_on_postgres(event, table):
    assert rudderstack.table_name(event, "postgres") == table


def test_snowflake_tables_are_upper_case():
    assert rudderstack.table_name("Order Completed", "snowflake") == "ORDER_COMPLETED"
