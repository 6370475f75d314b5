"""Linting in several processes gives exactly the single-process result (violations, order,
lines, skipped files, load errors), and falls back to linting here when a worker fails."""

from __future__ import annotations

import os

import pytest

from reflekt_core.errors import SchemaLoadErrors
from reflekt_core.lint import parallel
from reflekt_core.lint.engine import lint_project
from reflekt_core.project import load_project
from tests.helpers import make_project

pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="workers are forked (Linux)")

FILES = {
    "web/Order_Completed/1-0.json": {},
    "web/Order_Completed/1-1.json": {"properties": {"orderId": {"type": "string"}}},          # R104, R302
    "web/Order_Completed/1-3.json": {},                                                        # R601 gap
    "web/Cart_Viewed/1-0.json": {"properties": {"n": {"type": "integer", "minimum": 5, "maximum": 1}}},
    "web/Cart Viewed/1-0.json": {},                                                            # R202-ish names
    "web/Skipped_Event/1-0.json": {"self": {"lint": False}, "properties": {"BAD": {}}},
    "app/Page_Viewed/1-0.json": {"required": ["missing_key"]},                                 # R507
    "app/Signed_Up/1-0.json": {"properties": {"plan": {"type": "text"}}},                      # R502
    "app/Signed_Up/2-0.json": {"description": ""},
    "app/Order_Completed/1-0.json": {},
    "app/OrderCompleted/1-0.json": {},                                                         # R602/R603
    "app/Item_Added/1-0.json": {"properties": {"items": {"type": "array", "items": {"type": "object"}}}},
}


@pytest.fixture
def small_thresholds(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_SCHEMAS", 2)
    monkeypatch.setattr(parallel, "MIN_PER_JOB", 2)


def _same(a, b):
    assert a.violations == b.violations
    assert a.schema_paths == b.schema_paths
    assert a.skipped_paths == b.skipped_paths
    assert a.rule_codes == b.rule_codes


def test_three_processes_give_the_single_process_result(tmp_path, small_thresholds, monkeypatch):
    project = load_project(make_project(tmp_path / "p", FILES))
    single = lint_project(project, jobs=1)
    assert {v.code for v in single.violations} >= {"R104", "R302", "R503", "R507", "R502", "R601"}
    assert single.skipped_paths == ["schemas/web/Skipped_Event/1-0.json"]

    pids = tmp_path / "pids"
    pids.mkdir()
    real_worker = parallel._worker

    def spying_worker(*args):
        (pids / str(os.getpid())).touch()
        real_worker(*args)

    monkeypatch.setattr(parallel, "_worker", spying_worker)
    several = lint_project(project, jobs=3)
    _same(single, several)
    workers = {int(p.name) for p in pids.iterdir()}
    assert len(workers) == 2 and os.getpid() not in workers  # two forked workers, this process the third


def test_a_failing_worker_has_its_chunk_linted_here(tmp_path, small_thresholds, monkeypatch):
    project = load_project(make_project(tmp_path / "p", FILES))
    single = lint_project(project, jobs=1)
    monkeypatch.setattr(parallel, "_worker", lambda writer, *args: writer.close())
    _same(single, lint_project(project, jobs=3))


def test_no_process_to_be_had_lints_every_chunk_here(tmp_path, small_thresholds, monkeypatch):
    import multiprocessing

    project = load_project(make_project(tmp_path / "p", FILES))
    single = lint_project(project, jobs=1)

    def refuse(self):
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(type(multiprocessing.get_context("fork").Process()), "start", refuse)
    _same(single, lint_project(project, jobs=3))


def test_load_errors_are_the_single_process_errors_in_file_order(tmp_path, small_thresholds):
    raw = {"app/A_Bad/1-0.json": "{not json", "web/Z_Bad/1-0.json": '{"self": 5}', "web/M_Bad/1-0.json": "[]"}
    project = load_project(make_project(tmp_path / "p", FILES, raw_files=raw))
    with pytest.raises(SchemaLoadErrors) as single:
        lint_project(project, jobs=1)
    with pytest.raises(SchemaLoadErrors) as several:
        lint_project(project, jobs=3)
    assert [str(e) for e in several.value.errors] == [str(e) for e in single.value.errors]
    assert len(single.value.errors) == 3


def test_jobs_resolution():
    assert parallel.resolve_jobs(1, 50_000) == 1
    assert parallel.resolve_jobs(0, parallel.MIN_SCHEMAS - 1) == 1
    assert parallel.resolve_jobs(8, 1_200) == 1_200 // parallel.MIN_PER_JOB
    assert 1 <= parallel.resolve_jobs(0, 50_000) <= min(parallel.usable_cpus(), parallel.MAX_JOBS)
