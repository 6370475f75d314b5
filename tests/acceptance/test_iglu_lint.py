"""``reflekt lint --iglu-dir``: a static Iglu repository linted in place, as igluctl lint does."""

from __future__ import annotations

import json

from tests.helpers import make_project

SELF_DESC = "http://iglucentral.com/schemas/com.snowplowanalytics.self-desc/schema/jsonschema/1-0-0#"


def _schema(vendor="com.acme", name="link_click", version="1-0-0", **extra):
    return {"$schema": SELF_DESC, "description": "A link was clicked.",
            "self": {"vendor": vendor, "name": name, "format": "jsonschema", "version": version},
            "type": "object", "properties": {"target": {"type": "string", "maxLength": 255,
                                                        "description": "The URL."}},
            "required": ["target"], "additionalProperties": False, **extra}


def _repo(root, files: dict[str, dict | str]):
    for rel, doc in files.items():
        path = root / "schemas" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(doc if isinstance(doc, str) else json.dumps(doc, indent=4))
    return root


def _codes(run):
    return sorted((v["code"], v["path"]) for v in json.loads(run.stdout)["violations"])


def test_a_clean_repository_passes_outside_any_project(cli, tmp_path):
    repo = _repo(tmp_path / "repo", {"com.acme/link_click/jsonschema/1-0-0": _schema(),
                                     "com.acme/link_click/jsonschema/1-0-1": _schema(version="1-0-1")})
    run = cli(["lint", "--iglu-dir", str(repo), "--format", "json"], cwd=tmp_path)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert json.loads(run.stdout)["summary"]["schemas"] == 2
    run = cli(["lint", "--iglu-dir", str(repo / "schemas")], cwd=tmp_path)  # the schemas/ folder works too
    assert run.exit_code == 0


def test_identity_rules_read_the_iglu_layout(cli, tmp_path):
    repo = _repo(tmp_path / "repo", {
        "com.acme/link_click/jsonschema/1-0-0": _schema(vendor="com.other"),            # R208
        "com.acme/form_submit/jsonschema/1-0-0": _schema(name="form_sent"),             # R204
        "com.acme/page_ping/jsonschema/1-0-0": _schema(name="page_ping", version="1-0-1"),  # R205
        "com.acme/page_view/jsonschema/1-0-0": {**_schema(name="page_view"),
                                                "$schema": "http://json-schema.org/draft-07/schema#"},  # R209
        "com.acme/cart/jsonschema/1-0-0": _schema(name="cart"),
        "com.acme/cart/jsonschema/1-0-2": _schema(name="cart", version="1-0-2"),        # R601
        "com.acme/media/jsonschema/01-0-0": _schema(name="media", version="01-0-0"),     # R206, R601
    })
    run = cli(["lint", "--iglu-dir", str(repo), "--format", "json"], cwd=tmp_path)
    assert run.exit_code == 1
    found = _codes(run)
    assert ("R208", "schemas/com.acme/link_click/jsonschema/1-0-0") in found
    assert ("R204", "schemas/com.acme/form_submit/jsonschema/1-0-0") in found
    assert ("R205", "schemas/com.acme/page_ping/jsonschema/1-0-0") in found
    assert ("R209", "schemas/com.acme/page_view/jsonschema/1-0-0") in found
    assert ("R601", "schemas/com.acme/cart/jsonschema/1-0-0") in found
    assert ("R206", "schemas/com.acme/media/jsonschema/01-0-0") in found
    assert not any(code == "R203" for code, _ in found)  # no $id in Iglu


def test_igluctl_checks_run_and_are_skipped_by_their_igluctl_names(cli, tmp_path):
    loose = _schema(properties={"target": {"type": "string"}, "count": {"type": "integer"},
                                "note": {"type": "string", "maxLength": 100000}})
    repo = _repo(tmp_path / "repo", {"com.acme/link_click/jsonschema/1-0-0": loose})
    run = cli(["lint", "--iglu-dir", str(repo), "--format", "json"], cwd=tmp_path)
    levels = {(v["code"], v["level"]) for v in json.loads(run.stdout)["violations"]}
    assert {("R510", "warning"), ("R511", "warning"), ("R512", "warning"), ("R513", "info"),
            ("R302", "info")} <= levels
    run = cli(["lint", "--iglu-dir", str(repo), "--format", "json",
               "--skip-rules", "numericMinMax,stringLength,optionalNull,description,stringMaxLengthRange"],
              cwd=tmp_path)
    assert json.loads(run.stdout)["violations"] == [] and run.exit_code == 0


