"""Schema registries: Segment Protocols and Avo, one adapter each, made from a profile entry."""

from __future__ import annotations

from reflekt_core.project import Project
from reflekt_core.registries.base import PullResult, PushResult, Registry, RemoteSchema, parse_selector
from reflekt_core.registries.http import HttpSettings

REGISTRY_TYPES = ("segment", "avo")


def make_registry(entry: dict, project: Project, settings: HttpSettings | None = None) -> Registry:
    if entry["type"] == "segment":
        from reflekt_core.registries.segment import SegmentRegistry

        return SegmentRegistry(entry, project.vendor, _settings(entry, settings))
    from reflekt_core.registries.avo import AvoRegistry

    return AvoRegistry(entry, project.vendor, project.avo_branches, _settings(entry, settings))


def _settings(entry: dict, settings: HttpSettings | None) -> HttpSettings:
    if settings is not None:
        return settings
    values = {k: float(entry[k]) for k in ("timeout", "backoff", "deadline") if entry.get(k) not in (None, "")}
    if entry.get("retries") not in (None, ""):
        values["retries"] = int(entry["retries"])
    return HttpSettings(**values)


__all__ = ["HttpSettings", "PullResult", "PushResult", "REGISTRY_TYPES", "Registry", "RemoteSchema",
           "make_registry", "parse_selector"]
