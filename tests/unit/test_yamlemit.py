"""The fast YAML emitter reads back as exactly what was written."""

from __future__ import annotations

import pytest
import yaml

from reflekt_core.dbt.yamlemit import emit

CASES = [
    {"version": 2, "models": [{"name": "stg_a", "description": "It's: a \"quoted\"\nmulti-line text # not a comment",
                               "columns": [{"name": "id", "data_tests": ["unique", "not_null"]},
                                           {"name": "tier", "data_tests": [{"accepted_values": {"arguments": {
                                               "values": ["yes", "no", "on", "null", "1", "-"]}}}]},
                                           {"name": "n", "data_tests": [{"reflekt_range": {"arguments": {
                                               "min_value": 0, "max_value": None, "min_inclusive": True,
                                               "max_inclusive": False}}}]}]}]},
    {"empty_list": [], "empty_map": {}, "nested": [[1, 2], {"a": 1.5}], "unicode": "Événement ✓", "key with space": 1},
    {"name": "x", "+materialized": "view", "config-version": 2, "paths": ["models"]},
]


@pytest.mark.parametrize("data", CASES)
def test_round_trip(data):
    assert yaml.safe_load(emit(data)) == data


def test_generated_golden_yaml_files_round_trip():
    from tests.helpers import ROOT

    files = list((ROOT / "tests" / "fixtures" / "golden").rglob("*.yml"))
    assert files
    for path in files:
        data = yaml.safe_load(path.read_text())
        assert yaml.safe_load(emit(data)) == data, path
