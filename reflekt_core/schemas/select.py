"""``--select`` / ``--exclude`` semantics, compatible with reflekt 0.6.

A selector is a folder or a file under ``schemas/``, written with or without the
leading ``schemas/`` and with or without ``.json``; or a glob pattern (``*``, ``?``,
``[...]``) matched against those same paths. Every selector must match at least
one schema: a typo is an error, never an empty success.
"""

from __future__ import annotations

import difflib
from fnmatch import fnmatchcase
from pathlib import Path

from reflekt_core.errors import SelectionError

_GLOB_CHARS = set("*?[")


def normalise_selector(selector: str, schemas_dir: Path | None = None) -> str:
    """``./schemas/a/B/1-0.json`` -> ``a/B/1-0``; ``schemas`` or ``''`` -> ``''`` (everything)."""
    text = selector.strip().replace("\\", "/")
    if schemas_dir is not None and Path(text).is_absolute():
        try:
            text = Path(text).resolve().relative_to(schemas_dir.resolve()).as_posix()
        except ValueError:
            raise SelectionError(f"'{selector}' is outside the schemas folder {schemas_dir}") from None
        text = "" if text == "." else text
    while text.startswith("./"):
        text = text[2:]
    text = text.strip("/")
    if text == "schemas":
        return ""
    if text.startswith("schemas/"):
        text = text[len("schemas/"):]
    if text.endswith(".json"):
        text = text[: -len(".json")]
    return text


def _matches(selector: str, rel_noext: str) -> bool:
    if not selector:
        return True
    if _GLOB_CHARS & set(selector):
        if fnmatchcase(rel_noext, selector):
            return True
        parts = rel_noext.split("/")
        return any(fnmatchcase("/".join(parts[:i]), selector) for i in range(1, len(parts)))
    return rel_noext == selector or rel_noext.startswith(selector + "/")


def _suggest(selector: str, rel_noext: list[str]) -> str:
    candidates = set(rel_noext)
    for rel in rel_noext:
        parts = rel.split("/")
        candidates.update("/".join(parts[:i]) for i in range(1, len(parts)))
    close = difflib.get_close_matches(selector, sorted(candidates), n=3, cutoff=0.6)
    return f"did you mean: {', '.join(close)}?" if close else "check the path under schemas/"


def select_files(rel_paths: list[str], select: list[str] | None = None,
                 exclude: list[str] | None = None, schemas_dir: Path | None = None) -> list[str]:
    """Filter schema files (relative paths, with ``.json`` in a project, without it in a static
    Iglu repository) by selectors; order is kept."""
    if not rel_paths:
        where = f" under {schemas_dir}" if schemas_dir else ""
        raise SelectionError(f"no event schemas found{where}",
                             hint="add schemas as schemas/<folder>/<Event_Name>/<MAJOR>-<MINOR>.json, "
                                  "or pull them with 'reflekt pull'")
    for option, values in (("--select", select), ("--exclude", exclude)):
        if any(not value.strip() for value in values or []):
            raise SelectionError(f"{option} is empty",
                                 hint="name a folder or file under schemas/, or leave the option out")
    stems = [rel[: -len(".json")] if rel.endswith(".json") else rel for rel in rel_paths]
    chosen = [False] * len(stems)
    for raw in select or [""]:
        selector = normalise_selector(raw, schemas_dir)
        hit = False
        for index, stem in enumerate(stems):
            if _matches(selector, stem):
                chosen[index] = hit = True
        if not hit:
            raise SelectionError(f"--select '{raw}' matches no schema", hint=_suggest(selector, stems))
    for raw in exclude or []:
        selector = normalise_selector(raw, schemas_dir)
        hit = False
        for index, stem in enumerate(stems):
            if _matches(selector, stem):
                hit = True
                chosen[index] = False
        if not hit:
            raise SelectionError(f"--exclude '{raw}' matches no schema", hint=_suggest(selector, stems))
    result = [rel for rel, keep in zip(rel_paths, chosen) if keep]
    if not result:
        raise SelectionError("every selected schema is excluded", hint="narrow --exclude")
    return result
