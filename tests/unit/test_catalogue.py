"""The rule catalogue: unique codes and names, documented examples, selection and levels."""

from __future__ import annotations

import re

import pytest

from reflekt_core.errors import ProjectConfigError, UsageError
from reflekt_core.lint.catalogue import ALL_RULES, resolve_rules
from reflekt_core.lint.result import Level
from reflekt_core.project import load_project
from tests.helpers import make_project


def test_codes_and_names_are_unique_and_well_formed():
    codes = [r.code for r in ALL_RULES]
    names = [r.name for r in ALL_RULES]
    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)
    for rule in ALL_RULES:
        assert re.fullmatch(r"R\d{3}", rule.code)
        assert re.fullmatch(r"[a-z]+\.[a-z_]+", rule.name)
        assert isinstance(rule.level, Level)


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_every_rule_documents_a_failing_and_a_passing_example(rule):
    assert rule.summary
    assert "Fails" in rule.doc and "Passes" in rule.doc


def _project(tmp_path, lint):
    return load_project(make_project(tmp_path / "p", {}, {"lint": lint}))


def test_project_skip_select_and_levels(tmp_path):
    project = _project(tmp_path, {"select": ["naming"], "skip": ["R102"], "levels": {"R101": "warning"}})
    resolved = dict((r.code, level) for r, level in resolve_rules(project))
    assert set(resolved) == {"R101", "R103", "R104", "R105", "R106"}
    assert resolved["R101"] is Level.WARNING
    assert resolved["R104"] is Level.ERROR


def test_cli_flags_override_project_selection(tmp_path):
    project = _project(tmp_path, {"skip": ["docs"]})
    codes = [r.code for r, _ in resolve_rules(project, select=["R301,R302", "naming.event_casing"])]
    assert codes == ["R101", "R301", "R302"]
    codes = [r.code for r, _ in resolve_rules(project, skip=["structure"])]
    assert "R301" not in codes and "R501" not in codes and "R101" in codes


def test_unknown_rule_in_project_names_the_file(tmp_path):
    project = _project(tmp_path, {"skip": ["R999"]})
    with pytest.raises(ProjectConfigError, match=r"unknown lint rule 'R999'.*reflekt_project.yml"):
        resolve_rules(project)


def test_unknown_rule_on_cli_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="--skip-rules"):
        resolve_rules(_project(tmp_path, {}), skip=["naming.nope"])
