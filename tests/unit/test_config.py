"""reflekt_project.yml and reflekt_profiles.yml: validation errors name file, line and key."""

from __future__ import annotations

import pytest

from reflekt_core import secrets
from reflekt_core.errors import ProfileError, ProjectConfigError
from reflekt_core.profiles import load_profile, profiles_file
from reflekt_core.project import find_project_dir, load_project
from tests.helpers import DEMO, make_project


def test_demo_project_loads_every_setting():
    project = load_project(DEMO)
    assert project.name == "jaffle_shop" and project.vendor == "com.jaffle_shop"
    assert project.event_naming.casing == "title" and project.event_naming.numbers is False
    assert "Test Event" in project.event_naming.reserved
    assert project.property_naming.casing == "snake"
    assert project.avo_branches == {"main": "main"}
    assert project.dbt.sources_prefix == "__src_" and project.dbt.models_prefix == "stg_"
    assert project.dbt.docs_tests == {"event_id": ["unique", "not_null"]}
    assert project.lint.cdp == ("segment",)


def test_project_is_found_from_a_subfolder(tmp_path, monkeypatch):
    root = make_project(tmp_path / "p", {"web/Order_Completed/1-0.json": {}})
    monkeypatch.chdir(root / "schemas" / "web")
    assert find_project_dir() == root.resolve()


def _write(tmp_path, text):
    root = tmp_path / "p"
    root.mkdir()
    (root / "reflekt_project.yml").write_text(text)
    return root


@pytest.mark.parametrize(("text", "pattern"), [
    ("version: 1\nname: p\nvendor: v\nschemas:\n  conventions:\n    event:\n      casing: kebab\n",
     r"reflekt_project.yml:7: key 'schemas.conventions.event.casing': 'kebab' is not allowed; "
     r"use one of: title, snake, camel, pascal, any"),
    ("version: 1\nname: p\nvendor: v\nschemas:\n  conventions:\n    evnt: {}\n",
     r"reflekt_project.yml:6: key 'schemas.conventions.evnt': unknown key 'evnt'; allowed keys: data_types, event, property"),
    ("version: 1\nvendor: v\n", r"key 'name': is required but missing"),
    ("version: 1\nname: 9lives\nvendor: v\n", r"reflekt_project.yml:2: key 'name': '9lives' is not valid"),
    ("version: 1\nname: p\nvendor: v\nlint:\n  levels: {R101: fatal}\n", r":5: key 'lint.levels.R101'.*error, warning, info"),
    ("version: 1\nname: p\nvendor: [v\n", r"reflekt_project.yml:4:1: invalid YAML"),
    ("", r"the file is empty"),
    ("version: 1\nname: p\nvendor: v\nartifacts:\n  dbt:\n    docs:\n      in_folder: maybe\n",
     r":7: key 'artifacts.dbt.docs.in_folder': expected true or false"),
])
def test_bad_project_file(tmp_path, text, pattern):
    with pytest.raises(ProjectConfigError, match=pattern):
        load_project(_write(tmp_path, text))


def test_missing_project(tmp_path):
    with pytest.raises(ProjectConfigError, match="no reflekt_project.yml in"):
        load_project(tmp_path)


PROFILES = """\
version: 1.0
dev:
  registry:
    - type: segment
      api_token: "{{ env_var('T_SEGMENT_TOKEN') }}"
  source:
    - id: wh
      type: postgres
      host: "{{ env_var('T_PG_HOST', 'localhost') }}"
      user: reflekt
      password: s3cret-pass
prod:
  source: []
"""


def _profiles(tmp_path, text=PROFILES):
    root = make_project(tmp_path / "p", {})
    (root / "reflekt_profiles.yml").write_text(text)
    return load_project(root)


