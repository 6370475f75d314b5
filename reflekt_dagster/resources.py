"""Dagster resources: thin configuration wrappers that hand values to reflekt_core."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from dagster import ConfigurableResource

from reflekt_core.project import Project, load_project


class ReflektResource(ConfigurableResource):
    """The Reflekt project: where it is, and which profile to use."""

    project_dir: str
    profile: Optional[str] = None

    def load(self) -> Project:
        return load_project(Path(self.project_dir))


class RegistryResource(ConfigurableResource):
    """Credentials of one schema registry; pass secrets with ``EnvVar``."""

    type: str                         # segment | avo | iglu
    api_token: Optional[str] = None   # segment
    region: Optional[str] = None
    workspace_id: Optional[str] = None
    service_account_name: Optional[str] = None
    service_account_secret: Optional[str] = None
    base_url: Optional[str] = None
    deadline: Optional[float] = None  # seconds for everything one run sends to the registry (default 300)
    uri: Optional[str] = None         # iglu: a folder (relative to the project), https://, s3://, or a server
    kind: Optional[str] = None        # iglu: static | server
    api_key: Optional[str] = None     # iglu server
    select: str = ""                  # the plan (Segment), branch (Avo) or vendor (Iglu) to sync

    def entry(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump().items() if v not in (None, "") and k != "select"}


class WarehouseResource(ConfigurableResource):
    """Which warehouse schema the CDP loads into (``source_id.database.schema``) and which CDP."""

    source: str
    sdk: str = "segment"


class DbtRunResource(ConfigurableResource):
    """Where dbt finds its profiles and which dbt to run; the project is the current package version."""

    profiles_dir: Optional[str] = None
    dbt_executable: str = "dbt"
