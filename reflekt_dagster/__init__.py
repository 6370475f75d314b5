"""Reflekt's Dagster code location: a thin layer that turns reflekt_core results into assets.

``dbt_models``, ``model_key`` and ``source_keys`` (:mod:`reflekt_dagster.dbt_helpers`) find the
location's dbt models and their keys for assets you write downstream of them.
"""

import time as _time

_HELPERS = ("dbt_models", "model_key", "source_keys")
#: When this process first imported Reflekt's Dagster layer (reflekt_dagster.snapcache: code
#: edited after that may not be the code that runs).
IMPORTED_NS = _time.time_ns()


def __getattr__(name: str):
    if name in _HELPERS:  # imported on first use: importing the package stays free
        from reflekt_dagster import dbt_helpers

        return getattr(dbt_helpers, name)
    raise AttributeError(f"module 'reflekt_dagster' has no attribute {name!r}")
