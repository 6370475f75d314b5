"""Benchmark: whole-process `reflekt build --artifact dbt` for N events against an N-table catalog.

    .venv/bin/python bench/build_bench.py            # 250 / 500 / 1,000 / 2,000 events
    .venv/bin/python bench/build_bench.py 1000

Uses the lint benchmark's generated schemas and a saved catalog (`--catalog`) holding one
Segment event table per event, so the figure is Reflekt's own work, not a warehouse's.
Each size: a first build into an empty folder (every file created), then a rebuild with no
change (nothing rewritten), both into tmpfs (Reflekt's own cost) and onto the project's
disk (adds this machine's file-creation cost, which varies a lot on its virtual disk).
Target (issue 4): 1,000 events in under 2 s, linear in N.

Each figure is the best of 3 whole processes, wall time and CPU time (user + sys of the
process) each; the load average is printed beside them, since a shared machine inflates
wall times far more than CPU times.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from generate_schemas import generate

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from reflekt_core.naming.segment import snakecase  # noqa: E402

REFLEKT = Path(sys.executable).with_name("reflekt")
SHM = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
STANDARD = ["id", "anonymous_id", "user_id", "received_at", "sent_at", "timestamp", "original_timestamp",
            "uuid_ts", "event", "event_text", "context_library_name", "context_page_path"]


def make_catalog(project: Path) -> Path:
    tables = {}
    for path in sorted((project / "schemas").rglob("*.json")):
        if ".reflekt" in path.parts:
            continue
        doc = json.loads(path.read_text())
        columns = STANDARD + [p for p in doc["properties"] if p not in ("product", "items")] + ["product_sku", "items"]
        tables[snakecase(doc["self"]["name"])] = [
            {"name": c, "type": "string", "data_type": "varchar", "nullable": True, "position": i}
            for i, c in enumerate(dict.fromkeys(columns), start=1)]
    catalog = project / "catalog.json"
    catalog.write_text(json.dumps({"reflekt_catalog_version": 1, "catalogs": [
        {"source_id": "wh", "source_type": "duckdb", "database": "warehouse", "schema": "segment", "tables": tables}]}))
    return catalog


def run(project: Path, catalog: Path, out: Path) -> tuple[float, float]:
    """(wall, CPU) seconds of one whole ``reflekt build`` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([str(REFLEKT), "build", "--artifact", "dbt", "--sdk", "segment", "--catalog", str(catalog),
                    "--out", str(out)], cwd=project, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def best(runs: list[tuple[float, float]]) -> str:
    return f"{min(w for w, _ in runs):.2f} s ({min(c for _, c in runs):.2f} s CPU)"


def main(sizes: list[int]) -> None:
    for size in sizes:
        project = HERE / "out" / f"build{size}"
        if not (project / "catalog.json").exists():
            generate(size, project)
            make_catalog(project)
        for label, base in (("tmpfs", SHM), ("disk", project)):
            if base is None:
                continue
            outs = [base / f"reflekt-bench-pkg{size}-{n}" for n in range(3)]
            for old in outs:
                shutil.rmtree(old, ignore_errors=True)
                old.with_name(f"{old.name}.drift.json").unlink(missing_ok=True)
            load = os.getloadavg()[0]
            first = [run(project, project / "catalog.json", out) for out in outs]
            again = [run(project, project / "catalog.json", outs[0]) for _ in range(3)]
            files = sum(1 for p in outs[0].rglob("*") if p.is_file())
            print(f"{size:>5} events, {label:<5}: first build best {best(first)}, {files} files; "
                  f"unchanged rebuild best {best(again)}; load average {load:.1f}-{os.getloadavg()[0]:.1f}",
                  flush=True)
            for old in outs:
                shutil.rmtree(old, ignore_errors=True)
                old.with_name(f"{old.name}.drift.json").unlink(missing_ok=True)  # written beside the package


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, help="numbers of schemas (default: 250, 500, 1000, 2000)")
    main(parser.parse_args().sizes or [250, 500, 1000, 2000])
