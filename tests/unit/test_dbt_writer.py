"""The package writer: atomic swap, no rewrite when unchanged, user files kept, dry runs."""

from __future__ import annotations

import os

import pytest

from reflekt_core.dbt.render import SQL_HEADER, YAML_HEADER
from reflekt_core.dbt import writer
from reflekt_core.dbt.writer import write_package
from reflekt_core.errors import OutputError

FILES = {"dbt_project.yml": f"{YAML_HEADER}\nname: x\n", "models/a.sql": f"{SQL_HEADER}\nselect 1\n",
         "models/b.sql": f"{SQL_HEADER}\nselect 2\n"}


def _snapshot(folder):
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_first_write_and_no_change_rewrites_nothing(tmp_path):
    dest = tmp_path / "pkg"
    result = write_package(FILES, dest)
    assert sorted(result.created) == sorted(FILES)
    before = _snapshot(dest)
    again = write_package(FILES, dest)
    assert not again.touched and sorted(again.unchanged) == sorted(FILES)
    assert _snapshot(dest) == before


def test_changes_keep_user_files_and_remove_stale_generated_ones(tmp_path):
    dest = tmp_path / "pkg"
    write_package(FILES, dest)
    (dest / "models" / "my_model.sql").write_text("select 42  -- mine\n")
    (dest / "target").mkdir()
    (dest / "target" / "manifest.json").write_text("{}")
    unchanged_mtime = (dest / "models" / "a.sql").stat().st_mtime_ns
    new = {**FILES, "models/b.sql": f"{SQL_HEADER}\nselect 3\n", "models/c.sql": f"{SQL_HEADER}\nselect 4\n"}
    del new["dbt_project.yml"]
    result = write_package(new, dest)
    assert result.changed == ["models/b.sql"] and result.created == ["models/c.sql"]
    assert result.removed == ["dbt_project.yml"]
    assert not (dest / "dbt_project.yml").exists()
    assert (dest / "models" / "my_model.sql").read_text() == "select 42  -- mine\n"
    assert (dest / "target" / "manifest.json").read_text() == "{}"
    assert (dest / "models" / "a.sql").stat().st_mtime_ns == unchanged_mtime
    assert (dest / "models" / "b.sql").read_text().endswith("select 3\n")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pkg.reflekt")]


def test_a_failed_write_leaves_the_previous_package_intact(tmp_path, monkeypatch):
    dest = tmp_path / "pkg"
    write_package(FILES, dest)
    (dest / "notes.md").write_text("user notes")
    before = _snapshot(dest)
    real_rename = os.rename

    def failing_rename(src, dst):
        if ".reflekt-new-" in str(src):
            raise OSError(28, "No space left on device")
        return real_rename(src, dst)

    monkeypatch.setattr(os, "rename", failing_rename)
    monkeypatch.setattr(writer, "_exchange", lambda a, b: False)
    with pytest.raises(OutputError, match="no space left on device while writing"):
        write_package({**FILES, "models/a.sql": f"{SQL_HEADER}\nselect 99\n"}, dest)
    assert _snapshot(dest) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".pkg.reflekt")]


def test_dry_run_writes_nothing_and_shows_a_diff(tmp_path):
    dest = tmp_path / "pkg"
    write_package(FILES, dest)
    before = _snapshot(dest)
    result = write_package({**FILES, "models/a.sql": f"{SQL_HEADER}\nselect 100\n"}, dest, dry_run=True)
    assert result.changed == ["models/a.sql"]
    assert "-select 1\n+select 100\n" in result.diff
    assert _snapshot(dest) == before
