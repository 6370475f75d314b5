"""Scheduled registry pulls and the full-refresh job."""

from __future__ import annotations

from collections.abc import Sequence

from dagster import AssetKey, AssetSelection, ScheduleDefinition, define_asset_job


def make_registry_pull_schedule(keys: Sequence[AssetKey], cron: str = "0 6 * * *") -> ScheduleDefinition:
    """Pull every configured registry on a cron (default: daily at 06:00)."""
    job = define_asset_job("reflekt_registry_pull", selection=AssetSelection.assets(*keys),
                           description="Read every configured registry and diff it against the repository.")
    return ScheduleDefinition(name="reflekt_registry_pull_schedule", job=job, cron_schedule=cron)


def make_full_refresh_job():
    return define_asset_job("reflekt_full_refresh", selection=AssetSelection.all(),
                            description="Lint, catalog, build the dbt package and run dbt: everything.")
