"""Segment's warehouse layout (see shared/reference/contracts.md, section 3)."""

from __future__ import annotations

from reflekt_core.cdp.layout import CdpLayout
from reflekt_core.naming.segment import snakecase

_COMMON = frozenset({"anonymous_id", "id", "received_at", "sent_at", "timestamp", "original_timestamp",
                     "user_id", "uuid", "uuid_ts", "loaded_at"})

SEGMENT = CdpLayout(
    name="segment",
    display_name="Segment",
    snakecase=snakecase,
    reserved_columns={
        "track": _COMMON | {"event", "event_text"},
        "identify": _COMMON,
        "group": _COMMON | {"group_id"},
        "page": _COMMON | {"name"},
        "screen": _COMMON | {"name"},
        "alias": _COMMON | {"previous_id"},
    },
    collision_behaviour="Segment discards properties named like its reserved columns at load",
)
