from __future__ import annotations

import os

import pytest

from tests.helpers import copy_seeded_demo


@pytest.fixture(scope="module")
def demo_project(tmp_path_factory):
    """A copy of the demo with its warehouse seeded and the env the dbt profile reads."""
    target = copy_seeded_demo(tmp_path_factory.mktemp("dagster") / "jaffle_shop")
    previous = os.environ.get("REFLEKT_DEMO_DUCKDB")
    os.environ["REFLEKT_DEMO_DUCKDB"] = str(target / "warehouse.duckdb")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    yield target
    if previous is None:
        os.environ.pop("REFLEKT_DEMO_DUCKDB", None)
    else:
        os.environ["REFLEKT_DEMO_DUCKDB"] = previous
