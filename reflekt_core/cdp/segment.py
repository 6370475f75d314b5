"""Segment's warehouse layout (see shared/reference/contracts.md, section 3)."""

from __future__ import annotations

from functools import lru_cache

from reflekt_core.cdp.layout import COMMON_DOCS, CdpLayout
from reflekt_core.naming.segment import snakecase, warehouse_name

_CALL = ("id", "anonymous_id", "user_id", "received_at", "sent_at", "timestamp", "original_timestamp",
         "uuid_ts", "loaded_at", "uuid")
_RESERVED = frozenset(_CALL)


@lru_cache(maxsize=None)
def segment_layout(warehouse: str | None = None, divide_numbers: bool = False) -> CdpLayout:
    """Segment's layout in one warehouse type (``divide_numbers`` is RudderStack's; ignored)."""
    def name(text: str) -> str:
        return warehouse_name(snakecase(text), warehouse)

    return CdpLayout(
        name="segment",
        display_name="Segment",
        table_name=name,
        flat_column_name=name,
        standard_columns={
            "tracks": _CALL + ("event", "event_text"),
            "event": _CALL + ("event", "event_text"),
            "identifies": _CALL,
            "users": ("id", "received_at", "uuid_ts", "loaded_at"),
            "pages": _CALL + ("name",),
            "screens": _CALL + ("name",),
            "groups": _CALL + ("group_id",),
            "aliases": _CALL + ("previous_id",),
        },
        reserved_columns={
            "track": _RESERVED | {"event", "event_text"},
            "identify": _RESERVED,
            "group": _RESERVED | {"group_id"},
            "page": _RESERVED | {"name"},
            "screen": _RESERVED | {"name"},
            "alias": _RESERVED | {"previous_id"},
        },
        collision_behaviour="Segment discards properties named like its reserved columns at load",
        column_docs=COMMON_DOCS,
    )


SEGMENT = segment_layout()
