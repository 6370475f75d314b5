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


def share_repository_snapshots() -> bool:
    """Compute a code server's repository snapshot once, not once per process that asks.

    Dagster's gRPC server builds and serialises the whole repository snapshot on each
    ``ExternalRepository`` request: 58 MB and about 14 s at 5,000 schemas. ``dagster dev``'s
    webserver and daemon each ask as they start, at the same moment, so the webserver waited
    for both. A server's repositories are loaded once and never change (a reload starts a new
    server), so the snapshot of one repository origin is computed once: a concurrent request
    waits for it and gets the same text. Errors are not kept. The collector is paused while it
    is built (a fifth of its time went to scans freeing nothing). Pinned Dagster version only.
    """
    import threading

    import dagster

    if dagster.__version__ != PINNED:
        return False
    from dagster._core.remote_representation.external_data import RepositoryErrorSnap
    from dagster._grpc.server import DagsterApiServer
    from dagster._serdes import serialize_value
    from dagster._utils.error import SerializableErrorInfo

    from reflekt_core.gcpause import gc_paused

    original = DagsterApiServer._get_serialized_external_repository_data
    if getattr(original, "__wrapped__", None) is not None:
        return True
    lock = threading.Lock()
    done: dict[tuple, str] = {}
    # how an error reply begins (its class, under the name Dagster stores it with)
    error_start = serialize_value(RepositoryErrorSnap(error=SerializableErrorInfo("", [], ""))).split(",", 1)[0]

    def serialized(self, request) -> str:
        key = (id(self), request.serialized_repository_python_origin, request.defer_snapshots)
        with lock:  # the second request waits for the first one's result instead of redoing it
            text = done.get(key)
            if text is None:
                with gc_paused():  # millions of short-lived objects, freed by reference counting
                    text = original(self, request)
                if not text.startswith(error_start):
                    done[key] = text
        return text

    serialized.__wrapped__ = original  # type: ignore[attr-defined]
    DagsterApiServer._get_serialized_external_repository_data = serialized
    return True
