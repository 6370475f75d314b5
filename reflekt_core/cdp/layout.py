"""A CDP's warehouse layout as data: naming, tables per call, standard and reserved columns.

Everything the dbt generator and the lint rules need to know about how Segment or
RudderStack land events lives in one :class:`CdpLayout` per CDP; no code branches on
the CDP's name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

#: The table every call type lands in (track calls also get one table per event).
CALL_TABLES = {"track": "tracks", "identify": "identifies", "page": "pages", "screen": "screens",
               "group": "groups", "alias": "aliases"}
#: The output name of each table's ``id`` column (reflekt 0.6 naming; groups keep their group_id).
ID_ALIASES = {"tracks": "event_id", "event": "event_id", "pages": "page_id", "screens": "screen_id",
              "identifies": "identify_id", "users": "user_id", "groups": "group_call_id", "aliases": "alias_id"}


@dataclass(frozen=True)
class CdpLayout:
    """How one CDP (Segment, RudderStack) lands events in the warehouse."""

    name: str
    display_name: str
    #: Event name -> table name (lower case, as catalogs store it).
    table_name: Callable[[str], str]
    #: A flattened, ``_``-joined property key -> column name (lower case).
    flat_column_name: Callable[[str], str]
    #: Standard columns per table kind ("event" is a per-event track table), in model order.
    standard_columns: Mapping[str, tuple[str, ...]]
    #: Columns the CDP writes itself, per call type; a property with such a name is dropped.
    reserved_columns: Mapping[str, frozenset[str]]
    #: What the CDP does with a property named like a reserved column.
    collision_behaviour: str
    #: Descriptions of standard columns, by warehouse column name.
    column_docs: Mapping[str, str]

    def column_name(self, property_path: str) -> str:
        """Column for a (possibly nested, dotted) property path: objects flatten with ``_``."""
        return self.flat_column_name("_".join(property_path.split(".")))

    def table_for(self, event_name: str, call_type: str) -> str:
        """The table a schema's calls land in: its own table for track events, else the call's table."""
        return self.table_name(event_name) if call_type == "track" else CALL_TABLES[call_type]

    def tables_written(self, event_name: str, call_type: str) -> list[str]:
        """Every table a call writes (identify also updates ``users``; track also ``tracks``)."""
        extra = {"identify": ["users"], "track": ["tracks"]}.get(call_type, [])
        return [self.table_for(event_name, call_type), *extra]

    def table_kind(self, table: str, call_type: str) -> str:
        return "event" if call_type == "track" and table != "tracks" else table


COMMON_DOCS = {
    "id": "Unique id of the call (the message id the SDK generated).",
    "anonymous_id": "Anonymous id of the device or browser that sent the call.",
    "user_id": "Id of the identified user who made the call.",
    "received_at": "When the CDP's servers received the call.",
    "sent_at": "When the SDK sent the call (device clock).",
    "timestamp": "When the call happened, corrected for device clock skew.",
    "original_timestamp": "When the call happened according to the device clock.",
    "uuid_ts": "When the CDP loaded the row into the warehouse.",
    "loaded_at": "When the row was loaded (BigQuery only).",
    "uuid": "Row id assigned by the loader.",
    "event": "Slug of the event name: the name of the event's own table.",
    "event_text": "The event name exactly as sent.",
    "name": "Name of the page or screen.",
    "group_id": "Id of the group or account the user belongs to.",
    "previous_id": "The user's previous id, merged into user_id by the alias call.",
    "channel": "Where the call came from (web, mobile, server, sources).",
    "record_id": "Id of the record for cloud-source events.",
}


def describe_context(column: str) -> str:
    """Description of a ``context_*`` column, e.g. ``context_library_name``."""
    key = column[len("context_"):].replace("_", " ")
    return f"Context sent with the call by the SDK: {key}."
