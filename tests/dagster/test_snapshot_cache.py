"""The code server's snapshots kept on disk between starts (reflekt_dagster.snapcache).

The restarts are real: each start is Dagster's own ``dagster api grpc`` process, asked over gRPC
as the webserver and the daemon ask (``DagsterGrpcClient``).
"""

from __future__ import annotations

import errno
import gzip
import os
import shutil
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from reflekt_dagster import fastpath, snapcache
from reflekt_dagster.loadcache import fingerprint

pytestmark = pytest.mark.skipif(not fastpath._pinned(), reason="another Dagster version: snapshots are Dagster's own")

SCHEMA = Path("schemas") / "jaffle_shop" / "Cart_Viewed" / "1-0.json"
EVOLUTION = "Compared with the event's previous version"


def _copy(demo_project: Path, target: Path, monkeypatch, *, warehouse: bool = False) -> Path:
    ignore = ["artifacts", "target"] + ([] if warehouse else ["*.duckdb*"])
    shutil.copytree(demo_project, target, ignore=shutil.ignore_patterns(*ignore))
    monkeypatch.setenv("REFLEKT_PROJECT_DIR", str(target))
    monkeypatch.setenv("REFLEKT_DBT_PROFILES_DIR", str(target / "dbt_profiles"))
    monkeypatch.setenv("REFLEKT_DAGSTER_AUTOMATION", "off")
    monkeypatch.delenv("REFLEKT_DAGSTER_SNAPSHOT_CACHE", raising=False)
    return target


@pytest.fixture
def project(demo_project, tmp_path, monkeypatch):
    return _copy(demo_project, tmp_path / "jaffle_shop", monkeypatch)


def settle(project: Path) -> None:
    """Wait until the project's newest change is older than snapcache's racy window."""
    newest = max(p.stat().st_ctime_ns for p in project.rglob("*"))
    wait = (newest + snapcache.RACY_NS) / 1e9 + 0.1 - time.time()
    if wait > 0:
        time.sleep(wait)


@contextmanager
def code_server(project: Path):
    """Dagster's gRPC code server (``dagster api grpc``) in its own process, loading workspace.yaml's target."""
    from dagster._core.remote_origin import GrpcServerCodeLocationOrigin, RemoteRepositoryOrigin
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
    from dagster._grpc.server import GrpcServerProcess

    settle(project)
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


def plant(project: Path, key: str, name: str, text: str) -> None:
    (project / snapcache.FOLDER / key / name).write_bytes(gzip.compress(text.encode()))


def test_a_restart_sends_the_stored_snapshots_and_a_changed_schema_builds_new_ones(project, monkeypatch):
    with code_server(project) as server:
        first_repository, first_job = server.repository(), server.job()
    (key, files), = stored(project).items()  # written once the process had sent them
    assert sorted(files.values()) == sorted([first_repository, first_job])
    assert EVOLUTION in first_repository

    # Plant other (valid) answers under that key: a restart that sends them read them from the disk.
    by_text = {text: name for name, text in files.items()}
    planted = first_repository.replace(EVOLUTION, "PLANTED")
    planted_job = first_job.replace("Cart_Viewed", "Cart_Planted")
    assert planted != first_repository and planted_job != first_job
    plant(project, key, by_text[first_repository], planted)
    plant(project, key, by_text[first_job], planted_job)
    with code_server(project) as server:
        assert server.repository() == planted
        assert server.job() == planted_job

    # An edited schema is a new key: built as Dagster builds it, and kept beside the previous one.
    schema = project / SCHEMA
    original = schema.read_text()
    schema.write_text(original.replace("shopping cart.", "shopping CART.", 1))
    with code_server(project) as server:
        edited = server.repository()
    assert "PLANTED" not in edited and "shopping CART." in edited
    assert len(stored(project)) == 2

    # Put back as it was (new inode and times, same content): the first key again.
    schema.unlink()
    schema.write_text(original)
    with code_server(project) as server:
        assert server.repository() == planted

    # Switched off: Dagster's own answer, nothing read.
    monkeypatch.setenv("REFLEKT_DAGSTER_SNAPSHOT_CACHE", "off")
    with code_server(project) as server:
        assert server.repository() == first_repository


def test_prepare_stores_what_a_code_server_sends_under_the_key_it_looks_up(demo_project, tmp_path, monkeypatch):
    """On a prepared project (the dbt models and their checks: most of the snapshot at scale):
    what prepare stores is, byte for byte, what Dagster's own code server computes in another
    process (another hash seed), and a code server started afterwards sends what is stored."""
    from reflekt_dagster.prepare import prepare, prime_snapshots

    project = _copy(demo_project, tmp_path / "jaffle_shop", monkeypatch, warehouse=True)
    prepare(project, "jaffle_shop.warehouse.segment", dbt_profiles_dir=project / "dbt_profiles")
    assert prime_snapshots() == 2  # right after the package was written: prime waits out the racy window
    assert prime_snapshots() == 0  # already stored
    (key, files), = stored(project).items()
    assert any("stg_segment__" in text for text in files.values())
    monkeypatch.setenv("REFLEKT_DAGSTER_SNAPSHOT_CACHE", "off")
    monkeypatch.setenv("PYTHONHASHSEED", "12345")
    with code_server(project) as server:
        computed = {server.repository(), server.job()}
    assert set(files.values()) == computed
    assert list(stored(project)) == [key]  # switched off: nothing written
    monkeypatch.delenv("REFLEKT_DAGSTER_SNAPSHOT_CACHE")
    for name, text in files.items():
        plant(project, key, name, text.replace("stg_segment__", "stg_planted__"))
    with code_server(project) as server:
        assert "stg_planted__" in server.repository() and "stg_planted__" in server.job()


