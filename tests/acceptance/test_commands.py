"""init, debug, report, rules and --version through the CLI."""

from __future__ import annotations

import json
import os

from reflekt_core import __version__
from reflekt_core.project import load_project
from tests.helpers import DEMO, make_project


def test_version(cli):
    run = cli(["--version"])
    assert run.exit_code == 0 and run.stdout.strip() == f"reflekt {__version__}"


def test_init_with_flags_writes_a_working_project(cli, tmp_path):
    target = tmp_path / "acme"
    run = cli(["init", "--dir", str(target), "--name", "acme_events", "--vendor", "com.acme",
               "--profile", "prod", "--no-input"])
    assert run.exit_code == 0, run.stderr
    for name in ("reflekt_project.yml", "reflekt_profiles.yml", ".gitignore", "README.md",
                 "schemas/.reflekt/meta/1-0.json"):
        assert (target / name).is_file(), name
    project = load_project(target)
    assert (project.name, project.vendor, project.default_profile) == ("acme_events", "com.acme", "prod")
    assert json.loads((target / "schemas/.reflekt/meta/1-0.json").read_text())["properties"]["self"]
    assert "reflekt_profiles.yml" in (target / ".gitignore").read_text()
    assert oct((target / "reflekt_project.yml").stat().st_mode & 0o777) != "0o600"
    # The new project's files are valid; its DuckDB warehouse does not exist yet, and debug says so.
    assert cli(["debug", "--skip-connections", "--project-dir", str(target)]).exit_code == 0
    run = cli(["debug", "--project-dir", str(target)])
    assert run.exit_code == 2 and "source 'warehouse' (duckdb): DuckDB file not found" in run.stdout


def test_init_prompts(cli, tmp_path):
    target = tmp_path / "shop"
    run = cli(["init", "--dir", str(target)], input="shop_events\ncom.shop\n\n")
    assert run.exit_code == 0, run.stderr
    project = load_project(target)
    assert (project.name, project.vendor, project.default_profile) == ("shop_events", "com.shop", "dev")


def test_init_refuses_to_overwrite(cli, tmp_path):
    root = make_project(tmp_path / "p", {})
    before = (root / "reflekt_project.yml").read_bytes()
    run = cli(["init", "--dir", str(root), "--no-input"])
    assert run.exit_code == 2 and "already exists" in run.stderr
    assert (root / "reflekt_project.yml").read_bytes() == before


def test_init_rejects_bad_names(cli, tmp_path):
    run = cli(["init", "--dir", str(tmp_path / "x"), "--name", "bad name", "--no-input"])
    assert run.exit_code == 2 and "project name 'bad name' is not valid" in run.stderr
    assert not (tmp_path / "x" / "reflekt_project.yml").exists()


def test_debug_masks_secrets(cli, tmp_path, monkeypatch):
    root = make_project(tmp_path / "p", {})
    monkeypatch.setenv("T_TOKEN", "very-secret-token-value")
    (root / "reflekt_profiles.yml").write_text(
        "dev:\n  registry:\n    - type: segment\n      api_token: \"{{ env_var('T_TOKEN') }}\"\n"
        "  source:\n    - id: wh\n      type: postgres\n      host: db.internal\n      user: me\n      password: pg-pass-1234\n")
    run = cli(["--verbose", "debug", "--skip-connections"], cwd=root)
    assert run.exit_code == 0, run.stdout + run.stderr
    everything = run.stdout + run.stderr
    assert "very-secret-token-value" not in everything and "pg-pass-1234" not in everything
    assert "api_token: '****'" in run.stdout and "host: db.internal" in run.stdout
    assert "All checks passed" in run.stdout
    assert "profile 'dev' loaded from" in run.stderr  # --verbose logs, secrets still masked


def test_debug_reports_a_bad_profile(cli, tmp_path):
    root = make_project(tmp_path / "p", {})
    (root / "reflekt_profiles.yml").write_text("dev:\n  source:\n    - {type: duckdb}\n")
    run = cli(["debug"], cwd=root)
    assert run.exit_code == 2
    assert "failed" in run.stdout and "dev.source[0].id" in run.stdout


def test_report_one_schema_to_stdout(cli):
    run = cli(["report", "--select", "jaffle_shop/Order_Completed/1-1"], cwd=DEMO)
    assert run.exit_code == 0
    out = run.stdout
    assert out.startswith("# Order Completed\n")
    assert "`jaffle_shop/Order_Completed/1-1.json` · version 1-1" in out
    assert "| code_owner | growth-squad |" in out
    assert "| `products[].product_id` | string | yes |" in out
    assert "| `currency` | string | yes | ISO 4217 currency code of the order. | pattern: \"^[A-Z]{3}$\" |" in out
    assert "| `coupon` | string | no |" in out


def test_report_catalog(cli, tmp_path):
    out = tmp_path / "catalog"
    run = cli(["report", "--out", str(out)], cwd=DEMO)
    assert run.exit_code == 0
    index = (out / "index.md").read_text()
    assert "10 schema versions" in index
    assert "[Order Completed](jaffle_shop/Order_Completed/1-1.md) | 1-1 | track | growth-squad" in index
    assert "[Identify](jaffle_shop/Identify/1-0.md) | 1-0 | identify" in index
    assert (out / "jaffle_shop" / "Page_Viewed" / "1-0.md").read_text().startswith("# Page Viewed")
    assert len(list(out.rglob("*.md"))) == 11


def test_report_to_file(cli, tmp_path):
    root = make_project(tmp_path / "p", {"web/Order_Completed/1-0.json": {}, "web/Cart_Viewed/1-0.json": {}})
    run = cli(["report", "--to-file"], cwd=root)
    assert run.exit_code == 0
    assert sorted(p.relative_to(root / "reports").as_posix() for p in (root / "reports").rglob("*.md")) == [
        "web/Cart_Viewed/1-0.md", "web/Order_Completed/1-0.md"]
    mtime = os.stat(root / "reports/web/Cart_Viewed/1-0.md").st_mtime_ns
    cli(["report", "--to-file"], cwd=root)
    assert os.stat(root / "reports/web/Cart_Viewed/1-0.md").st_mtime_ns == mtime  # unchanged: not rewritten


def test_rules_list_and_explain(cli):
    run = cli(["rules"])
    assert run.exit_code == 0 and "R101" in run.stdout and "naming.event_casing" in run.stdout
    run = cli(["rules", "structure.min_max"])
    assert run.exit_code == 0 and "R503 structure.min_max (error)" in run.stdout and "Fails" in run.stdout
    assert cli(["rules", "R999"]).exit_code == 2


def test_readme_documents_every_rule_and_starts_with_two_commands():
    from reflekt_core.lint.catalogue import ALL_RULES
    from tests.helpers import ROOT

    readme = (ROOT / "README.md").read_text()
    for rule in ALL_RULES:
        assert f"| {rule.code} | `{rule.name}` | {rule.level.value} |" in readme, rule.code
    first_block = readme.split("```bash\n", 1)[1].split("```", 1)[0].strip().splitlines()
    assert [line.split()[0] for line in first_block] == ["./scripts/demo", "./scripts/test"]
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text()


def test_every_command_has_help(cli):
    from reflekt_core.cli.app import app

    names = [c.name for c in app.registered_commands]
    assert set(names) >= {"init", "debug", "lint", "report", "rules", "catalog", "build", "pull", "push"}
    for name in names:
        run = cli([name, "--help"])
        assert run.exit_code == 0 and "Usage" in run.stdout, name
