from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import make_project

EVENTS = ("web/Order_Completed/1-0.json", "web/Order_Completed/1-1.json", "web/Cart_Viewed/1-0.json")


def write_catalog(path: Path) -> Path:
    """A saved catalog (as 'reflekt catalog --out' writes it) with the Segment tables of EVENTS."""
    columns = [{"name": n, "type": t, "data_type": t, "nullable": True, "position": i}
               for i, (n, t) in enumerate([("id", "string"), ("received_at", "timestamp"), ("order_id", "string")])]
    tables = {name: columns for name in ("tracks", "order_completed", "cart_viewed", "identifies", "users", "pages")}
    data = {"reflekt_catalog_version": 1, "catalogs": [{"source_id": "wh", "source_type": "duckdb",
                                                       "database": "warehouse", "schema": "segment",
                                                       "tables": tables}]}
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def project(tmp_path) -> Path:
    """A small lint-clean project with a saved catalog, so 'build --catalog' runs offline."""
    root = make_project(tmp_path / "p", {rel: {} for rel in EVENTS})
    write_catalog(root / "catalog.json")
    return root
