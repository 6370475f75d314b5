"""Benchmark: `reflekt lint --iglu-dir` over a generated static Iglu repository (issue 14).

    .venv/bin/python bench/iglu_lint_bench.py            # 500 schemas (the issue's corpus size)
    .venv/bin/python bench/iglu_lint_bench.py 500 2000   # chosen sizes

Each size is generated once (bench/out/iglu<N>: five vendors, SchemaVer histories up to 3-2-1,
nested objects, $ref to definitions, four file formattings), then linted 3 times as a whole
process (`reflekt lint --iglu-dir DIR --format json`) and 3 times in process (`lint_iglu_dir`,
imports warm). Best wall time, CPU time of the process and peak RSS are reported.
Target: 500 schemas < 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
REFLEKT = Path(sys.executable).with_name("reflekt")
sys.path.insert(0, str(ROOT))


def whole_process(repo: Path) -> tuple[float, float, float, dict]:
    start = time.perf_counter()
    proc = subprocess.Popen([str(REFLEKT), "lint", "--iglu-dir", str(repo), "--format", "json"],
                            cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.read()
    proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"reflekt lint failed with exit code {os.waitstatus_to_exitcode(status)}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, json.loads(out)["summary"]


def in_process(repo: Path) -> tuple[float, float]:
    from reflekt_core.lint.iglu_dir import lint_iglu_dir

    start, cpu = time.perf_counter(), time.process_time()
    lint_iglu_dir(repo)
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("sizes", nargs="*", type=int, default=[500], help="numbers of schemas (default 500)")
    parser.add_argument("--runs", type=int, default=3, help="runs per size (default 3)")
    args = parser.parse_args()
    from tests.integration.iglu_corpus import generate_repository

    print("| schemas | best wall (process) | CPU (process) | peak RSS | best wall in process | CPU in process "
          "| violations |")
    print("|---:|---:|---:|---:|---:|---:|---|")
    for size in args.sizes:
        repo = HERE / "out" / f"iglu{size}"
        if not (repo / "schemas").is_dir():
            generate_repository(repo, size)
        runs = [whole_process(repo) for _ in range(args.runs)]
        in_process(repo)  # warm
        best_in, best_in_cpu = min(in_process(repo) for _ in range(args.runs))
        wall, cpu, rss, summary = min(runs)
        print(f"| {summary['schemas']} | {wall:.2f} s | {cpu:.2f} s | {rss:.0f} MiB | {best_in:.2f} s | "
              f"{best_in_cpu:.2f} s | "
              f"{summary['errors']} errors, {summary['warnings']} warnings, {summary['infos']} infos |")


if __name__ == "__main__":
    main()
