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

import contextvars
import importlib
import threading

PINNED = "1.13.27"
MODULES = ("dagster._core.definitions.output", "dagster._core.definitions.input",
           "dagster._core.definitions.assets.job.asset_in")


def _pinned() -> bool:
    """Whether the installed Dagster is the one these fast paths were checked against."""
    import dagster

    return dagster.__version__ == PINNED


def apply() -> bool:
    """Install the fast path (once); True when it is in place."""
    if not _pinned():
        return False
    from dagster._core.types.dagster_type import DagsterType, resolve_dagster_type

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


#: Snapshots computed once per repository definition: ``(id(repository), what) -> (repository, answer)``
#: (the repository is kept so that its id is not reused); one lock per key (see share_repository_snapshots).
_SHARED: dict[tuple, tuple[object, object]] = {}
_LOCKS: dict[tuple, threading.Lock] = {}
_LOCKS_LOCK = threading.Lock()
_WARMING: set[int] = set()  # repositories whose job snapshots are being or were computed


def _shared(repository: object, what: tuple, compute, keep) -> object:
    """``compute()`` once per repository and ``what`` (answers ``keep`` rejects are not kept)."""
    from reflekt_core.gcpause import gc_paused

    key = (id(repository), what)
    hit = _SHARED.get(key)
    if hit is not None and hit[0] is repository:
        return hit[1]
    with _LOCKS_LOCK:
        lock = _LOCKS.setdefault(key, threading.Lock())
    with lock:  # a second request for the same waits for the first one's answer instead of redoing it
        hit = _SHARED.get(key)
        if hit is not None and hit[0] is repository:
            return hit[1]
        with gc_paused():  # millions of short-lived objects, freed by reference counting
            answer = compute()
        if keep(answer):
            _SHARED[key] = (repository, answer)
        return answer


def _quietly(call, *args):
    """``call(*args)``, or None if it raises: the stored snapshots are a cache, and Dagster's own
    answer is always the fallback."""
    try:
        return call(*args)
    except Exception:  # noqa: BLE001
        return None


