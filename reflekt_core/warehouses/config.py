"""The fields of each warehouse ``source:`` entry in reflekt_profiles.yml, as JSON Schema."""

from __future__ import annotations

from typing import Any

_PORT = {"type": ["integer", "string"], "pattern": r"^[0-9]+$", "description": "use a port number"}
_SECONDS = {"type": ["integer", "number", "string"], "pattern": r"^[0-9]+(\.[0-9]+)?$",
            "description": "use a number of seconds"}
_TEXT = {"type": "string"}
_COMMON = {"id": _TEXT, "type": _TEXT, "connect_timeout": _SECONDS, "query_timeout": _SECONDS}
_PG = {**_COMMON, "host": _TEXT, "port": _PORT, "database": _TEXT, "user": _TEXT, "password": _TEXT,
       "sslmode": {"enum": ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]}}

#: type -> (fields, required fields)
SOURCE_FIELDS: dict[str, tuple[dict[str, Any], list[str]]] = {
    "duckdb": ({**_COMMON, "path": _TEXT, "database": _TEXT}, ["path"]),
    "postgres": (_PG, ["host", "user"]),
    "redshift": (_PG, ["host", "user"]),
    "snowflake": ({**_COMMON, "account": _TEXT, "user": _TEXT, "password": _TEXT,
                   "private_key_path": _TEXT, "private_key_passphrase": _TEXT, "authenticator": _TEXT,
                   "role": _TEXT, "warehouse": _TEXT, "database": _TEXT,
                   # A non-default endpoint (a proxy, or fakesnow's server in tests), as dbt-snowflake takes it.
                   "host": _TEXT, "port": _PORT, "protocol": {"enum": ["https", "http"]}}, ["account", "user"]),
    "bigquery": ({**_COMMON, "project": _TEXT, "dataset": _TEXT, "location": _TEXT,
                  "keyfile_json": {"type": ["object", "string"]}, "keyfile": _TEXT,
                  "api_endpoint": _TEXT}, ["project"]),
}

DEFAULT_PORTS = {"postgres": 5432, "redshift": 5439}
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_QUERY_TIMEOUT = 60.0


def source_entry_schema() -> dict[str, Any]:
    """A schema for one source entry: the fields allowed depend on ``type``."""
    return {
        "type": "object", "required": ["id", "type"],
        "properties": {"type": {"enum": sorted(SOURCE_FIELDS)}},
        "allOf": [
            {"if": {"properties": {"type": {"const": kind}}},
             "then": {"properties": fields, "required": required, "additionalProperties": False}}
            for kind, (fields, required) in sorted(SOURCE_FIELDS.items())
        ],
    }


def seconds(entry: dict[str, Any], key: str, default: float) -> float:
    value = entry.get(key)
    return float(value) if value not in (None, "") else default
