"""RudderStack's warehouse naming, re-implemented from its description and verified against
its loader's own test cases (tests/fixtures/vectors/rudderstack-naming.json).

An event name becomes a table name in three steps: every run of ASCII letters and digits
is kept and joined with ``_`` (everything else, non-ASCII included, separates words); the
result is snake-cased lodash-style (``XMLHttp`` -> ``xml_http``) with digits either their
own words (``underscoreDivideNumbers``: ``test123`` -> ``test_123``) or glued to their
neighbour (``test123``); a leading digit gets a ``_``. Then :func:`safe_name` applies the
warehouse's case, reserved keywords and length limit.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

_ALNUM_RUNS = re.compile(r"[A-Za-z0-9]+")
_TOKENS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_BLENDO_COLUMN = re.compile(r"[^A-Za-z0-9_$\\]")

#: Tables RudderStack writes itself; an event with such a name gets a ``_`` prefix.
ALWAYS_ESCAPED_TABLES = frozenset({"users", "identifies"})
ESCAPED_TABLES = frozenset({"tracks", "pages", "screens", "aliases", "groups", "accounts"})
_LOWER_CASE_WAREHOUSES = {"postgres": 63}


def _segment_words(segment: str, divide_numbers: bool) -> list[str]:
    tokens = _TOKENS.findall(segment)
    if divide_numbers:
        return tokens
    # Digits glue to the word before them, or to the word after when they lead.
    words: list[str] = []
    pending = ""
    for token in tokens:
        if token.isdigit():
            if words:
                words[-1] += token
            else:
                pending += token
        else:
            words.append(pending + token)
            pending = ""
    if pending:
        words.append(pending)
    return words


def snake(text: str, divide_numbers: bool) -> str:
    """lodash ``snakeCase`` over ASCII words, with RudderStack's number handling."""
    words = [w.lower() for segment in text.replace("'", "").replace("\u2019", "").split("_")
             for w in _segment_words(segment, divide_numbers)]
    return "_".join(words)


@lru_cache(maxsize=65536)
def transform_name(name: str, divide_numbers: bool = False) -> str:
    """The table or column name before warehouse-specific escaping (also the ``event`` value)."""
    words = "_".join(_ALNUM_RUNS.findall(name))
    leading = len(name) - len(name.lstrip("_"))
    if leading:
        result = name[:leading] + snake(words, divide_numbers)
    else:
        result = snake(words, divide_numbers)
    if result[:1].isdigit():
        result = "_" + result
    return result


def blendo_table_name(name: str) -> str:
    return name.strip().lower()


def blendo_column_name(name: str) -> str:
    result = _BLENDO_COLUMN.sub("_", name).lower()
    return result if re.match(r"^[a-z_]", result) else "_" + result


@lru_cache(maxsize=None)
def reserved_keywords(warehouse: str) -> frozenset[str]:
    data = json.loads(resources.files("reflekt_core.naming").joinpath("data/rudderstack_reserved.json").read_text())
    return frozenset(word.upper() for word in data.get(warehouse, []))


def safe_name(name: str, warehouse: str, skip_reserved_escaping: bool = False) -> str:
    """Warehouse case, reserved-keyword ``_`` prefix, and length limits."""
    if warehouse == "snowflake":
        name = name.upper()
    elif warehouse in _LOWER_CASE_WAREHOUSES:
        name = name[: _LOWER_CASE_WAREHOUSES[warehouse]].lower()
    else:
        name = name.lower()
    if not skip_reserved_escaping and name.upper() in reserved_keywords(warehouse):
        name = "_" + name
    return name[:127]


def table_name(event: str, warehouse: str = "postgres", divide_numbers: bool = False,
               skip_reserved_escaping: bool = False) -> str:
    """The warehouse table of a track event, as RudderStack creates it."""
    name = safe_name(transform_name(event, divide_numbers), warehouse, skip_reserved_escaping)
    bare = name.lower()
    if bare in ALWAYS_ESCAPED_TABLES or (bare in ESCAPED_TABLES and not skip_reserved_escaping):
        name = "_" + name
    return name


def column_name(key: str, warehouse: str = "postgres", divide_numbers: bool = False,
                skip_reserved_escaping: bool = False) -> str:
    """The column of a (flattened, ``_``-joined) property key."""
    return safe_name(transform_name(key, divide_numbers), warehouse, skip_reserved_escaping)