def test_misplaced_files_and_bad_json_are_load_errors(cli, tmp_path):
    repo = _repo(tmp_path / "repo", {"com.acme/link_click/jsonschema/1-0-0": _schema(),
                                     "com.acme/link_click/1-0-0": _schema(),
                                     "com.acme/broken/jsonschema/1-0-0": "{not json"})
    run = cli(["lint", "--iglu-dir", str(repo)], cwd=tmp_path)
    assert run.exit_code == 2
    assert "schemas/com.acme/link_click/1-0-0: not at schemas/<vendor>/<name>/<format>/<version>" in run.stderr
    assert "broken/jsonschema/1-0-0:1:2: invalid JSON" in run.stderr and "Traceback" not in run.stderr
    run = cli(["lint", "--iglu-dir", str(tmp_path / "nowhere")], cwd=tmp_path)
    assert run.exit_code == 2 and "holds no schemas/ folder" in run.stderr


def test_a_project_adds_its_conventions_and_lint_settings(cli, tmp_path):
    root = make_project(tmp_path / "p", {}, {"schemas": {"conventions": {"event": {"casing": "title"}}},
                                             "lint": {"skip": ["R513"]}}, meta=False)
    repo = _repo(root / "iglu", {"com.acme/link_click/jsonschema/1-0-0": _schema()})
    run = cli(["lint", "--iglu-dir", "iglu", "--format", "json"], cwd=root)
    codes = {v["code"] for v in json.loads(run.stdout)["violations"]}
    assert "R101" in codes and "R513" not in codes and repo.is_dir()


def test_lint_of_500_generated_schemas(tmp_path):
    from reflekt_core.lint.iglu_dir import lint_iglu_dir
    from tests.integration.iglu_corpus import generate_repository

    generate_repository(tmp_path, 500)
    result, _ = lint_iglu_dir(tmp_path)
    # Speed is measured by bench/iglu_lint_bench.py (figures in bench/RESULTS.md), not asserted here.
    assert len(result.schema_paths) == 500 and result.ok


def test_other_iglu_formats_are_left_out_with_a_note(cli, tmp_path):
    """Iglu Central holds avro, thrift and protobuf schemas beside JSON Schema; igluctl lints
    the jsonschema format folder only, and so does Reflekt (they used to stop the lint, exit 2)."""
    avro = {"namespace": "com.acme", "name": "Config_1_0_0", "type": "record",
            "fields": [{"name": "enabled", "type": "boolean"}]}
    repo = _repo(tmp_path / "repo", {"com.acme/link_click/jsonschema/1-0-0": _schema(),
                                     "com.acme/Config/avro/1-0-0": avro,
                                     "com.acme/Payload/thrift/1-0-0": "struct Payload { 1: string a }"})
    run = cli(["lint", "--iglu-dir", str(repo), "--format", "json"], cwd=tmp_path)
    assert run.exit_code == 0, run.stderr
    assert json.loads(run.stdout)["summary"]["schemas"] == 1
    assert "note: 2 file(s) of format avro, thrift not linted" in run.stderr
    only_avro = _repo(tmp_path / "avro", {"com.acme/Config/avro/1-0-0": avro})
    run = cli(["lint", "--iglu-dir", str(only_avro)], cwd=tmp_path)
    assert run.exit_code == 2 and "holds no jsonschema schema (1 of other formats)" in run.stderr


def test_one_version_is_selected_by_its_iglu_path(cli, tmp_path):
    repo = _repo(tmp_path / "repo", {"com.acme/link_click/jsonschema/1-0-0": _schema(),
                                     "com.acme/link_click/jsonschema/1-0-1": _schema(version="1-0-1"),
                                     "com.acme/link_click/jsonschema/1-0-10": _schema(version="1-0-10")})
    for selector, count in (("com.acme/link_click/jsonschema/1-0-1", 1),
                            ("schemas/com.acme/link_click/jsonschema/1-0-10", 1),
                            ("com.acme/link_click", 3), ("com.acme/*/jsonschema/1-0-?", 2)):
        run = cli(["lint", "--iglu-dir", str(repo), "--format", "json", "--select", selector,
                   "--select-rules", "R502"], cwd=tmp_path)
        assert run.exit_code == 0, (selector, run.stderr)
        assert json.loads(run.stdout)["summary"]["schemas"] == count, selector


