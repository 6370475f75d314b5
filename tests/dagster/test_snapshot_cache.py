"""The code server's snapshots kept on disk between starts (reflekt_dagster.snapcache).

The restarts are real: each start is Dagster's own ``dagster api grpc`` process, asked over gRPC
as the webserver and the daemon ask (``DagsterGrpcClient``).
"""

from __future__ import annotations

import gzip
import os
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from reflekt_dagster import fastpath, snapcache
from reflekt_dagster.loadcache import fingerprint

pytestmark = pytest.mark.skipif(not fastpath._pinned(), reason="another Dagster version: snapshots are Dagster's own")

SCHEMA = Path("schemas") / "jaffle_shop" / "Cart_Viewed" / "1-0.json"
EVOLUTION = "Compared with the event's previous version"


@pytest.fixture
def project(demo_project, tmp_path, monkeypatch):
    target = tmp_path / "jaffle_shop"
    shutil.copytree(demo_project, target, ignore=shutil.ignore_patterns("artifacts", "*.duckdb*", "target"))
    monkeypatch.setenv("REFLEKT_PROJECT_DIR", str(target))
    monkeypatch.setenv("REFLEKT_DBT_PROFILES_DIR", str(target / "dbt_profiles"))
    monkeypatch.setenv("REFLEKT_DAGSTER_AUTOMATION", "off")
    return target


@contextmanager
def code_server():
    """Dagster's gRPC code server (``dagster api grpc``) in its own process, loading workspace.yaml's target."""
    from dagster._core.remote_origin import GrpcServerCodeLocationOrigin, RemoteRepositoryOrigin
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
    from dagster._grpc.server import GrpcServerProcess

    origin = LoadableTargetOrigin(executable_path=sys.executable, module_name="reflekt_dagster.definitions",
                                  attribute="defs")
    with GrpcServerProcess(instance_ref=None, location_name="reflekt", loadable_target_origin=origin,
                           inject_env_vars_from_instance=False, wait_on_exit=True, startup_timeout=120) as process:
        client = process.create_client()
        repository = RemoteRepositoryOrigin(GrpcServerCodeLocationOrigin(
            host="localhost", port=process.port, socket=process.socket, location_name="reflekt"), "__repository__")

        class Asker:
            def repository(self) -> str:
                return client.external_repository(repository, defer_snapshots=True, timeout=120)

            def job(self) -> str:
                return client.external_job(repository, "__ASSET_JOB", timeout=120).serialized_job_data

        yield Asker()
        client.shutdown_server()


def stored(project: Path) -> dict[str, dict[str, str]]:
    """The stored answers: key -> file name -> text."""
    folder = project / snapcache.FOLDER
    if not folder.is_dir():
        return {}
    return {key.name: {f.name: gzip.decompress(f.read_bytes()).decode() for f in key.iterdir()}
            for key in folder.iterdir()}


def test_a_restart_sends_the_stored_snapshots_and_a_changed_schema_builds_new_ones(project, monkeypatch):
    with code_server() as server:
        first_repository, first_job = server.repository(), server.job()
    (key, files), = stored(project).items()  # written once the process had sent them
    assert sorted(files.values()) == sorted([first_repository, first_job])
    assert EVOLUTION in first_repository

    # Plant a different (valid) answer under that key: a restart that sends it read it from the disk.
    repository_file = next(name for name, text in files.items() if text == first_repository)
    planted = first_repository.replace(EVOLUTION, "PLANTED")
    (project / snapcache.FOLDER / key / repository_file).write_bytes(gzip.compress(planted.encode()))
    with code_server() as server:
        assert server.repository() == planted
        assert server.job() == first_job

    # An edited schema is a new key: built as Dagster builds it, and kept beside the previous one.
    schema = project / SCHEMA
    original = schema.read_text()
    schema.write_text(original.replace("shopping cart.", "shopping CART.", 1))
    with code_server() as server:
        edited = server.repository()
    assert "PLANTED" not in edited and "shopping CART." in edited
    assert len(stored(project)) == 2

    # Put back as it was (new inode and times, same content): the first key again.
    schema.unlink()
    schema.write_text(original)
    with code_server() as server:
        assert server.repository() == planted

    # Switched off: Dagster's own answer, nothing read.
    monkeypatch.setenv("REFLEKT_DAGSTER_SNAPSHOT_CACHE", "off")
    with code_server() as server:
        assert server.repository() == first_repository


