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
    """Compute a code server's snapshots once, not once per process that asks.

    Dagster's gRPC server builds and serialises the whole repository snapshot on each
    ``ExternalRepository`` request (58 MB and about 14 s at 5,000 schemas), and each job's on
    each ``ExternalJob`` request (the implicit asset job: 15 MB, 1.5 s). ``dagster dev``'s
    webserver and daemon each ask for both as they start, at the same moment, so the
    webserver waited for twice the work. A server's repositories are loaded once and never
    change (a reload starts a new server), so each repository's snapshot and each job's are
    computed once, by repository name (what the server looks them up by): a concurrent request
    waits for it and gets the same answer. Errors are not kept. Once a repository snapshot
    without its jobs is sent, its jobs' snapshots are computed in a background thread, while
    the clients read the repository's: they ask for the jobs next. The collector is paused
    while a snapshot is built (a fifth of its time went to scans freeing nothing).
    Pinned Dagster version only.
    """
    import threading

    import dagster

    if dagster.__version__ != PINNED:
        return False
    from dagster._core.remote_origin import RemoteRepositoryOrigin
    from dagster._core.remote_representation.external_data import RepositoryErrorSnap
    from dagster._grpc.__generated__ import dagster_api_pb2
    from dagster._grpc.server import DagsterApiServer
    from dagster._serdes import deserialize_value, serialize_value
    from dagster._utils.error import SerializableErrorInfo

    from reflekt_core.gcpause import gc_paused

    repository_original = DagsterApiServer._get_serialized_external_repository_data
    if getattr(repository_original, "reflekt_shared", False):
        return True
    job_original = DagsterApiServer.ExternalJob
    lock = threading.RLock()
    done: dict[tuple, object] = {}
    # how an error reply begins (its class, under the name Dagster stores it with)
    error_start = serialize_value(RepositoryErrorSnap(error=SerializableErrorInfo("", [], ""))).split(",", 1)[0]

    def repository_name(serialized_origin: str) -> str:
        return deserialize_value(serialized_origin, RemoteRepositoryOrigin).repository_name

    def warm_jobs(server, serialized_origin: str) -> None:
        try:
            origin = deserialize_value(serialized_origin, RemoteRepositoryOrigin)
            names = [job.name for job in server._get_repo_for_origin(origin).get_all_jobs()]
        except Exception:  # noqa: BLE001 - a client's request will report it
            return
        for name in names:
            external_job(server, dagster_api_pb2.ExternalJobRequest(serialized_repository_origin=serialized_origin,
                                                                    job_name=name), None)

    def repository(self, request) -> str:
        key = (id(self), repository_name(request.serialized_repository_python_origin), request.defer_snapshots)
        with lock:  # the second request waits for the first one's result instead of redoing it
            text = done.get(key)
            if text is None:
                with gc_paused():  # millions of short-lived objects, freed by reference counting
                    text = repository_original(self, request)
                if not text.startswith(error_start):
                    done[key] = text
                    if request.defer_snapshots:
                        threading.Thread(target=warm_jobs, args=(self, request.serialized_repository_python_origin),
                                         name="reflekt-warm-job-snapshots", daemon=True).start()
        return text

    def external_job(self, request, context):
        key = (id(self), repository_name(request.serialized_repository_origin), "job", request.job_name)
        with lock:
            reply = done.get(key)
            if reply is None:
                with gc_paused():
                    reply = job_original(self, request, context)
                if reply.serialized_job_data:  # an error reply has none
                    done[key] = reply
        return reply

    for wrapper, original in ((repository, repository_original), (external_job, job_original)):
        wrapper.__wrapped__ = original  # type: ignore[attr-defined]
        wrapper.reflekt_shared = True  # type: ignore[attr-defined]
    DagsterApiServer._get_serialized_external_repository_data = repository
    DagsterApiServer.ExternalJob = external_job
    return True
