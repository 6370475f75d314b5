"""How a column or relation name is written in generated dbt SQL: the one place that decides.

A generated package must work on any target, so the decision is made for every supported
engine at once: a name is quoted when *some* engine would misread it unquoted. Which quote
characters and which case are used is the target's business, decided at dbt compile time by
the dispatched macros ``reflekt_column`` (a warehouse column, in the case the loader created
it: upper case on Snowflake) and ``adapter.quote`` (an output column, exactly as named in the
docs YAML, so that dbt's generic tests with ``quote: true`` find it).

Keyword lists are data (``naming/data/sql_keywords.json``), each with its source noted.
"""

from __future__ import annotations

import re
from functools import lru_cache

from reflekt_core.naming.keywords import keyword_data

ENGINES = ("duckdb", "postgres", "redshift", "snowflake", "bigquery")
_PLAIN = re.compile(r"^[a-z_][a-z0-9_]*$")


@lru_cache(maxsize=None)
def quoted_words(engine: str | None = None) -> frozenset[str]:
    """Words that must be quoted on ``engine`` (or on any engine when None), lower case."""
    data = keyword_data()
    engines = ENGINES if engine is None else (engine,)
    words = set(data["functions"]["quote"])
    for name in engines:
        words.update(data[name]["quote"])
    return frozenset(words)


@lru_cache(maxsize=1 << 16)  # names recur in every model, docs file and test; bounded for long-lived processes
def needs_quoting(name: str, engine: str | None = None) -> bool:
    """True when ``name`` unquoted would be misread (keyword, function-like name, leading
    digit, or a character outside ``[a-z0-9_]``) on ``engine``, or on any engine when None."""
    return not _PLAIN.match(name) or name in quoted_words(engine)


__all__ = ["ENGINES", "keyword_data", "needs_quoting", "quoted_words"]
