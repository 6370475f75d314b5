"""Turn driver errors into one clear line: what failed, for which source, what to check."""

from __future__ import annotations

import re

from reflekt_core.errors import WarehouseError
from reflekt_core.warehouses.base import first_line

# Status and error codes are matched as whole numbers: a port such as 40123 is not a 401.
_CODE = re.compile(r"\b(401|403|390100|250001)\b")

# (substrings of the driver message, what happened, what to check); first match wins.
_PATTERNS: list[tuple[tuple[str, ...], str, str]] = [
    (("password authentication failed", "authentication failed", "incorrect username or password",
      "no password supplied", "invalid_grant", "unauthorized", "code:401", "code:390100", "jwt token is invalid"),
     "authentication failed", "check the user and password (or key) in the profile"),
    (("timeout expired", "timed out", "timeout", "canceling statement due to statement timeout",
      "deadline", "statement reached its statement or warehouse timeout"),
     "timed out", "check that the warehouse is reachable and responsive, or raise connect_timeout / query_timeout"),
    (("could not translate host name", "name or service not known", "nodename nor servname",
      "temporary failure in name resolution", "connection refused", "no route to host",
      "network is unreachable", "could not connect", "failed to connect", "connection reset",
      "server closed the connection", "code:250001"),
     "cannot reach the warehouse", "check host, port and network access"),
    (("permission denied", "insufficient privilege", "not authorized", "access denied", "code:403",
      "forbidden"),
     "missing privilege", "grant the user USAGE on the schema and SELECT on its tables"),
    (("does not exist", "not found", "unknown database"),
     "not found", "check the database and schema in --source and the profile"),
]


def classify(exc: BaseException, source_id: str, doing: str) -> WarehouseError:
    """A :class:`WarehouseError` for ``exc`` raised while ``doing`` (e.g. 'connecting')."""
    detail = first_line(exc)
    lowered = f"{type(exc).__name__} {detail}".lower()
    lowered += "".join(f" code:{code}" for code in _CODE.findall(lowered))
    for needles, what, hint in _PATTERNS:
        if any(n in lowered for n in needles):
            return WarehouseError(f"{doing}: {what}: {detail}", source_id=source_id, hint=hint)
    return WarehouseError(f"{doing}: {detail}", source_id=source_id,
                          hint="run 'reflekt debug' to check the source configuration")
