"""Find, read and parse event schema files into :class:`EventSchema` objects.

Every problem is collected as a :class:`SchemaLoadError` naming the file (and
line and column for JSON syntax errors); nothing is skipped silently.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from reflekt_core.errors import SchemaLoadError, SchemaLoadErrors
from reflekt_core.schemas import jsonc
from reflekt_core.schemas.model import VERSION_PATTERN, EventSchema

log = logging.getLogger(__name__)


def iter_schema_files(schemas_dir: Path) -> list[str]:
    """Relative POSIX paths of every ``*.json`` under ``schemas_dir``, sorted.

    Hidden folders (such as ``.reflekt/`` holding the meta-schema) are not event schemas.
    Only regular files are read: a FIFO, socket or device is skipped with a warning and
    never opened (opening a FIFO would wait forever). Symbolic links are followed, but a
    folder reached twice (a link loop) is skipped with a warning, as is a folder named
    like a schema file.
    """
    found: list[str] = []
    seen: set[tuple[int, int]] = set()
    try:
        info = schemas_dir.stat()
        seen.add((info.st_dev, info.st_ino))
    except OSError:
        pass
    stack = [(schemas_dir, "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError as exc:
            raise SchemaLoadError(f"cannot list folder: {exc.strerror}", where=str(folder)) from None
        for entry in entries:
            if entry.name.startswith("."):
                continue
            rel = f"{prefix}{entry.name}"
            kind = _kind(entry)
            if kind == "dir":
                target = entry.stat()
                if (target.st_dev, target.st_ino) in seen:
                    log.warning("skipped %s/%s: a symbolic link loop (this folder was already read)",
                                SCHEMAS_DISPLAY, rel)
                    continue
                seen.add((target.st_dev, target.st_ino))
                if entry.name.endswith(".json"):
                    log.warning("%s/%s is a folder, not a schema file: only the files inside it are read",
                                SCHEMAS_DISPLAY, rel)
                stack.append((Path(entry.path), rel + "/"))
            elif not entry.name.endswith(".json"):
                continue
            elif kind == "file":
                found.append(rel)
            elif kind == "broken":
                found.append(rel)  # reading it reports the dangling link with its path
            else:
                log.warning("skipped %s/%s: a %s, not a regular file (never opened)", SCHEMAS_DISPLAY, rel, kind)
    found.sort()
    return found


SCHEMAS_DISPLAY = "schemas"


def _kind(entry: os.DirEntry) -> str:
    """``dir``, ``file``, ``broken`` (a dangling or looping link) or the name of a special file."""
    try:  # a plain file or folder is known from the listing itself, without a stat call
        if not entry.is_symlink():
            if entry.is_file(follow_symlinks=False):
                return "file"
            if entry.is_dir(follow_symlinks=False):
                return "dir"
    except OSError:
        pass
    try:
        mode = entry.stat().st_mode
    except OSError:
        return "broken" if entry.is_symlink() else "unreadable entry"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISFIFO(mode):
        return "FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device file"
    return "special file"


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def _finite_float(literal: str) -> float:
    value = float(literal)
    if math.isinf(value):
        raise ValueError(f"{literal[:40]} is out of range")
    return value


def _no_constant(literal: str):
    raise ValueError(f"{literal} is not a JSON number")


def _number_problem(exc: ValueError) -> str:
    text = str(exc)
    if "digits" in text:
        return "an integer with more than 4,300 digits"
    return text


#: A ``\\uXXXX`` escape of a UTF-16 surrogate: the only way a decoded document can hold one.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _first_surrogate(text: str) -> str | None:
    found = _SURROGATE.search(text)
    return found.group() if found else None


def _lone_surrogate(doc: object) -> tuple[str, str] | None:
    """(JSON pointer, escape) of the first string or key holding a lone UTF-16 surrogate."""
    stack: list[tuple[str, object]] = [("", doc)]
    while stack:
        pointer, node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                escaped = key.replace("~", "~0").replace("/", "~1")
                bad = _first_surrogate(key)
                if bad:
                    return f"{pointer}/{escaped.encode('utf-8', 'backslashreplace').decode()}", f"\\u{ord(bad):04x}"
                stack.append((f"{pointer}/{escaped}", value))
        elif isinstance(node, list):
            stack.extend((f"{pointer}/{i}", v) for i, v in enumerate(node))
        elif isinstance(node, str):
            bad = _first_surrogate(node)
            if bad:
                return pointer, f"\\u{ord(bad):04x}"
    return None


def parse_schema(path: Path, rel_path: str, text: str) -> EventSchema:
    """Parse one schema's text; raise :class:`SchemaLoadError` naming what is wrong."""
    try:
        doc = jsonc.loads(text, parse_float=_finite_float, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise SchemaLoadError(f"invalid JSON: {exc.msg}", where=f"{_display(path)}:{exc.lineno}:{exc.colno}",
                              hint="fix the syntax at that position") from None
    except RecursionError:
        raise SchemaLoadError("invalid JSON: nested too deeply", where=_display(path)) from None
    except ValueError as exc:  # an integer beyond Python's digit limit, NaN, Infinity, 1e400
        raise SchemaLoadError(f"invalid JSON number: {_number_problem(exc)}", where=_display(path),
                              hint="JSON Schema numbers must be finite and of reasonable size") from None
    if _SURROGATE_ESCAPE.search(text):  # surrogate pairs are fine: only then look for a lone half
        surrogate = _lone_surrogate(doc)
        if surrogate:
            raise SchemaLoadError(f"a lone surrogate escape ({surrogate[1]}) at {surrogate[0] or '/'} is not valid "
                                  "Unicode", where=_display(path), hint="remove that \\uXXXX escape or complete the pair")
    if not isinstance(doc, dict):
        raise SchemaLoadError(f"expected a JSON object at the top level, found {type(doc).__name__}",
                              where=_display(path), hint="an event schema is one JSON Schema object")
    block = doc.get("self")
    if not isinstance(block, dict):
        raise SchemaLoadError("missing the 'self' block" if block is None else "'self' must be an object",
                              where=_display(path),
                              hint='add "self": {"vendor": ..., "name": ..., "format": "jsonschema", '
                                   '"version": "1-0"}')
    for key in ("name", "version"):
        if not isinstance(block.get(key), str) or not block[key].strip():
            raise SchemaLoadError(f"'self.{key}' is missing or not a string", where=_display(path),
                                  hint="every schema needs self.name and self.version")
    if not VERSION_PATTERN.match(block["version"]):
        raise SchemaLoadError(f"'self.version' is {block['version']!r}, not MAJOR-MINOR or "
                              "MODEL-REVISION-ADDITION", where=_display(path),
                              hint="use a version such as '1-0' or '2-1' (SchemaVer: '1-0-0')")
    schema_id = doc.get("$id")
    if schema_id is not None and not isinstance(schema_id, str):
        raise SchemaLoadError("'$id' must be a string", where=_display(path))
    if isinstance(schema_id, str):
        parts = schema_id.replace("\\", "/").split("/")
        if ".." in parts or schema_id.startswith("/") or (len(schema_id) > 1 and schema_id[1] == ":"):
            raise SchemaLoadError(f"'$id' {schema_id!r} leaves the schemas folder", where=_display(path),
                                  hint="$id is the path relative to schemas/, e.g. "
                                       f"'{rel_path}'")
    return EventSchema(path=path, rel_path=rel_path, doc=doc, text=text)


def read_schema(schemas_dir: Path, rel: str) -> EventSchema:
    """Read and parse one schema file; every failure is a :class:`SchemaLoadError` with ``rel_path``."""
    path = schemas_dir / rel
    try:
        # Non-blocking, then checked: a FIFO swapped in after listing must not hang the read.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise SchemaLoadError("not a regular file (a FIFO, socket or device is never read)",
                                      where=_display(path), hint="replace it with a JSON file")
            # os.read, not a file object: half the cost for thousands of small files
            chunks = [os.read(fd, info.st_size + 1)]
            while chunks[-1]:
                chunks.append(os.read(fd, 1 << 20))
        finally:
            os.close(fd)
        return parse_schema(path, rel, b"".join(chunks).decode("utf-8-sig"))
    except SchemaLoadError as exc:
        error = exc
    except UnicodeDecodeError as exc:
        error = SchemaLoadError(f"not UTF-8 text (byte {exc.start})", where=_display(path),
                                hint="save the file as UTF-8")
    except OSError as exc:
        error = SchemaLoadError(f"cannot read file: {exc.strerror}", where=_display(path),
                                hint="check that the file exists and is readable")
    error.rel_path = rel
    raise error


def iter_load(schemas_dir: Path, rel_paths: Iterable[str], errors: list[SchemaLoadError],
              progress: Callable[[int], None] | None = None) -> Iterator[EventSchema]:
    """Yield schemas one at a time; failures are appended to ``errors``, never skipped silently."""
    for rel in rel_paths:
        try:
            yield read_schema(schemas_dir, rel)
        except SchemaLoadError as exc:
            errors.append(exc)
        if progress:
            progress(1)


def load_schemas(schemas_dir: Path, rel_paths: Iterable[str],
                 progress: Callable[[int], None] | None = None) -> list[EventSchema]:
    """Load the given files; raise :class:`SchemaLoadErrors` listing every failure."""
    errors: list[SchemaLoadError] = []
    schemas = list(iter_load(schemas_dir, rel_paths, errors, progress))
    if errors:
        raise SchemaLoadErrors(errors)
    return schemas
