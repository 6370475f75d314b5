"""Load speed-ups: the fast path in front of Dagster's type resolution answers exactly what Dagster
answers; definitions are built with the garbage collector paused, then frozen."""

from __future__ import annotations

import importlib
import os
import typing

import dagster
import pytest
from dagster import Any as DagsterAny, In, Nothing, Out
from dagster._core.definitions import input as input_module, output as output_module
from dagster._core.types.dagster_type import resolve_dagster_type

from reflekt_dagster import fastpath


def test_it_is_applied_for_the_pinned_dagster_and_answers_as_dagster_does():
    assert fastpath.apply() is (dagster.__version__ == fastpath.PINNED)
    assert fastpath.apply() is (dagster.__version__ == fastpath.PINNED)  # idempotent: one wrapper
    if dagster.__version__ != fastpath.PINNED:
        return
    fast = output_module.resolve_dagster_type
    assert fast is not resolve_dagster_type and fast.__wrapped__ is resolve_dagster_type
    assert input_module.resolve_dagster_type is fast
    for value in (Nothing, DagsterAny, int, str, None, typing.Optional[int], list[str], dict, typing.Any):
        assert fast(value) is resolve_dagster_type(value) or fast(value).key == resolve_dagster_type(value).key, value
    nothing = resolve_dagster_type(Nothing)
    assert Out(Nothing).dagster_type is nothing and In(Nothing).dagster_type is nothing
    assert fast(nothing) is nothing  # the instance: answered first
    assert fast(None) is resolve_dagster_type(None) and Out(None).dagster_type is resolve_dagster_type(None)
    assert Out(int).dagster_type.key == resolve_dagster_type(int).key


def test_definitions_are_built_with_the_collector_paused_and_then_frozen():
    import gc

    from reflekt_dagster.definitions import build_definitions
    from tests.helpers import ROOT

    gc.unfreeze()
    assert gc.isenabled() and gc.get_freeze_count() == 0
    defs = build_definitions(ROOT / "examples" / "jaffle_shop", "jaffle_shop.warehouse.segment")
    assert gc.isenabled()  # restored
    assert gc.get_freeze_count() > 0 and defs.resolve_asset_graph().get_all_asset_keys()
    gc.unfreeze()
    gc.disable()
    try:
        build_definitions(ROOT / "examples" / "jaffle_shop", "jaffle_shop.warehouse.segment")
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()
        gc.unfreeze()


def test_a_later_build_frees_a_dropped_earlier_one(monkeypatch):
    """Frozen objects are never collected: a second build in the same process hands them back to
    the collector first, so garbage cycles left by an earlier build are freed."""
    import gc
    import weakref

    import reflekt_dagster.definitions as definitions
    from tests.helpers import ROOT

    cycles = []
    original = definitions._build_definitions

    def with_a_cycle(*args, **kwargs):  # a garbage cycle made while the collector is paused, as Dagster's are
        class Node:
            pass

        node = Node()
        node.me = node
        cycles.append(weakref.ref(node))
        return original(*args, **kwargs)

    monkeypatch.setattr(definitions, "_build_definitions", with_a_cycle)
    demo = ROOT / "examples" / "jaffle_shop"
    try:
        definitions.build_definitions(demo, "jaffle_shop.warehouse.segment")
        gc.collect()
        assert cycles[0]() is not None  # frozen: a full collection does not free it
        definitions.build_definitions(demo, "jaffle_shop.warehouse.segment")
        assert cycles[0]() is None and cycles[1]() is not None
    finally:
        gc.unfreeze()


def _code_server(project, monkeypatch):
    """A real Dagster gRPC servicer (in this process) loading workspace.yaml's target on ``project``."""
    import logging
    import sys

    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
    from dagster._core.utils import FuturesAwareThreadPoolExecutor
    from dagster._grpc.server import DagsterApiServer

    monkeypatch.setenv("REFLEKT_PROJECT_DIR", str(project))
    monkeypatch.setenv("REFLEKT_DBT_PROFILES_DIR", str(project / "dbt_profiles"))
    import threading

    return DagsterApiServer(
        server_termination_event=threading.Event(), logger=logging.getLogger("test"),
        server_threadpool_executor=FuturesAwareThreadPoolExecutor(max_workers=2),
        loadable_target_origin=LoadableTargetOrigin(executable_path=sys.executable,
                                                    module_name="reflekt_dagster.definitions", attribute="defs"),
        location_name="reflekt")


