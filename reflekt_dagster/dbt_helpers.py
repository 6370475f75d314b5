"""dagster-dbt's helpers on Reflekt's dbt models, and faster Reflekt equivalents.

A Dagster user who writes assets downstream of the staging models reaches for dagster-dbt's
``get_asset_key_for_model``, ``get_asset_key_for_source``,
``get_asset_keys_by_output_name_for_source`` and ``build_dbt_asset_selection``. They read two
objects from the metadata of the first asset of a ``@dbt_assets`` definition (the parsed
manifest, wrapped, and the dagster-dbt translator) and ``build_dbt_asset_selection`` reads the
op tag ``dagster_dbt/select``. Reflekt's models are built from its model index, not from
``@dbt_assets`` (at 5,000 schemas the manifest is 165 MB and dagster-dbt's import alone costs
about 2 s), so the first model carries both objects *lazily*:

- :class:`LazyManifest` reads the prepared manifest the first time a helper asks for it;
- :class:`ReflektDbtTranslator` answers ``get_asset_spec(manifest, unique_id, project).key``
  with the location's own keys (models from the model index, sources as raw-table keys). It
  is a real ``DagsterDbtTranslator`` once dagster-dbt is imported (the helpers import it):
  ``isinstance`` sees the real class through ``__class__``, the way lazy proxies such as
  Django's ``SimpleLazyObject`` do; loading the location imports neither dagster-dbt nor dbt.

The Reflekt equivalents :func:`model_key` and :func:`source_keys` answer from the asset
specs the location already holds, without reading the manifest: use them at scale.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from dagster import AssetKey, AssetsDefinition, AssetSpec, Definitions

MANIFEST_METADATA = "dagster_dbt/manifest"        # dagster_dbt.asset_utils.DAGSTER_DBT_MANIFEST_METADATA_KEY
TRANSLATOR_METADATA = "dagster_dbt/dagster_dbt_translator"
SELECT_TAG = "dagster_dbt/select"                  # the models' own dbt selection: all of them
MODELS_OP = "reflekt_dbt_models"
UNIQUE_ID = "dbt/unique_id"


class LazyManifest:
    """dagster-dbt's ``DbtManifestWrapper`` for the prepared package: ``manifest`` is read from
    ``path`` on first use (or from ``fallback()`` when that version was pruned since)."""

    def __init__(self, path: Path, fallback: Callable[[], Path | None] | None = None):
        self.path = path
        self._fallback = fallback
        self._manifest: dict | None = None

    @property
    def manifest(self) -> dict:
        if self._manifest is None:
            path = self.path
            if not path.is_file() and self._fallback is not None:
                path = self._fallback() or path
            self._manifest = json.loads(path.read_bytes())
        return self._manifest


def _real_translator_class():
    from dagster_dbt import DagsterDbtTranslator

    class ReflektDbtTranslator(DagsterDbtTranslator):
        """Keys as the Reflekt location has them; no other attribute of a dbt node is translated."""

        def __init__(self, key_of: Mapping[str, AssetKey], raw_key: Callable[[str, str], AssetKey]):
            from dagster_dbt import DagsterDbtTranslatorSettings

            # No checks: Reflekt has one ``dbt_tests`` check per model, not one per dbt test, so
            # dagster-dbt's per-test check keys would name checks that do not exist.
            super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=False))
            self._key_of = key_of
            self._raw_key = raw_key

        def get_asset_spec(self, manifest, unique_id, project):
            return AssetSpec(key=dbt_node_key(manifest, unique_id, self._key_of, self._raw_key))

    return ReflektDbtTranslator


class ReflektDbtTranslator:
    """Stands for the dagster-dbt translator until dagster-dbt is imported, then delegates to it."""

    def __init__(self, key_of: Mapping[str, AssetKey], raw_key: Callable[[str, str], AssetKey]):
        self._key_of = key_of
        self._raw_key = raw_key
        self._real = None

    def _translator(self):
        if self._real is None:
            self._real = _real_translator_class()(self._key_of, self._raw_key)
        return self._real

    def get_asset_spec(self, manifest, unique_id, project=None) -> AssetSpec:
        return AssetSpec(key=dbt_node_key(manifest, unique_id, self._key_of, self._raw_key))

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._translator(), name)

    @property  # type: ignore[misc]
    def __class__(self):
        # Only a caller that imported dagster-dbt asks whether this is a DagsterDbtTranslator.
        if "dagster_dbt.dagster_dbt_translator" in sys.modules:
            return type(self._translator())
        return ReflektDbtTranslator


def dbt_node_key(manifest: Mapping[str, Any], unique_id: str, key_of: Mapping[str, AssetKey],
                 raw_key: Callable[[str, str], AssetKey]) -> AssetKey:
    """The location's key for a dbt model (the model index) or source (its raw table)."""
    if unique_id in key_of:
        return key_of[unique_id]
    source = (manifest.get("sources") or {}).get(unique_id)
    if source is not None:
        return raw_key(source["source_name"], source["name"])
    from reflekt_dagster.dbt import _model_key

    return AssetKey(_model_key((manifest.get("nodes") or {})[unique_id]))


