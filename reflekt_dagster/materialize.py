"""Materialise the whole Reflekt graph headlessly, in process, and print a summary.

    python -m reflekt_dagster.materialize

Configured like the code location (REFLEKT_PROJECT_DIR, REFLEKT_SOURCE, ...). The run is
recorded in the instance of ``DAGSTER_HOME`` when it is set (so ``dagster dev`` then shows it),
in a throw-away instance otherwise. dbt's own log lines are kept off the terminal unless
``--verbose``. Like "Materialize all", it pushes nothing to any registry. Exit code 0 when every
step succeeded, 1 when a step or a blocking check failed.
"""

from __future__ import annotations

import sys
from collections import Counter


def main() -> int:
    from dagster import DagsterInstance

    from reflekt_dagster.definitions import defs

    import contextlib
    import io
    import os

    definitions = defs()
    instance = DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else DagsterInstance.ephemeral()
    quiet = "--verbose" not in sys.argv[1:]
    with contextlib.redirect_stdout(io.StringIO()) if quiet else contextlib.nullcontext():
        result = definitions.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, raise_on_error=False, tags={"reflekt/launched_by": "reflekt_dagster.materialize"},
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}})
    materialised = [e.asset_key.to_user_string() for e in result.get_asset_materialization_events()]
    checks = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    groups = Counter(key.split("/")[0] if "/" in key else "dbt models" for key in materialised)
    failed_checks = [c for c in checks if not c.passed]
    print("== dagster (in-process materialisation of the whole graph)")
    print(f"assets:  {len(materialised)} materialised ({', '.join(f'{n} {g}' for g, n in sorted(groups.items()))})")
    print(f"checks:  {len(checks)} evaluated, {len(checks) - len(failed_checks)} passed, {len(failed_checks)} failed")
    for check in failed_checks:
        print(f"         - {check.asset_key.to_user_string()}:{check.check_name} "
              f"({check.severity.value.lower()})")
    print(f"run:     {'success' if result.success else 'FAILED'}")
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
