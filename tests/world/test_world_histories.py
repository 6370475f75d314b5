"""Real-world-shaped schema histories: every consecutive pair classified (issue 15), and the
gate (``reflekt lint --base``) replayed over a git history of the same files in a schemaver
project must agree with the classifier and with SchemaVer's levels."""

from __future__ import annotations

import subprocess

from reflekt_core.evolution import classify, verdict
from reflekt_core.lint.engine import lint_project
from reflekt_core.project import load_project
from tests.helpers import make_project
from tests.world.corpus import COMMITTED, expected_pairs, histories, project_path, version


def _pairs(corpus):
    for (vendor, name), versions in histories(corpus).items():
        for (old_v, old), (new_v, new) in zip(versions, versions[1:]):
            yield f"{vendor}/{name}/{old_v}..{new_v}", old_v, new_v, old, new


def _level(old_v: str, new_v: str) -> int:
    """0 MODEL, 1 REVISION, 2 ADDITION: the part a new version raised."""
    return next(i for i, (a, b) in enumerate(zip(version(old_v), version(new_v))) if a != b)


def test_every_consecutive_pair_is_classified(corpus):
    verdicts = {}
    for key, _, _, old, new in _pairs(corpus):
        changes = classify(old, new)
        for change in changes:
            assert change.pointer == "" or change.pointer.startswith("/"), (key, change)
            assert change.reason and "\n" not in change.reason, (key, change)
        assert classify(old, new) == changes  # pure and deterministic
        verdicts[key] = verdict(changes)
    if corpus == COMMITTED:
        assert verdicts == expected_pairs()
        levels = {}
        for key, old_v, new_v, _, _ in _pairs(corpus):
            levels.setdefault((_level(old_v, new_v), verdicts[key]), []).append(key)
        # every kind of agreement and disagreement with SchemaVer is in the corpus
        assert {(0, "breaking"), (0, "addition"), (1, "addition"), (2, "addition"), (2, "breaking")} <= set(levels)


def _git(root, *args):
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def test_the_gate_over_a_git_history_agrees_with_the_classifier(tmp_path, corpus):
    """Generation n commits every family's first n versions; lint --base HEAD on the next one."""
    root = make_project(tmp_path / "p", {}, {"vendor": "com.example", "schemas": {"versioning": "schemaver"}},
                        meta=False)
    _git(root, "init", "-q", "-b", "main")
    _git(root, "config", "user.email", "world@example.com")
    _git(root, "config", "user.name", "world")
    families = {key: [(ver, _bytes(corpus, key, ver)) for ver, _ in versions]
                for key, versions in histories(corpus).items()}
    expected_702, expected_703 = set(), set()
    for key, old_v, new_v, old, new in _pairs(corpus):
        kind = verdict(classify(old, new))
        target = project_path(f"schemas/{key.split('/')[0]}/{key.split('/')[1]}/jsonschema/{new_v}")
        if kind == "breaking" and _level(old_v, new_v) > 0:
            expected_702.add(target)
        if kind in ("addition", "cosmetic", "none") and _level(old_v, new_v) == 0:
            expected_703.add(target)
    found_702, found_703 = set(), set()
    for generation in range(max(len(v) for v in families.values())):
        for (vendor, name), versions in families.items():
            if generation < len(versions):
                ver, data = versions[generation]
                path = root / "schemas" / vendor / name / f"{ver}.json"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
        if generation:
            result = lint_project(load_project(root), select_rules=["evolution"], base="HEAD")
            assert not {v.code for v in result.violations} & {"R701", "R704"}  # nothing published was edited
            found_702 |= {v.path.split("/", 1)[1] for v in result.violations if v.code == "R702"}
            found_703 |= {v.path.split("/", 1)[1] for v in result.violations if v.code == "R703"}
        _git(root, "add", "-A")
        _git(root, "commit", "-q", "-m", f"generation {generation}")
    assert (found_702, found_703) == (expected_702, expected_703)
    if corpus == COMMITTED:
        assert "com.example.mobile/detection_config/1-0-1.json" in found_702      # a required property in an ADDITION
        assert "com.example.mobile/browser_context/2-0-0.json" in found_703       # a MODEL that could be 1-0-1
        assert "com.example.storage/warehouse_config/1-1-0.json" not in found_702  # string -> object requiring a key


def _bytes(corpus, family, ver):
    vendor, name = family
    return (corpus / "schemas" / vendor / name / "jsonschema" / ver).read_bytes()
