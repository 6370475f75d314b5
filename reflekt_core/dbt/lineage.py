"""Column lineage of a package plan: each staging column back to its raw column and schema properties (pure)."""

from __future__ import annotations

from typing import Any

from reflekt_core.dbt.plan import PackagePlan

#: The file beside a generated package that carries :func:`column_lineage` (read by the Dagster layer).
LINEAGE_FILE = "reflekt_lineage.json"


def column_lineage(plan: PackagePlan) -> dict[str, Any]:
    """``{"source": <schema>, "models": {model: {column: {"raw": [table, column] | None,
    "properties": [[schema file, property path], ...]}}}}``.

    Literal columns (``call_type``, ``schema_id`` ...) have neither and are left out; a property
    with no warehouse column yet (selected as null) has properties but no raw column.
    """
    models: dict[str, dict[str, Any]] = {}
    for model in plan.models:
        columns = {}
        for column in model.columns:
            if column.literal is not None or not (column.source or column.origins):
                continue
            columns[column.name] = {"raw": [model.table, column.source] if column.source else None,
                                    "properties": [list(o) for o in column.origins]}
        models[model.name] = columns
    return {"source": plan.source_name, "models": models}


__all__ = ["LINEAGE_FILE", "column_lineage"]
