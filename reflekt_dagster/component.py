"""``ReflektComponent``: the code location as a Dagster Component, configured in YAML.

    # defs/reflekt/defs.yaml
    type: reflekt_dagster.component.ReflektComponent
    attributes:
      project_dir: ../../../../tracking_plan     # relative to this defs.yaml
      sources: [jaffle_shop.warehouse.segment]
      sdk: segment
      dbt_profiles_dir: ../../../../tracking_plan/dbt_profiles
      registries:
        - type: segment
          select: jaffle_shop
          api_token_env: SEGMENT_API_TOKEN
      automation:
        enabled: true
        sensor_interval: 30

It builds exactly what ``build_definitions`` builds; secrets are named by environment
variable, never written in the YAML.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import dagster as dg
from pydantic import BaseModel, Field

from reflekt_dagster.definitions import DagsterOptions, build_definitions
from reflekt_dagster.resources import RegistryResource

# Which credential each registry reads, and from which environment variable by default.
_SECRETS = {"segment": {"api_token": "SEGMENT_API_TOKEN"},
            "avo": {"workspace_id": "AVO_WORKSPACE_ID", "service_account_name": "AVO_SERVICE_ACCOUNT_NAME",
                    "service_account_secret": "AVO_SERVICE_ACCOUNT_SECRET"}}


class RegistryModel(BaseModel):
    type: str = Field(description="segment | avo | iglu")
    select: str = Field("", description="the plan (Segment), branch (Avo) or vendor (Iglu) to sync")
    base_url: Optional[str] = None
    uri: Optional[str] = Field(None, description="iglu: a folder (relative to the project), https://, s3://")
    kind: Optional[str] = Field(None, description="iglu: static | server")
    api_key_env: Optional[str] = None
    api_token_env: Optional[str] = None
    workspace_id_env: Optional[str] = None
    service_account_name_env: Optional[str] = None
    service_account_secret_env: Optional[str] = None

    def resource(self) -> RegistryResource:
        secrets = {field: dg.EnvVar(getattr(self, f"{field}_env") or env)
                   for field, env in _SECRETS.get(self.type, {}).items()}
        if self.api_key_env:
            secrets["api_key"] = dg.EnvVar(self.api_key_env)
        return RegistryResource(type=self.type, select=self.select, base_url=self.base_url, uri=self.uri,
                                kind=self.kind, **secrets)


class AutomationModel(BaseModel):
    enabled: bool = Field(True, description="schemas sensor + automation sensor RUNNING by default")
    sensor_interval: int = 30
    automation_interval: int = 30
    schemas_remote: Optional[str] = Field(None, description="watch this remote's branch instead of the working tree")
    schemas_branch: str = "main"
    pull_cron: str = "0 6 * * *"
    pull_timezone: str = "UTC"
    pull_schedule_running: bool = False


class ReflektComponent(dg.Component, dg.Model, dg.Resolvable):
    """A Reflekt tracking plan: schema assets with lint checks, the dbt package and its models,
    warehouse drift, registry pulls, a push job, and the schemas sensor driving automation."""

    project_dir: str = Field(description="the Reflekt project (reflekt_project.yml), relative to this file")
    sources: list[str] = Field(description="source_id.database.schema; the first feeds the dbt package")
    sdk: str = Field("segment", description="the CDP: segment | rudderstack")
    source_sdks: dict[str, str] = Field(default_factory=dict, description="the CDP of a source that is not `sdk`")
    executor: str = Field("multiprocess", description="the runs' default executor: multiprocess | in_process")
    dbt_profiles_dir: Optional[str] = None
    registries: list[RegistryModel] = Field(default_factory=list)
    automation: AutomationModel = Field(default_factory=AutomationModel)

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        base = Path(context.path)
        base = base if base.is_dir() else base.parent
        auto = self.automation
        return build_definitions(
            (base / self.project_dir).resolve(), self.sources, self.sdk,
            dbt_profiles_dir=(base / self.dbt_profiles_dir).resolve() if self.dbt_profiles_dir else None,
            registries={r.type: r.resource() for r in self.registries}, source_sdks=self.source_sdks,
            options=DagsterOptions(executor=self.executor, automation=auto.enabled, sensor_interval=auto.sensor_interval,
                                   automation_interval=auto.automation_interval,
                                   schemas_remote=auto.schemas_remote, schemas_branch=auto.schemas_branch,
                                   pull_cron=auto.pull_cron, pull_timezone=auto.pull_timezone,
                                   pull_running=auto.pull_schedule_running))
