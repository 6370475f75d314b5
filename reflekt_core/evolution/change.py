"""What a schema change is: a place (JSON Pointer), a kind, a one-line reason and the rule that saw it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any


class Kind(str, Enum):
    """How a change affects the events' dependants (warehouse, dbt models, SDKs, tracking calls).

    ``addition``: every event valid before is still valid, and nothing a reader used is gone.
    ``breaking``: some event valid before is now invalid, or something a reader used is gone,
    or compatibility cannot be proven. ``cosmetic``: descriptions, metadata, examples.
    """

    ADDITION = "addition"
    BREAKING = "breaking"
    COSMETIC = "cosmetic"


@dataclass(frozen=True, slots=True)
class Change:
    pointer: str
    kind: Kind
    reason: str
    rule: str

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = self.kind.value
        return data

    def __str__(self) -> str:
        return f"{self.kind.value} {self.pointer or '/'}: {self.reason}"


def verdict(changes: Iterable[Change]) -> str:
    """The strongest kind among ``changes``: ``breaking`` > ``addition`` > ``cosmetic`` > ``none``."""
    kinds = {c.kind for c in changes}
    for kind in (Kind.BREAKING, Kind.ADDITION, Kind.COSMETIC):
        if kind in kinds:
            return kind.value
    return "none"


def breaking(changes: Iterable[Change]) -> list[Change]:
    return [c for c in changes if c.kind is Kind.BREAKING]
