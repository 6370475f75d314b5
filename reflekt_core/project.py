"""The Reflekt project: ``reflekt_project.yml``, found from the working directory upward."""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reflekt_core.cdp import LAYOUTS
from reflekt_core.configcheck import validate_config
from reflekt_core.errors import ProjectConfigError
from reflekt_core.yamlfile import load_yaml

log = logging.getLogger(__name__)

PROJECT_FILE = "reflekt_project.yml"
SCHEMAS_DIR = "schemas"
META_SCHEMA_PATH = ".reflekt/meta/1-0.json"

CASINGS = ("title", "snake", "camel", "pascal", "any")
DATA_TYPES = ("string", "integer", "number", "boolean", "object", "array", "any", "null")
LEVELS = ("error", "warning", "info")

_NAMING = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "casing": {"enum": list(CASINGS)},
        "numbers": {"type": "boolean"},
        "reserved": {"type": "array", "items": {"type": "string"}},
    },
}
_PREFIX = {"type": "string", "pattern": r"^[A-Za-z0-9_]*$",
           "description": "use letters, digits and underscores only"}
_DATABASE = {"type": ["string", "null"], "pattern": r"^[A-Za-z0-9_][A-Za-z0-9_$-]*$",
             "description": "a database (BigQuery: project) name: letters, digits, _, $ and -"}
_AFTER = {"type": "object", "additionalProperties": False, "required": ["count", "period"],
          "properties": {"count": {"type": "integer", "minimum": 1},
                         "period": {"enum": ["minute", "hour", "day"]}}}
#: dbt source freshness: warn_after / error_after, or false (or null) for no freshness check.
FRESHNESS_SCHEMA: dict[str, Any] = {
    "anyOf": [{"type": "object", "additionalProperties": False, "minProperties": 1,
               "properties": {"warn_after": _AFTER, "error_after": _AFTER}},
              {"enum": [False, None]}],
    "description": "{warn_after: {count: 24, period: hour}, error_after: {...}}, or false to turn it off",
}
DEFAULT_FRESHNESS: dict[str, Any] = {"warn_after": {"count": 24, "period": "hour"},
                                     "error_after": {"count": 72, "period": "hour"}}
#: union: one staging model per warehouse table, all versions; per_version: reflekt 0.6's model per version.
VERSION_MODES = ("union", "per_version")
#: plan: collision rules compare events of one plan (one warehouse schema); project: all events.
COLLISION_SCOPES = ("plan", "project")

#: JSON Schema of reflekt_project.yml; validation errors name the key and the allowed values.
PROJECT_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "required": ["version", "name", "vendor"],
    "properties": {
        "version": {"type": ["number", "string"]},
        "name": {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$",
                 "description": "use letters, digits and underscores, not starting with a digit"},
        "vendor": {"type": "string", "minLength": 1},
        "default_profile": {"type": "string"},
        "profiles_path": {"type": "string"},
        "schemas": {
            "type": "object", "additionalProperties": False,
            "properties": {"versioning": {"enum": ["major-minor", "schemaver"]}, "conventions": {
                "type": "object", "additionalProperties": False,
                "properties": {
                    "event": _NAMING, "property": _NAMING,
                    "data_types": {"type": "array", "items": {"enum": list(DATA_TYPES)}},
                },
            }},
        },
        "registry": {
            "type": "object", "additionalProperties": False,
            "properties": {"avo": {
                "type": "object", "additionalProperties": False,
                "properties": {"branches": {"type": "object",
                                            "additionalProperties": {"type": "string"}}},
            }},
        },
        "artifacts": {
            "type": "object", "additionalProperties": False,
            "properties": {"dbt": {
                "type": "object", "additionalProperties": False,
                "properties": {
                    "sources": {"type": "object", "additionalProperties": False,
                                "properties": {"prefix": _PREFIX,
                                               "database": _DATABASE,
                                               "freshness": FRESHNESS_SCHEMA}},
                    "models": {"type": "object", "additionalProperties": False,
                               "properties": {"prefix": _PREFIX,
                                              "filter": {"type": ["string", "null"]},
                                              "cast": {"enum": ["safe", "none"]},
                                              "versions": {"enum": list(VERSION_MODES)},
                                              "dedupe": {"type": "boolean"}}},
                    "docs": {"type": "object", "additionalProperties": False,
                             "properties": {
                                 "prefix": _PREFIX,
                                 "in_folder": {"type": "boolean"},
                                 "tests": {"type": ["object", "null"], "additionalProperties": {
                                     "type": "array",
                                     "items": {"type": ["string", "object"]}}},
                             }},
                },
            }},
        },
        "cdp": {
            "type": "object", "additionalProperties": False,
            "properties": {"rudderstack": {
                "type": "object", "additionalProperties": False,
                "properties": {"underscore_divide_numbers": {"type": "boolean"}},
            }},
        },
        "evolution": {
            "type": "object", "additionalProperties": False,
            "properties": {"allow_deleted_versions": {"type": "boolean"}},
        },
        "lint": {
            "type": "object", "additionalProperties": False,
            "properties": {
                "select": {"type": "array", "items": {"type": "string"}},
                "skip": {"type": "array", "items": {"type": "string"}},
                "levels": {"type": "object", "additionalProperties": {"enum": list(LEVELS)}},
                "cdp": {"type": "array", "items": {"enum": sorted(LAYOUTS)}},
                "collision_scope": {"enum": list(COLLISION_SCOPES)},
            },
        },
    },
}


