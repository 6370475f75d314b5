"""One build of the code location per load, however many times Dagster asks for it.

Dagster's code server (``LoadedRepositories``) and its CLI call a ``@definitions`` loader twice
in one load: ``get_loadable_targets(resolve_lazy_defs=True)`` calls it to collect the load
context's reconstruction metadata and drops the result, then the code pointer is resolved and
calls it again. At 5,000 schemas that second build cost 7 to 9 s of every code-server start.

:func:`cached_build` returns the previous Definitions when nothing it was built from changed:
the loader's configuration (the ``REFLEKT_*`` environment it was read from), the project
folder (resolved), the project file, the profile file, the schema files (names, inode, size,
modification and change times: on POSIX systems a rewrite that keeps the size and restores
the modification time still changes the inode's change time) and the dbt package's current version, manifest and model index:
what a build reads. A run writing the warehouse or dbt's files elsewhere in the project
does not count. An edit, an added or deleted schema, a new prepare or another
configuration builds again. One result is kept, the last.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

#: ``[fingerprint, result]`` of the last build.
_LAST: list = []


def _stat(path: Path | os.DirEntry) -> tuple:
    try:
        st = path.stat()
    except OSError:
        return (os.fspath(path), None)
    return (os.fspath(path), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _files(root: Path) -> Iterator[tuple]:
    """The :func:`_stat` of every file under ``root`` (see :func:`walk`)."""
    return map(_stat, walk(root))


def walk(root: Path) -> Iterator[os.DirEntry]:
    """Every file under ``root`` (symlinked folders followed once), but not in ``.git``."""
    folders, seen = [str(root)], set()
    while folders:
        folder = folders.pop()
        try:
            st = os.stat(folder)
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        if (st.st_dev, st.st_ino) in seen:
            continue
        seen.add((st.st_dev, st.st_ino))
        for entry in entries:
            if entry.is_dir():
                if entry.name != ".git":
                    folders.append(entry.path)
            else:
                yield entry


def _listing(folder: Path) -> tuple:
    """The files directly in ``folder`` (not below)."""
    try:
        return tuple(_stat(entry) for entry in sorted(folder.iterdir()) if entry.is_file())
    except OSError:
        return ()


def config_repr(config: dict) -> str:
    """The loader's configuration as one comparable string (its values' reprs, sorted by name)."""
    return repr(sorted((k, repr(v)) for k, v in config.items()))


def config_items(config: dict) -> str:
    """The loader's configuration and the ``REFLEKT_*`` environment, as one comparable string."""
    return repr((config_repr(config), sorted((k, v) for k, v in os.environ.items() if k.startswith("REFLEKT_"))))


def fingerprint(config: dict) -> object:
    """What one build of the code location reads, as a comparable value (stat calls only, after
    loading the project file to find the schemas folder and the profile file)."""
    from reflekt_core.errors import ReflektError
    from reflekt_core.profiles import profiles_file
    from reflekt_core.project import PROJECT_FILE, load_project

    from reflekt_dagster.package import PackageStore

    try:
        project = load_project(Path(config["project_dir"]))
        profile = profiles_file(project, None)
    except ReflektError:
        return object()  # the build reports it; never equal to another fingerprint
    store = PackageStore.for_project(project.dir)
    current = store.current()  # read through its pointer; its manifest and model index in target/
    return (config_items(config), str(project.dir.resolve()), _stat(project.dir / PROJECT_FILE), _stat(profile),
            tuple(_files(project.schemas_dir)),
            _listing(store.root), current and (_listing(current), _listing(current / "target")))


def cached_build(config: dict, build: Callable[[object], T]) -> T:
    """``build(fingerprint)``, unless the last call had the same :func:`fingerprint`: then its result."""
    key = fingerprint(config)
    if _LAST and _LAST[0] == key:
        return _LAST[1]
    _LAST.clear()  # the previous result is not kept alive while the next one builds
    result = build(key)
    _LAST[:] = [key, result]
    return result
