"""What a registry returns is untrusted: every pulled schema must land inside its plan folder.

Event names become folder names. A name such as ``..``, one with a NUL byte, one longer
than a file name may be, two names that end up as the same folder, or a version that is
not ``MAJOR-MINOR`` would write outside the plan, crash, or overwrite another schema.
Each is refused before anything is written, naming the remote items.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from pathlib import Path

from reflekt_core.errors import RegistryError
from reflekt_core.registries.base import RemoteSchema

#: MAJOR-MINOR, or SchemaVer MODEL-REVISION-ADDITION (Iglu).
_FILE = re.compile(r"^(0|[1-9][0-9]*)-(0|[1-9][0-9]*)(-(0|[1-9][0-9]*))?\.json$")
_NAME_MAX = 255  # bytes in one file name on Linux, macOS and Windows file systems
_SHOWN = 5


def _remote_name(remote: RemoteSchema) -> str:
    block = remote.doc.get("self") if isinstance(remote.doc, dict) else None
    name = block.get("name") if isinstance(block, dict) else None
    shown = repr(name if name is not None else remote.rel_path)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _problem(remote: RemoteSchema, plan_folder: str) -> str | None:
    rel = remote.rel_path
    if not isinstance(rel, str):
        return f"its path {rel!r} is not text"
    if not isinstance(remote.doc, dict):
        return "it is not a JSON object"
    if "\0" in rel or "\\" in rel:
        return "its name holds a NUL byte or a backslash"
    parts = rel.split("/")
    if len(parts) != 3 or not _in_plan(parts[0], plan_folder):
        return f"its path {rel!r} is not {plan_folder}/<Event_Name>/<MAJOR>-<MINOR>.json"
    event, file_name = parts[1], parts[2]
    for folder in dict.fromkeys((parts[0], event)):  # a glob plan (Iglu: --select 'com.*') checks the plan folder too
        if folder in ("", ".", "..") or folder.startswith("."):
            return f"its folder name {folder!r} is empty, hidden or leaves the plan folder"
    if len(event.encode("utf-8", "surrogatepass")) > _NAME_MAX:
        return f"its folder name is {len(event.encode('utf-8', 'surrogatepass'))} bytes long (at most {_NAME_MAX})"
    if any(0xD800 <= ord(c) <= 0xDFFF for c in rel):
        return "its name holds a lone surrogate, which is not valid Unicode"
    if not _FILE.match(file_name):
        return f"its version file {file_name!r} is not <MAJOR>-<MINOR>.json"
    version = remote.doc.get("self", {}).get("version") if isinstance(remote.doc.get("self"), dict) else None
    if version != file_name[: -len(".json")]:
        return f"its version {version!r} does not match its file {file_name!r}"
    return None


def _in_plan(folder: str, plan_folder: str) -> bool:
    """The item's plan folder is the selected one, or matches a glob selection (Iglu vendors)."""
    if any(c in plan_folder for c in "*?["):
        return fnmatch.fnmatchcase(folder, plan_folder)
    return folder == plan_folder


def check_remote_paths(schemas_dir: Path, plan_folder: str, remotes: Sequence[RemoteSchema]) -> None:
    """Raise :class:`RegistryError` naming every remote item that cannot be written safely.

    Safe means: ``<plan_folder>/<Event_Name>/<MAJOR>-<MINOR>.json``, one plain file name per
    part, no two items on the same file (compared case-insensitively, as on macOS and
    Windows), and no symbolic link leading out of the plan folder.
    """
    problems: list[str] = []
    seen: dict[str, RemoteSchema] = {}
    for remote in remotes:
        problem = _problem(remote, plan_folder)
        if problem is None:
            key = remote.rel_path.casefold()
            if key in seen:
                problem = f"it lands on the same file as {_remote_name(seen[key])} ({remote.rel_path})"
            else:
                seen[key] = remote
                root = (schemas_dir / remote.rel_path.split("/")[0]).resolve()
                parent = (schemas_dir / remote.rel_path).parent.resolve()
                if parent != root and root not in parent.parents:
                    problem = f"{remote.rel_path} leads out of the plan folder through a symbolic link"
        if problem:
            problems.append(f"{_remote_name(remote)}: {problem}")
    if problems:
        more = f"; and {len(problems) - _SHOWN} more" if len(problems) > _SHOWN else ""
        raise RegistryError(f"the registry returned {len(problems)} item(s) that cannot be written safely: "
                            + "; ".join(problems[:_SHOWN]) + more,
                            hint="nothing was written; rename those events in the registry")
