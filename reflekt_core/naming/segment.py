"""Segment's warehouse naming: the go-snakecase algorithm, re-implemented from its description.

Byte-wise and ASCII-only: every non-alphanumeric byte (punctuation, spaces,
underscores, any non-ASCII byte) is a boundary and is dropped; an upper-case run
followed by lower-case letters stays one word (``CStringRef`` -> ``cstring_ref``);
digits stick to the letters before them. Verified against Segment's own vectors.
"""

from __future__ import annotations

from functools import lru_cache


def _lower(b: int) -> bool:
    return 97 <= b <= 122


def _upper(b: int) -> bool:
    return 65 <= b <= 90


def _digit(b: int) -> bool:
    return 48 <= b <= 57


@lru_cache(maxsize=65536)
def snakecase(name: str) -> str:
    """Segment's table/column name for an event, property, trait or context key."""
    data = name.encode("utf-8")
    size = len(data)
    index = 0
    seen_lower = seen_underscore = lower_since_underscore = False
    # 1. A prefix that is already snake_case is kept as is.
    while index < size:
        byte = data[index]
        if _lower(byte):
            seen_lower = True
            lower_since_underscore = lower_since_underscore or seen_underscore
        elif _digit(byte):
            pass
        elif (byte == 95 and 0 < index < size - 1
              and (_lower(data[index + 1]) or _digit(data[index + 1]))):
            seen_underscore, lower_since_underscore = True, False
        else:
            break
        index += 1
    if index == size:
        return name
    out = bytearray(data[:index])

    def take_word() -> None:
        nonlocal index
        while index < size and (_upper(data[index]) or _digit(data[index])):
            out.append(data[index] + 32 if _upper(data[index]) else data[index])
            index += 1
        while index < size and (_lower(data[index]) or _digit(data[index])):
            out.append(data[index])
            index += 1

    # 2. An upper-case word right after the prefix joins it when nothing lower-case came before.
    if _upper(data[index]) and (not seen_lower or (seen_underscore and not lower_since_underscore)):
        take_word()
    # 3. Every further alphanumeric run is its own word.
    while index < size:
        byte = data[index]
        if not (_lower(byte) or _upper(byte) or _digit(byte)):
            index += 1
            continue
        if out:
            out.append(95)
        take_word()
    return out.decode("ascii")


#: Segment's warehouse post-processing, per warehouse type (shared/reference/contracts.md §3.1):
#: on Redshift it prefixes ``_`` to names that start with a digit or are Redshift reserved words
#: (documented); its PostgreSQL warehouse shares that loader (inferred). Names are cut to the
#: engine's identifier limit in bytes: Redshift 127, PostgreSQL 63 (NAMEDATALEN - 1). Snowflake,
#: BigQuery and DuckDB names are left as go-snakecase writes them.
WAREHOUSE_RULES: dict[str, dict] = {
    "redshift": {"prefix_leading_digit": True, "reserved": "redshift", "max_bytes": 127},
    "postgres": {"prefix_leading_digit": True, "reserved": "redshift", "max_bytes": 63},
}


def warehouse_name(name: str, warehouse: str | None) -> str:
    """A go-snakecase name as Segment creates it in ``warehouse`` (prefix, then length limit)."""
    rules = WAREHOUSE_RULES.get(warehouse or "")
    if not rules or not name:
        return name
    from reflekt_core.naming.keywords import reserved_words

    if (rules["prefix_leading_digit"] and name[0].isdigit()) or name in reserved_words(rules["reserved"]):
        name = "_" + name
    return name.encode("utf-8")[: rules["max_bytes"]].decode("utf-8", "ignore")