def helper_metadata(manifest: Path, fallback: Callable[[], Path | None], key_of: Mapping[str, AssetKey],
                    raw_key: Callable[[str, str], AssetKey]) -> dict[str, Any]:
    """What dagster-dbt's helpers read from the first asset of a dbt assets definition."""
    return {MANIFEST_METADATA: LazyManifest(manifest, fallback),
            TRANSLATOR_METADATA: ReflektDbtTranslator(key_of, raw_key)}


# --- Reflekt's equivalents: from the asset specs, no manifest ------------------------------------

def _value(value: Any) -> Any:
    """A metadata entry as written (specs may hold it as a ``MetadataValue``)."""
    return getattr(value, "value", value)


def _assets(defs_or_assets: Definitions | Iterable[Any]) -> list[AssetsDefinition]:
    items = defs_or_assets.assets or [] if isinstance(defs_or_assets, Definitions) else defs_or_assets
    return [a for a in items if isinstance(a, AssetsDefinition)]


def dbt_models(defs_or_assets: Definitions | Iterable[Any]) -> AssetsDefinition:
    """The location's dbt models (one multi-asset), to pass to dagster-dbt's helpers:
    ``get_asset_key_for_model([dbt_models(defs)], "stg_segment__tracks")``."""
    for assets_def in _assets(defs_or_assets):
        if assets_def.node_def.name == MODELS_OP:
            return assets_def
    raise KeyError("no Reflekt dbt models in these definitions")


def model_key(defs_or_assets: Definitions | Iterable[Any], model_name: str) -> AssetKey:
    """The asset key of the dbt model ``model_name`` (as ``get_asset_key_for_model``, without
    reading the manifest)."""
    for spec in dbt_models(defs_or_assets).specs:
        unique_id = str(_value(spec.metadata.get(UNIQUE_ID, "")))
        if unique_id.split(".")[-1] == model_name:
            return spec.key
    raise KeyError(f"no dbt model named {model_name!r} in the prepared package")


def source_keys(defs_or_assets: Definitions | Iterable[Any], source_name: str) -> dict[str, AssetKey]:
    """Warehouse table -> asset key of every raw table of the dbt source ``source_name`` (the
    source's schema, as in the generated package's sources), as
    ``get_asset_keys_by_output_name_for_source`` but keyed by table name, without the manifest."""
    found: dict[str, AssetKey] = {}
    for assets_def in _assets(defs_or_assets):
        for spec in assets_def.specs:
            table_name = _value(spec.metadata.get("dagster/table_name"))
            if spec.key.path[:1] != ["raw"] or not isinstance(table_name, str) or table_name.count(".") < 2:
                continue
            _, schema, table = table_name.rsplit(".", 2)
            if schema.lower() == source_name.lower():
                found[table] = spec.key
    if not found:
        raise KeyError(f"no raw tables of a source named {source_name!r}")
    return dict(sorted(found.items()))
