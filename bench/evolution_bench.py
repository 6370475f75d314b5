"""Benchmark: whole-process `reflekt lint --base REF` (the schema evolution gate) on a git repository.

    .venv/bin/python bench/evolution_bench.py                 # 1,000 schemas, 100 changed files
    .venv/bin/python bench/evolution_bench.py --schemas 5000 --changed 500

Generates a project (bench/out/evo<N>), commits it, then changes files in the work tree:
a third edited in place (a description, or a property removed), a third new versions
(``1-1`` or ``1-2`` after the latest, adding an optional property or narrowing a type) and
a third deleted, in equal parts. Runs `reflekt lint --base HEAD --format json` (the whole
lint plus the gate), `reflekt lint` without the gate, and `--select-rules evolution` (the
gate alone) 3 times each and reports the best wall and CPU times. Target (issue 15): 1,000 schemas with 100 changed files < 1.5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from generate_schemas import generate

HERE = Path(__file__).resolve().parent
REFLEKT = Path(sys.executable).with_name("reflekt")
GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}


def git(project: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=project, check=True, capture_output=True, env=GIT_ENV)


def prepare(schemas: int, changed: int) -> Path:
    project = HERE / "out" / f"evo{schemas}"
    generate(schemas, project)
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "base")
    files = sorted((project / "schemas" / "bench").rglob("*.json"))
    for index, path in enumerate(files[:changed]):
        doc = json.loads(path.read_text())
        if index % 3 == 0:  # edited in place
            if index % 2:
                doc["description"] += " Reworded."
            else:
                doc["properties"].pop(sorted(doc["properties"])[-1])
            path.write_text(json.dumps(doc, indent=2) + "\n")
        elif index % 3 == 1:  # a new version after the latest one
            latest = max(path.parent.glob("*.json"), key=lambda p: tuple(map(int, p.stem.split("-"))))
            major, minor = map(int, latest.stem.split("-"))
            version = f"{major}-{minor + 1}"
            doc = json.loads(latest.read_text())
            doc["self"]["version"], doc["$id"] = version, doc["$id"].rsplit("/", 1)[0] + f"/{version}.json"
            doc["properties"]["gift_note"] = {"type": "string", "description": "A note."}
            if index % 2:
                doc["properties"]["product"]["properties"]["sku"]["maxLength"] = 32
            (path.parent / f"{version}.json").write_text(json.dumps(doc, indent=2) + "\n")
        else:
            path.unlink()
    return project


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(project: Path, *extra: str) -> tuple[float, float, dict]:
    cpu, start = _cpu(), time.perf_counter()
    proc = subprocess.run([str(REFLEKT), "lint", "--format", "json", *extra], cwd=project,
                          capture_output=True)
    elapsed, used = time.perf_counter() - start, _cpu() - cpu
    if proc.returncode not in (0, 1):
        raise SystemExit(f"reflekt lint failed ({proc.returncode}): {proc.stderr.decode()}")
    return elapsed, used, json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schemas", type=int, default=1000, help="schemas in the plan (default 1000)")
    parser.add_argument("--changed", type=int, default=100, help="files changed since the base (default 100)")
    args = parser.parse_args()
    project = prepare(args.schemas, args.changed)
    for label, extra in (("lint + gate", ("--base", "HEAD")), ("lint alone", ()),
                         ("gate only", ("--base", "HEAD", "--select-rules", "evolution"))):
        runs = [run(project, *extra) for _ in range(3)]
        best, cpu = min(r[0] for r in runs), min(r[1] for r in runs)
        codes: dict[str, int] = {}
        for v in runs[0][2]["violations"]:
            if v["code"].startswith("R7"):
                codes[v["code"]] = codes.get(v["code"], 0) + 1
        print(f"{label:<12} {args.schemas} schemas, {args.changed} changed: best {best:.2f} s wall, {cpu:.2f} s CPU  "
              f"(gate findings {dict(sorted(codes.items()))})", flush=True)


if __name__ == "__main__":
    main()
