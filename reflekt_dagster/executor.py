"""The code location's executor: Dagster's multiprocess-or-in-process executor, with a chosen default.

A run picks the other one in its run config (``execution: {config: {multiprocess: {}}}`` or
``{in_process: {}}``), as with Dagster's own default executor; only the default differs.
"""

from __future__ import annotations

from dagster import ExecutorDefinition, Field, Permissive, Selector, multi_or_in_process_executor

EXECUTORS = ("multiprocess", "in_process")


def make_executor(default: str = "multiprocess") -> ExecutorDefinition:
    """``multi_or_in_process`` whose runs use ``default`` unless their run config says otherwise."""
    if default not in EXECUTORS:
        from reflekt_core.errors import UsageError

        raise UsageError(f"unknown executor '{default}'; use one of: {', '.join(EXECUTORS)}",
                         hint="set REFLEKT_DAGSTER_EXECUTOR to multiprocess or in_process")
    choices = {name: Field(Permissive(), is_required=False, default_value={}) for name in EXECUTORS}
    return multi_or_in_process_executor.configured(
        lambda config: config, name="multi_or_in_process",
        config_schema=Field(Selector(choices), is_required=False, default_value={default: {}}))
