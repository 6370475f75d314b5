"""Which schema files changed, as git sees them: the change detector behind the Dagster sensor.

Two sources of truth:

- the working tree (``dagster dev``, one machine): commits since the last look, plus files
  that differ from HEAD (edited, added, deleted, untracked);
- a branch of a remote repository (deployments): fetch, fast-forward the checkout, and diff
  the last seen commit against the new one.

The cursor stays small: the last commit SHA, plus the blob hashes of the files that differed
from it (uncommitted edits only). Hashes are git blob SHAs of the file bytes, so a revert or a
fix is a new change even when its content was seen before.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from reflekt_core.errors import ReflektError

DELETED = None


def blob_hash(data: bytes) -> str:
    """The SHA git gives a blob with these bytes (``git hash-object``)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def file_version(path: Path) -> str | None:
    """The blob hash of a file, or None when it does not exist (the schema asset's data version)."""
    try:
        return blob_hash(path.read_bytes())
    except (FileNotFoundError, IsADirectoryError):
        return DELETED


@dataclass(frozen=True)
class SchemaChange:
    rel_path: str            # relative to the schemas folder
    before: str | None       # blob hash, None when the file did not exist
    after: str | None        # blob hash, None when the file was deleted

    @property
    def kind(self) -> str:
        return "added" if self.before is None else "deleted" if self.after is None else "changed"


@dataclass
class ChangeSet:
    commit: str                          # HEAD (or the fetched branch tip); "" before the first commit
    author: str
    cursor: str
    changes: list[SchemaChange] = field(default_factory=list)
    baseline: bool = False               # first look: nothing is reported as changed

    def of_kind(self, kind: str) -> list[SchemaChange]:
        return [c for c in self.changes if c.kind == kind]


def _repo(schemas_dir: Path):
    from git import InvalidGitRepositoryError, NoSuchPathError, Repo

    try:
        return Repo(schemas_dir, search_parent_directories=True)
    except (InvalidGitRepositoryError, NoSuchPathError):
        raise ReflektError(f"{schemas_dir} is not in a git repository",
                           hint="the schemas sensor watches git: run `git init && git add . && git commit`") from None


def _head(repo, rev: str = "HEAD") -> tuple[str, str]:
    try:
        commit = repo.commit(rev)
    except ValueError:  # no commit yet
        return "", ""
    return commit.hexsha, f"{commit.author.name} <{commit.author.email}>"


def _split_z(text: str) -> list[str]:
    return [p for p in text.split("\0") if p]


def _blobs_at(repo, rev: str, prefix: str, paths: list[str] | None = None) -> dict[str, str]:
    """``{root-relative path: blob}`` at ``rev`` under ``prefix`` (or for ``paths``)."""
    if not rev:
        return {}
    out = repo.git.ls_tree("-r", "-z", rev, "--", *(paths or [prefix or "."]))
    blobs = {}
    for entry in _split_z(out):
        meta, path = entry.split("\t", 1)
        blobs[path] = meta.split()[2]
    return blobs


def _is_schema(rel: str) -> bool:
    return rel.endswith(".json")


def _dirty(repo, prefix: str) -> dict[str, str | None]:
    """Files under ``prefix`` that differ from HEAD (root-relative) and their blob hashes now."""
    out = repo.git.status("--porcelain", "-z", "--untracked-files=all", "--no-renames", "--", prefix or ".")
    root = Path(repo.working_tree_dir)
    return {path: file_version(root / path) for path in (e[3:] for e in _split_z(out)) if _is_schema(path)}


def detect_changes(schemas_dir: Path, cursor: str | None, *, remote: str | None = None,
                   branch: str | None = None) -> ChangeSet:
    """Schema files changed since ``cursor`` (None: record a baseline and report nothing).

    With ``remote`` and ``branch``, fetch that branch, fast-forward the checkout to it and
    compare commits; otherwise compare the working tree.
    """
    from git import GitCommandError

    repo = _repo(schemas_dir)
    root = Path(repo.working_tree_dir).resolve()
    prefix = schemas_dir.resolve().relative_to(root).as_posix()
    prefix = "" if prefix == "." else prefix
    previous = json.loads(cursor) if cursor else None
    try:
        if remote:
            repo.git.fetch(remote, branch)
            commit, author = _head(repo, "FETCH_HEAD")
            if commit and commit != repo.head.commit.hexsha:
                repo.git.merge("--ff-only", commit)
            dirty: dict[str, str | None] = {}
        else:
            commit, author = _head(repo)
            dirty = _dirty(repo, prefix)
        new_cursor = json.dumps({"head": commit, "dirty": dirty}, sort_keys=True, separators=(",", ":"))
        if previous is None:
            return ChangeSet(commit, author, new_cursor, baseline=True)
        old_head, old_dirty = previous.get("head", ""), previous.get("dirty", {})
        candidates = set(old_dirty) | set(dirty)
        if old_head != commit and commit:
            names = repo.git.diff("--name-only", "-z", "--no-renames", *([old_head] if old_head else []), commit,
                                  "--", prefix or ".") if old_head else "\0".join(_blobs_at(repo, commit, prefix))
            candidates |= {p for p in _split_z(names) if _is_schema(p)}
        paths = sorted(candidates)
        before = _blobs_at(repo, old_head, prefix, paths) if paths and old_head else {}
        now = _blobs_at(repo, commit, prefix, paths) if paths and commit else {}
    except GitCommandError as exc:
        raise ReflektError(f"git failed in {root}: {exc.stderr.strip() or exc}",
                           hint="check the remote, the branch and the credentials of the schemas repository") from None
    changes = []
    for path in paths:
        was = old_dirty[path] if path in old_dirty else before.get(path)
        is_ = dirty[path] if path in dirty else now.get(path)
        if was != is_:
            rel = path[len(prefix) + 1:] if prefix else path
            changes.append(SchemaChange(rel, was, is_))
    return ChangeSet(commit, author, new_cursor, changes)
