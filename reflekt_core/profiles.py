"""``reflekt_profiles.yml``: named profiles with registry and warehouse source entries.

Values may read environment variables as in dbt: ``{{ env_var('NAME') }}`` or
``{{ env_var('NAME', 'default') }}``. Secret values are registered with
:mod:`reflekt_core.secrets` as they load, so no output ever shows them.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reflekt_core import secrets
from reflekt_core.configcheck import validate_config
from reflekt_core.errors import ProfileError
from reflekt_core.project import Project
from reflekt_core.registries import iglu_config
from reflekt_core.registries.base import REGISTRY_TYPES
from reflekt_core.warehouses.config import SOURCE_FIELDS, source_entry_schema
from reflekt_core.yamlfile import YamlDocument, load_yaml

log = logging.getLogger(__name__)

PROFILES_FILE = "reflekt_profiles.yml"
SOURCE_TYPES = tuple(sorted(SOURCE_FIELDS))

_ENTRY = {"type": "object", "required": ["type"], "properties": {"type": {"type": "string"}}}
_TEXT = {"type": "string"}
_NUMBER = {"type": ["number", "string"], "pattern": r"^[0-9]+(\.[0-9]+)?$", "description": "use a number"}
_HTTP = {"timeout": _NUMBER, "retries": _NUMBER, "backoff": _NUMBER, "deadline": _NUMBER, "base_url": _TEXT}
#: Fields of each registry entry (type -> fields, required).
REGISTRY_FIELDS = {
    "segment": ({"type": _TEXT, "api_token": _TEXT, "region": {"enum": ["us", "eu"]}, **_HTTP}, ["api_token"]),
    "avo": ({"type": _TEXT, "workspace_id": _TEXT, "service_account_name": _TEXT, "service_account_secret": _TEXT,
             **_HTTP}, ["workspace_id", "service_account_name", "service_account_secret"]),
    "iglu": (iglu_config.FIELDS, iglu_config.REQUIRED),
}
REGISTRY_ENTRY = {"type": "object", "required": ["type"], "allOf": [
    {"if": {"properties": {"type": {"const": kind}}},
     "then": {"properties": fields, "required": required, "additionalProperties": False}}
    for kind, (fields, required) in REGISTRY_FIELDS.items()]}
PROFILES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"version": {"type": ["number", "string"]}},
    "additionalProperties": {
        "type": "object", "additionalProperties": False,
        "properties": {
            "registry": {"type": ["array", "null"], "items": {
                **_ENTRY, "properties": {"type": {"enum": list(REGISTRY_TYPES)}}}},
            "source": {"type": ["array", "null"], "items": {
                **_ENTRY, "required": ["id", "type"],
                "properties": {"id": {"type": "string", "pattern": r"^[A-Za-z0-9_\-]+$",
                                      "description": "use letters, digits, '_' and '-'"},
                               "type": {"enum": list(SOURCE_TYPES)}}}},
        },
    },
}


@dataclass(frozen=True)
class Profile:
    """One resolved profile; ``registry`` and ``source`` entries are plain dicts."""

    name: str
    path: Path
    registry: list[dict[str, Any]] = field(default_factory=list)
    source: list[dict[str, Any]] = field(default_factory=list)

    def registry_entry(self, registry_type: str) -> dict[str, Any]:
        """The registry entry of a type (``segment``, ``avo``)."""
        return self._entry("registry", "type", registry_type)

    def source_entry(self, source_id: str) -> dict[str, Any]:
        """The warehouse source entry with this ``id``."""
        return self._entry("source", "id", source_id)

    def _entry(self, section: str, key: str, value: str) -> dict[str, Any]:
        entries: list[dict[str, Any]] = getattr(self, section)
        for entry in entries:
            if entry[key] == value:
                return entry
        configured = ", ".join(str(e[key]) for e in entries) or "none"
        raise ProfileError(f"profile '{self.name}' has no {section} with {key} '{value}' "
                           f"(configured: {configured})", where=str(self.path),
                           hint=f"add it under {self.name}.{section}, or use a configured {key}")


def profiles_file(project: Project, profiles_dir: Path | str | None = None) -> Path:
    """Where the profiles file is: ``--profiles-dir``, then ``REFLEKT_PROFILES_DIR``,
    then ``profiles_path`` in the project file, then the project folder."""
    if profiles_dir:
        return Path(profiles_dir).expanduser() / PROFILES_FILE
    if os.environ.get("REFLEKT_PROFILES_DIR"):
        return Path(os.environ["REFLEKT_PROFILES_DIR"]).expanduser() / PROFILES_FILE
    if project.profiles_path:
        path = Path(project.profiles_path).expanduser()
        path = path if path.is_absolute() else project.dir / path
        return path / PROFILES_FILE if path.suffix not in (".yml", ".yaml") else path
    return project.dir / PROFILES_FILE


class _EnvRenderer:
    """Renders ``{{ env_var(...) }}`` in string values with Jinja2 (StrictUndefined)."""

    def __init__(self, doc: YamlDocument):
        import jinja2
        import jinja2.sandbox

        self._doc = doc
        self._keys: list[str | int] = []
        self._env = jinja2.sandbox.SandboxedEnvironment(undefined=jinja2.StrictUndefined)
        self._env.globals["env_var"] = self._env_var
        self._jinja = jinja2

    def _env_var(self, name: str, default: Any = None) -> Any:
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        dotted = ".".join(str(k) for k in self._keys)
        raise ProfileError(f"environment variable '{name}' is not set (used by '{dotted}')",
                           where=self._doc.where(self._keys),
                           hint=f"export {name}=..., or give a default: "
                                f"{{{{ env_var('{name}', 'value') }}}}")

    def render(self, value: Any, keys: list[str | int]) -> Any:
        if isinstance(value, dict):
            return {k: self.render(v, [*keys, k]) for k, v in value.items()}
        if isinstance(value, list):
            return [self.render(v, [*keys, i]) for i, v in enumerate(value)]
        if isinstance(value, str) and "{{" in value:
            self._keys = keys
            try:
                return self._env.from_string(value).render()
            except self._jinja.TemplateError as exc:
                dotted = ".".join(str(k) for k in keys)
                raise ProfileError(f"key '{dotted}': cannot render template: {exc.message}",
                                   where=self._doc.where(keys),
                                   hint="the supported form is {{ env_var('NAME', 'default') }}") from None
        return value


def load_profile(project: Project, profile_name: str | None = None,
                 profiles_dir: Path | str | None = None) -> Profile:
    """Load and validate one profile (the project's ``default_profile`` if not named)."""
    path = profiles_file(project, profiles_dir)
    if not path.is_file():
        raise ProfileError("profiles file not found", where=str(path),
                           hint="create it with 'reflekt init', set REFLEKT_PROFILES_DIR, "
                                "or point profiles_path in reflekt_project.yml at it")
    doc = load_yaml(path, ProfileError)
    if not isinstance(doc.data, dict):
        raise ProfileError("expected a mapping of profile names to profiles", where=str(path))
    # Values are not echoed in validation errors: they may be secrets.
    validate_config(doc, PROFILES_SCHEMA, ProfileError, show_values=False, what="reflekt_profiles.yml")
    names = [k for k in doc.data if k != "version"]
    name = profile_name or project.default_profile
    if not name:
        if len(names) != 1:
            raise ProfileError("no profile chosen", where=str(path),
                               hint=f"pass --profile or set default_profile; profiles: {', '.join(names)}")
        name = names[0]
    if name not in doc.data or name == "version":
        raise ProfileError(f"profile '{name}' not found (profiles: {', '.join(names) or 'none'})",
                           where=str(path), hint="pass --profile NAME or fix default_profile")
    rendered = _EnvRenderer(doc).render(doc.data[name] or {}, [name])
    _register_secrets(rendered)
    # Field-level checks run on the rendered values (a port may come from an env var);
    # line numbers still come from the file, since rendering keeps every key's place.
    detailed = {"type": "object", "properties": {name: {"type": "object", "properties": {
        "source": {"type": ["array", "null"], "items": source_entry_schema()},
        "registry": {"type": ["array", "null"], "items": REGISTRY_ENTRY}}}}}
    validate_config(YamlDocument(path, {name: rendered}, doc.root), detailed, ProfileError,
                    show_values=False, what="reflekt_profiles.yml")
    log.debug("profile '%s' loaded from %s", name, path)
    seen: set[str] = set()
    for index, entry in enumerate(rendered.get("source") or []):
        if entry["id"] in seen:
            raise ProfileError(f"duplicate source id '{entry['id']}'",
                               where=doc.where([name, "source", index, "id"]),
                               hint="each source needs a unique id")
        seen.add(entry["id"])
    return Profile(name=name, path=path, registry=list(rendered.get("registry") or []),
                   source=list(rendered.get("source") or []))


def declared_source_types(project: Project, profile_name: str | None = None,
                          profiles_dir: Path | str | None = None) -> dict[str, str]:
    """``{source id: warehouse type}`` as the profile file declares them, without rendering any value.

    For callers that must not need credentials (a code location loading): no environment
    variable is read and nothing is validated; an unreadable file or profile gives ``{}``,
    and an entry whose id or type is a template is left out.
    """
    try:
        data = load_yaml(profiles_file(project, profiles_dir), ProfileError).data
    except ProfileError:
        return {}
    if not isinstance(data, dict):
        return {}
    names = [k for k in data if k != "version"]
    name = profile_name or project.default_profile or (names[0] if len(names) == 1 else None)
    profile = data.get(name) if name in names else None
    entries = profile.get("source") if isinstance(profile, dict) else None
    return {e["id"]: e["type"] for e in entries or [] if isinstance(e, dict)
            and all(isinstance(e.get(k), str) and "{{" not in e[k] for k in ("id", "type"))}


def _register_secrets(data: Any, key: str = "") -> None:
    if isinstance(data, dict):
        for k, v in data.items():
            _register_secrets(v, str(k))
    elif isinstance(data, list):
        for v in data:
            _register_secrets(v, key)
    elif key and secrets.is_secret_key(key):
        secrets.register(data)
