"""``reflekt lint --iglu-dir`` on a real-world-shaped repository, as a Snowplow team runs igluctl:
Iglu Central's own CI skips these igluctl checks and fails on anything else."""

from __future__ import annotations

import json

from tests.world.corpus import COMMITTED, files, jsonschema_files

#: Iglu Central's CI: igluctl lint --skip-checks <these> schemas/
IGLU_CENTRAL_SKIPS = "optionalNull,description,numericMinMax,stringLength,stringMaxLengthRange,rootObject"


def _found(run):
    return sorted((v["level"], v["code"], v["path"].split("/", 1)[1]) for v in json.loads(run.stdout)["violations"])


def test_lint_with_iglu_centrals_skips(cli, tmp_path, corpus):
    run = cli(["lint", "--iglu-dir", str(corpus), "--format", "json", "--skip-rules", IGLU_CENTRAL_SKIPS],
              cwd=tmp_path)
    assert run.exit_code in (0, 1), run.stderr  # never a load error (2) on a real repository
    report = json.loads(run.stdout)
    assert report["summary"]["schemas"] == len(jsonschema_files(corpus))
    others = len(files(corpus)) - len(jsonschema_files(corpus))
    assert (f"note: {others} file(s) of format" in run.stderr) == bool(others)
    if corpus != COMMITTED:
        return
    assert _found(run) == [
        # required 'repository' next to a property spelt 'repostitory' (as in Iglu Central's bad rows)
        ("error", "R507", "com.example.badrows/iglu_error/jsonschema/1-0-0"),
        # two names of one vendor differ only by case or separators (across vendors: no warning)
        ("warning", "R508", "com.example.self-desc-users/instance_format/jsonschema/1-0-0"),
        ("warning", "R602", "com.example-labs/LinkClick/jsonschema/1-0-0"),
        ("warning", "R602", "com.example-labs/link_click/jsonschema/1-0-0"),
        ("warning", "R602", "com.example/WebPage/jsonschema/1-0-0"),
        ("warning", "R602", "com.example/web_page/jsonschema/1-0-0"),
    ]
    message = next(v["message"] for v in report["violations"] if v["code"] == "R507")
    assert "did you mean 'repostitory'?" in message


def test_lint_with_every_igluctl_check(cli, tmp_path, corpus):
    run = cli(["lint", "--iglu-dir", str(corpus), "--format", "json"], cwd=tmp_path)
    assert run.exit_code in (0, 1), run.stderr
    if corpus != COMMITTED:
        return
    codes = {code for _, code, _ in _found(run)}
    # igluctl's stricter checks run with --iglu-dir; the odd cases each meet theirs
    assert {"R501", "R510", "R511", "R512", "R513"} <= codes
    assert ("warning", "R501", "com.example.self-desc-users/root_array/jsonschema/1-0-0") in _found(run)
    assert ("warning", "R510", "com.example.self-desc-users/instance_format/jsonschema/1-0-0") in _found(run)
    # draft-04 boolean exclusiveMinimum, a recursive "#" and the bundled Iglu and draft-04 refs are valid
    assert not codes & {"R502", "R509"}