def share_repository_snapshots() -> bool:
    """Compute a code server's snapshots once, not once per process that asks.

    Dagster's gRPC server builds and serialises the whole repository snapshot on each
    ``ExternalRepository`` request (40 MB and about 10 s at 5,000 schemas), and each job's on
    each ``ExternalJob`` request (the implicit asset job: 15 MB, 1.5 s). ``dagster dev``'s
    webserver and daemon each ask for both as they start, at the same moment, so the
    webserver waited for twice the work. A server's repositories are loaded once and never
    change (a reload starts a new server), so each repository's snapshot and each job's are
    computed once per repository definition: a concurrent request waits for it and gets the
    same answer. Errors are not kept. Once a repository snapshot without its jobs is sent, its
    jobs' snapshots are computed in a background thread, while the clients read the
    repository's: they ask for the jobs next (through the same ``ExternalJob``). The collector
    is paused while a snapshot is built (a fifth of its time went to scans freeing nothing).
    When the build was keyed (``reflekt_dagster.snapcache``), an answer stored by an earlier start
    is sent instead of computed, and a computed one is stored for the next start.
    Pinned Dagster version only.
    """
    if not _pinned():
        return False
    from dagster._core.remote_origin import RemoteRepositoryOrigin
    from dagster._core.remote_representation.external_data import RepositoryErrorSnap
    from dagster._grpc.__generated__ import dagster_api_pb2
    from dagster._grpc.server import DagsterApiServer
    from dagster._serdes import deserialize_value, serialize_value
    from dagster._utils.error import SerializableErrorInfo

    from reflekt_dagster import snapcache

    repository_original = DagsterApiServer._get_serialized_external_repository_data
    if getattr(repository_original, "reflekt_shared", False):
        return True
    job_original = DagsterApiServer.ExternalJob
    # how an error reply begins (its class, under the name Dagster stores it with)
    error_start = serialize_value(RepositoryErrorSnap(error=SerializableErrorInfo("", [], ""))).split(",", 1)[0]

    def repository_of(server, serialized_origin: str):
        try:
            return server._get_repo_for_origin(deserialize_value(serialized_origin, RemoteRepositoryOrigin))
        except Exception:  # noqa: BLE001 - Dagster's own method answers with the error
            return None

    def repository(self, request) -> str:
        repo = repository_of(self, request.serialized_repository_python_origin)
        if repo is None:
            return repository_original(self, request)
        what = ("repository", request.defer_snapshots)

        def compute() -> str:
            stored = _quietly(snapcache.load, repo, what)
            if stored is not None:
                return stored
            text = repository_original(self, request)
            if not text.startswith(error_start):
                _quietly(snapcache.store, repo, what, text)
            return text

        text = _shared(repo, what, compute, keep=lambda text: not text.startswith(error_start))
        with _LOCKS_LOCK:
            warm = request.defer_snapshots and id(repo) not in _WARMING
            if warm:
                _WARMING.add(id(repo))
        if warm:
            threading.Thread(target=warm_jobs, args=(self, repo, request.serialized_repository_python_origin),
                             name="reflekt-warm-job-snapshots", daemon=True).start()
        return text

    def warm_jobs(server, repo, serialized_origin: str) -> None:
        """Ask for each job's snapshot as a client would: Dagster's ``ExternalJob`` answers it once."""
        for job in repo.get_all_jobs():
            external_job(server, dagster_api_pb2.ExternalJobRequest(serialized_repository_origin=serialized_origin,
                                                                    job_name=job.name), None)

    def external_job(self, request, context):
        repo = repository_of(self, request.serialized_repository_origin)
        if repo is None:
            return job_original(self, request, context)
        replies = []

        what = ("job", request.job_name)

        def compute() -> str:
            stored = _quietly(snapcache.load, repo, what)
            if stored is not None:
                return stored
            replies.append(job_original(self, request, context))
            if replies[0].serialized_job_data:
                _quietly(snapcache.store, repo, what, replies[0].serialized_job_data)
            return replies[0].serialized_job_data  # "" in an error reply: not kept

        text = _shared(repo, what, compute, keep=bool)
        return replies[0] if replies else dagster_api_pb2.ExternalJobReply(serialized_job_data=text)

    for wrapper, original in ((repository, repository_original), (external_job, job_original)):
        wrapper.__wrapped__ = original  # type: ignore[attr-defined]
        wrapper.reflekt_shared = True  # type: ignore[attr-defined]
    DagsterApiServer._get_serialized_external_repository_data = repository
    DagsterApiServer.ExternalJob = external_job
    return True


def skip_own_checks_in_job_wiring() -> bool:
    """Take one quadratic step out of Dagster's asset-job wiring (pinned Dagster version only).

    For each input of each multi-asset, ``build_node_deps`` (``asset_job.py``) rebuilds the set of
    the asset keys its checks target, to exempt an input the multi-asset itself checks from
    waiting on other blocking checks. The dbt models' multi-asset has 3,751 inputs and 3,749
    ``dbt_tests`` checks at 5,000 schemas: 14 million steps, 2.8 s of every load, in the code
    server and in each run and step process. Its checks all target its own assets, and an
    input never is one of its own assets (Dagster skips self-dependencies just before), so the
    set can only answer "not checked here". For exactly that read (the caller is
    ``build_node_deps``) of a multi-asset whose checks all target its own assets, the empty
    set gives the same answer at once; every other read of ``check_keys`` is Dagster's own.
    """
    import sys
    import weakref

    if not _pinned():
        return False
    from dagster._core.definitions.assets.definition.assets_definition import AssetsDefinition
    from dagster._core.definitions.assets.job import asset_job

    prop = AssetsDefinition.__dict__["check_keys"]
    if getattr(prop.fget, "reflekt_fast", False):
        return True
    original = prop.fget
    wiring = asset_job.build_node_deps.__code__
    only_own: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
    nothing: frozenset = frozenset()

    def check_keys(self):
        keys = original(self)
        if sys._getframe(1).f_code is not wiring:
            return keys
        own = only_own.get(self)
        if own is None:
            mine = self.keys
            own = only_own[self] = all(key.asset_key in mine for key in keys)
        return nothing if own else keys

    check_keys.__wrapped__ = original  # type: ignore[attr-defined]
    check_keys.reflekt_fast = True  # type: ignore[attr-defined]
    AssetsDefinition.check_keys = property(check_keys, doc=prop.__doc__)
    return True


