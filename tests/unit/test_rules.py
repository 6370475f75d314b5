"""Every lint rule against its own pass/fail cases (tests/fixtures/rules/<CODE>.yml)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from reflekt_core.lint.catalogue import ALL_RULES, get_rule
from reflekt_core.lint.engine import lint_project
from reflekt_core.project import load_project
from tests.helpers import make_git_project, make_project

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rules"


def _cases():
    for path in sorted(FIXTURES.glob("*.yml")):
        data = yaml.safe_load(path.read_text())
        for case in data["cases"]:
            yield pytest.param(path.stem, data["rule"], case, id=f"{path.stem}-{case['name']}")


@pytest.mark.parametrize(("code", "rule_key", "case"), list(_cases()))
def test_rule_case(tmp_path, code, rule_key, case):
    rule = get_rule(rule_key)
    assert rule is not None and rule.code == code, f"{code}.yml names rule {rule_key}"
    if "base" in case:  # an evolution gate rule: base files committed to git, then the work tree
        root = make_git_project(tmp_path / "p", case["base"], case.get("files"), case.get("deleted"),
                                case.get("project"))
        result = lint_project(load_project(root), case.get("select"), select_rules=[code], base="HEAD")
    else:
        root = make_project(tmp_path / "p", case["files"], case.get("project"), meta=case.get("meta", True))
        result = lint_project(load_project(root), case.get("select"), select_rules=[code])
    found = [v for v in result.violations if v.code == code]
    assert len(found) == case["expect"], [v.message for v in found]
    if "pointers" in case:
        assert sorted(v.pointer for v in found) == sorted(case["pointers"])
    for text in case.get("messages", []):
        assert any(text in v.message for v in found), (text, [v.message for v in found])
    for violation in found:
        assert violation.name == rule.name and violation.message


def test_every_rule_has_fixtures_that_fail_and_pass():
    covered = {}
    for path in FIXTURES.glob("*.yml"):
        covered[path.stem] = [c["expect"] for c in yaml.safe_load(path.read_text())["cases"]]
    for rule in ALL_RULES:
        assert rule.code in covered, f"no fixture file for {rule.code}"
        assert any(n > 0 for n in covered[rule.code]) and any(n == 0 for n in covered[rule.code]), rule.code
