"""Schema registries: Segment Protocols, Avo and Iglu, one adapter each, made from a profile entry."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reflekt_core.project import Project
from reflekt_core.registries.base import (REGISTRY_CLASSES, REGISTRY_TYPES, PullResult, PushResult, Registry,
                                          RemoteSchema, parse_selector, registry_class)

if TYPE_CHECKING:
    from reflekt_core.registries.http import HttpSettings


def make_registry(entry: dict, project: Project, settings: HttpSettings | None = None) -> Registry:
    """The adapter for one ``registry:`` entry of a profile (see ``REGISTRY_CLASSES``)."""
    return registry_class(entry["type"]).from_profile(entry, project, _settings(entry, settings))


def _settings(entry: dict, settings: HttpSettings | None) -> HttpSettings:
    from reflekt_core.registries.http import HttpSettings

    if settings is not None:
        return settings
    values = {k: float(entry[k]) for k in ("timeout", "backoff", "deadline") if entry.get(k) not in (None, "")}
    if entry.get("retries") not in (None, ""):
        values["retries"] = int(entry["retries"])
    return HttpSettings(**values)


def __getattr__(name: str):
    # The HTTP stack (requests, urllib3) is imported only when a registry is used: every other
    # command starts faster without it.
    if name == "HttpSettings":
        from reflekt_core.registries.http import HttpSettings

        return HttpSettings
    raise AttributeError(name)


__all__ = ["HttpSettings", "PullResult", "PushResult", "REGISTRY_CLASSES", "REGISTRY_TYPES", "Registry",
           "RemoteSchema", "make_registry", "parse_selector", "registry_class"]
