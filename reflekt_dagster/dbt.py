"""The generated dbt package's models in the asset graph; dbt runs through dagster-dbt.

dbt sources map to raw-table assets, and each raw table depends on the event schemas that
describe it, so lineage reads event schema -> raw table -> staging model. Every model also
depends on ``reflekt/dbt_package`` (it must not run before the package is written). Models
carry no automation condition: the schemas sensor's run for a change includes exactly the models
that read the changed schemas (reflekt_dagster.automation, through the raw tables).

Loading reads the *model index* the prepare step writes beside the manifest
(``target/reflekt_models.json``: each model's key inputs, columns, dependencies and test count),
not the manifest, and does not import dagster-dbt or dbt: at 5,000 schemas the manifest is
165 MB and dagster-dbt's ``@dbt_assets`` took most of the load. A model's dbt tests are one
asset check, ``dbt_tests``, whose result lists every test with its status (one check per model
instead of ~8: the asset graph and the UI's snapshot stay small). The run is
``dbt build`` through dagster-dbt's CLI resource, as before; a failing error-severity test fails
the run and the check, naming the test.
"""


import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster import (AssetCheckKey, AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetExecutionContext,
                     AssetKey, AssetSpec, Failure, MaterializeResult,
                     MetadataValue, TableColumn, TableColumnDep, TableColumnLineage, TableSchema, multi_asset)

from reflekt_dagster.package import PackageStore, offline_dbt_cli
from reflekt_dagster.resources import DbtRunResource
from reflekt_dagster.translator import ReflektTranslator

UNPREPARED_HINT = ("the dbt package is not prepared: run `python -m reflekt_dagster.prepare` "
                   "(scripts/demo does), then reload the code location")
#: One check per dbt model: the results of all its dbt tests.
DBT_TESTS_CHECK = "dbt_tests"
GROUP = "dbt_staging"
COLUMN_LINEAGE = "dagster/column_lineage"
UNIQUE_ID = "dbt/unique_id"
#: dbt's argument for one ``--select`` must stay under Linux's 128 KiB per-argument limit.
MAX_SELECT_CHARS = 100_000


# --- the model index: what loading needs of the manifest (pure) ---------------------------------

def _model_key(node: Mapping[str, Any]) -> list[str]:
    """dagster-dbt's default key for a model (its ``meta.dagster.asset_key``, else schema + name)."""
    meta = (node.get("config") or {}).get("meta") or node.get("meta") or {}
    configured = (meta.get("dagster") or {}).get("asset_key")
    if configured:
        return list(configured) if isinstance(configured, list) else [configured]
    if node.get("version"):
        return [node["alias"]]
    schema = (node.get("config") or {}).get("schema")
    return [schema, node["name"]] if schema is not None else [node["name"]]


