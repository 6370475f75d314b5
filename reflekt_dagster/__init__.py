"""Reflekt's Dagster code location: a thin layer that turns reflekt_core results into assets."""
