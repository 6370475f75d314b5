"""reflekt_core never imports Dagster: checked by import-linter and by importing it for real."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import ROOT


def test_core_imports_without_dagster():
    code = ("import sys, pkgutil, importlib, reflekt_core\n"
            "for m in pkgutil.walk_packages(reflekt_core.__path__, 'reflekt_core.'):\n"
            "    if not m.name.endswith('__main__'): importlib.import_module(m.name)\n"
            "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('dagster', 'dagster_dbt', 'reflekt_dagster'))\n"
            "print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_import_linter_contract():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint_imports), str(ROOT / "pyproject.toml")],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "KEPT" in proc.stdout
