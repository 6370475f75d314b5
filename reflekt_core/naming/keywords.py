"""SQL keyword lists per engine, as data (``data/sql_keywords.json``, each list with its source)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def keyword_data() -> dict[str, dict]:
    text = resources.files("reflekt_core.naming").joinpath("data/sql_keywords.json").read_text(encoding="utf-8")
    return json.loads(text)


@lru_cache(maxsize=None)
def reserved_words(engine: str) -> frozenset[str]:
    """Lower-case words an engine does not take as a bare column name (its ``quote`` list)."""
    return frozenset(keyword_data()[engine]["quote"])
