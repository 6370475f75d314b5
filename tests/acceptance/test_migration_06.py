"""reflekt 0.6's documented examples, verbatim, work unchanged.

``tests/fixtures/reflekt06`` holds the example ``reflekt_project.yml``, ``reflekt_profiles.yml``
(under ``~/.reflekt/``, where the project's ``profiles_path`` points), meta-schema and
``Order Completed`` schema exactly as reflekt 0.6's README shows them: comments and trailing
commas included, and a meta-schema that references the draft-07 meta-schema by URL (resolved
from the bundled copy: these tests run with the network blocked).
"""

from __future__ import annotations

import shutil

import pytest
import yaml

from reflekt_core.project import load_project
from reflekt_core.warehouses.catalog import build_schema_catalog, save_catalogs
from tests.helpers import ROOT

FIXTURE = ROOT / "tests" / "fixtures" / "reflekt06"
SEGMENT_COLUMNS = ["id", "anonymous_id", "user_id", "received_at", "sent_at", "timestamp", "original_timestamp",
                   "uuid_ts", "event", "event_text", "context_library_name"]
ORDER_COLUMNS = ["coupon", "currency", "discount", "order_id", "products", "revenue", "session_id", "shipping",
                 "subtotal", "tax", "total"]


@pytest.fixture
def project06(tmp_path, monkeypatch):
    """The 0.6 example project, with HOME pointing at a folder holding ~/.reflekt/reflekt_profiles.yml."""
    root = tmp_path / "my-reflekt-project"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("home"))
    home = tmp_path / "home"
    shutil.copytree(FIXTURE / "home", home)
    monkeypatch.setenv("HOME", str(home))
    return root


def test_the_fixtures_are_the_documents_as_0_6_shows_them():
    meta = (FIXTURE / "schemas/.reflekt/meta/1-0.json").read_text()
    schema = (FIXTURE / "schemas/jaffle_shop/Order_Completed/1-0.json").read_text()
    assert "// EXAMPLE: Defining required metadata" in meta and '"tests": {},\n' in meta
    assert '"$ref": "http://json-schema.org/draft-07/schema#"' in meta
    assert "// Unique ID for schema" in schema and '"pmanager@thejaffleshop.com",\n' in schema
    assert "profiles_path: ~/.reflekt/reflekt_profiles.yml" in (FIXTURE / "reflekt_project.yml").read_text()


def test_project_and_profiles_load_as_documented(cli, project06):
    project = load_project(project06)
    assert (project.name, project.vendor, project.default_profile) == ("reflekt_demo", "com.company_name",
                                                                       "dev_reflekt")
    assert project.dbt.docs_tests == {"id": ["unique", "not_null"]}
    assert project.avo_branches == {"staging": "AbC12dEfG", "main": "main"}
    run = cli(["debug", "--skip-connections", "--project-dir", str(project06)])
    assert run.exit_code == 0, run.stdout + run.stderr
    assert "home/.reflekt/reflekt_profiles.yml" in run.stdout and "profile 'dev_reflekt'" in run.stdout
    assert "reflekt_user_password" not in run.stdout and "segment_api_token" not in run.stdout


def test_lint_reads_the_commented_schema_and_resolves_draft_07_offline(cli, project06):
    run = cli(["lint", "--project-dir", str(project06), "--format", "json"])
    import json

    report = json.loads(run.stdout)
    codes = [v["code"] for s in report.get("schemas", []) for v in s.get("violations", [])] or [
        v["code"] for v in report.get("violations", [])]
    # The one finding is the 0.6 meta-schema's own: its allOf requires a top-level "metadata" key,
    # while the example schema keeps metadata in "self" (jsonschema's Draft7Validator, which 0.6
    # used, reports the same). Nothing about parsing, comments or the draft-07 reference.
    assert run.exit_code == 1 and codes == ["R201"], run.stdout
    assert "'metadata' is a required property" in run.stdout and "R509" not in run.stdout
    doc = (project06 / "schemas/jaffle_shop/Order_Completed/1-0.json").read_text()
    fixed = doc.replace('    "type": "object",\n    "properties": {', '    "metadata": {},\n    "type": "object",\n'
                        '    "properties": {', 1)
    (project06 / "schemas/jaffle_shop/Order_Completed/1-0.json").write_text(fixed)
    run = cli(["lint", "--project-dir", str(project06)])
    assert run.exit_code == 0, run.stdout


def test_build_offline_from_a_catalog_follows_the_06_settings(cli, project06, tmp_path):
    rows = [("order_completed", c, "varchar", "YES", i)
            for i, c in enumerate(SEGMENT_COLUMNS + ORDER_COLUMNS, start=1)]
    catalog = tmp_path / "catalog.json"
    save_catalogs([build_schema_catalog("snowflake", "snowflake", "raw", "jaffle_shop_segment", rows)], catalog)
    run = cli(["build", "--artifact", "dbt", "--select", "schemas/jaffle_shop", "--sdk", "segment",
               "--catalog", str(catalog), "--project-dir", str(project06)])
    assert run.exit_code == 0, run.stderr
    package = project06 / "artifacts" / "dbt" / "reflekt_demo__jaffle_shop_segment__segment"
    folder = package / "models" / "jaffle_shop_segment"
    assert (folder / "__src_jaffle_shop_segment.yml").is_file()
    docs = yaml.safe_load((folder / "_stg_jaffle_shop_segment__order_completed.yml").read_text())
    columns = {c["name"]: c for c in docs["models"][0]["columns"]}
    # docs.tests `id` (0.6 keyed tests by the warehouse name) applies to the renamed column.
    assert columns["event_id"]["data_tests"] == ["unique", "not_null"]
    assert columns["order_id"]["data_tests"] == ["not_null"]
    # "coupon" is required but typed ["string", "null"]: a required key may hold null.
    assert "data_tests" not in columns["coupon"]
    assert columns["coupon"]["description"] == "Coupon code used for the order."
    assert "1 models" in run.stdout or "1 model" in run.stdout