def _key(monkeypatch) -> str | None:
    from reflekt_dagster.definitions import config_from_env

    config = config_from_env()
    return snapcache.start(config, fingerprint(config)).value()


def prepared_package(project: Path) -> None:
    """A package version with a model index and a manifest (what loading reads of a prepared package)."""
    root = project / "artifacts" / "dagster" / "dbt"
    (root / "abc" / "target").mkdir(parents=True)
    (root / "abc" / "dbt_project.yml").write_text("name: abc\n")
    (root / "abc" / "target" / "manifest.json").write_text("{}")
    (root / "abc" / "target" / "reflekt_models.json").write_text('{"adapter": "duckdb", "models": []}')
    (root / "CURRENT").write_text("abc\n")


def test_the_key_changes_with_what_the_build_reads_and_nothing_else(project, monkeypatch, tmp_path):
    import reflekt_dagster

    monkeypatch.setattr(snapcache, "RACY_NS", 0)
    monkeypatch.setattr(reflekt_dagster, "IMPORTED_NS", time.time_ns() + 10**12)  # code edits: below
    base = _key(monkeypatch)
    assert base and _key(monkeypatch) == base
    schema = project / SCHEMA
    text = schema.read_text()
    os.utime(schema, ns=(1, 1))  # times alone: the same content, the same key
    (project / "warehouse.duckdb").write_bytes(b"written by a run")  # not read by a build
    (project / "README.md").write_text("notes\n")
    monkeypatch.setenv("REFLEKT_DAGSTER_RELOAD_URL", "http://127.0.0.1:3000")  # read by sensors, at run time
    assert _key(monkeypatch) == base

    package = project / "artifacts" / "dagster" / "dbt" / "abc"
    changes = {
        "schema content": lambda: schema.write_text(text.replace("shopping cart.", "shopping cart!", 1)),
        "a new schema file": lambda: (schema.parent / "1-1.json").write_text(text),
        "the project file": lambda: (project / "reflekt_project.yml").write_text(
            (project / "reflekt_project.yml").read_text() + "\n# edited\n"),
        "the profile file": lambda: (project / "reflekt_profiles.yml").write_text(
            (project / "reflekt_profiles.yml").read_text() + "\n# edited\n"),
        "the configuration": lambda: monkeypatch.setenv("REFLEKT_PULL_CRON", "0 7 * * *"),
        "a prepared package": lambda: prepared_package(project),
        "the model index": lambda: (package / "target" / "reflekt_models.json").write_text(
            '{"adapter": "postgres", "models": []}'),
        "the column lineage": lambda: (package / "reflekt_lineage.json").write_text("{}"),
        "an installed distribution": lambda: monkeypatch.setattr(
            snapcache, "_distributions", lambda original=snapcache._distributions: [*original(), "x-1.0.dist-info"]),
        "Reflekt's code": lambda: monkeypatch.setattr(
            snapcache, "_code_files", lambda original=snapcache._code_files: [*original(), ("extra/code.py", extra)]),
    }
    extra = tmp_path / "code.py"
    extra.write_text("x = 1\n")
    seen = {base}
    for what, change in changes.items():
        change()
        key = _key(monkeypatch)
        assert key not in seen, what
        seen.add(key)
    extra.write_text("x = 2\n")
    current = _key(monkeypatch)
    assert current not in seen
    # ~ in the project folder, and a relative one: the same project, the same key (and store)
    monkeypatch.setenv("HOME", str(project.parent))
    monkeypatch.setenv("REFLEKT_PROJECT_DIR", "~/" + project.name)
    assert _key(monkeypatch) == current
    monkeypatch.chdir(project.parent)
    monkeypatch.setenv("REFLEKT_PROJECT_DIR", project.name)
    assert _key(monkeypatch) == current
    # Reflekt's code edited after this process imported it: the code that runs may be the old one
    monkeypatch.setattr(reflekt_dagster, "IMPORTED_NS", time.time_ns())
    extra.write_text("x = 3\n")
    assert _key(monkeypatch) is None


def test_a_build_whose_files_changed_while_it_ran_or_just_before_is_not_keyed(project, monkeypatch):
    from reflekt_dagster.definitions import config_from_env

    config = config_from_env()
    settle(project)
    assert _key(monkeypatch) is not None
    monkeypatch.setattr(snapcache, "RACY_NS", 0)
    key = snapcache.start(config, fingerprint(config))
    key._thread.join()  # hashed the old content...
    (project / SCHEMA).write_text((project / SCHEMA).read_text().replace("shopping cart.", "cart.", 1))
    assert key.value() is None  # ...which changed while the build ran
    assert _key(monkeypatch) is not None
    monkeypatch.setattr(snapcache, "RACY_NS", 3_000_000_000)
    assert _key(monkeypatch) is None  # changed 0 s ago: within one tick it could change unseen


