"""The Dagster code location loaded by ``workspace.yaml``.

The Reflekt assets (event schemas, lint report, registry syncs, warehouse catalogs,
the dbt package and dbt models) are built here from reflekt_core results; until they
are, the location loads and holds no assets.
"""

from dagster import Definitions

defs = Definitions()