def model_index(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The models of a parsed dbt manifest as loading needs them: key, fqn, description, table,
    columns, code version, upstream sources and models, and how many dbt tests each has."""
    nodes = manifest.get("nodes") or {}
    tests = tests_by_model(nodes)
    models = []
    for uid, node in sorted(nodes.items()):
        config = node.get("config") or {}
        if node.get("resource_type") != "model" or config.get("materialized") == "ephemeral":
            continue
        parents = (node.get("depends_on") or {}).get("nodes") or []
        code = node.get("raw_code") or node.get("raw_sql") or ""
        models.append({
            "unique_id": uid, "name": node["name"], "key": _model_key(node), "fqn": ".".join(node.get("fqn") or []),
            "description": node.get("description") or "", "path": node.get("original_file_path") or "",
            "table": ".".join(p for p in (node.get("database"), node.get("schema"), node.get("alias")) if p),
            "materialized": config.get("materialized") or "",
            "code_version": hashlib.sha1(code.encode("utf-8")).hexdigest() if code else None,
            "columns": [[name, col.get("data_type") or "?", col.get("description") or ""]
                        for name, col in (node.get("columns") or {}).items()],
            "sources": [[manifest["sources"][p]["source_name"], manifest["sources"][p]["name"]]
                        for p in parents if p in (manifest.get("sources") or {})],
            "models": [p for p in parents if p.startswith("model.")],
            "tests": len(tests.get(uid, ()))})
    return {"adapter": (manifest.get("metadata") or {}).get("adapter_type") or "", "models": models}


def tests_by_model(nodes: Mapping[str, Any]) -> dict[str, list[str]]:
    """The names of each model's dbt tests (model unique_id -> test names), from manifest nodes."""
    found: dict[str, list[str]] = {}
    for node in nodes.values():
        if node.get("resource_type") == "test" and node.get("attached_node"):
            found.setdefault(node["attached_node"], []).append(node["name"])
    return found


# --- column lineage ------------------------------------------------------------------------------

def column_lineage(lineage: Mapping[str, Any], model: str, translator: ReflektTranslator,
                   schema_keys: dict[str, AssetKey] | None = None,
                   raw_key: Callable[[str, str], AssetKey] | None = None) -> TableColumnLineage | None:
    """A staging model's columns back to their raw column and the schema properties they carry
    (reflekt_core.dbt.lineage, written beside the package when it was built). ``schema_keys``
    (schema path -> key) and ``raw_key(source, table)`` are the location's own keys, which
    differ from the translator's plain ones where two names collide."""
    columns = (lineage.get("models") or {}).get(model)
    if not columns:
        return None
    source = lineage.get("source", "")
    keys = schema_keys if schema_keys is not None else {}
    deps = {}
    for name, origin in columns.items():
        found = [TableColumnDep(asset_key=keys.get(rel) or keys.setdefault(rel, translator.schema_path_key(rel)),
                                column_name=path) for rel, path in origin.get("properties") or []]
        if origin.get("raw"):
            table, column = origin["raw"]
            found.append(TableColumnDep(asset_key=(raw_key or translator.raw_table_key)(source, table),
                                        column_name=column))
        if found:
            deps[name] = found
    return TableColumnLineage(deps_by_column=deps) if deps else None


def column_schema(columns: list[list[str]]) -> TableSchema:
    """A model's columns (name, dbt data type or ``?``, description) from the model index."""
    return TableSchema(columns=[TableColumn(name=name, type=kind, description=text or None)
                                for name, kind, text in columns])


# --- specs ---------------------------------------------------------------------------------------

def model_specs(index: Mapping[str, Any], translator: ReflektTranslator,
                raw_key: Callable[[str, str], AssetKey] | None = None) -> tuple[list[AssetSpec], list[AssetCheckSpec]]:
    """One asset spec per model (after the package and its raw tables) and one
    ``dbt_tests`` check per model that has tests.

    Column lineage and the column schema are not part of the definition but of every
    materialisation (``run_dbt``): Dagster's UI reads ``dagster/column_lineage`` from a model's
    latest materialisation only, and takes the columns from there too. At 5,000 schemas building
    the lineage at load cost 3.5 s of CPU, and the models' column schemas were 30 MB of the
    snapshot the webserver fetches (half of it)."""
    adapter = index.get("adapter") or "dbt"
    key_of = {m["unique_id"]: AssetKey(m["key"]) for m in index["models"]}
    package = translator.dbt_package_key()
    specs, checks = [], []
    # Groups the lineage view can draw: past max_group_size models, split by their raw table's name.
    table_of = {m["unique_id"]: m["sources"][0][1] if m["sources"] else m["name"] for m in index["models"]}
    split = translator.group_split(list(table_of.values()))
    for model in index["models"]:
        key = key_of[model["unique_id"]]
        raws = [(raw_key or translator.raw_table_key)(source, table) for source, table in model["sources"]]
        # Not the schemas themselves: lineage reaches them through the raw tables, and the schemas
        # sensor finds a schema's models from the raw tables too (5,000 fewer inputs at 5,000 schemas).
        deps = list(dict.fromkeys([*raws, *(key_of[p] for p in model["models"] if p in key_of), package]))
        metadata: dict[str, Any] = {
            UNIQUE_ID: model["unique_id"], "dagster/storage_kind": adapter,
            "dagster-dbt/materialization_type": model["materialized"]}
        if model["table"]:
            metadata["dagster/table_name"] = model["table"]
        description = model["description"] or f"dbt model {model['name']}"
        suffix = split[table_of[model["unique_id"]]]
        specs.append(AssetSpec(
            key=key, deps=deps, group_name=f"{GROUP}_{suffix}" if suffix else GROUP, kinds={"dbt", adapter},
            code_version=model["code_version"],
            description=f"{description}\n\ndbt model `{model['name']}` ({model['path']}).",
            metadata=metadata, skippable=True))
        if model["tests"]:
            checks.append(AssetCheckSpec(
                name=DBT_TESTS_CHECK, asset=key, blocking=True,
                description=f"The model's {model['tests']} dbt tests, run by `dbt build`: a failing "
                            "error-severity test fails the check (and the run); the result lists every test."))
    return specs, checks


def build_dbt_model_assets(store: PackageStore, profiles_dir: Path | None, translator: ReflektTranslator,
                           raw_schemas: Mapping[AssetKey, list[AssetKey]], automation: bool = True,
                           raw_key: Callable[[str, str], AssetKey] | None = None,
                           schema_keys: Mapping[str, AssetKey] | None = None):
    """The dbt models from the prepared model index, or one asset that fails with a hint when there is none.

    At run time dbt runs in the *current* package version, which ``reflekt/dbt_package`` may have
    moved on since load; models the location has not loaded yet are built but not reported.
    ``automation`` is kept for callers: models carry no condition either way. ``raw_key(source,
    table)`` and ``schema_keys`` (schema path -> key) are the location's collision-free keys.
    """
    index = store.model_index()
    if index is None:
        return _unprepared_asset(translator)
    specs, checks = model_specs(index, translator, raw_key)
    loaded = {AssetKey(m["key"]): m for m in index["models"]}
    manifest = store.manifest()
    if specs and manifest is not None:
        # what dagster-dbt's get_asset_key_for_model, get_asset_key_for_source and build_dbt_asset_selection
        # read from a dbt assets definition: the manifest and the translator, both lazy (reflekt_dagster.dbt_helpers)
        from reflekt_dagster.dbt_helpers import helper_metadata

        key_of = {m["unique_id"]: AssetKey(m["key"]) for m in index["models"]}
        specs[0] = specs[0].merge_attributes(metadata=helper_metadata(
            manifest, store.manifest, key_of, raw_key or translator.raw_table_key))

    # allow_arbitrary_check_specs: every check targets one of these models; Dagster's own check of that is
    # quadratic in the number of assets.
    @multi_asset(name="reflekt_dbt_models", specs=specs, check_specs=checks, can_subset=True,
                 allow_arbitrary_check_specs=True, op_tags={"dagster_dbt/select": "fqn:*"})
    def reflekt_dbt_models(context: AssetExecutionContext, dbt: DbtRunResource):
        current = store.current()
        if current is None or store.manifest() is None:
            raise Failure(description=UNPREPARED_HINT)
        yield from run_dbt(context, current, dbt, loaded, translator, store.lineage() or {}, raw_key, schema_keys)

    return reflekt_dbt_models


def _unprepared_asset(translator: ReflektTranslator):
    @multi_asset(name="reflekt_dbt_models", specs=[AssetSpec(
        key=AssetKey(["reflekt", "dbt_models"]), group_name=GROUP, kinds={"dbt"},
        deps=[translator.dbt_package_key()], description=f"Placeholder: {UNPREPARED_HINT}.")])
    def reflekt_dbt_models():
        raise Failure(description=UNPREPARED_HINT)

    return reflekt_dbt_models


# --- running dbt ---------------------------------------------------------------------------------

def dbt_command(models: Mapping[AssetKey, Mapping[str, Any]], assets: Iterable[AssetKey],
                checked: Iterable[AssetKey], tests_of: Mapping[str, list[str]] | None = None) -> list[str]:
    """``dbt build`` of the selected models, their tests running exactly when their check is selected.

    Everything selected: plain ``dbt build``. Some models: ``--select`` their names, or everything
    ``--exclude`` the others when that is shorter. Checks without their models: ``dbt test``.
    A selected model whose check is not: dbt's indirect selection is turned off and the tests of
    the checked models are selected by name (``tests_of``: model unique_id -> test names).
    """
    assets = [k for k in assets if k in models]
    checked = [k for k in checked if k in models]
    if not assets:
        return ["test", *_select([models[k]["name"] for k in checked])]
    with_tests = {k for k, m in models.items() if m["tests"]}
    unchecked = [k for k in assets if k in with_tests and k not in set(checked)]
    if unchecked:
        names = [models[k]["name"] for k in assets]
        names += [t for k in checked for t in (tests_of or {}).get(models[k]["unique_id"], [])]
        return ["build", "--indirect-selection", "empty", *_select(names)]
    if len(assets) == len(models):
        return ["build"]
    others = [m["name"] for k, m in models.items() if k not in set(assets)]
    if len(others) < len(assets):
        return ["build", "--exclude", " ".join(others)]
    return ["build", *_select([models[k]["name"] for k in assets])]


def _select(names: list[str]) -> list[str]:
    text = " ".join(names)
    if len(text) > MAX_SELECT_CHARS:
        raise Failure(description=f"selection too long for dbt's command line ({len(names)} models and tests): "
                                  "materialise all models, or fewer at a time")
    return ["--select", text]


@dataclass
class DbtTestResult:
    name: str
    status: str
    severity: str
    failures: int | None


def dbt_tests_result(key: AssetKey, results: list[DbtTestResult]) -> AssetCheckResult:
    """One ``dbt_tests`` result: passed when every test passed; ERROR when an error-severity test
    failed or errored, WARN for warnings only; the failing tests are named in its description."""
    bad = sorted((r for r in results if r.status not in ("pass", "success")),
                 key=lambda r: (r.status not in ("fail", "error"), r.name))
    errors = [r for r in bad if r.status in ("fail", "error")]
    counts = {status: sum(1 for r in results if r.status == status) for status in ("pass", "warn", "fail", "error")}
    rows = "\n".join(f"| `{r.name}` | {r.status} | {r.severity} | {'' if r.failures is None else r.failures} |"
                     for r in sorted(results, key=lambda r: (r.status in ("pass", "success"), r.name)))
    description = (f"{len(bad)} of {len(results)} dbt tests did not pass: " + ", ".join(r.name for r in bad)
                   if bad else f"all {len(results)} dbt tests passed")
    return AssetCheckResult(
        asset_key=key, check_name=DBT_TESTS_CHECK, passed=not bad, description=description,
        severity=AssetCheckSeverity.ERROR if errors or not bad else AssetCheckSeverity.WARN,
        metadata={"tests": len(results), **{f"{status}ed" if status == "pass" else status: n
                                            for status, n in counts.items()},
                  "failing": ", ".join(r.name for r in bad) or "-",
                  "results": MetadataValue.md("| test | status | severity | failures |\n|---|---|---|---|\n" + rows),
                  "test_results": MetadataValue.json([r.__dict__ for r in results])})


def run_dbt(context: AssetExecutionContext, current: Path, dbt: DbtRunResource,
            loaded: Mapping[AssetKey, Mapping[str, Any]], translator: ReflektTranslator, lineage: Mapping[str, Any],
            raw_key: Callable[[str, str], AssetKey] | None = None, schema_keys: Mapping[str, AssetKey] | None = None):
    """``dbt build`` (or ``dbt test``) in the current version: a materialisation per model, one
    ``dbt_tests`` result per selected check; a dbt failure is raised after the results."""
    import json

    from dagster import AssetMaterialization
    from dagster_dbt import DagsterDbtTranslator
    from dagster_dbt.errors import DagsterDbtCliRuntimeError

    manifest = json.loads((current / "target" / "manifest.json").read_bytes())
    nodes = manifest["nodes"]
    key_of = {m["unique_id"]: AssetKey(m["key"]) for m in model_index(manifest)["models"]}
    checked = [k.asset_key for k in context.selected_asset_check_keys if k.name == DBT_TESTS_CHECK]
    command = dbt_command(loaded, context.selected_asset_keys, checked, tests_by_model(nodes))

    class KeyTranslator(DagsterDbtTranslator):
        def get_asset_spec(self, manifest, unique_id, project):
            return AssetSpec(key=key_of.get(unique_id) or AssetKey(unique_id.split(".")[-1]))

    key_translator = KeyTranslator()
    cli = offline_dbt_cli(project_dir=str(current), profiles_dir=dbt.profiles_dir, dbt_executable=dbt.dbt_executable)
    wanted_checks = set(context.selected_asset_check_keys)
    results: dict[AssetKey, list[DbtTestResult]] = {}
    known_schemas: dict[str, AssetKey] = dict(schema_keys or {})
    failure = None
    try:
        invocation = cli.cli(command, manifest=manifest, dagster_dbt_translator=key_translator)
        for event in invocation.stream_raw_events():
            uid = event.raw_event["data"].get("node_info", {}).get("unique_id") or ""
            if uid.startswith("test.") and event.is_result_event:
                node = nodes.get(uid, {})
                owner = key_of.get(node.get("attached_node") or "")
                data = event.raw_event["data"]
                status = (data["node_info"].get("node_status") or data.get("status") or "").lower()
                if owner is not None and status != "skipped":
                    results.setdefault(owner, []).append(DbtTestResult(
                        node.get("name", uid), status, str((node.get("config") or {}).get("severity") or "error"),
                        data.get("num_failures")))
                continue
            for out in event.to_default_asset_events(manifest=manifest, dagster_dbt_translator=key_translator,
                                                     target_path=invocation.target_path):
                if not isinstance(out, AssetMaterialization):
                    continue
                if out.asset_key not in context.selected_asset_keys:
                    context.log.info(f"dbt built {out.asset_key.to_user_string()}, which this run did not select "
                                     "(a model the code location has not loaded yet: reload it)")
                    continue
                metadata = dict(out.metadata or {})
                columns = loaded[out.asset_key].get("columns") if out.asset_key in loaded else None
                if columns and "dagster/column_schema" not in metadata:
                    metadata["dagster/column_schema"] = column_schema(columns)
                found = (column_lineage(lineage, out.asset_key.path[-1], translator, known_schemas, raw_key)
                         if lineage else None)
                if found is not None:
                    metadata[COLUMN_LINEAGE] = found
                yield MaterializeResult(asset_key=out.asset_key, metadata=metadata)
    except DagsterDbtCliRuntimeError as exc:
        failure = exc
    for key, found_results in sorted(results.items(), key=lambda item: item[0].path):
        if AssetCheckKey(key, DBT_TESTS_CHECK) in wanted_checks:
            yield dbt_tests_result(key, found_results)
    if failure is not None:
        raise failure
