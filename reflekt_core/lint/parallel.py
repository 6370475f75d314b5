"""Lint a large selection on several cores: the per-schema rules in forked worker processes.

The files are split into contiguous chunks; this process lints the first while each worker
lints one of the others and sends back its :class:`~reflekt_core.lint.engine.SchemaPass`
(violations with their lines, the slim plan view). The parts are joined in file order and the
plan-wide rules run here over all of them, so the result is the one a single process gives.

Workers are forked (Linux only) after the rules, validators and context are built, so they
start with everything compiled and imported; a worker that fails for any reason has its chunk
linted here instead. Files that fail to load in a worker are read again here, so every
:class:`~reflekt_core.errors.SchemaLoadError` is the one a single process raises.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from reflekt_core.errors import SchemaLoadError
from reflekt_core.lint.result import Level, LintResult
from reflekt_core.lint.rule import LintContext, Rule
from reflekt_core.project import Project

#: Below this many selected schemas a second process costs more than it saves.
MIN_SCHEMAS = 1000
#: Schemas per worker at least, and workers at most.
MIN_PER_JOB = 500
MAX_JOBS = 4


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def can_fork() -> bool:
    import multiprocessing

    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def resolve_jobs(jobs: int, count: int) -> int:
    """Processes to lint ``count`` schemas with: ``jobs`` (0: as many as pay off, up to the usable
    CPUs), never more than one per :data:`MIN_PER_JOB` schemas, and 1 where workers cannot be forked."""
    if jobs == 1 or count < MIN_SCHEMAS or not can_fork():
        return 1
    wanted = min(usable_cpus(), MAX_JOBS) if jobs <= 0 else jobs
    return max(1, min(wanted, count // MIN_PER_JOB))


#: This process's share of the schemas against a worker's: it also runs the plan-wide rules
#: (about a tenth of the per-schema work) and reads the workers' results.
OWN_SHARE = 0.8


def _chunks(files: Sequence[str], parts: int) -> list[Sequence[str]]:
    """``parts`` contiguous chunks in file order, the first (this process's) a little smaller."""
    own = int(len(files) * OWN_SHARE / (OWN_SHARE + parts - 1))
    size, extra = divmod(len(files) - own, parts - 1)
    chunks, start = [files[:own]], own
    for index in range(parts - 1):
        end = start + size + (1 if index < extra else 0)
        chunks.append(files[start:end])
        start = end
    return chunks


def _worker(writer, schemas_dir: Path, chunk: Sequence[str], schema_rules, ctx: LintContext) -> None:
    from reflekt_core.lint.engine import check_schemas
    from reflekt_core.schemas.loader import iter_load

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and ends the workers
    parent, done = os.getppid(), 0

    def parent_alive(count: int) -> None:  # a parent killed outright leaves no worker behind for long
        nonlocal done
        done += count
        if done % 100 == 0 and os.getppid() != parent:
            raise SystemExit(1)

    try:
        errors: list[SchemaLoadError] = []
        found = check_schemas(iter_load(schemas_dir, chunk, errors), schema_rules, ctx, parent_alive)
        writer.send((found, [getattr(error, "rel_path", None) for error in errors]))
    except BaseException:  # noqa: BLE001 - the parent lints this chunk itself
        pass
    finally:
        writer.close()


def lint_in_parallel(project: Project, files: Sequence[str], errors: list[SchemaLoadError], jobs: int, *,
                     select_rules: Iterable[str] | None = None, skip_rules: Iterable[str] | None = None,
                     all_files: Sequence[str] = (), progress: Callable[[int], None] | None = None,
                     on_count: Callable[[int], None] | None = None) -> LintResult:
    """Lint ``files`` (relative to ``schemas/``) in ``jobs`` processes; load errors go to ``errors``."""
    import multiprocessing

    from reflekt_core.lint.catalogue import resolve_rules
    from reflekt_core.lint.engine import SchemaPass, assemble, build_context, check_schemas
    from reflekt_core.schemas.loader import iter_load, read_schema

    rules: list[tuple[Rule, Level]] = resolve_rules(project, select_rules, skip_rules)
    ctx = build_context(project, all_files)
    schema_rules = [(rule, level) for rule, level in rules if rule.scope == "schema"]
    schemas_dir = project.schemas_dir
    chunks = _chunks(files, jobs)

    def here(chunk: Sequence[str]) -> SchemaPass:
        return check_schemas(iter_load(schemas_dir, chunk, errors), schema_rules, ctx, progress)

    sys.stdout.flush()
    sys.stderr.flush()
    fork = multiprocessing.get_context("fork")
    workers = []
    try:
        for chunk in chunks[1:]:  # forked before any progress bar starts its thread
            reader, writer = fork.Pipe(duplex=False)
            process = fork.Process(target=_worker, args=(writer, schemas_dir, chunk, schema_rules, ctx), daemon=True)
            try:
                process.start()
            except OSError:  # no process to be had (limits, a sandbox): this chunk is linted here
                reader.close()
                reader, process = None, None
            writer.close()
            workers.append((process, reader, chunk))
        if on_count:
            on_count(len(files))
        parts = [here(chunks[0])]
        for process, reader, chunk in workers:
            found, failed = None, []
            if process is not None:
                try:
                    found, failed = reader.recv()
                except (EOFError, OSError):
                    pass
                process.join()
            if found is not None and process.exitcode == 0 and _reload_errors(schemas_dir, failed, errors, read_schema):
                parts.append(found)
                if progress:
                    progress(len(chunk))
            else:
                parts.append(here(chunk))
    finally:
        for process, reader, _ in workers:
            if reader is not None:
                reader.close()
            if process is not None and process.is_alive():
                process.terminate()
                process.join()
    return assemble(rules, parts, ctx)


def _reload_errors(schemas_dir: Path, failed: list[str | None], errors: list[SchemaLoadError], read_schema) -> bool:
    """Read the files a worker could not load again here, for the very same errors; False if one
    now loads (the worker's part is then not used)."""
    found: list[SchemaLoadError] = []
    for rel in failed:
        if rel is None:
            return False
        try:
            read_schema(schemas_dir, rel)
        except SchemaLoadError as exc:
            found.append(exc)
        else:
            return False
    errors.extend(found)
    return True
