"""Benchmark: whole-process `reflekt lint --format json` over generated projects.

    .venv/bin/python bench/lint_bench.py            # 1,000 / 2,000 / 5,000 / 10,000 schemas
    .venv/bin/python bench/lint_bench.py 1000 5000  # chosen sizes

Each size is generated once (bench/out/p<N>), then linted 3 times; the best wall time, the
CPU time (user + sys, worker processes included) of that run and the peak RSS are reported.
Extra arguments after ``--`` go to ``reflekt lint`` (e.g. ``-- --jobs 1`` for one process).
Targets (issue 2): 1,000 schemas < 1 s, 10,000 < 5 s, peak memory < 300 MiB, cost linear in N.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from generate_schemas import generate

HERE = Path(__file__).resolve().parent
REFLEKT = Path(sys.executable).with_name("reflekt")


def run_once(project: Path, extra: list[str]) -> tuple[float, float, dict, float]:
    start = time.perf_counter()
    proc = subprocess.Popen([str(REFLEKT), "lint", "--format", "json", *extra], cwd=project,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.read()
    proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"reflekt lint failed with exit code {proc.returncode}")
    return elapsed, usage.ru_maxrss / 1024, json.loads(out)["summary"], usage.ru_utime + usage.ru_stime


def main(sizes: list[int], extra: list[str]) -> None:
    rows = []
    for size in sizes:
        project = HERE / "out" / f"p{size}"
        if not (project / "schemas" / "bench").is_dir() or \
                sum(1 for _ in (project / "schemas").rglob("*.json")) != size:
            generate(size, project)
        runs = [run_once(project, extra) for _ in range(3)]
        best = min(r[0] for r in runs)
        cpu = min(runs)[3]
        peak = max(r[1] for r in runs)
        summary = runs[0][2]
        rows.append((size, best, peak, summary))
        print(f"{size:>6} schemas  best {best:6.2f} s  {best / size * 1e6:7.0f} µs/schema  cpu {cpu:6.2f} s  "
              f"peak {peak:6.1f} MiB  errors {summary['errors']} warnings {summary['warnings']}  "
              f"(load average {os.getloadavg()[0]:.1f})", flush=True)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, help="numbers of schemas (default: 1000, 2000, 5000, 10000)")
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    main(args.sizes or [1000, 2000, 5000, 10000], extra)