#: Where Dagster calls ``ensure_requirements_satisfied`` while it builds a code location.
REQUIREMENT_MODULES = ("dagster._core.definitions.resource_requirement", "dagster._core.definitions.job_definition",
                       "dagster._core.definitions.assets.job.asset_job", "dagster._core.definitions.source_asset",
                       # direct invocation of hooks, resources and ops: not a load, but the same function everywhere
                       "dagster._core.definitions.hook_invocation", "dagster._core.definitions.resource_invocation",
                       "dagster._core.execution.context.invocation")


def check_each_resource_requirement_once() -> bool:
    """Check each distinct resource requirement once per call (pinned Dagster version only).

    Every output of every op asks for its IO manager (``OutputManagerRequirement``, key
    ``io_manager``): 60,000 requirements at 5,000 schemas, mostly one per asset check. Dagster
    checks the whole list four times while a code location loads (``with_resources`` on each
    assets definition, the asset job's resources, its required keys, its validation): 240,000
    ``ensure_satisfied`` calls, each importing its expected type anew, about 1 s of every load
    (code server, run and step processes). Whether a requirement of these classes is met depends
    only on its key and its class (the class names the resource type it needs;
    ``ResourceKeyRequirement.ensure_satisfied``, not overridden), so within one call a
    requirement of the same class and key as one already checked has the same answer: it is
    skipped. The first unmet one still raises Dagster's own error, in Dagster's order (an unmet
    requirement is always the first of its class and key). Other classes (a subclass, Dagster's
    partial resource requirements, anyone's own) are checked each time. This holds for the plain
    mappings of resources Dagster passes; a check with side effects would be called fewer times.
    """
    if not _pinned():
        return False
    from dagster._core.definitions import resource_requirement as rr

    current = rr.ensure_requirements_satisfied
    if getattr(current, "reflekt_fast", False):
        return True
    original = current
    generic = rr.ResourceKeyRequirement.ensure_satisfied
    # the classes whose expected type is a constant of the class (Dagster 1.13.27)
    keyed = frozenset(cls for cls in (
        rr.OpDefinitionResourceRequirement, rr.InputManagerRequirement, rr.ExternalAssetIOManagerRequirement,
        rr.SourceAssetIOManagerRequirement, rr.OutputManagerRequirement, rr.HookResourceRequirement,
        rr.TypeResourceRequirement, rr.TypeLoaderResourceRequirement, rr.ResourceDependencyRequirement,
    ) if cls.ensure_satisfied is generic)

    def ensure_requirements_satisfied(resource_defs, requirements) -> None:
        checked = set()
        for requirement in requirements:
            cls = type(requirement)
            if cls in keyed:
                mark = (cls, requirement.key)
                if mark in checked:
                    continue
                checked.add(mark)
            requirement.ensure_satisfied(resource_defs)

    ensure_requirements_satisfied.__wrapped__ = original  # type: ignore[attr-defined]
    ensure_requirements_satisfied.reflekt_fast = True  # type: ignore[attr-defined]
    for name in REQUIREMENT_MODULES:
        module = importlib.import_module(name)
        if module.ensure_requirements_satisfied is original:
            module.ensure_requirements_satisfied = ensure_requirements_satisfied
    return True


