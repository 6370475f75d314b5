"""A CDP's warehouse layout as data: naming function and the columns it reserves."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class CdpLayout:
    """How one CDP (Segment, RudderStack) lands events in the warehouse."""

    name: str
    display_name: str
    #: Turns an event, property, trait or context key into a table / column name.
    snakecase: Callable[[str], str]
    #: Columns the CDP writes itself, per call type; a property with such a name is dropped.
    reserved_columns: Mapping[str, frozenset[str]]
    #: What the CDP does with a property named like a reserved column.
    collision_behaviour: str

    def table_name(self, event_name: str) -> str:
        return self.snakecase(event_name)

    def column_name(self, property_path: str) -> str:
        """Column for a (possibly nested, dotted) property path: objects flatten with ``_``."""
        return self.snakecase("_".join(property_path.split(".")))
