from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reflekt_core.cli.app import app
from tests.netguard import sitecustomize as netguard

# Block the network for the whole suite, in this process and in every Python process it starts:
# the guard folder goes on PYTHONPATH (its sitecustomize installs the guard) and every blocked
# attempt is logged to a file per worker, checked after each test.
_GUARD_DIR = os.environ.setdefault("REFLEKT_NETGUARD_DIR", tempfile.mkdtemp(prefix="reflekt-netguard-"))
os.environ[netguard.ENV] = os.path.join(_GUARD_DIR, os.environ.get("PYTEST_XDIST_WORKER", "main") + ".log")
_SITE = str(Path(netguard.__file__).parent)
if _SITE not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (_SITE, os.environ.get("PYTHONPATH")) if p)
netguard.install()


def pytest_unconfigure(config):
    if "PYTEST_XDIST_WORKER" not in os.environ:
        shutil.rmtree(_GUARD_DIR, ignore_errors=True)


@pytest.fixture(autouse=True)
def _network_blocked():
    """Fail any test during which something tried to reach a non-local address."""
    log = Path(os.environ[netguard.ENV])
    start = log.stat().st_size if log.exists() else 0
    yield
    if log.exists() and log.stat().st_size > start:
        with open(log, encoding="utf-8") as handle:
            handle.seek(start)
            attempts = handle.read().strip()
        pytest.fail(f"network access attempted (only loopback is allowed in tests):\n{attempts}")


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
