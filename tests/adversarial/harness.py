"""The adversarial corpus's harness: run the real CLI, then check what a hostile case must not do.

Every case asserts the exit code; exactly one ``error:`` line naming the file, key or
remote item; no traceback; and that every user file is byte-for-byte unchanged. The
suite-wide network guard (tests/netguard) fails any case that reaches past loopback.
Other corpus files (``test_schema_text.py``, ``test_network.py``) import these helpers.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

#: Files Reflekt itself may create next to user files without changing them.
IGNORED_PARTS = ("__pycache__", ".reflekt-generated")


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str
    seconds: float = 0.0

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("error:")]


def run_cli(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 60,
            stdin: str | None = None) -> Outcome:
    """``reflekt ARGS`` as a real process in ``cwd`` (no colour, wide lines, no inherited project)."""
    import time

    full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "250", "TERM": "dumb", **(env or {})}
    full_env.pop("REFLEKT_PROJECT_DIR", None)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "reflekt_core.cli", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout, input=stdin,
                          stdin=None if stdin is not None else subprocess.DEVNULL)
    return Outcome(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)


def snapshot(root: Path) -> dict[str, str]:
    """sha256 of every regular file under ``root`` (symlinks by their target text), by relative path."""
    found: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in IGNORED_PARTS]
        for name in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            if name in IGNORED_PARTS:
                continue
            if path.is_symlink():
                found[rel] = "link:" + os.readlink(path)
            elif path.is_file():
                found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                found[rel] = "special"
    return found


def assert_no_traceback(outcome: Outcome) -> None:
    text = outcome.stdout + outcome.stderr
    assert "Traceback (most recent call last)" not in text, text
    assert "internal error" not in text, text


def assert_one_error(outcome: Outcome, names: Iterable[str] = (), code: int = 2) -> str:
    """Exit ``code``, exactly one ``error:`` line containing every one of ``names``, no traceback."""
    assert outcome.code == code, (outcome.code, outcome.stdout[-2000:], outcome.stderr[-2000:])
    assert_no_traceback(outcome)
    lines = outcome.error_lines
    assert len(lines) == 1, outcome.stderr
    for name in names:
        assert name in lines[0], (name, lines[0])
    return lines[0]


def assert_unchanged(before: dict[str, str], root: Path) -> None:
    after = snapshot(root)
    assert after == before, {k: (before.get(k), after.get(k)) for k in set(before) | set(after)
                             if before.get(k) != after.get(k)}


def refused(args: list[str], cwd: Path, names: Iterable[str] = (), code: int = 2, root: Path | None = None,
            env: dict[str, str] | None = None, timeout: float = 60) -> Outcome:
    """Run a case that must fail cleanly and leave every file under ``root`` (default ``cwd``) as it was."""
    root = root or cwd
    before = snapshot(root)
    outcome = run_cli(args, cwd, env=env, timeout=timeout)
    assert_one_error(outcome, names, code)
    assert_unchanged(before, root)
    return outcome
