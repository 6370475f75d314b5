"""Write a set of schema files all or nothing, even if the process is killed half-way.

Files are staged in one hidden folder, ``schemas/.reflekt-pull-<pid>/``, and fsynced; a
``COMMITTED`` file then marks the set complete, and only after that are the files moved
into place. A pull killed before the mark leaves the schemas untouched; one killed after
it is completed by the next command (:func:`recover`, run when a project is loaded).
Either way the staging folder is gone once the next command has run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from reflekt_core.fsutil import pid_alive, write_error, writing

PREFIX = ".reflekt-pull-"
_COMMITTED = "COMMITTED"


def _move_into_place(stage: Path, schemas_dir: Path) -> None:
    files = stage / "files"
    for root, _dirs, names in os.walk(files):
        for name in names:
            staged = Path(root) / name
            final = schemas_dir / staged.relative_to(files)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, final)


def recover(schemas_dir: Path) -> None:
    """Finish or undo what a killed pull left in ``schemas_dir``; remove its staging folder."""
    try:
        entries = [e for e in os.scandir(schemas_dir) if e.name.startswith(PREFIX) and e.is_dir(follow_symlinks=False)]
    except OSError:
        return
    for entry in entries:
        pid = entry.name[len(PREFIX):]
        if pid.isdigit() and pid_alive(int(pid)):
            continue
        stage = Path(entry.path)
        with writing(schemas_dir):
            if (stage / _COMMITTED).is_file():
                _move_into_place(stage, schemas_dir)
            shutil.rmtree(stage, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def commit_files(schemas_dir: Path, files: Mapping[str, str]) -> None:
    """Write ``{relative path: text}`` under ``schemas_dir``: every file, or (on failure) none."""
    if not files:
        return
    recover(schemas_dir)
    stage = schemas_dir / f"{PREFIX}{os.getpid()}"
    current = schemas_dir
    try:
        shutil.rmtree(stage, ignore_errors=True)
        for rel, text in files.items():
            current = schemas_dir / rel
            temp = stage / "files" / rel
            temp.parent.mkdir(parents=True, exist_ok=True)
            with open(temp, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        current = stage / _COMMITTED
        current.write_text("complete\n", encoding="utf-8")
        _fsync_dir(stage)
    except OSError as exc:
        shutil.rmtree(stage, ignore_errors=True)
        raise write_error(exc, current) from None
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    with writing(schemas_dir):
        _move_into_place(stage, schemas_dir)
        shutil.rmtree(stage, ignore_errors=True)
