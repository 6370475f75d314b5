"""The fast path in front of Dagster's type resolution answers exactly what Dagster answers."""

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
