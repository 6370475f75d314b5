"""CDP warehouse layouts, one data object per CDP, looked up by name."""

from __future__ import annotations

from collections.abc import Callable

from reflekt_core.cdp.layout import CALL_TABLES, ID_ALIASES, CdpLayout
from reflekt_core.cdp.rudderstack import RUDDERSTACK, rudderstack_layout
from reflekt_core.cdp.segment import SEGMENT, segment_layout

LAYOUTS: dict[str, CdpLayout] = {SEGMENT.name: SEGMENT, RUDDERSTACK.name: RUDDERSTACK}
#: CDP -> its layout for a warehouse type and the project's options (names depend on the warehouse).
FACTORIES: dict[str, Callable[[str | None, bool], CdpLayout]] = {
    "segment": segment_layout,
    "rudderstack": lambda warehouse, divide_numbers: rudderstack_layout(warehouse or "postgres", divide_numbers),
}


def get_layout(name: str, warehouse: str | None = None, divide_numbers: bool = False) -> CdpLayout:
    """The layout of a CDP in a warehouse type (its default warehouse when None)."""
    from reflekt_core.errors import UsageError

    if name not in FACTORIES:
        raise UsageError(f"unknown CDP '{name}'; use one of: {', '.join(sorted(LAYOUTS))}")
    if warehouse is None and not divide_numbers:
        return LAYOUTS[name]
    return FACTORIES[name](warehouse, divide_numbers)


__all__ = ["CALL_TABLES", "CdpLayout", "FACTORIES", "ID_ALIASES", "LAYOUTS", "get_layout"]
