"""Google BigQuery through google-cloud-bigquery (one ``query_and_wait`` per dataset)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from reflekt_core.errors import WarehouseError
from reflekt_core.warehouses.base import check_identifier, require, resolve_path
from reflekt_core.warehouses.catalog import SchemaCatalog, build_schema_catalog
from reflekt_core.warehouses.config import DEFAULT_QUERY_TIMEOUT, seconds
from reflekt_core.warehouses.errors import classify

COLUMNS_SQL = """
select table_name, column_name, data_type, is_nullable, ordinal_position
from `{project}.{dataset}`.INFORMATION_SCHEMA.COLUMNS
order by table_name, ordinal_position
"""
SCOPES = ["https://www.googleapis.com/auth/bigquery"]
_PROJECT = re.compile(r"^[a-z][a-z0-9\-.:]*[a-z0-9]$")
_DATASET = re.compile(r"^[A-Za-z0-9_]+$")


class BigQueryReader:
    def __init__(self, entry: dict[str, Any], base_dir: Path | None = None):
        self.source_id = entry["id"]
        self._bigquery = require("google.cloud.bigquery", "bigquery", "Reading a BigQuery warehouse")
        self._api_exceptions = require("google.api_core.exceptions", "bigquery", "Reading a BigQuery warehouse")
        self.entry = entry
        self.base_dir = base_dir
        self._client = None

    def _credentials(self):
        entry = self.entry
        service_account = require("google.oauth2.service_account", "bigquery", "BigQuery service accounts")
        try:
            if entry.get("keyfile_json"):
                info = entry["keyfile_json"]
                info = json.loads(info) if isinstance(info, str) else info
                return service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
            if entry.get("keyfile"):
                path = resolve_path(entry["keyfile"], self.base_dir)
                return service_account.Credentials.from_service_account_file(str(path), scopes=SCOPES)
        except (ValueError, KeyError, OSError) as exc:
            which = "keyfile_json" if entry.get("keyfile_json") else "keyfile"
            raise WarehouseError(f"cannot load the service account key from {which}: {type(exc).__name__}",
                                 source_id=self.source_id,
                                 hint="use the JSON key file Google Cloud generated for the service account") from None
        google_auth = require("google.auth", "bigquery", "BigQuery application-default credentials")
        try:
            credentials, _ = google_auth.default(scopes=SCOPES)
        except google_auth.exceptions.DefaultCredentialsError:
            raise WarehouseError("no BigQuery credentials", source_id=self.source_id,
                                 hint="set keyfile_json or keyfile in the profile, or run "
                                      "'gcloud auth application-default login'") from None
        return credentials

    def _connect(self):
        if self._client is None:
            options = {"api_endpoint": self.entry["api_endpoint"]} if self.entry.get("api_endpoint") else None
            self._client = self._bigquery.Client(project=self.entry["project"], credentials=self._credentials(),
                                                 location=self.entry.get("location"), client_options=options)
        return self._client

    def _query(self, sql: str):
        timeout = seconds(self.entry, "query_timeout", DEFAULT_QUERY_TIMEOUT)
        return self._connect().query_and_wait(sql, api_timeout=timeout, wait_timeout=timeout)

    def check_connection(self) -> None:
        try:
            list(self._query("select 1"))
        except (self._api_exceptions.GoogleAPIError, OSError) as exc:
            raise classify(exc, self.source_id, "running a test query") from None
        except Exception as exc:  # google-auth raises its own family for token failures
            raise classify(exc, self.source_id, "authenticating") from None

    def read_schema(self, database: str, schema: str) -> SchemaCatalog:
        check_identifier(database, "project", self.source_id, _PROJECT)
        check_identifier(schema, "dataset", self.source_id, _DATASET)
        try:
            rows = [tuple(row.values()) for row in self._query(COLUMNS_SQL.format(project=database, dataset=schema))]
        except self._api_exceptions.NotFound as exc:
            raise WarehouseError(f"dataset '{database}.{schema}' not found: {exc.message}", source_id=self.source_id,
                                 hint="check the project and dataset in --source, and the location") from None
        except (self._api_exceptions.GoogleAPIError, OSError) as exc:
            raise classify(exc, self.source_id, f"reading {database}.{schema}") from None
        except Exception as exc:  # google-auth raises its own family for token failures
            if type(exc).__module__.startswith("google.auth"):
                raise classify(exc, self.source_id, "authenticating") from None
            raise
        return build_schema_catalog(self.source_id, "bigquery", database, schema, rows)

    def read_stats(self, database: str, schema: str, tables: list[tuple[str, bool]]) -> list:
        """None yet: ``max(received_at)`` would bill a column scan of every table (README, Dagster)."""
        return []

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
