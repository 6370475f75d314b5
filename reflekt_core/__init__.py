"""Reflekt: event schemas as code.

``reflekt_core`` holds all logic (schemas, lint, registries, warehouses, dbt generation)
and the ``reflekt`` CLI; it never imports Dagster.
"""

__version__ = "0.7.0"
