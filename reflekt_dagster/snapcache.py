"""The code server's snapshots, kept on disk from one start to the next.

Each time a code server starts, Dagster builds and serialises the repository snapshot (every
asset, check, sensor, schedule and resource: 40 MB and 7 to 9 s at 5,000 schemas) and the
implicit asset job's snapshot (15 MB, 2 s) for the webserver and the daemon, even when nothing
changed since the last start. Like dbt's partial parsing, this module keeps those answers on disk
under a key made of everything they are built from, and a later start whose key is the same
sends the stored answer instead of building it again:

- what the code location reads: the loader's configuration (the ``REFLEKT_*`` environment it
  was read from), the project folder (resolved), the project file and the profile file, every
  schema file (path and content), and of the current dbt package version its name, column lineage,
  model index and whether it has a manifest (``reflekt_dagster.loadcache`` lists the same);
- the code that builds it: the Python version and executable, the installed distributions (names
  and versions, as their ``.dist-info`` folders say), and the content of every file of
  ``reflekt_core`` and ``reflekt_dagster`` (an edited checkout is new code);
- the repository, and which snapshot (deferred or not, which job).

The key is computed by hashing those files in a thread while the code location builds (hashing
and reading release the GIL: the second core does it). If any of those files changed while the
build was reading them (their ``stat`` before the build and at the first request differ), the
build is not keyed: it answers as Dagster does and stores nothing.

Answers are stored gzipped (1.2 MB for the 40 MB at 5,000 schemas) under
``<project>/artifacts/dagster/snapshots/<key>/``, written atomically in a background thread after
the answer is sent; the newest ``KEEP`` keys are kept. A file that cannot be read is a miss. Only
the ``defs`` loader (the environment-configured code location) is keyed: ``build_definitions``
called with Python objects (a translator, resources) has inputs no key can see.

:func:`prime` stores the answers without a code server: ``python -m reflekt_dagster.prepare``
calls it, so that the first start after a prepare (a deployment's image, ``scripts/setup``) is
already a stored one.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import sys
import threading
from collections.abc import Callable
from pathlib import Path

FORMAT = "reflekt-snapshots-1"
KEEP = 2
FOLDER = Path("artifacts") / "dagster" / "snapshots"

#: The last keyed build of this process (a code server loads one): ``[repository, Key]``.
_KEYED: list = []


def _code_files() -> list[Path]:
    import reflekt_core
    import reflekt_dagster

    files = []
    for package in (reflekt_core, reflekt_dagster):
        root = Path(package.__file__).parent
        files += sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return files


def _distributions() -> list[str]:
    """The ``.dist-info`` folders (``name-version.dist-info``) beside Dagster and beside Reflekt."""
    import dagster

    folders = {Path(dagster.__file__).parents[1], Path(__file__).parents[1]}
    names = []
    for folder in sorted(folders):
        try:
            names += sorted(e.name for e in os.scandir(folder) if e.name.endswith((".dist-info", ".egg-link", ".pth")))
        except OSError:
            continue
    return names


def _inputs(config: dict) -> list[tuple[str, str | Path | None]]:
    """What the build reads, as ``(label, file)`` pairs (None: the label alone)."""
    from reflekt_core.errors import ReflektError
    from reflekt_core.profiles import profiles_file
    from reflekt_core.project import PROJECT_FILE, load_project
    from reflekt_dagster.loadcache import walk
    from reflekt_dagster.package import MODEL_INDEX, PackageStore

    project = load_project(Path(config["project_dir"]))
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
                  ("index", index if index.is_file() else manifest)]
    return items


def _digest(config: dict) -> str:
    from reflekt_dagster.loadcache import config_items

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
    add(sys.executable)
    for name in _distributions():
        add("dist:" + name)
    for path in _code_files():
        add("code:" + path.name, path)
    add(config_items(config))
    add(str(Path(config["project_dir"]).resolve()))
    for label, path in _inputs(config):
        add(label, path)
    return h.hexdigest()[:40]


class Key:
    """The key of one build, hashed in a thread while the build runs; :meth:`value` waits for it."""

    def __init__(self, config: dict, before: object):
        self.config = config
        self.before = before  # loadcache.fingerprint when the build started
        self.folder = Path(config["project_dir"]).resolve() / FOLDER
        self._digest: str | None = None
        self._thread = threading.Thread(target=self._run, name="reflekt-snapshot-key", daemon=True)
        self._thread.start()
        self._checked: str | None | bool = False

    def _run(self) -> None:
        try:
            self._digest = _digest(self.config)
        except Exception:  # noqa: BLE001 - no key: Dagster answers as usual
            self._digest = None

    def value(self) -> str | None:
        """The key, or None when it could not be made or the inputs changed during the build."""
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
    """The stored answer ``what`` of ``repository``'s build, or None."""
    key = key_of(repository)
    value = key.value() if key else None
    if value is None:
        return None
    try:
        return gzip.decompress(_file(key.folder / value, repository, what).read_bytes()).decode()
    except (OSError, EOFError, ValueError, gzip.BadGzipFile):
        return None


def _write(folder: Path, path: Path, text: str) -> None:
    from reflekt_core.fsutil import atomic_write_bytes

    try:
        folder.mkdir(parents=True, exist_ok=True)
        os.utime(folder)  # the newest key is kept
        atomic_write_bytes(path, gzip.compress(text.encode(), compresslevel=1, mtime=0))
        keys = sorted((p for p in folder.parent.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime,
                      reverse=True)
        for old in keys[KEEP:]:
            if old != folder:
                shutil.rmtree(old, ignore_errors=True)
    except OSError:
        pass  # a read-only project: every start builds its snapshots, as Dagster does


def store(repository: object, what: tuple, text: str, *, wait: bool = False) -> None:
    """Keep ``text`` as the answer ``what`` of ``repository``'s build (in a thread unless ``wait``)."""
    key = key_of(repository)
    value = key.value() if key else None
    if value is None:
        return
    folder = key.folder / value
    args = (folder, _file(folder, repository, what), text)
    if wait:
        _write(*args)
    else:
        threading.Thread(target=_write, args=args, name="reflekt-snapshot-store", daemon=False).start()


def answers(repository: object) -> dict[tuple, Callable[[], str]]:
    """What a code server answers for ``repository``, as Dagster's gRPC server computes it."""
    from dagster._core.remote_representation.external_data import JobDataSnap, RepositorySnap
    from dagster._serdes import serialize_value

    found: dict[tuple, Callable[[], str]] = {
        ("repository", True): lambda: serialize_value(RepositorySnap.from_def(repository, defer_snapshots=True))}
    for job in repository.get_all_jobs():
        found[("job", job.name)] = (
            lambda job=job: serialize_value(JobDataSnap.from_job_def(job, include_parent_snapshot=True)))
    return found


def prime(definitions: object) -> int:
    """Store the answers a code server gives for ``definitions`` (a keyed build); how many."""
    repository = definitions.get_repository_def()
    if key_of(repository) is None or key_of(repository).value() is None:
        return 0
    stored = 0
    for what, compute in answers(repository).items():
        if load(repository, what) is None:
            store(repository, what, compute(), wait=True)
            stored += 1
    return stored
