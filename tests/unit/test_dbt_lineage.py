"""Column lineage from the package plan: each staging column back to its raw column and schema properties."""

from __future__ import annotations

from reflekt_core.dbt.lineage import column_lineage
from tests.unit.test_dbt_generator import TRACK_COLUMNS, _generate

ORDER = {"properties": {"order_id": {"type": "string", "description": "The order id."},
                        "call_type": {"type": "string", "description": "Named like a Reflekt column."},
                        "shipping": {"type": "object", "properties": {
                            "city": {"type": "string", "description": "City."}}},
                        "gift_note": {"type": "string", "description": "Not sent yet."}}}


def test_properties_raw_columns_renames_and_nested_paths(tmp_path):
    plan, _ = _generate(tmp_path, {"web/Order_Completed/1-0.json": ORDER, "web/Order_Completed/1-1.json": ORDER},
                        {"order_completed": TRACK_COLUMNS + [("order_id", "varchar"), ("call_type", "varchar"),
                                                             ("shipping_city", "varchar")]})
    lineage = column_lineage(plan)
    assert lineage["source"] == "segment"
    columns = lineage["models"]["stg_segment__order_completed"]
    # every version that declares the property, newest first
    assert columns["order_id"] == {"raw": ["order_completed", "order_id"], "properties": [
        ["web/Order_Completed/1-1.json", "order_id"], ["web/Order_Completed/1-0.json", "order_id"]]}
    # selected under another name because Reflekt uses "call_type": the lineage follows the rename
    assert columns["property_call_type"]["raw"] == ["order_completed", "call_type"]
    assert "call_type" not in columns  # Reflekt's literal column has no upstream
    assert columns["shipping_city"]["properties"][0] == ["web/Order_Completed/1-1.json", "shipping.city"]
    # a property with no column yet (selected as null): its properties, no raw column
    assert columns["gift_note"]["raw"] is None and len(columns["gift_note"]["properties"]) == 2
    assert columns["received_at_tstamp"] == {"raw": ["order_completed", "received_at"], "properties": []}
