"""Bad input: one clear line naming the file, exit code 2, no traceback (real processes)."""

from __future__ import annotations

import json

import pytest

from tests.helpers import base_schema, make_project

REL = "web/Order_Completed/1-0.json"


def _assert_one_clear_line(run, *needles):
    assert run.exit_code == 2, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr and "Traceback" not in run.stdout
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("error: ")
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.parametrize(("text", "needles"), [
    ('{\n  "self": {"name": "A", "version": "1-0"},\n  "type": "object"\n  "x": 1\n}',
     ["schemas/web/Order_Completed/1-0.json:4:3", "invalid JSON: Expecting ',' delimiter"]),
    ("[1, 2, 3]", ["1-0.json", "expected a JSON object at the top level, found list"]),
    ('{"type": "object", "properties": {}}', ["1-0.json", "missing the 'self' block"]),
    ('{"self": {"name": "Order Completed", "version": "1.0"}}', ["1-0.json", "'1.0', not MAJOR-MINOR"]),
    ('{"$id": "../outside/1-0.json", "self": {"name": "Order Completed", "version": "1-0"}}',
     ["1-0.json", "leaves the schemas folder"]),
])
def test_bad_schema_files(tmp_path, reflekt_process, text, needles):
    root = make_project(tmp_path / "p", raw_files={REL: text})
    for fmt in ("text", "json"):
        run = reflekt_process(["lint", "--format", fmt], cwd=root)
        _assert_one_clear_line(run, *needles)
        assert run.stdout == ""


def test_every_bad_file_gets_its_own_line(tmp_path, reflekt_process):
    root = make_project(tmp_path / "p", {"web/Good/1-0.json": {}},
                        raw_files={"web/A/1-0.json": "{", "web/B/1-0.json": "[]"})
    run = reflekt_process(["lint"], cwd=root)
    assert run.exit_code == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 2 and "web/A/1-0.json:1:2" in lines[0] and "web/B/1-0.json" in lines[1]


def test_unreadable_file(tmp_path, reflekt_process):
    root = make_project(tmp_path / "p", {"web/Good/1-0.json": {}})
    (root / "schemas" / "web" / "Good" / "1-1.json").symlink_to(tmp_path / "gone.json")
    run = reflekt_process(["lint"], cwd=root)
    _assert_one_clear_line(run, "Good/1-1.json", "cannot read file: No such file or directory")


def test_empty_schemas_folder(tmp_path, reflekt_process):
    root = make_project(tmp_path / "p", {})
    run = reflekt_process(["lint"], cwd=root)
    _assert_one_clear_line(run, "no event schemas found under", "schemas")


def test_bad_project_file(tmp_path, reflekt_process):
    root = make_project(tmp_path / "p", {REL: {}}, {"schemas": {"conventions": {"event": {"casing": "upper"}}}})
    run = reflekt_process(["lint"], cwd=root)
    _assert_one_clear_line(run, "reflekt_project.yml:", "schemas.conventions.event.casing",
                           "title, snake, camel, pascal, any")


def test_invalid_meta_schema(tmp_path, reflekt_process):
    root = make_project(tmp_path / "p", {REL: {}})
    (root / "schemas" / ".reflekt" / "meta" / "1-0.json").write_text('{"type": 5}')
    run = reflekt_process(["lint"], cwd=root)
    _assert_one_clear_line(run, "meta/1-0.json", "not valid JSON Schema")


def test_missing_profiles_file_in_debug(tmp_path, reflekt_process):
    root = make_project(tmp_path / "p", {REL: {}})
    run = reflekt_process(["debug"], cwd=root)
    assert run.exit_code == 2 and "Traceback" not in run.stderr + run.stdout
    assert "failed" in run.stdout and "reflekt_profiles.yml: profiles file not found" in run.stdout


def test_outside_a_project(tmp_path, reflekt_process):
    run = reflekt_process(["lint"], cwd=tmp_path)
    _assert_one_clear_line(run, "no reflekt_project.yml found", "reflekt init")


def test_unknown_option_is_a_usage_error(tmp_path, reflekt_process):
    root = make_project(tmp_path / "p", {REL: {}})
    run = reflekt_process(["lint", "--format", "yaml"], cwd=root)
    assert run.exit_code == 2 and "Traceback" not in run.stderr
    assert "yaml" in run.stderr


def test_debug_flag_shows_the_traceback(tmp_path, reflekt_process):
    root = make_project(tmp_path / "p", raw_files={REL: "[]"})
    run = reflekt_process(["--debug", "lint"], cwd=root)
    assert run.exit_code == 2 and "Traceback" in run.stderr


def test_valid_schema_in_a_project_with_bom_and_comments(tmp_path, reflekt_process):
    text = json.dumps(base_schema(REL), indent=2).replace("{", "{ // comment\n", 1)
    root = make_project(tmp_path / "p", raw_files={REL: "\ufeff" + text})
    run = reflekt_process(["lint"], cwd=root)
    assert run.exit_code == 0, run.stderr
