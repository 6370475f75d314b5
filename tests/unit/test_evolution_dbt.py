"""A breaking change between event versions shows in the dbt drift report as breaking_change."""

from __future__ import annotations

from tests.unit.test_dbt_generator import TRACK_COLUMNS, _generate

PROPS = {
    "order_id": {"type": "string", "description": "Order."},
    "total": {"type": "number", "description": "Total."},
    "coupon": {"type": "string", "description": "Coupon."},
    "address": {"type": "object", "description": "Where to.", "properties": {
        "city": {"type": "string", "description": "City."}}},
}
COLUMNS = TRACK_COLUMNS + [("order_id", "varchar"), ("total", "double"), ("coupon", "varchar"),
                           ("address_city", "varchar")]


PER_VERSION = {"artifacts": {"dbt": {"models": {"versions": "per_version"}}}}


def _drift(tmp_path, later, project=PER_VERSION):
    files = {"web/Order_Completed/1-0.json": {"properties": PROPS},
             "web/Order_Completed/2-0.json": {"properties": later}}
    plan, _ = _generate(tmp_path, files, {"order_completed": COLUMNS}, project)
    return [d for d in plan.drift if d.kind == "breaking_change"]


def test_one_model_over_both_versions_reports_the_break_between_them(tmp_path):
    found = _drift(tmp_path, {**PROPS, "coupon": None}, project=None)
    assert [(d.column, d.model) for d in found] == [("coupon", "stg_segment__order_completed")]
    assert "'stg_segment__order_completed (version 1-0)' is not in model " \
           "'stg_segment__order_completed (version 2-0)'" in found[0].message


def test_a_removed_property_and_a_retyped_one_name_the_model_and_column(tmp_path):
    found = _drift(tmp_path, {**PROPS, "coupon": None, "address": None,
                              "total": {"type": "string", "description": "Total."}})
    by_column = {d.column: d for d in found}
    assert set(by_column) == {"coupon", "total", "address_city"}
    coupon = by_column["coupon"].to_dict()
    assert coupon["model"] == "stg_segment__order_completed__v2_0" and coupon["table"] == "order_completed"
    assert "column 'coupon' of model 'stg_segment__order_completed' is not in model " \
           "'stg_segment__order_completed__v2_0'" in coupon["message"]
    assert "is float in model 'stg_segment__order_completed' and string in model" in by_column["total"].message


def test_compatible_versions_and_same_column_type_narrowings_are_not_breaking_columns(tmp_path):
    later = {**PROPS, "gift": {"type": "boolean", "description": "Gift."},
             "total": {"type": ["number", "null"], "description": "Total."}}
    assert _drift(tmp_path, later) == []
    narrowed = {**PROPS, "total": {"type": "integer", "description": "Total."}}  # a breaking narrowing
    found = _drift(tmp_path, narrowed)
    assert [(d.column, d.kind) for d in found] == [("total", "breaking_change")]


def test_only_version_pairs_that_lose_or_retype_a_column_are_classified(tmp_path, monkeypatch):
    import reflekt_core.dbt.breaking as breaking

    pairs = []

    def counting(old, new):
        pairs.append((old["self"]["version"], new["self"]["version"]))
        return real(old, new)

    real = breaking.classify
    monkeypatch.setattr(breaking, "classify", counting)
    compatible = {**PROPS, "gift": {"type": "boolean", "description": "Gift."},
                  "coupon": {"type": "string", "description": "Coupon.", "maxLength": 8}}  # breaking, no column break
    assert _drift(tmp_path / "a", compatible) == [] and pairs == []
    found = _drift(tmp_path / "b", {**PROPS, "coupon": None})
    assert [d.column for d in found] == ["coupon"] and pairs == [("1-0", "2-0")]
