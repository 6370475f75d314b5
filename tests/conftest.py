from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reflekt_core.cli.app import app


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(monkeypatch):
    """Run the CLI in-process from a folder: ``cli(["lint"], cwd=path)``."""
    monkeypatch.delenv("REFLEKT_PROJECT_DIR", raising=False)
    monkeypatch.delenv("REFLEKT_PROFILES_DIR", raising=False)

    def run(args: list[str], cwd: Path | None = None, input: str | None = None) -> Run:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        result = CliRunner().invoke(app, args, input=input, catch_exceptions=False)
        return Run(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def reflekt_process():
    """Run ``reflekt`` as a real process (exit codes, streams, no traceback)."""

    def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
        full_env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})}
        full_env.pop("REFLEKT_PROJECT_DIR", None)
        proc = subprocess.run([sys.executable, "-m", "reflekt_core.cli", *args], cwd=cwd, env=full_env,
                              capture_output=True, text=True, timeout=60)
        return Run(proc.returncode, proc.stdout, proc.stderr)

    return run
