"""What every warehouse adapter provides, and the helpers they share."""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from reflekt_core.errors import MissingDependencyError, UsageError, WarehouseError
from reflekt_core.warehouses.catalog import SchemaCatalog


class CatalogReader(Protocol):
    """One connection to one configured source."""

    source_id: str

    def read_schema(self, database: str, schema: str) -> SchemaCatalog:
        """Every table and column of ``database.schema``, in one catalog query."""

    def read_stats(self, database: str, schema: str, tables: list[tuple[str, bool]]) -> list:
        """Row count and last ``received_at`` of ``(table, has received_at)`` pairs, in batched
        statements (:mod:`reflekt_core.warehouses.stats`); ``[]`` where the engine is not supported."""

    def check_connection(self) -> None:
        """Connect and run a trivial query; raise :class:`WarehouseError` if that fails."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class SourceRef:
    """``--source <source_id>.<database>.<schema>``, as in reflekt 0.6."""

    source_id: str
    database: str
    schema: str

    def __str__(self) -> str:
        return f"{self.source_id}.{self.database}.{self.schema}"


def parse_source_ref(text: str) -> SourceRef:
    """Split ``id.database.schema``; the database part may itself contain dots (BigQuery)."""
    parts = text.strip().split(".")
    # More parts only for a domain-scoped BigQuery project (example.com:project).
    if len(parts) < 3 or not all(parts) or (len(parts) > 3 and ":" not in ".".join(parts[1:-1])):
        raise UsageError(f"--source '{text}' is not of the form source_id.database.schema",
                         hint="e.g. --source warehouse.analytics.segment")
    return SourceRef(parts[0], ".".join(parts[1:-1]), parts[-1])


def require(module: str, extra: str, purpose: str) -> Any:
    """Import a driver, or say exactly which extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(module.split(".")[0], extra, purpose) from None


_SAFE_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


def check_identifier(value: str, what: str, source_id: str, pattern: re.Pattern[str] = _SAFE_IDENTIFIER) -> str:
    """Names that go into SQL text (not parameters) must be plain identifiers."""
    if not pattern.match(value):
        raise WarehouseError(f"{what} '{value}' is not a plain identifier", source_id=source_id,
                             hint="use letters, digits and underscores")
    return value


def probe(connection: Any) -> None:
    """Run ``select 1`` on a DB-API connection: the connection check shared by adapters."""
    cursor = connection.cursor()
    try:
        cursor.execute("select 1")
        cursor.fetchall()
    finally:
        cursor.close()


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0].strip() if text else type(exc).__name__


def resolve_path(value: str, base_dir: Path | None) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() or base_dir is None else base_dir / path
