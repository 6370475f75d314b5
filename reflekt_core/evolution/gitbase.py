"""Read a base git ref efficiently: which schema files changed, and their base contents.

Four git processes whatever the size of the change: ``rev-parse`` (repository and ref),
``diff --name-status`` against the work tree, ``ls-files --others`` (new files not yet
added) and one ``cat-file --batch`` that streams every base blob needed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from reflekt_core.errors import ReflektError
from reflekt_core.evolution.gate import ADDED, DELETED, EDITED

_STATUS = {"A": ADDED, "M": EDITED, "D": DELETED, "T": EDITED}


class GitError(ReflektError):
    """Git is missing, the folder is not a repository, or the base ref does not exist."""


def _git(cwd: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    exe = shutil.which("git")
    if exe is None:
        raise GitError("--base needs the git command, which is not installed", hint="install git")
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    return subprocess.run([exe, *args], cwd=cwd, input=stdin, capture_output=True, env=env, check=False)


@dataclass(frozen=True)
class BaseRef:
    """A resolved base: the commit, and the project's path inside the repository."""

    ref: str
    commit: str
    prefix: str  # the project folder relative to the repository root, '' or ending in '/'

    @classmethod
    def resolve(cls, project_dir: Path, ref: str) -> BaseRef:
        if not ref or ref.startswith("-") or any(ch in ref for ch in "\n\r\0"):
            raise GitError(f"--base '{ref}' is not a git ref", hint="pass a branch, tag or commit, e.g. origin/main")
        probe = _git(project_dir, "rev-parse", "--show-prefix")
        if probe.returncode != 0:
            raise GitError(f"--base needs a git repository, and {project_dir} is not inside one",
                           hint="run it in a clone of the repository, or drop --base")
        found = _git(project_dir, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        if found.returncode != 0:
            raise GitError(f"git ref '{ref}' not found in the repository at {project_dir}",
                           hint="fetch it first (git fetch origin main) or check the name")
        return cls(ref, found.stdout.decode().strip(), probe.stdout.decode().strip())

    def changed(self, project_dir: Path, folder: str, iglu: bool = False) -> dict[str, str]:
        """Changed ``*.json`` under ``folder`` (relative to it) since the base: path -> status;
        with ``iglu``, the ``<vendor>/<name>/jsonschema/<version>`` files of a static Iglu repository.

        Renames are a deletion plus an addition; new files not yet added to git count as added;
        hidden folders (``.reflekt/``) are not event schemas.
        """
        diff = _git(project_dir, "diff", "--name-status", "--no-renames", "--relative", "-z",
                    self.commit, "--", folder)
        if diff.returncode != 0:
            raise GitError(f"git diff against '{self.ref}' failed: {diff.stderr.decode(errors='replace').strip()}")
        tokens = diff.stdout.decode("utf-8", "surrogateescape").split("\0")
        status: dict[str, str] = {}
        for code, path in zip(tokens[0::2], tokens[1::2]):
            if code[:1] in _STATUS:
                status[path] = _STATUS[code[:1]]
        untracked = _git(project_dir, "ls-files", "--others", "--exclude-standard", "-z", "--", folder)
        for path in untracked.stdout.decode("utf-8", "surrogateescape").split("\0"):
            if path:
                status[path] = ADDED
        lead = folder.rstrip("/") + "/"
        return {p[len(lead):]: s for p, s in status.items()
                if p.startswith(lead) and (_iglu_schema(p[len(lead):]) if iglu else p.endswith(".json"))
                and not any(part.startswith(".") for part in p[len(lead):].split("/"))}

    def read(self, project_dir: Path, paths: list[str]) -> dict[str, bytes]:
        """Contents at the base of ``paths`` (relative to the project folder), in one git process."""
        wanted = [p for p in paths if "\n" not in p]
        if not wanted:
            return {}
        request = "".join(f"{self.commit}:{self.prefix}{p}\n" for p in wanted).encode("utf-8", "surrogateescape")
        proc = _git(project_dir, "cat-file", "--batch", stdin=request)
        if proc.returncode != 0:
            raise GitError(f"reading files at '{self.ref}' failed: {proc.stderr.decode(errors='replace').strip()}")
        return _parse_batch(proc.stdout, wanted)


def _iglu_schema(rel: str) -> bool:
    parts = rel.split("/")
    return len(parts) == 4 and parts[2] == "jsonschema"


def _parse_batch(out: bytes, wanted: list[str]) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    pos = 0
    for path in wanted:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) == 3 and header[1] == b"blob":
            size = int(header[2])
            found[path] = out[pos:pos + size]
            pos += size + 1
    return found
