"""CDP warehouse layouts, one data object per CDP, looked up by name."""

from __future__ import annotations

from reflekt_core.cdp.layout import CALL_TABLES, ID_ALIASES, CdpLayout
from reflekt_core.cdp.rudderstack import RUDDERSTACK, rudderstack_layout
from reflekt_core.cdp.segment import SEGMENT

LAYOUTS: dict[str, CdpLayout] = {SEGMENT.name: SEGMENT, RUDDERSTACK.name: RUDDERSTACK}


def get_layout(name: str, warehouse: str | None = None, divide_numbers: bool = False) -> CdpLayout:
    """The layout of a CDP; RudderStack's naming depends on the warehouse type and options."""
    from reflekt_core.errors import UsageError

    if name == "rudderstack" and (warehouse or divide_numbers):
        return rudderstack_layout(warehouse or "postgres", divide_numbers)
    try:
        return LAYOUTS[name]
    except KeyError:
        raise UsageError(f"unknown CDP '{name}'; use one of: {', '.join(sorted(LAYOUTS))}") from None


__all__ = ["CALL_TABLES", "CdpLayout", "ID_ALIASES", "LAYOUTS", "get_layout"]
