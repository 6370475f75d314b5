"""A fast path in Dagster's type resolution, for the pinned Dagster version only.

Every input and output of Reflekt's multi-assets has the ``Nothing`` type, and at 5,000 schemas
Dagster resolves it about 110,000 times while the code location loads (each ``In``, ``Out``,
``AssetIn``, and the input and output definitions made from them). ``resolve_dagster_type``
first runs a dozen ``typing`` introspections on its argument before it reaches the branch that
returns a ``DagsterType`` instance unchanged: about a third of the whole load. Each asset check's
output has no type (``None``), which Dagster resolves to its single ``Any`` instance.

:func:`apply` puts a wrapper in front of it in the three modules that build inputs and outputs,
answering those two cases first and passing everything else to Dagster's function. For a
``DagsterType`` instance the original returns its argument too, after checks that cannot fail
for an instance (they reject classes); for ``None`` it returns the same ``Any`` instance each time. It is applied only for the Dagster version in
requirements.lock (``PINNED``); with any other version Dagster runs unchanged, just slower.
"""

from __future__ import annotations

import importlib

PINNED = "1.13.27"
MODULES = ("dagster._core.definitions.output", "dagster._core.definitions.input",
           "dagster._core.definitions.assets.job.asset_in")


def apply() -> bool:
    """Install the fast path (once); True when it is in place."""
    import dagster
    from dagster._core.types.dagster_type import DagsterType, resolve_dagster_type

    if dagster.__version__ != PINNED:
        return False
    original = getattr(resolve_dagster_type, "__wrapped__", resolve_dagster_type)

    untyped = original(None)  # Dagster's one ``Any`` instance: what every check output's type resolves to

    def resolve(dagster_type: object) -> DagsterType:
        if isinstance(dagster_type, DagsterType):
            return dagster_type
        if dagster_type is None:
            return untyped
        return original(dagster_type)

    resolve.__wrapped__ = original  # type: ignore[attr-defined]
    for name in MODULES:
        module = importlib.import_module(name)
        if getattr(module.resolve_dagster_type, "__wrapped__", None) is not original:
            module.resolve_dagster_type = resolve
    return True
