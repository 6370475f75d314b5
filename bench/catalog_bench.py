"""Benchmark: whole-process `reflekt catalog` of one schema with 1,000 tables of 40 columns.

    .venv/bin/python bench/catalog_bench.py

Builds the schema in a DuckDB file and in a throw-away PostgreSQL server (Debian's
package, as the tests use), then times `reflekt catalog --source ... --format json`
three times each and reports the best. Target (issue 3): under 1 s on both.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration import layouts  # noqa: E402
from tests.integration.pgserver import start_server  # noqa: E402

REFLEKT = Path(sys.executable).with_name("reflekt")
OUT = ROOT / "bench" / "out" / "catalog"


def timed(project: Path, source: str) -> tuple[float, int]:
    best, size = float("inf"), 0
    for _ in range(3):
        start = time.perf_counter()
        proc = subprocess.run([str(REFLEKT), "catalog", "--source", source, "--format", "json"], cwd=project,
                              capture_output=True, check=True)
        best = min(best, time.perf_counter() - start)
        size = len(proc.stdout)
    return best, size


def main() -> None:
    import duckdb

    OUT.mkdir(parents=True, exist_ok=True)
    layout = layouts.wide_layout(1000, 40)
    db = OUT / "warehouse.duckdb"
    if db.exists():
        db.unlink()
    with duckdb.connect(str(db)) as con:
        con.execute("create schema segment")
        for statement in layouts.create_statements("duckdb", "segment", layout):
            con.execute(statement)
    server = start_server()
    try:
        server.execute(["create schema segment", *layouts.create_statements("postgres", "segment", layout)])
        profile = {"dev": {"source": [
            {"id": "duck", "type": "duckdb", "path": str(db)},
            {"id": "pg", "type": "postgres", "host": "127.0.0.1", "port": server.port, "user": server.user,
             "password": server.password, "database": server.database, "sslmode": "disable"}]}}
        (OUT / "reflekt_project.yml").write_text("version: 1\nname: bench\nvendor: com.bench\n")
        (OUT / "reflekt_profiles.yml").write_text(yaml.safe_dump(profile))
        for label, source in (("DuckDB", "duck.warehouse.segment"), ("PostgreSQL", "pg.dev.segment")):
            seconds, size = timed(OUT, source)
            print(f"{label:<11} 1,000 tables x 40 columns: best {seconds:.2f} s (JSON {size / 1e6:.1f} MB)")
    finally:
        server.stop()


if __name__ == "__main__":
    os.environ.setdefault("NO_COLOR", "1")
    main()
