"""Issue 9 §2: every output path goes through one guard; refused paths write nothing.

Each case: a command, an output path set up in a hostile way, the words the one error
line must contain; every user file must be unchanged (hashes), exit 2, no traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.adversarial.harness import assert_no_traceback, refused, run_cli, snapshot

BUILD = ["build", "--sdk", "segment", "--catalog", "catalog.json", "--out"]
REPORT = ["report", "--out"]
LINT = ["lint", "--output"]


def _setup_user_folder(root: Path) -> str:
    folder = root / "mine"
    folder.mkdir()
    (folder / "dbt_project.yml").write_text("name: my_own_project\n")
    return "mine"


def _setup_file(root: Path) -> str:
    (root / "afile.txt").write_text("keep me\n")
    return "afile.txt"


def _setup_file_parent(root: Path) -> str:
    (root / "afile.txt").write_text("keep me\n")
    return "afile.txt/sub"


def _setup_dangling(root: Path) -> str:
    (root / "dangling").symlink_to(root / "nowhere")
    return "dangling"


def _setup_link_to_schemas(root: Path) -> str:
    (root / "innocent").symlink_to(root / "schemas")
    return "innocent"


def _setup_fifo(root: Path) -> str:
    os.mkfifo(root / "pipe")
    return "pipe"


FOLDER_CASES = [
    # (id, path or setup, words in the error line)
    ("project-root", ".", ["is the project folder"]),
    ("project-root-abs", "{root}", ["is the project folder"]),
    ("parent-of-project", "..", ["contains the project folder"]),
    ("filesystem-root", "/", ["is the filesystem root"]),
    ("schemas", "schemas", ["inside the schemas folder"]),
    ("schemas-slash", "schemas/", ["inside the schemas folder"]),
    ("under-schemas", "schemas/web", ["inside the schemas folder"]),
    ("new-under-schemas", "schemas/new/pkg", ["inside the schemas folder"]),
    ("meta-folder", "schemas/.reflekt", ["inside the schemas folder"]),
    ("dotdot-into-schemas", "artifacts/../schemas", ["inside the schemas folder"]),
    ("symlink-to-schemas", _setup_link_to_schemas, ["inside the schemas folder"]),
    ("users-folder", _setup_user_folder, ["mine", "Reflekt did not generate it", "--force"]),
    ("over-a-file", _setup_file, ["afile.txt", "is a file"]),
    ("file-as-parent", _setup_file_parent, ["afile.txt", "is a file"]),
    ("over-a-schema-file", "schemas/web/Order_Completed/1-0.json", ["inside the schemas folder"]),
    ("over-the-project-file", "reflekt_project.yml", ["is a file"]),
    ("dangling-symlink", _setup_dangling, ["dangling symbolic link"]),
    ("fifo", _setup_fifo, ["pipe", "is a file"]),
]

FILE_CASES = [
    ("schema-file", "schemas/web/Order_Completed/1-0.json", ["inside the schemas folder"]),
    ("meta-schema", "schemas/.reflekt/meta/1-0.json", ["inside the schemas folder"]),
    ("new-file-in-schemas", "schemas/report.json", ["inside the schemas folder"]),
    ("project-file", "reflekt_project.yml", ["reflekt_project.yml"]),
    ("profiles-file", "reflekt_profiles.yml", ["reflekt_profiles.yml"]),
    ("project-root", ".", ["is a folder"]),
    ("a-folder", "schemas/..", ["is a folder"]),
    ("filesystem-root", "/", ["filesystem root"]),
    ("file-as-parent", _setup_file_parent, ["afile.txt", "is a file"]),
    ("fifo", _setup_fifo, ["pipe", "not a regular file"]),
    ("dangling-symlink", _setup_dangling, ["dangling symbolic link"]),
    ("symlink-to-schemas-folder", _setup_link_to_schemas, ["is a folder"]),
    ("symlink-to-schema-file", lambda root: _link(root, "schemas/web/Cart_Viewed/1-0.json"), ["inside the schemas folder"]),
]


def _link(root: Path, target: str) -> str:
    (root / "report.json").symlink_to(root / target)
    return "report.json"


def _path(root: Path, spec) -> str:
    return spec(root) if callable(spec) else spec.format(root=root)


@pytest.mark.parametrize("command", [BUILD, REPORT], ids=["build", "report"])
@pytest.mark.parametrize(("case", "spec", "words"), FOLDER_CASES, ids=[c[0] for c in FOLDER_CASES])
def test_folder_output_refused(project, command, case, spec, words):
    target = _path(project, spec)
    refused([*command, target], project, [*words], root=project.parent if case == "parent-of-project" else project)


@pytest.mark.parametrize(("case", "spec", "words"), FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_lint_output_refused(project, case, spec, words):
    refused([*LINT, _path(project, spec)], project, ["--output", *words])


@pytest.mark.parametrize("dry", [[], ["--dry-run"]], ids=["write", "dry-run"])
def test_build_out_root_with_dry_run_is_refused_at_once(project, dry):
    outcome = refused([*BUILD, "/", *dry], project, ["filesystem root"])
    assert outcome.seconds < 20


def test_force_writes_into_a_users_folder_and_keeps_its_files(project):
    _setup_user_folder(project)
    outcome = run_cli([*BUILD, "mine", "--force"], project)
    assert outcome.code == 0, outcome.stderr
    assert (project / "mine" / ".reflekt-generated").is_file()
    # dbt_project.yml was the user's: --force lets Reflekt write its own (the folder is a package now),
    # and from now on the folder is Reflekt's: no --force needed.
    outcome = run_cli([*BUILD, "mine"], project)
    assert outcome.code == 0, outcome.stderr


def test_force_never_overrides_the_hard_rules(project):
    for target in (".", "schemas", "/", "schemas/web"):
        refused([*BUILD, target, "--force"], project)
        refused([*REPORT, target, "--force"], project)


def test_missing_parents_are_created(project):
    outcome = run_cli([*BUILD, "out/a/b/pkg"], project)
    assert outcome.code == 0, outcome.stderr
    assert (project / "out/a/b/pkg/dbt_project.yml").is_file()
    outcome = run_cli([*LINT, "out/x/y/lint.json", "--format", "json"], project)
    assert outcome.code == 0 and (project / "out/x/y/lint.json").is_file()
    outcome = run_cli([*REPORT, "out/r/catalog"], project)
    assert outcome.code == 0 and (project / "out/r/catalog/index.md").is_file()


def test_generated_folders_are_replaced_without_force(project):
    for command, folder in ((BUILD, "pkg"), (REPORT, "docs")):
        assert run_cli([*command, folder], project).code == 0
        assert (project / folder / ".reflekt-generated").is_file()
        again = run_cli([*command, folder], project)
        assert again.code == 0, again.stderr
        assert_no_traceback(again)


def test_an_empty_existing_folder_is_fine(project):
    (project / "empty").mkdir()
    assert run_cli([*BUILD, "empty"], project).code == 0


def test_lint_output_may_replace_its_own_report(project):
    assert run_cli([*LINT, "lint.xml", "--format", "junit"], project).code == 0
    assert run_cli([*LINT, "lint.xml", "--format", "junit"], project).code == 0


INIT_CASES = [
    ("filesystem-root", "/", ["filesystem root"]),
    ("inside-schemas", "{root}/schemas/sub", ["inside the schemas folder"]),
    ("a-file", "{root}/afile.txt", ["is a file"]),
    ("existing-project", "{root}", ["already exists"]),
    ("users-folder", "{root}/mine", ["already holds files", "--force"]),
]


@pytest.mark.parametrize(("case", "spec", "words"), INIT_CASES, ids=[c[0] for c in INIT_CASES])
def test_init_dir_refused(project, case, spec, words):
    _setup_file(project)
    _setup_user_folder(project)
    refused(["init", "--dir", spec.format(root=project), "--no-input"], project.parent, words)


def test_init_force_keeps_existing_files(tmp_path):
    folder = tmp_path / "repo"
    (folder / ".git").mkdir(parents=True)
    assert run_cli(["init", "--dir", str(folder), "--no-input"], tmp_path).code == 0  # only .git: fine
    other = tmp_path / "other"
    other.mkdir()
    (other / "README.md").write_text("mine\n")
    (other / "reflekt_profiles.yml").write_text("mine: {}\n")
    before = snapshot(other)
    outcome = run_cli(["init", "--dir", str(other), "--no-input", "--force"], tmp_path)
    assert outcome.code == 0, outcome.stderr
    after = snapshot(other)
    assert {k: after[k] for k in before} == before and "reflekt_project.yml" in after


@pytest.mark.parametrize(("target", "words"), [
    ("schemas/catalog.json", ["inside the schemas folder"]), (".", ["is a folder"]), ("/", ["filesystem root"]),
    ("reflekt_profiles.yml", ["reflekt_profiles.yml"]), ("schemas/web/Cart_Viewed/1-0.json", ["inside the schemas"]),
], ids=["in-schemas", "project-root", "filesystem-root", "profiles-file", "schema-file"])
def test_catalog_out_refused_before_connecting(project, target, words):
    refused(["catalog", "--source", "wh.warehouse.segment", "--out", target], project, ["--out", *words])