def test_prepare_stores_exactly_what_a_code_server_sends(project, monkeypatch):
    """``prime`` (run by the prepare step) stores, in this process, what Dagster's own code server
    computes in another (a fresh hash seed), byte for byte; the next start sends it."""
    from reflekt_dagster.prepare import prime_snapshots

    assert prime_snapshots() == 2
    assert prime_snapshots() == 0  # already stored
    (key, files), = stored(project).items()
    monkeypatch.setenv("REFLEKT_DAGSTER_SNAPSHOT_CACHE", "off")
    monkeypatch.setenv("PYTHONHASHSEED", "12345")
    with code_server() as server:
        assert sorted(files.values()) == sorted([server.repository(), server.job()])
    assert list(stored(project)) == [key]  # switched off: nothing written


def _key(project: Path) -> str:
    from reflekt_dagster.definitions import config_from_env

    config = config_from_env()
    key = snapcache.start(config, fingerprint(config))
    return key.value()


def prepared_package(project: Path) -> None:
    """A package version with a model index and a manifest (what loading reads of a prepared package)."""
    root = project / "artifacts" / "dagster" / "dbt"
    (root / "abc" / "target").mkdir(parents=True)
    (root / "abc" / "dbt_project.yml").write_text("name: abc\n")
    (root / "abc" / "target" / "manifest.json").write_text("{}")
    (root / "abc" / "target" / "reflekt_models.json").write_text('{"adapter": "duckdb", "models": []}')
    (root / "CURRENT").write_text("abc\n")


def test_the_key_changes_with_what_the_build_reads_and_nothing_else(project, monkeypatch, tmp_path):
    base = _key(project)
    assert base and _key(project) == base
    schema = project / SCHEMA
    text = schema.read_text()
    os.utime(schema, ns=(1, 1))  # times alone: the same content, the same key
    (project / "warehouse.duckdb").write_bytes(b"written by a run")  # not read by a build
    (project / "README.md").write_text("notes\n")
    assert _key(project) == base

    changes = {
        "schema content": lambda: schema.write_text(text.replace("shopping cart.", "shopping cart!", 1)),
        "a new schema file": lambda: (schema.parent / "1-1.json").write_text(text),
        "the project file": lambda: (project / "reflekt_project.yml").write_text(
            (project / "reflekt_project.yml").read_text() + "\n# edited\n"),
        "the profile file": lambda: (project / "reflekt_profiles.yml").write_text(
            (project / "reflekt_profiles.yml").read_text() + "\n# edited\n"),
        "a REFLEKT_ variable": lambda: monkeypatch.setenv("REFLEKT_PULL_CRON", "0 7 * * *"),
        "a prepared package": lambda: prepared_package(project),
        "the model index": lambda: (project / "artifacts" / "dagster" / "dbt" / "abc" / "target" /
                                    "reflekt_models.json").write_text('{"adapter": "postgres", "models": []}'),
        "the column lineage": lambda: (project / "artifacts" / "dagster" / "dbt" / "abc" /
                                       "reflekt_lineage.json").write_text("{}"),
        "an installed distribution": lambda: monkeypatch.setattr(
            snapcache, "_distributions", lambda original=snapcache._distributions: [*original(), "x-1.0.dist-info"]),
        "Reflekt's code": lambda: monkeypatch.setattr(
            snapcache, "_code_files", lambda original=snapcache._code_files: [*original(), extra]),
    }
    extra = tmp_path / "code.py"
    extra.write_text("x = 1\n")
    seen = {base}
    for what, change in changes.items():
        change()
        key = _key(project)
        assert key not in seen, what
        seen.add(key)
    extra.write_text("x = 2\n")
    assert _key(project) not in seen


def test_a_build_whose_files_changed_while_it_ran_is_not_keyed(project):
    from reflekt_dagster.definitions import config_from_env

    config = config_from_env()
    key = snapcache.start(config, fingerprint(config))
    (project / SCHEMA).write_text((project / SCHEMA).read_text().replace("shopping cart.", "cart.", 1))
    assert key.value() is None


def test_an_unreadable_or_read_only_store_is_a_miss_not_an_error(project):
    with code_server() as server:
        answer = server.repository()
    (key, files), = stored(project).items()
    for name in files:
        (project / snapcache.FOLDER / key / name).write_bytes(b"not gzip")
    with code_server() as server:
        assert server.repository() == answer  # built again, and stored again
    assert answer in stored(project)[key].values()
    if os.geteuid() != 0:  # root writes anywhere
        shutil.rmtree(project / snapcache.FOLDER)
        (project / "artifacts" / "dagster").chmod(0o555)
        try:
            with code_server() as server:
                assert server.repository() == answer
        finally:
            (project / "artifacts" / "dagster").chmod(0o755)
