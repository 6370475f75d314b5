"""RudderStack's warehouse layout (see shared/reference/contracts.md, section 4)."""

from __future__ import annotations

from functools import partial

from reflekt_core.cdp.layout import COMMON_DOCS, CdpLayout
from reflekt_core.naming import rudderstack as naming

_IPS = ("context_ip", "context_request_ip", "context_passed_ip")
_CALL = ("id", "anonymous_id", "user_id", "received_at", "sent_at", "timestamp", "original_timestamp",
         "channel", *_IPS, "uuid_ts", "loaded_at")
_RESERVED = frozenset({"id", "anonymous_id", "user_id", "sent_at", "timestamp", "received_at",
                       "original_timestamp", "channel", *_IPS})


def rudderstack_layout(warehouse: str = "postgres", divide_numbers: bool = False) -> CdpLayout:
    """RudderStack's layout for one warehouse type (reserved keywords differ per warehouse).

    ``divide_numbers`` is the destination's ``underscoreDivideNumbers`` setting.
    """
    table = partial(naming.table_name, warehouse=warehouse, divide_numbers=divide_numbers)
    column = partial(naming.column_name, warehouse=warehouse, divide_numbers=divide_numbers)
    return CdpLayout(
        name="rudderstack",
        display_name="RudderStack",
        table_name=lambda event: table(event).lower(),
        flat_column_name=lambda key: column(key).lower(),
        standard_columns={
            "tracks": _CALL + ("event", "event_text", "record_id"),
            "event": _CALL + ("event", "event_text"),
            "identifies": _CALL,
            "users": ("id", "received_at", "sent_at", "timestamp", "original_timestamp", *_IPS, "uuid_ts",
                      "loaded_at"),
            "pages": _CALL + ("name",),
            "screens": _CALL + ("name",),
            "groups": _CALL + ("group_id",),
            "aliases": _CALL + ("previous_id",),
        },
        reserved_columns={
            "track": _RESERVED | {"event_text", "record_id"},
            "identify": _RESERVED,
            "group": _RESERVED | {"group_id"},
            "page": _RESERVED | {"name"},
            "screen": _RESERVED | {"name"},
            "alias": _RESERVED | {"previous_id"},
        },
        collision_behaviour="RudderStack discards properties named like its reserved columns",
        column_docs=COMMON_DOCS,
    )


RUDDERSTACK = rudderstack_layout()
