"""The code server's snapshots, kept on disk from one start to the next.

Each time a code server starts, Dagster builds and serialises the repository snapshot (every
asset, check, sensor, schedule and resource: 40 MB and 7 to 9 s at 5,000 schemas) and the
implicit asset job's snapshot (15 MB, 2 s) for the webserver and the daemon, even when nothing
changed since the last start. Like dbt's partial parsing, this module keeps those answers on disk
under a key made of everything they are built from, and a later start whose key is the same
sends the stored answer instead of building it again:

- what the code location reads: the loader's configuration (``config_from_env``, the one place
  it reads the environment), the project folder, the project file and the profile file, every
  schema file (path and content), and of the current dbt package version its name, column
  lineage, model index (or manifest) and whether it has a manifest;
- the code that builds it: the Python version and its ``bin`` folder (dbt's path is in the
  resources' configuration), the installed distributions (names and versions, as their
  ``.dist-info`` folders say), and the content of every file of ``reflekt_core`` and
  ``reflekt_dagster`` (an edited checkout is new code);
- the repository, and which snapshot (deferred job snapshots, as the clients ask, or which job).

Only a build that Dagster's gRPC code server loads is keyed (not a run's or a step's process).
Its key is hashed in a thread while the build runs (reading and hashing release the GIL: the
second core does it). The build is not keyed if any of those files changed while the build read
them (their ``stat`` at the build's start and at the first request differ), or less than
``RACY_NS`` before it started (git's rule for changes within one tick of the file system's clock),
or if one of Reflekt's own files changed after the process imported Reflekt.

Answers are stored gzipped (at 5,000 schemas 1.2 MB for the repository, 0.5 MB for the job) under
``<project>/artifacts/dagster/snapshots/<key>/``, written atomically by a background thread once
computed; the two most recently used keys are kept. A damaged file is removed (a miss, built and
stored again), one that cannot be read is a miss, one that cannot be written is skipped:
Dagster's own answer is always the fallback. Only
the ``defs`` loader (the environment-configured code location) is keyed: ``build_definitions``
called with Python objects (a translator, resources) has inputs no key can see.

:func:`prime` stores the answers without a code server: ``python -m reflekt_dagster.prepare``
calls it, so that the first start after a prepare (a deployment's image) sends stored answers,
when the code server runs with the same configuration.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import sys
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path

FORMAT = "reflekt-snapshots-1"
KEEP = 2
FOLDER = Path("artifacts") / "dagster" / "snapshots"

#: The last keyed build of this process (a code server loads one): ``[repository, Key]``.
_KEYED: list = []


def _code_files() -> list[tuple[str, Path]]:
    """Every file of the ``reflekt_core`` and ``reflekt_dagster`` packages (not their bytecode), as
    ``(path within the packages' folder, path)``."""
    import reflekt_core
    import reflekt_dagster

    files = []
    for package in (reflekt_core, reflekt_dagster):
        root = Path(package.__file__).parent
        files += sorted((f"{package.__name__}/{p.relative_to(root).as_posix()}", p) for p in root.rglob("*")
                        if p.is_file() and "__pycache__" not in p.parts)
    return files


def _distributions() -> list[str]:
    """The ``.dist-info`` folders (``name-version.dist-info``) beside Dagster and beside Reflekt."""
    import dagster

    folders = {Path(dagster.__file__).parents[1], Path(__file__).parents[1]}
    names = []
    for folder in sorted(folders):
        try:
            names += sorted(e.name for e in os.scandir(folder)
                            if e.name.endswith((".dist-info", ".egg-link", ".pth")))
        except OSError:
            continue
    return names


def _inputs(project) -> tuple[list[tuple[str, str | Path | None]], int]:
    """What the build reads, as ``(label, file)`` pairs (None: the label alone), and the newest
    change time (ns) among those files."""
    from reflekt_core.errors import ReflektError
    from reflekt_core.profiles import profiles_file
    from reflekt_core.project import PROJECT_FILE
    from reflekt_dagster.loadcache import walk
    from reflekt_dagster.package import MODEL_INDEX, PackageStore

    try:
        profile = profiles_file(project, None)
    except ReflektError:
        profile = None
    items: list[tuple[str, str | Path | None]] = [("project", project.dir / PROJECT_FILE),
                                                  ("profile", Path(profile) if profile else None)]
    root = str(project.schemas_dir)
    items += [("schema:" + entry.path[len(root):], entry.path) for entry in walk(Path(root))]
    store = PackageStore.for_project(project.dir)
    current = store.current()
    items.append(("package:" + (current.name if current else "-"), None))
    if current is not None:
        from reflekt_core.dbt.lineage import LINEAGE_FILE

        manifest = store.manifest()
        index = current / "target" / MODEL_INDEX
        items += [("lineage", current / LINEAGE_FILE), ("manifest:" + str(manifest is not None), None),
                  ("index", index if index.is_file() else manifest), ("pointer", store.root / "CURRENT")]
    newest = 0  # change times: the kernel sets them, unlike modification times (touch, tar, rsync -t)
    for _, path in items:
        try:
            newest = max(newest, os.stat(path).st_ctime_ns) if path is not None else newest
        except OSError:
            continue
    return items, newest


def _digest(config: dict, project) -> tuple[str, int]:
    """The key of a build of ``config`` on ``project``, and its inputs' newest change time."""
    import reflekt_dagster
    from reflekt_dagster.loadcache import config_repr

    h = hashlib.sha256()

    def add(label: str, path: str | Path | None = None) -> None:
        data = b""
        if path is not None:
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except OSError:
                data = None
        h.update(repr((label, None if data is None else len(data))).encode("utf-8", "surrogateescape"))
        h.update(data or b"")

    add(FORMAT)
    add(sys.version)
    add(str(Path(sys.executable).parent))  # dbt beside this Python is in the resources' configuration
    for name in _distributions():
        add("dist:" + name)
    for label, path in _code_files():
        add("code:" + label, path)
        if path.stat().st_ctime_ns >= reflekt_dagster.IMPORTED_NS:
            raise _Unkeyable(f"{path} changed after this process imported Reflekt")
    # what the loader read from the environment (config_from_env is its one reader; the profile
    # file REFLEKT_PROFILES_DIR may point at is hashed below by content)
    add(config_repr({**config, "project_dir": str(project.dir)}))
    items, newest = _inputs(project)
    for label, path in items:
        add(label, path)
    return h.hexdigest()[:40], newest


class _Unkeyable(Exception):
    """This build cannot be keyed."""


#: Inputs changed this close to the build's start may have changed within one tick of the file
#: system's clock without changing their ``stat`` (git's "racy" rule): such a build is not keyed.
RACY_NS = 3_000_000_000


class Key:
    """The key of one build, hashed in a thread while the build runs; :meth:`value` waits for it."""

    def __init__(self, config: dict, before: object):
        self.config = config
        self.before = before  # loadcache.fingerprint when the build started
        self.started = time.time_ns()
        self.folder: Path | None = None
        self._digest: str | None = None
        self._lock = threading.Lock()
        self._checked: str | None | bool = False
        self._thread = threading.Thread(target=self._run, name="reflekt-snapshot-key", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from reflekt_core.project import load_project

        try:
            project = load_project(Path(self.config["project_dir"]))
            digest, newest = _digest(self.config, project)
            if newest < self.started - RACY_NS:
                self.folder, self._digest = project.dir / FOLDER, digest
        except Exception:  # noqa: BLE001 - no key: Dagster answers as usual
            self._digest = None

    def value(self) -> str | None:
        """The key, or None when it could not be made, an input changed during the build or just before."""
        with self._lock:
            if self._checked is False:
                from reflekt_dagster.loadcache import fingerprint

                self._thread.join()
                self._checked = self._digest if self._digest and fingerprint(self.config) == self.before else None
            return self._checked


def enabled() -> bool:
    """Unless ``REFLEKT_DAGSTER_SNAPSHOT_CACHE`` is ``off``."""
    return os.environ.get("REFLEKT_DAGSTER_SNAPSHOT_CACHE", "on").lower() not in ("off", "0", "false", "no")


def start(config: dict, before: object) -> Key:
    """Begin keying a build of ``config`` whose inputs had the ``loadcache.fingerprint`` ``before``."""
    return Key(config, before)


def in_code_server() -> bool:
    """Whether Dagster's gRPC code server is loading this build (``LoadedRepositories`` in a
    ``DagsterApiServer``), not a run or step process or an in-process location, which never send
    a snapshot and need not hash anything."""
    found = set()
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_globals.get("__name__") == "dagster._grpc.server":
            found.add(frame.f_code.co_qualname)
        frame = frame.f_back
    return {"LoadedRepositories.__init__", "DagsterApiServer.__init__"} <= found


def forget() -> None:
    """Drop the registered build (before another one starts: it is not kept alive meanwhile)."""
    _KEYED.clear()


def register(definitions: object, key: Key) -> None:
    """``definitions`` (the repository it makes) is the build ``key`` describes."""
    _KEYED[:] = [definitions.get_repository_def(), key]


def key_of(repository: object) -> Key | None:
    keyed = list(_KEYED)
    return keyed[1] if keyed and keyed[0] is repository else None


def _file(folder: Path, repository: object, what: tuple) -> Path:
    """``repository-<hash>.json.gz`` or ``job-<hash>.json.gz`` (a hash of the repository's name and
    ``what``: no name reaches the path as it is)."""
    digest = hashlib.sha256(repr((repository.name, what)).encode()).hexdigest()[:24]
    return folder / f"{what[0]}-{digest}.json.gz"


def load(repository: object, what: tuple) -> str | None:
    """The stored answer ``what`` of ``repository``'s build, or None (not stored, or not readable:
    a damaged file is removed)."""
    key = key_of(repository)
    value = key.value() if key else None
    if value is None:
        return None
    path = _file(key.folder / value, repository, what)
    try:
        data = path.read_bytes()
    except OSError:
        return None  # not stored (or not readable by this user): a miss
    try:
        text = gzip.decompress(data).decode()
    except (zlib.error, EOFError, gzip.BadGzipFile, UnicodeDecodeError):
        path.unlink(missing_ok=True)  # damaged: built and stored again
        return None
    try:
        os.utime(path.parent)  # a key in use is the newest: pruned last
    except OSError:
        pass
    return text


def _write(folder: Path, path: Path, text: str) -> bool:
    """Write one answer atomically and prune older keys; False if it could not be written."""
    from reflekt_core.errors import ReflektError
    from reflekt_core.fsutil import atomic_write_bytes

    try:
        folder.mkdir(parents=True, exist_ok=True)
        os.utime(folder)  # the newest key is kept
        atomic_write_bytes(path, gzip.compress(text.encode(), compresslevel=1, mtime=0))
    except (OSError, ReflektError):
        return False  # a read-only project or a full disk: the next start builds it, as Dagster does
    try:
        keys = sorted((p for p in folder.parent.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime,
                      reverse=True)
        for old in keys[KEEP:]:
            if old != folder:
                shutil.rmtree(old, ignore_errors=True)
    except OSError:
        pass
    return True


def store(repository: object, what: tuple, text: str, *, wait: bool = False) -> bool:
    """Keep ``text`` as the answer ``what`` of ``repository``'s build (in a thread unless ``wait``);
    False when there is no key (or, with ``wait``, when it could not be written)."""
    key = key_of(repository)
    value = key.value() if key else None
    if value is None:
        return False
    folder = key.folder / value
    args = (folder, _file(folder, repository, what), text)
    if wait:
        return _write(*args)
    threading.Thread(target=_write, args=args, name="reflekt-snapshot-store", daemon=False).start()
    return True


def answers(repository: object) -> dict[tuple, Callable[[], str]]:
    """What a code server answers for ``repository``, as Dagster's gRPC server computes it
    (``DagsterApiServer._get_serialized_external_repository_data`` with deferred job snapshots,
    as the webserver and the daemon ask, and ``ExternalJob``)."""
    from dagster._core.remote_representation.external_data import JobDataSnap, RepositorySnap
    from dagster._serdes import serialize_value

    found: dict[tuple, Callable[[], str]] = {
        ("repository", True): lambda: serialize_value(RepositorySnap.from_def(repository, defer_snapshots=True))}
    for job in repository.get_all_jobs():
        found[("job", job.name)] = (
            lambda job=job: serialize_value(JobDataSnap.from_job_def(job, include_parent_snapshot=True)))
    return found


def prime() -> int:
    """Load the ``defs`` code location (configured by the environment) and store the answers its
    code server will send; how many were written (0 when switched off or nothing could be stored)."""
    from reflekt_dagster.definitions import config_from_env, defs
    from reflekt_dagster.loadcache import fingerprint

    from reflekt_core.project import load_project

    from reflekt_dagster.fastpath import _pinned

    if not enabled() or not _pinned():
        return 0
    config = config_from_env()
    # the prepare step has just written the package: wait until it is past the racy window
    _, newest = _inputs(load_project(Path(config["project_dir"])))
    time.sleep(max(0.0, min((newest + RACY_NS) / 1e9 + 0.05 - time.time(), RACY_NS / 1e9 + 0.05)))
    key = start(config, fingerprint(config))  # before the build (or the earlier build it returns)
    definitions = defs()
    register(definitions, key)
    repository = definitions.get_repository_def()
    if key.value() is None:
        return 0
    return sum(store(repository, what, compute(), wait=True)
               for what, compute in answers(repository).items() if load(repository, what) is None)