def test_profile_env_vars_defaults_and_secret_registration(tmp_path, monkeypatch):
    monkeypatch.setenv("T_SEGMENT_TOKEN", "tok-123456")
    profile = load_profile(_profiles(tmp_path))
    assert profile.name == "dev"
    assert profile.registry_entry("segment")["api_token"] == "tok-123456"
    assert profile.source_entry("wh")["host"] == "localhost"
    assert secrets.redact("failed with tok-123456 and s3cret-pass") == "failed with **** and ****"
    assert secrets.masked(profile.source[0])["password"] == "****"
    assert secrets.masked(profile.source[0])["host"] == "localhost"


def test_missing_env_var_names_the_key_and_line(tmp_path, monkeypatch):
    monkeypatch.delenv("T_SEGMENT_TOKEN", raising=False)
    with pytest.raises(ProfileError, match=r"reflekt_profiles.yml:5: environment variable 'T_SEGMENT_TOKEN' "
                                           r"is not set \(used by 'dev.registry.0.api_token'\)"):
        load_profile(_profiles(tmp_path))


def test_unknown_profile_lists_the_profiles(tmp_path):
    with pytest.raises(ProfileError, match=r"profile 'staging' not found \(profiles: dev, prod\)"):
        load_profile(_profiles(tmp_path), "staging")


def test_duplicate_source_ids(tmp_path):
    text = "dev:\n  source:\n    - {id: a, type: duckdb, path: x.duckdb}\n    - {id: a, type: duckdb, path: y.duckdb}\n"
    with pytest.raises(ProfileError, match=r"reflekt_profiles.yml:4: duplicate source id 'a'"):
        load_profile(_profiles(tmp_path, text))


def test_unknown_source_type_does_not_echo_values(tmp_path):
    text = "dev:\n  source:\n    - {id: a, type: oracle, password: hunter2hunter2}\n"
    with pytest.raises(ProfileError) as info:
        load_profile(_profiles(tmp_path, text))
    assert "dev.source[0].type" in str(info.value) and "duckdb, postgres" in str(info.value)
    assert "hunter2" not in str(info.value)


def test_missing_profiles_file(tmp_path):
    project = load_project(make_project(tmp_path / "p", {}))
    with pytest.raises(ProfileError, match=r"reflekt_profiles.yml: profiles file not found"):
        load_profile(project)


def test_profiles_dir_precedence(tmp_path, monkeypatch):
    project = load_project(make_project(tmp_path / "p", {}, {"profiles_path": "conf"}))
    assert profiles_file(project) == project.dir / "conf" / "reflekt_profiles.yml"
    monkeypatch.setenv("REFLEKT_PROFILES_DIR", str(tmp_path / "env"))
    assert profiles_file(project) == tmp_path / "env" / "reflekt_profiles.yml"
    assert profiles_file(project, tmp_path / "flag") == tmp_path / "flag" / "reflekt_profiles.yml"


@pytest.mark.parametrize(("entry", "pattern"), [
    ("{id: a, type: postgres, host: h}", r":3: key 'dev.source\[0\].user': is required but missing"),
    ("{id: a, type: postgres, host: h, user: u, prot: 1}", r"key 'dev.source\[0\].prot': unknown key 'prot'"),
    ("{id: a, type: postgres, host: h, user: u, port: abc}", r"key 'dev.source\[0\].port': this value is not valid: use a port number"),
    ("{id: a, type: snowflake, account: x, user: u, sslmode: require}", r"unknown key 'sslmode'"),
    ("{id: a, type: bigquery}", r"key 'dev.source\[0\].project': is required but missing"),
])
def test_source_fields_are_validated_per_type(tmp_path, entry, pattern):
    with pytest.raises(ProfileError, match=pattern):
        load_profile(_profiles(tmp_path, f"dev:\n  source:\n    - {entry}\n"))


def test_port_may_come_from_an_env_var(tmp_path, monkeypatch):
    monkeypatch.setenv("T_PORT", "6543")
    text = "dev:\n  source:\n    - {id: a, type: postgres, host: h, user: u, port: \"{{ env_var('T_PORT') }}\"}\n"
    assert load_profile(_profiles(tmp_path, text)).source_entry("a")["port"] == "6543"
