from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.helpers import DEMO


@pytest.fixture(scope="module")
def demo_project(tmp_path_factory):
    """A copy of the demo with its warehouse seeded and the env the dbt profile reads."""
    target = tmp_path_factory.mktemp("dagster") / "jaffle_shop"
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns("*.duckdb*", "artifacts", "reports", "target"))
    subprocess.run([sys.executable, str(target / "seed.py"), str(target / "warehouse.duckdb")], check=True,
                   capture_output=True)
    previous = os.environ.get("REFLEKT_DEMO_DUCKDB")
    os.environ["REFLEKT_DEMO_DUCKDB"] = str(target / "warehouse.duckdb")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    yield target
    if previous is None:
        os.environ.pop("REFLEKT_DEMO_DUCKDB", None)
    else:
        os.environ["REFLEKT_DEMO_DUCKDB"] = previous
