"""`reflekt lint` end to end: exit codes, every output format, select semantics."""

from __future__ import annotations

import json
import shutil
from xml.etree import ElementTree as ET

import pytest

from tests.helpers import DEMO, make_project


@pytest.fixture
def demo(tmp_path):
    target = tmp_path / "jaffle_shop"
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns("*.duckdb*", "artifacts", "reports"))
    return target


@pytest.fixture
def broken(tmp_path):
    return make_project(tmp_path / "broken", {
        "web/Order_Completed/1-0.json": {"properties": {"orderId": {"type": "string"}}},
        "web/Cart_Viewed/1-0.json": {},
        "web/Cart_Viewed/1-1.json": {"properties": {"user_id": {"type": "string", "description": "x"}}},
    })


def test_demo_is_lint_clean(cli, demo):
    run = cli(["lint"], cwd=demo)
    assert run.exit_code == 0, run.stdout
    assert "10 schemas linted: 0 errors, 0 warnings" in run.stdout


def test_works_from_a_subfolder_and_with_project_dir(cli, demo, tmp_path):
    assert cli(["lint"], cwd=demo / "schemas" / "jaffle_shop" / "Identify").exit_code == 0
    run = cli(["lint", "--project-dir", str(demo), "-s", "jaffle_shop/Identify"], cwd=tmp_path)
    assert run.exit_code == 0 and "1 schema linted" in run.stdout


def test_errors_exit_1_and_are_grouped_by_file(cli, broken):
    run = cli(["lint"], cwd=broken)
    assert run.exit_code == 1
    out = run.stdout
    assert "schemas/web/Order_Completed/1-0.json" in out
    assert "R104" in out and "property 'orderId' is not snake_case (expected e.g. 'order_id')" in out
    assert "R302" in out
    assert "3 schemas linted: 2 errors, 1 warning in 1 schema" in out


def test_warnings_alone_exit_0(cli, broken):
    run = cli(["lint", "-s", "web/Cart_Viewed"], cwd=broken)
    assert run.exit_code == 0
    assert "R605" in run.stdout and "Segment discards" in run.stdout


def test_json_format(cli, broken):
    run = cli(["lint", "--format", "json"], cwd=broken)
    assert run.exit_code == 1
    data = json.loads(run.stdout)
    assert data["summary"]["errors"] == 2 and data["summary"]["warnings"] == 1
    assert data["summary"]["schemas"] == 3
    first = data["violations"][0]
    assert set(first) >= {"code", "name", "level", "schema_id", "path", "pointer", "message"}
    codes = sorted(v["code"] for v in data["violations"])
    assert codes == ["R104", "R302", "R605"]
    casing = next(v for v in data["violations"] if v["code"] == "R104")
    assert casing["pointer"] == "/properties/orderId"
    assert casing["schema_id"] == "web/Order_Completed/1-0.json"
    assert casing["line"] == 21


def test_junit_format(cli, broken, tmp_path):
    out = tmp_path / "report.xml"
    run = cli(["lint", "--format", "junit", "--output", str(out)], cwd=broken)
    assert run.exit_code == 1
    suite = ET.parse(out).getroot()
    assert suite.get("tests") == "3" and suite.get("failures") == "1"
    assert "Wrote junit report to" in run.stderr and "2 errors" in run.stderr
    failing = [c for c in suite.iter("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failing] == ["schemas/web/Order_Completed/1-0.json"]


def test_github_format(cli, broken):
    run = cli(["lint", "--format", "github"], cwd=broken)
    lines = run.stdout.splitlines()
    error = next(line for line in lines if "R104" in line)
    assert error.startswith("::error file=schemas/web/Order_Completed/1-0.json,line=21,title=R104 naming.property_casing::")
    assert any(line.startswith("::warning ") and "R605" in line for line in lines)


def test_text_output_to_file_has_no_markup(cli, broken, tmp_path):
    out = tmp_path / "lint.txt"
    cli(["lint", "--output", str(out)], cwd=broken)
    text = out.read_text()
    assert "R104" in text and "[bold]" not in text and "\x1b[" not in text


def test_select_rules_and_skip_rules(cli, broken):
    run = cli(["lint", "--format", "json", "--select-rules", "R104"], cwd=broken)
    assert [v["code"] for v in json.loads(run.stdout)["violations"]] == ["R104"]
    run = cli(["lint", "--format", "json", "--skip-rules", "naming,docs.property_description"], cwd=broken)
    assert [v["code"] for v in json.loads(run.stdout)["violations"]] == ["R605"]
    assert run.exit_code == 0


def test_levels_from_project_config(cli, tmp_path):
    root = make_project(tmp_path / "p", {"web/Order_Completed/1-0.json": {"description": None}},
                        {"lint": {"levels": {"docs.event_description": "warning"}}})
    run = cli(["lint", "--format", "json"], cwd=root)
    assert run.exit_code == 0
    assert json.loads(run.stdout)["violations"][0]["level"] == "warning"


@pytest.mark.parametrize("selector", ["schemas/web/Order_Completed", "web/Order_Completed",
                                      "web/Order_Completed/1-0.json", "schemas/web/Order_Completed/1-0",
                                      "*/Order_*"])
def test_select_forms(cli, broken, selector):
    run = cli(["lint", "--format", "json", "--select", selector], cwd=broken)
    assert json.loads(run.stdout)["summary"]["schemas"] == 1


def test_multiple_select_and_exclude(cli, broken):
    run = cli(["lint", "--format", "json", "-s", "web/Cart_Viewed", "-s", "web/Order_Completed",
               "--exclude", "web/Cart_Viewed/1-1"], cwd=broken)
    assert json.loads(run.stdout)["summary"]["schemas"] == 2


def test_select_matching_nothing_exits_2(cli, broken):
    run = cli(["lint", "--select", "web/Order_Complete"], cwd=broken)
    assert run.exit_code == 2
    assert "--select 'web/Order_Complete' matches no schema" in run.stderr
    assert "did you mean: web/Order_Completed" in run.stderr
    assert run.stdout == ""


def test_lint_false_schemas_are_counted_as_skipped(cli, tmp_path):
    root = make_project(tmp_path / "p", {"web/Bad_name/1-0.json": {"self": {"lint": False}},
                                         "web/Order_Completed/1-0.json": {}})
    run = cli(["lint", "--format", "json"], cwd=root)
    assert run.exit_code == 0
    assert json.loads(run.stdout)["summary"]["skipped"] == 1
