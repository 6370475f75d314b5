"""Map each engine's column types to the common vocabulary of :mod:`catalog`."""

from __future__ import annotations

import re

_EXACT = {
    "string": {"varchar", "character varying", "text", "char", "character", "string", "bpchar",
               "nvarchar", "nchar", "uuid", "name", "citext"},
    "integer": {"integer", "int", "bigint", "smallint", "tinyint", "hugeint", "int2", "int4", "int8",
                "int64", "byteint", "ubigint", "uinteger", "usmallint", "utinyint", "uhugeint"},
    "float": {"double precision", "double", "real", "float", "float4", "float8", "float64", "numeric",
              "decimal", "bignumeric", "number"},
    "boolean": {"boolean", "bool"},
    "timestamp": {"timestamp", "timestamp without time zone", "timestamp with time zone", "timestamptz",
                  "timestamp_ntz", "timestamp_ltz", "timestamp_tz", "datetime", "timestamp_ns",
                  "timestamp_ms", "timestamp_s"},
    "date": {"date"},
    "json": {"json", "jsonb", "super", "variant", "object", "array", "struct", "map", "list", "record",
             "geography_json"},
}
_LOOKUP = {name: common for common, names in _EXACT.items() for name in names}
_PARAMS = re.compile(r"\s*\(.*\)\s*")


def normalise_type(data_type: str, numeric_scale: int | None = None) -> str:
    """``character varying(512)`` -> ``string``; ``NUMBER`` with scale 0 -> ``integer``."""
    raw = str(data_type).strip().lower()
    if raw.endswith("[]") or raw.startswith(("struct<", "array<", "map<", "struct(", "map(")):
        return "json"
    base = _PARAMS.sub("", raw) if "(" in raw else raw
    if base in ("number", "numeric", "decimal") and numeric_scale == 0:
        return "integer"
    if raw.startswith(("number(", "numeric(", "decimal(")):
        scale = raw.rstrip(")").split(",")
        if len(scale) == 2 and scale[1].strip() == "0":
            return "integer"
    return _LOOKUP.get(base, "other")
