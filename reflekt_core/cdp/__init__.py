"""CDP warehouse layouts, one data object per CDP, looked up by name."""

from __future__ import annotations

from reflekt_core.cdp.layout import CdpLayout
from reflekt_core.cdp.segment import SEGMENT

LAYOUTS: dict[str, CdpLayout] = {SEGMENT.name: SEGMENT}


def get_layout(name: str) -> CdpLayout:
    from reflekt_core.errors import UsageError

    try:
        return LAYOUTS[name]
    except KeyError:
        raise UsageError(f"unknown CDP '{name}'; use one of: {', '.join(sorted(LAYOUTS))}") from None


__all__ = ["CdpLayout", "LAYOUTS", "get_layout"]