def test_a_code_server_builds_the_location_once_and_again_after_a_change(demo_project, tmp_path, monkeypatch):
    """Dagster calls the ``@definitions`` loader twice per load; the second call reuses the first build,
    and any change to what it reads (a schema file here) builds again."""
    import shutil

    import reflekt_dagster.definitions as definitions

    project = tmp_path / "jaffle_shop"
    shutil.copytree(demo_project, project, ignore=shutil.ignore_patterns("artifacts", "*.duckdb*", "target"))
    builds = []
    original = definitions.build_definitions

    def counted(*args, **kwargs):
        builds.append(kwargs.get("project_dir") or args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(definitions, "build_definitions", counted)
    server = _code_server(project, monkeypatch)
    assert builds == [str(project)]
    assert "reflekt" not in server._loaded_repositories.definitions_by_name  # the one repository is __repository__
    repo = next(iter(server._loaded_repositories.definitions_by_name.values()))
    keys = repo.asset_graph.get_all_asset_keys()
    _code_server(project, monkeypatch)
    assert len(builds) == 1  # nothing changed: the same Definitions
    (project / "warehouse.duckdb").write_bytes(b"written by a run")  # not read by a build
    _code_server(project, monkeypatch)
    assert len(builds) == 1
    new = project / "schemas" / "jaffle_shop" / "Signed_Up" / "1-0.json"
    new.parent.mkdir(parents=True)
    source = project / "schemas" / "jaffle_shop" / "Cart_Viewed" / "1-0.json"
    new.write_text(source.read_text().replace("Cart_Viewed", "Signed_Up").replace("Cart Viewed", "Signed Up"))
    server = _code_server(project, monkeypatch)
    assert len(builds) == 2
    repo = next(iter(server._loaded_repositories.definitions_by_name.values()))
    added = set(repo.asset_graph.get_all_asset_keys()) - set(keys)
    assert any(k.path[-1].startswith("Signed_Up") for k in added), added
    # rewritten in place, same size, its modification time put back (rsync --inplace -t, a restore): built again
    st = new.stat()
    text = new.read_text()
    changed = text.replace("shopping cart.", "shopping CART.", 1)
    assert changed != text
    new.write_text(changed)
    os.utime(new, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (new.stat().st_ino, new.stat().st_size, new.stat().st_mtime_ns) == (st.st_ino, st.st_size, st.st_mtime_ns)
    server = _code_server(project, monkeypatch)
    assert len(builds) == 3
    repo = next(iter(server._loaded_repositories.definitions_by_name.values()))
    signed_up = next(k for k in repo.asset_graph.get_all_asset_keys() if k.path[-1].startswith("Signed_Up"))
    assert "shopping CART." in (repo.asset_graph.get(signed_up).description or "")


def _origin(server) -> str:
    from dagster._core.remote_origin import GrpcServerCodeLocationOrigin, RemoteRepositoryOrigin
    from dagster._serdes import serialize_value

    (name,) = server._loaded_repositories.definitions_by_name
    return serialize_value(RemoteRepositoryOrigin(
        GrpcServerCodeLocationOrigin(host="localhost", port=1, location_name="reflekt"), name))


def _join_warming():
    import threading

    for thread in threading.enumerate():
        if thread.name == "reflekt-warm-job-snapshots":
            thread.join(120)


def test_a_code_server_snapshots_its_repository_once_for_every_client(demo_project, tmp_path, monkeypatch):
    """The webserver and the daemon ask for the snapshot at the same moment: computed once, the same
    text for both; an error reply is not kept, so the next request computes again."""
    import shutil
    import threading

    from dagster._core.remote_representation.external_data import RepositorySnap
    from dagster._grpc.__generated__ import dagster_api_pb2
    from dagster._serdes import deserialize_value

    if not fastpath.share_repository_snapshots():
        pytest.skip("another Dagster version: snapshots are Dagster's own")
    project = tmp_path / "jaffle_shop"
    shutil.copytree(demo_project, project, ignore=shutil.ignore_patterns("artifacts", "*.duckdb*", "target"))
    server = _code_server(project, monkeypatch)
    request = dagster_api_pb2.ExternalRepositoryRequest(serialized_repository_python_origin=_origin(server),
                                                        defer_snapshots=False)
    calls = []
    original = RepositorySnap.from_def.__func__

    def counted(cls, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the first snapshot fails")
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(RepositorySnap, "from_def", classmethod(counted))
    first = server.ExternalRepository(request, None).serialized_external_repository_data
    assert "the first snapshot fails" in first and len(calls) == 1
    replies = []
    threads = [threading.Thread(target=lambda: replies.append(
        server.ExternalRepository(request, None).serialized_external_repository_data)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 2 and len(replies) == 2 and replies[0] == replies[1]  # the error was not kept
    snap = deserialize_value(replies[0], RepositorySnap)
    assert any(node.asset_key.path[0] == "event_schemas" for node in snap.asset_nodes)
    assert server.ExternalRepository(request, None).serialized_external_repository_data == replies[0]
    assert len(calls) == 2
    # a request Dagster cannot read still gets Dagster's own error reply, not an exception
    bad = dagster_api_pb2.ExternalRepositoryRequest(serialized_repository_python_origin="{not json", defer_snapshots=True)
    assert "ExternalRepositoryErrorData" in server.ExternalRepository(bad, None).serialized_external_repository_data
    bad_job = dagster_api_pb2.ExternalJobRequest(serialized_repository_origin="{not json", job_name="__ASSET_JOB")
    assert server.ExternalJob(bad_job, None).serialized_error


def test_a_code_server_warms_its_job_snapshots_once_the_repository_is_sent(demo_project, tmp_path, monkeypatch):
    """After the repository snapshot (jobs deferred, as the webserver and the daemon ask), the jobs'
    snapshots are computed in the background: the clients' ExternalJob requests that follow compute
    nothing, and get exactly Dagster's own answer."""
    import shutil

    from dagster._core.remote_representation.external_data import JobDataSnap
    from dagster._grpc.__generated__ import dagster_api_pb2
    from dagster._grpc.server import DagsterApiServer

    if not fastpath.share_repository_snapshots():
        pytest.skip("another Dagster version: snapshots are Dagster's own")
    project = tmp_path / "jaffle_shop"
    shutil.copytree(demo_project, project, ignore=shutil.ignore_patterns("artifacts", "*.duckdb*", "target"))
    server = _code_server(project, monkeypatch)
    origin = _origin(server)
    server.ExternalRepository(dagster_api_pb2.ExternalRepositoryRequest(
        serialized_repository_python_origin=origin, defer_snapshots=True), None)
    _join_warming()
    computed = []
    original = JobDataSnap.from_job_def.__func__
    monkeypatch.setattr(JobDataSnap, "from_job_def", classmethod(
        lambda cls, job, **kw: computed.append(job.name) or original(cls, job, **kw)))
    request = dagster_api_pb2.ExternalJobRequest(serialized_repository_origin=origin, job_name="__ASSET_JOB")
    first, second = server.ExternalJob(request, None), server.ExternalJob(request, None)
    assert computed == [] and first.serialized_job_data == second.serialized_job_data  # ready before anyone asked
    dagster_own = DagsterApiServer.ExternalJob.__wrapped__(server, request, None)
    assert computed == ["__ASSET_JOB"] and first.serialized_job_data == dagster_own.serialized_job_data
    missing = dagster_api_pb2.ExternalJobRequest(serialized_repository_origin=origin, job_name="no_such_job")
    error = server.ExternalJob(missing, None)
    assert not error.serialized_job_data and "no_such_job" in error.serialized_error  # Dagster's own error reply


def test_job_wiring_skips_only_what_cannot_change_it(demo_project, monkeypatch):
    """Dagster's asset-job wiring gives exactly the same dependencies with the quadratic step skipped:
    on the demo (blocking lint checks on the schemas, dbt_tests checks on the models, drift
    multi-asset checks on raw tables) and on assets whose checks target another asset."""
    from dagster import AssetCheckSpec, AssetKey, AssetSpec, Definitions, asset_check, multi_asset
    from dagster._core.definitions.assets.definition.assets_definition import AssetsDefinition
    from dagster._core.definitions.assets.job import asset_job

    from reflekt_dagster.definitions import build_definitions
    from reflekt_dagster.prepare import prepare

    if not fastpath.skip_own_checks_in_job_wiring():
        pytest.skip("another Dagster version: the wiring is Dagster's own")
    fast = AssetsDefinition.__dict__["check_keys"]
    assert fast.fget.reflekt_fast and fastpath.skip_own_checks_in_job_wiring()  # idempotent

    @multi_asset(specs=[AssetSpec("a"), AssetSpec("b", deps=["up"])],
                 check_specs=[AssetCheckSpec("own", asset="b", blocking=True),
                              AssetCheckSpec("other", asset="up", blocking=True)], allow_arbitrary_check_specs=True)
    def checks_an_input():
        ...

    @multi_asset(specs=[AssetSpec("up"), AssetSpec("side")], check_specs=[AssetCheckSpec("c", asset="up", blocking=True)])
    def upstream():
        ...

    @asset_check(asset="side", blocking=True)
    def side_check():
        ...

    @multi_asset(specs=[AssetSpec("down", deps=["b", "side"])], check_specs=[AssetCheckSpec("mine", asset="down")])
    def checks_only_itself():  # the skipped read: its inputs still wait on the blocking checks upstream
        ...

    profiles = demo_project / "dbt_profiles"
    prepare(demo_project, "jaffle_shop.warehouse.segment", dbt_profiles_dir=profiles)  # the dbt models' multi-asset
    graphs = [build_definitions(demo_project, "jaffle_shop.warehouse.segment",
                                dbt_profiles_dir=profiles).resolve_asset_graph(),
              Definitions(assets=[checks_an_input, upstream, checks_only_itself],
                          asset_checks=[side_check]).resolve_asset_graph()]
    for graph in graphs:
        skipped = asset_job.build_node_deps(graph)[0]
        monkeypatch.setattr(AssetsDefinition, "check_keys", property(fast.fget.__wrapped__))
        dagsters = asset_job.build_node_deps(graph)[0]
        monkeypatch.setattr(AssetsDefinition, "check_keys", fast)
        assert skipped == dagsters
    down = next(deps for node, deps in skipped.items() if node.name == "checks_only_itself")
    assert {name: type(d).__name__ for name, d in down.items()} == {
        "b": "BlockingAssetChecksDependencyDefinition", "side": "BlockingAssetChecksDependencyDefinition"}
    model = next(a for a in graphs[0].assets_defs if AssetKey(["stg_segment__order_completed"]) in a.keys)
    assert model.check_keys and all(k.asset_key in model.keys for k in model.check_keys)  # read elsewhere: whole


def test_resource_requirements_are_checked_once_each_with_dagsters_errors(demo_project, monkeypatch):
    """Within one call, each requirement of a keyed class is checked once per key; an unmet one raises
    Dagster's own error, the same one as without the fast path; the demo location loads."""
    from dagster import IOManager, ResourceDefinition, io_manager
    from dagster._core.definitions import job_definition, resource_requirement as rr
    from dagster._core.errors import DagsterInvalidDefinitionError

    from reflekt_dagster.definitions import build_definitions

    if not fastpath.check_each_resource_requirement_once():
        pytest.skip("another Dagster version: the checks are Dagster's own")
    fast = rr.ensure_requirements_satisfied
    assert fast.reflekt_fast and fastpath.check_each_resource_requirement_once()  # idempotent
    assert all(importlib.import_module(name).ensure_requirements_satisfied is fast
               for name in fastpath.REQUIREMENT_MODULES)
    dagsters = fast.__wrapped__

    @io_manager
    def an_io_manager():
        return IOManager()

    def out(name):
        return rr.OutputManagerRequirement(key="io_manager", node_description="op 'x'", output_name=name)

    calls = []
    generic = rr.ResourceKeyRequirement.ensure_satisfied
    monkeypatch.setattr(rr.ResourceKeyRequirement, "ensure_satisfied",
                        lambda self, defs: (calls.append((type(self).__name__, self.key)), generic(self, defs))[1])
    met = [out(f"o{i}") for i in range(50)] + [
        rr.OpDefinitionResourceRequirement(key="reflekt", node_description="op 'x'"),
        rr.OpDefinitionResourceRequirement(key="reflekt", node_description="op 'y'")]
    resources = {"io_manager": an_io_manager, "reflekt": ResourceDefinition.hardcoded_resource(1)}
    assert fast(resources, met) is None
    assert calls == [("OutputManagerRequirement", "io_manager"), ("OpDefinitionResourceRequirement", "reflekt")]

    calls.clear()  # one key, two classes: each is checked (a plain resource at "x" meets the first only)
    same_key = [rr.OpDefinitionResourceRequirement(key="x", node_description="op 'x'"),
                rr.OutputManagerRequirement(key="x", node_description="op 'x'", output_name="o")]
    with pytest.raises(DagsterInvalidDefinitionError, match="io manager with key 'x'"):
        fast({"x": ResourceDefinition.hardcoded_resource(1)}, same_key)
    assert calls == [("OpDefinitionResourceRequirement", "x"), ("OutputManagerRequirement", "x")]

    class Counted(rr.ResourceRequirement):  # not one of Dagster's keyed classes: checked every time
        key = "io_manager"
        seen = []

        def is_satisfied(self, resource_defs):
            return True

        def ensure_satisfied(self, resource_defs):
            self.seen.append(self)

    assert fast(resources, [Counted(), Counted(), Counted()]) is None and len(Counted.seen) == 3

    unmet_cases = [
        (resources | {"io_manager": ResourceDefinition.hardcoded_resource(1)}, met),  # not an IO manager
        ({"io_manager": an_io_manager}, met),  # "reflekt" missing
        (resources, [*met, rr.OutputManagerRequirement(key="other_io", node_description="op 'z'", output_name="r")]),
        ({"x": ResourceDefinition.hardcoded_resource(1)}, same_key),
    ]
    for defs, requirements in unmet_cases:
        errors = []
        for check in (fast, dagsters):
            with pytest.raises(DagsterInvalidDefinitionError) as raised:
                check(defs, requirements)
            errors.append(str(raised.value))
        assert errors[0] == errors[1] and errors[0]

    calls.clear()
    build_definitions(demo_project, "jaffle_shop.warehouse.segment").get_repository_def().get_all_jobs()
    assert calls and job_definition.ensure_requirements_satisfied is fast
    assert len(calls) < 10 * len(set(calls))  # the demo's thousands of outputs: a few checks per key and call


def test_the_repository_reuses_the_builders_asset_graph_and_snapshots_the_same(demo_project, monkeypatch):
    """The repository's asset graph is the builder's (one build, not two), and the repository's
    snapshot, which reads it, is exactly Dagster's own: on the demo and on a location with source
    assets, a keyless multi-asset check and a dependency on an undefined key."""
    from dagster import (AssetCheckResult, AssetCheckSpec, AssetKey, AssetSpec, Definitions, SourceAsset, asset,
                         asset_check, multi_asset_check)
    from dagster._core.definitions.assets.graph.asset_graph import AssetGraph
    from dagster._core.definitions.repository_definition import repository_data_builder, repository_definition
    from dagster._core.remote_representation.external_data import RepositorySnap
    from dagster._serdes import serialize_value

    from reflekt_dagster.definitions import build_definitions
    from reflekt_dagster.prepare import prepare

    if not fastpath.share_repository_asset_graph():
        pytest.skip("another Dagster version: the graphs are Dagster's own")
    shared = (repository_data_builder.AssetGraph, repository_definition.AssetGraph)
    assert all(cls.reflekt_shared for cls in shared) and fastpath.share_repository_asset_graph()  # idempotent

    profiles = demo_project / "dbt_profiles"
    prepare(demo_project, "jaffle_shop.warehouse.segment", dbt_profiles_dir=profiles)

    def synthetic() -> Definitions:
        @asset(deps=[AssetKey("undefined_upstream"), AssetKey("source_table")])
        def model():
            ...

        @asset_check(asset=model, blocking=True)
        def model_check():
            return AssetCheckResult(passed=True)

        @multi_asset_check(specs=[AssetCheckSpec("drift", asset="source_table"), AssetCheckSpec("drift", asset="model")])
        def keyless():
            ...

        return Definitions(assets=[model, SourceAsset("source_table"), AssetSpec("external", deps=[model])],
                           asset_checks=[model_check, keyless])

    builds = {"demo": lambda: build_definitions(demo_project, "jaffle_shop.warehouse.segment",
                                                dbt_profiles_dir=profiles), "synthetic": synthetic}
    real = AssetGraph.from_assets.__func__

    def count_graph_builds(calls: list) -> None:
        monkeypatch.setattr(AssetGraph, "from_assets", classmethod(lambda cls, a: (calls.append(1), real(cls, a))[1]))

    for name, build in builds.items():
        calls = []
        count_graph_builds(calls)
        repo = build().get_repository_def()
        fast = serialize_value(RepositorySnap.from_def(repo, defer_snapshots=True))
        assert len(calls) == 1 and repo.asset_graph.get_all_asset_keys(), name  # one build, the builder's
        assert repo.asset_graph is repo.asset_graph  # Dagster's own cache still answers

        monkeypatch.setattr(repository_data_builder, "AssetGraph", AssetGraph)
        monkeypatch.setattr(repository_definition, "AssetGraph", AssetGraph)
        monkeypatch.setattr(fastpath, "share_repository_asset_graph", lambda: False)  # a build would put it back
        calls.clear()
        repo = build().get_repository_def()
        dagsters = serialize_value(RepositorySnap.from_def(repo, defer_snapshots=True))
        assert len(calls) == 2, name  # Dagster's own: the builder's and the repository's
        assert fast == dagsters, name
        monkeypatch.undo()
        assert repository_definition.AssetGraph is shared[1] and repository_data_builder.AssetGraph is shared[0]

    # two repositories built before either reads its graph: each gets its own builder's graph, once
    calls = []
    count_graph_builds(calls)
    first = synthetic().get_repository_def()
    second = build_definitions(demo_project, "jaffle_shop.warehouse.segment",
                               dbt_profiles_dir=profiles).get_repository_def()
    assert len(calls) == 2
    first_keys = set(first.asset_graph.get_all_asset_keys())
    assert AssetKey("model") in first_keys and not first_keys & set(second.asset_graph.get_all_asset_keys())
    assert len(calls) == 2 and first.asset_graph is not second.asset_graph
    assert "reflekt_builders_asset_graph" not in vars(first._repository_data)  # forgotten once used


def test_a_repositorys_shared_asset_graph_is_its_own_in_every_thread(demo_project):
    """Repositories built in threads at once each read their own builder's graph."""
    import threading

    from dagster import Definitions, asset

    if not fastpath.share_repository_asset_graph():
        pytest.skip("another Dagster version: the graphs are Dagster's own")
    results, errors = {}, []

    def build(n: int) -> None:
        try:
            @asset(name=f"only_in_{n}")
            def one():
                ...

            repo = Definitions(assets=[one]).get_repository_def()
            results[n] = {key.to_user_string() for key in repo.asset_graph.get_all_asset_keys()}
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=build, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors and results == {n: {f"only_in_{n}"} for n in range(8)}
