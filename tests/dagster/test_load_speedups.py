"""Load speed-ups: the fast path in front of Dagster's type resolution answers exactly what Dagster
answers; definitions are built with the garbage collector paused, then frozen."""

from __future__ import annotations

import typing

import dagster
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
