"""Reflekt's Dagster code location: a thin layer that turns reflekt_core results into assets.

``dbt_models``, ``model_key`` and ``source_keys`` (:mod:`reflekt_dagster.dbt_helpers`) find the
location's dbt models and their keys for assets you write downstream of them.
"""

_HELPERS = ("dbt_models", "model_key", "source_keys")


def __getattr__(name: str):
    if name in _HELPERS:  # imported on first use: importing the package stays free
        from reflekt_dagster import dbt_helpers

        return getattr(dbt_helpers, name)
    raise AttributeError(f"module 'reflekt_dagster' has no attribute {name!r}")
