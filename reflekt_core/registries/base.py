"""What every registry adapter provides, the results of pulls and pushes, and the lazy map of adapters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence

from reflekt_core.errors import UsageError
from reflekt_core.schemas.model import EventSchema


@dataclass
class RemoteSchema:
    """A schema the registry holds, converted to a Reflekt schema document."""

    rel_path: str                 # where it lives under schemas/
    doc: dict[str, Any]
    text: str | None = None       # the registry's own text, written as is (lossless pulls)


@dataclass
class PullResult:
    schemas: list[RemoteSchema]
    notes: list[str] = field(default_factory=list)


@dataclass
class PushResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: The schemas classified against the registry's current content (reflekt_core.evolution.remote).
    evolution: list[Any] = field(default_factory=list)
    diff: str = ""                # a dry run's unified diff of what would be written, when known

    def summary(self) -> str:
        return (f"{len(self.created)} created, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
                f"{len(self.deleted)} deleted")


#: Every registry adapter, as ``"module:Class"``: imported only when a profile uses it.
#: Each class provides ``from_profile(entry, project, settings)``.
REGISTRY_CLASSES: dict[str, str] = {
    "segment": "reflekt_core.registries.segment:SegmentRegistry",
    "avo": "reflekt_core.registries.avo:AvoRegistry",
    "iglu": "reflekt_core.registries.iglu:IgluRegistry",
}
REGISTRY_TYPES = tuple(REGISTRY_CLASSES)


def registry_class(registry_type: str) -> type:
    """The adapter class of a registry type, imported on first use."""
    import importlib

    if registry_type not in REGISTRY_CLASSES:
        raise UsageError(f"unknown registry type '{registry_type}'", hint=f"use one of: {', '.join(REGISTRY_TYPES)}")
    module, _, name = REGISTRY_CLASSES[registry_type].partition(":")
    return getattr(importlib.import_module(module), name)


class Registry(Protocol):
    name: str

    def pull(self, selector: str, include_common: bool = False) -> PullResult: ...

    def push(self, schemas: Sequence[EventSchema], whole_plan: bool, *, delete: bool = False,
             dry_run: bool = False, import_method: str | None = None) -> PushResult: ...

    def check_connection(self) -> None: ...


@dataclass(frozen=True)
class Selector:
    """``<plan>[/<Event_Name>[/<MAJOR>-<MINOR>]]`` (``schemas/`` and ``.json`` optional)."""

    plan: str
    event: str | None = None
    version: str | None = None


def parse_selector(text: str) -> Selector:
    from reflekt_core.schemas.select import normalise_selector

    parts = [p for p in normalise_selector(text).split("/") if p]
    if not parts or len(parts) > 3:
        raise UsageError(f"--select '{text}' is not <plan>[/<Event_Name>[/<MAJOR>-<MINOR>]]",
                         hint="e.g. --select jaffle_shop or --select jaffle_shop/Order_Completed")
    return Selector(parts[0], parts[1] if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None)


def folder_name(event_name: str) -> str:
    """An event name as a folder name; a registry's name that is not text is refused."""
    if not isinstance(event_name, str):
        from reflekt_core.errors import RegistryError

        raise RegistryError(f"the registry returned an event name that is not text: {event_name!r:.80}",
                            hint="nothing was written; fix that event's name in the registry")
    return event_name.replace(" ", "_").replace("/", "_")