#: While a repository builds its asset graph: the graph its builder made, and the ids of its inputs.
_BUILDERS_GRAPH: contextvars.ContextVar = contextvars.ContextVar("reflekt_builders_asset_graph", default=None)
#: While Dagster's repository builder runs, in this thread: ``[ids, inputs, graph]`` of the graph it made.
_BUILDING = threading.local()


def share_repository_asset_graph() -> bool:
    """Build a repository's asset graph once, not twice (pinned Dagster version only).

    Dagster's repository builder (``build_caching_repository_data_from_list``) makes an asset
    graph of the location's assets, checks and source assets for the asset job; the repository's
    ``asset_graph``, read by the snapshot, every run and the automation sensors, makes another
    one from the very same objects: 0.6-0.9 s of CPU each at 5,000 schemas, in the code server's
    snapshot and in each run process. ``AssetGraph.from_assets`` depends only on the objects it
    is given (it normalises them into new objects and indexes those), so the builder's graph is
    kept on the repository data it returns, and when that repository first reads its
    ``asset_graph`` and asks for a graph of exactly the builder's objects (compared by identity,
    each once) the builder's graph is the answer, then forgotten: it lives as long as its
    repository, never reaches another one, and nothing is shared between threads. The
    repository attaches its job nodes to it as Dagster does (``with_job_nodes`` makes a new
    graph over the same nodes). Any other case builds as Dagster does.
    """
    if not _pinned():
        return False
    from dagster._core.definitions.assets.graph.asset_graph import AssetGraph
    from dagster._core.definitions.repository_definition import repository_data_builder, repository_definition
    from dagster._core.definitions.repository_definition.repository_definition import RepositoryDefinition

    if getattr(repository_definition.AssetGraph, "reflekt_shared", False):
        return True

    def identities(assets: list) -> frozenset | None:
        ids = frozenset(map(id, assets))
        return ids if ids and len(ids) == len(assets) else None  # an object given twice: not compared

    class BuilderAssetGraph(AssetGraph):
        reflekt_shared = True

        @classmethod
        def from_assets(cls, assets):
            assets = list(assets)
            graph = AssetGraph.from_assets(assets)
            ids = identities(assets)
            if ids and getattr(_BUILDING, "made", None) == []:  # inside the builder, its first graph
                _BUILDING.made[:] = [ids, tuple(assets), graph]
            return graph

    class RepositoryAssetGraph(AssetGraph):
        reflekt_shared = True

        @classmethod
        def from_assets(cls, assets):
            assets = list(assets)
            built = _BUILDERS_GRAPH.get()
            if built is not None and built[0] == identities(assets):
                return built[2]
            return AssetGraph.from_assets(assets)

    builder = repository_data_builder.build_caching_repository_data_from_list

    def build_caching_repository_data_from_list(*args, **kwargs):
        outer = getattr(_BUILDING, "made", None)
        _BUILDING.made = made = []
        try:
            data = builder(*args, **kwargs)
        finally:
            _BUILDING.made = outer
        if made:
            data.reflekt_builders_asset_graph = made
        return data

    graph_property = RepositoryDefinition.__dict__["asset_graph"]
    repository_graph = graph_property.fget

    def asset_graph(self):
        built = self._repository_data.__dict__.pop("reflekt_builders_asset_graph", None)
        if built is None:
            return repository_graph(self)
        token = _BUILDERS_GRAPH.set(built)
        try:
            return repository_graph(self)
        finally:
            _BUILDERS_GRAPH.reset(token)

    build_caching_repository_data_from_list.__wrapped__ = builder  # type: ignore[attr-defined]
    asset_graph.__wrapped__ = repository_graph  # type: ignore[attr-defined]
    repository_data_builder.build_caching_repository_data_from_list = build_caching_repository_data_from_list
    RepositoryDefinition.asset_graph = property(asset_graph, doc=graph_property.__doc__)
    repository_data_builder.AssetGraph = BuilderAssetGraph
    repository_definition.AssetGraph = RepositoryAssetGraph
    return True