@dataclass(frozen=True)
class NamingConvention:
    casing: str = "any"
    numbers: bool = True
    reserved: tuple[str, ...] = ()


@dataclass(frozen=True)
class DbtSettings:
    sources_prefix: str = "__src_"
    models_prefix: str = "stg_"
    models_filter: str = ""
    models_cast: str = "safe"        # safe: a column that landed with another type is read through a safe cast
    #: union (one model per table, every version) or per_version (reflekt 0.6's names).
    models_versions: str = "union"
    #: keep one row per message id (the latest received_at).
    models_dedupe: bool = True
    #: the source's database; None: the dbt target's database.
    sources_database: str | None = None
    #: source freshness; None: no freshness check.
    sources_freshness: dict[str, Any] | None = field(default_factory=lambda: dict(DEFAULT_FRESHNESS))
    docs_prefix: str = "_stg_"
    docs_in_folder: bool = False
    docs_tests: dict[str, list[Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class LintSettings:
    select: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    levels: dict[str, str] = field(default_factory=dict)
    cdp: tuple[str, ...] = ("segment",)
    collision_scope: str = "plan"


@dataclass(frozen=True)
class EvolutionSettings:
    #: Deleting a version file that exists at the base ref is an error (R704) unless this is set.
    allow_deleted_versions: bool = False


@dataclass(frozen=True)
class Project:
    """A loaded, validated ``reflekt_project.yml``."""

    dir: Path
    name: str
    vendor: str
    version: str = "1.0"
    default_profile: str | None = None
    profiles_path: str | None = None
    event_naming: NamingConvention = NamingConvention()
    property_naming: NamingConvention = NamingConvention()
    data_types: tuple[str, ...] = DATA_TYPES
    avo_branches: dict[str, str] = field(default_factory=dict)
    dbt: DbtSettings = DbtSettings()
    lint: LintSettings = LintSettings()
    #: RudderStack destinations' ``underscoreDivideNumbers`` setting (test123 -> test_123).
    rudderstack_divide_numbers: bool = False
    evolution: EvolutionSettings = EvolutionSettings()
    #: ``major-minor`` (files ``1-0.json``) or ``schemaver`` (Iglu's ``1-0-0.json``).
    versioning: str = "major-minor"

    @property
    def path(self) -> Path:
        return self.dir / PROJECT_FILE

    @property
    def schemas_dir(self) -> Path:
        return self.dir / SCHEMAS_DIR

    @property
    def meta_schema_path(self) -> Path:
        return self.schemas_dir / META_SCHEMA_PATH


def find_project_dir(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` holding ``reflekt_project.yml``."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / PROJECT_FILE).is_file():
            return folder
    raise ProjectConfigError(
        f"no {PROJECT_FILE} found in {start} or any parent folder",
        hint="run the command inside a Reflekt project, pass --project-dir, or create one with 'reflekt init'")


def resolve_project_dir(project_dir: Path | str | None) -> Path:
    """``--project-dir`` (or ``REFLEKT_PROJECT_DIR``) if given, else search upward."""
    given = project_dir or os.environ.get("REFLEKT_PROJECT_DIR")
    if given:
        folder = Path(given).expanduser().resolve()
        if not (folder / PROJECT_FILE).is_file():
            raise ProjectConfigError(f"no {PROJECT_FILE} in {folder}",
                                     hint="check --project-dir, or create a project with 'reflekt init'")
        return folder
    return find_project_dir()


def _naming(raw: dict[str, Any] | None) -> NamingConvention:
    raw = raw or {}
    return NamingConvention(casing=raw.get("casing", "any"), numbers=raw.get("numbers", True),
                            reserved=tuple(raw.get("reserved") or ()))


def strip_where(text: str) -> str:
    """A models filter without reflekt 0.6's leading ``where`` keyword (both spellings are accepted)."""
    text = text.strip()
    match = re.match(r"(?is)^where\s+(.*)$", text)
    return match.group(1).strip() if match else text


def _freshness(sources: dict[str, Any]) -> dict[str, Any] | None:
    if "freshness" not in sources:
        return dict(DEFAULT_FRESHNESS)
    return dict(sources["freshness"]) if sources["freshness"] else None


def load_project(project_dir: Path | str | None = None) -> Project:
    """Find, parse and validate the project file; errors name file, line and key."""
    folder = resolve_project_dir(project_dir)
    from reflekt_core.registries.staging import recover

    recover(folder / SCHEMAS_DIR)  # a pull killed half-way is finished or undone before anything reads schemas
    doc = load_yaml(folder / PROJECT_FILE, ProjectConfigError)
    if doc.data is None:
        raise ProjectConfigError("the file is empty", where=str(doc.path),
                                 hint="run 'reflekt init' for a template")
    validate_config(doc, PROJECT_SCHEMA, ProjectConfigError, what="reflekt_project.yml")
    raw = doc.data
    log.debug("project '%s' loaded from %s", raw["name"], doc.path)
    conventions = (raw.get("schemas") or {}).get("conventions") or {}
    dbt = (raw.get("artifacts") or {}).get("dbt") or {}
    lint = raw.get("lint") or {}
    return Project(
        dir=folder,
        name=raw["name"],
        vendor=raw["vendor"],
        version=str(raw["version"]),
        default_profile=raw.get("default_profile"),
        profiles_path=raw.get("profiles_path"),
        event_naming=_naming(conventions.get("event")),
        property_naming=_naming(conventions.get("property")),
        data_types=tuple(conventions.get("data_types") or DATA_TYPES),
        avo_branches=dict(((raw.get("registry") or {}).get("avo") or {}).get("branches") or {}),
        dbt=DbtSettings(
            sources_prefix=(dbt.get("sources") or {}).get("prefix", "__src_"),
            models_prefix=(dbt.get("models") or {}).get("prefix", "stg_"),
            models_filter=strip_where((dbt.get("models") or {}).get("filter") or ""),
            models_cast=(dbt.get("models") or {}).get("cast") or "safe",
            models_versions=(dbt.get("models") or {}).get("versions") or "union",
            models_dedupe=(dbt.get("models") or {}).get("dedupe", True),
            sources_database=(dbt.get("sources") or {}).get("database") or None,
            sources_freshness=_freshness(dbt.get("sources") or {}),
            docs_prefix=(dbt.get("docs") or {}).get("prefix", "_stg_"),
            docs_in_folder=(dbt.get("docs") or {}).get("in_folder", False),
            docs_tests=dict((dbt.get("docs") or {}).get("tests") or {}),
        ),
        lint=LintSettings(select=tuple(lint.get("select") or ()), skip=tuple(lint.get("skip") or ()),
                          levels=dict(lint.get("levels") or {}),
                          cdp=tuple(lint.get("cdp") or ("segment",)),
                          collision_scope=lint.get("collision_scope") or "plan"),
        rudderstack_divide_numbers=bool(((raw.get("cdp") or {}).get("rudderstack") or {}).get(
            "underscore_divide_numbers", False)),
        evolution=EvolutionSettings(allow_deleted_versions=bool(
            (raw.get("evolution") or {}).get("allow_deleted_versions", False))),
        versioning=(raw.get("schemas") or {}).get("versioning") or "major-minor",
    )