def test_similar_names_are_compared_within_one_vendor(cli, tmp_path):
    """Iglu Central has com.sendgrid/open and com.urbanairship.connect/OPEN: different keys and
    different warehouse tables, so no R602; two such names under one vendor still get it."""
    repo = _repo(tmp_path / "repo", {"org.a/open/jsonschema/1-0-0": _schema("org.a", "open"),
                                     "org.b/OPEN/jsonschema/1-0-0": _schema("org.b", "OPEN"),
                                     "org.b/web_page/jsonschema/1-0-0": _schema("org.b", "web_page"),
                                     "org.b/WebPage/jsonschema/1-0-0": _schema("org.b", "WebPage")})
    for select in ([], ["--select", "org.b/web_page"]):  # unselected files keep their Iglu names
        run = cli(["lint", "--iglu-dir", str(repo), "--format", "json", "--select-rules", "R602", *select],
                  cwd=tmp_path)
        found = {(v["path"], v["message"]) for v in json.loads(run.stdout)["violations"]}
        assert all("open" not in path.lower() for path, _ in found), found
        assert ("schemas/org.b/web_page/jsonschema/1-0-0",
                "event 'web_page' differs only by case or separators from 'WebPage'") in found


def test_the_evolution_gate_on_a_static_repository_in_git(cli, tmp_path):
    """A Snowplow team keeps its static repository in git (as Iglu Central does): --iglu-dir
    with --base gates a pull request SchemaVer by SchemaVer."""
    import subprocess

    def git(*args):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)

    def optional(version, **props):
        doc = _schema(version=version)
        doc["properties"].update(props)
        return doc

    note = {"type": ["string", "null"], "maxLength": 64, "description": "A note."}
    repo = _repo(tmp_path / "repo", {"com.acme/link_click/jsonschema/1-0-0": _schema(),
                                     "com.acme/form/jsonschema/1-0-0": _schema(name="form"),
                                     "com.acme/gone/jsonschema/1-0-0": _schema(name="gone"),
                                     "com.acme/Config/avro/1-0-0": {"type": "record", "fields": []}})
    git("init", "-q", "-b", "main")
    git("-c", "user.email=a@b.c", "-c", "user.name=a", "add", "-A")
    git("-c", "user.email=a@b.c", "-c", "user.name=a", "commit", "-q", "-m", "base")
    edited = _schema()
    edited["properties"]["target"]["maxLength"] = 100                                   # R701: in place
    _repo(repo, {"com.acme/link_click/jsonschema/1-0-0": edited,
                 "com.acme/link_click/jsonschema/1-0-1": optional("1-0-1", note=note),  # compatible
                 "com.acme/form/jsonschema/1-0-1": {**_schema(name="form", version="1-0-1"),
                                                    "required": ["target", "note"],
                                                    "properties": {**_schema()["properties"], "note": note}},  # R702
                 "com.acme/form/jsonschema/2-0-0": {**_schema(name="form", version="2-0-0"),
                                                    "required": ["target", "note"],
                                                    "properties": {**_schema()["properties"], "note": note}},
                 "com.acme/Config/avro/1-0-0": {"type": "record", "fields": [{"name": "x", "type": "int"}]}})
    (repo / "schemas/com.acme/gone/jsonschema/1-0-0").unlink()                           # R704
    run = cli(["lint", "--iglu-dir", str(repo), "--base", "main", "--format", "json",
               "--select-rules", "evolution"], cwd=tmp_path)
    assert run.exit_code == 1, run.stdout + run.stderr
    found = {(v["code"], v["path"].split("/", 1)[1]) for v in json.loads(run.stdout)["violations"]}
    assert {("R701", "com.acme/link_click/jsonschema/1-0-0"), ("R702", "com.acme/form/jsonschema/1-0-1"),
            ("R704", "com.acme/gone/jsonschema/1-0-0")} <= found
    assert ("R705", "com.acme/link_click/jsonschema/1-0-1") in found
    assert not any(code in ("R702", "R703") and path.endswith("link_click/jsonschema/1-0-1") for code, path in found)
    assert not any("avro" in path for _, path in found)  # other formats are not gated
    message = next(v["message"] for v in json.loads(run.stdout)["violations"] if v["code"] == "R702")
    assert "needs a new MODEL version (3-0-0), not 1-0-1 after 1-0-0" in message  # 2-0-0 is taken
    # the selection applies to the gate; without --base no R7xx rule is counted
    run = cli(["lint", "--iglu-dir", str(repo), "--base", "main", "--format", "json", "--select-rules", "evolution",
               "--select", "com.acme/link_click"], cwd=tmp_path)
    assert {v["path"].split("/")[2] for v in json.loads(run.stdout)["violations"]} == {"link_click"}
    run = cli(["lint", "--iglu-dir", str(repo), "--base", "no-such-ref"], cwd=tmp_path)
    assert run.exit_code == 2 and "git ref 'no-such-ref' not found" in run.stderr
