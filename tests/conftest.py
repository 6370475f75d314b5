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


# Rough seconds per module on the 2-core CI machine (from `--durations`; refresh when a module
# changes a lot). scripts/test runs with `--dist loadfile`: a module's tests stay on one worker
# (its module fixtures are built once) and the modules are handed out longest first, so the
# run does not end waiting for a long module that started late.
_MODULE_SECONDS = {
    "tests/dagster/test_scenario.py": 300,
    "tests/adversarial/test_kill.py": 240,
    "tests/integration/test_dbt_engines.py": 175,
    "tests/adversarial/test_inputs.py": 170,
    "tests/dagster/test_definitions.py": 160,
    "tests/adversarial/test_outputs.py": 105,
    "tests/integration/test_catalogs.py": 80,
    "tests/dagster/test_ui.py": 80,
    "tests/integration/test_dbt_build.py": 75,
    "tests/integration/test_iglu.py": 75,
    "tests/integration/test_dbt_semantics_duckdb.py": 55,
    "tests/adversarial/test_schema_text.py": 55,
    "tests/integration/test_registries.py": 40,
    "tests/adversarial/test_pull.py": 40,
    "tests/acceptance/test_bad_input.py": 35,
}


def pytest_collection_modifyitems(session, config, items):
    """Longest modules first, each module's tests kept together and in their own order.

    xdist's loadfile scheduler gives each worker two modules at the start; one short module goes
    third so that the worker taking the longest module does not hold a long one in its queue.
    """
    root = Path(str(config.rootpath))
    first_seen: dict[Path, int] = {}
    for index, item in enumerate(items):
        first_seen.setdefault(item.path, index)

    def seconds(path: Path) -> int:
        return _MODULE_SECONDS.get(path.relative_to(root).as_posix(), 0)

    modules = sorted(first_seen, key=lambda path: (-seconds(path), first_seen[path]))
    short = [path for path in modules if seconds(path) == 0]
    if len(modules) > 3 and short:
        modules.remove(short[0])
        modules.insert(2, short[0])
    rank = {path: position for position, path in enumerate(modules)}
    items.sort(key=lambda item: (rank[item.path], first_seen[item.path]))


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