def test_only_a_code_server_keys_its_build(project, monkeypatch):
    """A run's or a step's process, or an in-process location (``LoadedRepositories`` alone), loads
    the same ``defs`` and never sends a snapshot: it hashes nothing. Dagster's gRPC server does."""
    import logging
    import threading

    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
    from dagster._core.utils import FuturesAwareThreadPoolExecutor
    from dagster._grpc.server import DEFAULT_DAGSTER_ENTRY_POINT, DagsterApiServer, LoadedRepositories

    import reflekt_dagster.definitions as definitions
    from reflekt_dagster import loadcache

    settle(project)
    origin = LoadableTargetOrigin(executable_path=sys.executable, module_name="reflekt_dagster.definitions",
                                  attribute="defs")
    monkeypatch.setattr(loadcache, "_LAST", [])
    assert snapcache.key_of(definitions.defs().get_repository_def()) is None
    monkeypatch.setattr(loadcache, "_LAST", [])
    loaded = LoadedRepositories(origin, container_image=None, entry_point=DEFAULT_DAGSTER_ENTRY_POINT,
                                container_context=None, code_location_name="reflekt")
    assert snapcache.key_of(next(iter(loaded.definitions_by_name.values()))) is None
    monkeypatch.setattr(loadcache, "_LAST", [])
    server = DagsterApiServer(server_termination_event=threading.Event(), logger=logging.getLogger("test"),
                              server_threadpool_executor=FuturesAwareThreadPoolExecutor(max_workers=2),
                              loadable_target_origin=origin, location_name="reflekt")
    repository, = server._loaded_repositories.definitions_by_name.values()
    assert snapcache.key_of(repository).value()


def test_a_damaged_stored_answer_is_removed_and_built_again(project):
    with code_server(project) as server:
        answer = server.repository()
    (key, files), = stored(project).items()
    name = next(n for n, text in files.items() if text == answer)
    good = gzip.compress(answer.encode())
    damaged = good[:40] + bytes(len(good) - 48) + good[-8:]  # a valid header, a broken body (zlib.error)
    (project / snapcache.FOLDER / key / name).write_bytes(damaged)
    with code_server(project) as server:
        assert server.repository() == answer
    assert stored(project)[key][name] == answer  # stored again


def test_a_store_that_cannot_be_written_is_skipped_and_a_damaged_answer_removed(project, monkeypatch):
    import reflekt_core.fsutil as fsutil

    calls = []

    def full(*args, **kwargs):
        calls.append(args[0])
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(fsutil, "_atomic_write", full)
        assert snapcache.prime() == 0
    assert len(calls) == 2 and not any(stored(project).values())  # tried, failed, no error
    assert snapcache.prime() == 2

    # a damaged answer is removed (here the new one cannot be written: it stays a miss)
    (key, files), = stored(project).items()
    name = sorted(files)[0]
    path = project / snapcache.FOLDER / key / name
    path.write_bytes(path.read_bytes()[:40] + b"\0" * 100)
    with monkeypatch.context() as patched:
        patched.setattr(fsutil, "_atomic_write", full)
        assert snapcache.prime() == 0
    assert not path.exists()

    # an answer read keeps its key from being pruned first
    os.utime(path.parent, (1, 1))
    assert snapcache.prime() == 1  # the removed one, stored again; the other one read
    assert path.parent.stat().st_mtime > time.time() - 60


def test_the_two_most_recently_used_keys_are_kept(tmp_path):
    folder = tmp_path / "snapshots"
    for age, name in enumerate(["used", "old", "older"]):
        (folder / name).mkdir(parents=True)
        os.utime(folder / name, (time.time() - 100 * (age + 1),) * 2)
    assert snapcache._write(folder / "new", folder / "new" / "repository-x.json.gz", "{}")
    assert sorted(p.name for p in folder.iterdir()) == ["new", "used"]


def test_awkward_file_names_are_keyed_like_any_other(project, monkeypatch):
    """Names nobody here wrote: spaces, a newline, non-UTF-8 bytes, an emoji, a leading dash: each
    new file is a new key, and the same tree gives the same key again."""
    monkeypatch.setattr(snapcache, "RACY_NS", 0)
    folder = os.fsencode(project / "schemas" / "jaffle_shop")
    seen = {_key(monkeypatch)}
    for name in (b"Cart Viewed copy.json", b"line\nbreak.json", b"latin-1 \xe9v\xe9nement.json",
                 "🛒 cart.json".encode(), b"-rf.json"):
        with open(os.path.join(folder, name), "wb") as f:
            f.write(b"{}")
        key = _key(monkeypatch)
        assert key is not None and key not in seen, name
        assert _key(monkeypatch) == key
        seen.add(key)
