"""Warehouse catalogs: one adapter per engine behind :class:`CatalogReader`, loaded lazily."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from reflekt_core.warehouses.base import CatalogReader, SourceRef, parse_source_ref
from reflekt_core.warehouses.catalog import SchemaCatalog, Table, Column, load_catalogs, save_catalogs

#: source type -> "module:class"; drivers are imported only when a reader is made.
READERS = {
    "duckdb": "reflekt_core.warehouses.duckdb:DuckDBReader",
    "postgres": "reflekt_core.warehouses.postgres:PostgresReader",
    "redshift": "reflekt_core.warehouses.redshift:RedshiftReader",
    "snowflake": "reflekt_core.warehouses.snowflake:SnowflakeReader",
    "bigquery": "reflekt_core.warehouses.bigquery:BigQueryReader",
}


def make_reader(entry: dict[str, Any], base_dir: Path | None = None) -> CatalogReader:
    """The adapter for one ``source:`` entry of a profile."""
    module_name, class_name = READERS[entry["type"]].split(":")
    return getattr(importlib.import_module(module_name), class_name)(entry, base_dir)


def _read_one(entry: dict[str, Any], ref: SourceRef, base_dir: Path | None) -> SchemaCatalog:
    reader = make_reader(entry, base_dir)
    try:
        return reader.read_schema(ref.database, ref.schema)
    finally:
        reader.close()


def read_catalogs(profile, refs: Iterable[SourceRef | str], base_dir: Path | None = None,
                  max_workers: int = 4) -> list[SchemaCatalog]:
    """Read each ``source_id.database.schema`` concurrently, one connection and one query each."""
    parsed = [parse_source_ref(r) if isinstance(r, str) else r for r in refs]
    jobs = [(profile.source_entry(ref.source_id), ref) for ref in parsed]
    if len(jobs) == 1:
        return [_read_one(jobs[0][0], jobs[0][1], base_dir)]
    with ThreadPoolExecutor(max_workers=min(max_workers, len(jobs)), thread_name_prefix="reflekt-catalog") as pool:
        futures = [pool.submit(_read_one, entry, ref, base_dir) for entry, ref in jobs]
        return [future.result() for future in futures]


def check_source(entry: dict[str, Any], base_dir: Path | None = None) -> None:
    """Connect to a source and run a trivial query; raises a ReflektError on failure."""
    reader = make_reader(entry, base_dir)
    try:
        reader.check_connection()
    finally:
        reader.close()


__all__ = ["CatalogReader", "Column", "READERS", "SchemaCatalog", "SourceRef", "Table", "check_source",
           "load_catalogs", "make_reader", "parse_source_ref", "read_catalogs", "save_catalogs"]
