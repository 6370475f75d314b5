"""Row counts and the last load time of a source's raw tables, in as few statements as possible.

Each adapter's ``read_stats`` runs :func:`stats_sql`: one ``union all`` statement per
:data:`BATCH` tables, each branch ``count(*)`` and ``max(received_at)`` of one table. Counts
are exact, not catalog estimates (``pg_class.reltuples`` can be far off right after a load,
and nothing cheaper gives the last ``received_at``): DuckDB, Snowflake and Redshift answer
both from table or block metadata; PostgreSQL scans each table, bounded by the source's
``query_timeout``. Table names come from the warehouse catalog, never from schema text, and
are quoted all the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

#: The column every CDP table records its load time in (Segment, RudderStack).
LOADED_AT = "received_at"
#: Tables per statement: keeps one statement readable by every engine's parser.
BATCH = 200


@dataclass(frozen=True)
class TableStats:
    """One raw table: how many rows it holds and when the newest of them was received (UTC)."""

    table: str
    row_count: int
    last_loaded: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {"table": self.table, "row_count": self.row_count,
                "last_loaded": self.last_loaded.isoformat() if self.last_loaded else None}


def quote(name: str, mark: str = '"') -> str:
    """A quoted identifier: the quote character doubled inside."""
    return mark + name.replace(mark, mark * 2) + mark


def stats_sql(tables: Sequence[tuple[str, bool]], qualify: Callable[[str], str], loaded_at: str) -> str:
    """``select <i>, count(*), max(<loaded_at>) from <table i> union all ...`` for ``(name, has_loaded_at)``.

    Branches are numbered rather than named, so no table name is ever a string literal.
    """
    return "\nunion all\n".join(
        f"select {index} as i, count(*) as n, {('max(' + loaded_at + ')') if has else 'null'} as last_loaded "
        f"from {qualify(name)}" for index, (name, has) in enumerate(tables))


def batches(tables: Sequence[tuple[str, bool]]) -> list[Sequence[tuple[str, bool]]]:
    return [tables[start:start + BATCH] for start in range(0, len(tables), BATCH)]


def as_utc(value: Any) -> datetime | None:
    """A driver's timestamp as an aware UTC datetime (CDPs store UTC; naive values are UTC)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def collect(tables: Sequence[tuple[str, bool]], rows: Sequence[Sequence[Any]]) -> list[TableStats]:
    """Rows of one :func:`stats_sql` statement, back in the order of ``tables``."""
    found = {int(row[0]): row for row in rows}
    return [TableStats(name, int(found[index][1] or 0), as_utc(found[index][2]))
            for index, (name, _) in enumerate(tables) if index in found]


def run_batches(tables: Sequence[tuple[str, bool]], qualify: Callable[[str], str], loaded_at: str,
                execute: Callable[[str], Sequence[Sequence[Any]]]) -> list[TableStats]:
    """Every batch through ``execute(sql) -> rows`` (the adapter's cursor)."""
    result: list[TableStats] = []
    for batch in batches(tables):
        result += collect(batch, execute(stats_sql(batch, qualify, loaded_at)))
    return result


__all__ = ["BATCH", "LOADED_AT", "TableStats", "as_utc", "collect", "quote", "run_batches", "stats_sql"]
