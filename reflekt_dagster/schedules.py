"""Scheduled registry pulls, the full-refresh job, and the registry push job (launched by hand only)."""


from collections.abc import Sequence

from dagster import (AssetKey, AssetSelection, Config, DefaultScheduleStatus, Failure, JobDefinition, MetadataValue,
                     OpExecutionContext, Output, ScheduleDefinition, define_asset_job, job, op)

from reflekt_core.errors import ReflektError


def make_registry_pull_schedule(keys: Sequence[AssetKey], cron: str = "0 6 * * *", timezone: str = "UTC",
                                running: bool = False) -> ScheduleDefinition:
    """Pull every configured registry on a cron (default: daily at 06:00 UTC; stopped unless ``running``)."""
    job_def = define_asset_job("reflekt_registry_pull", selection=AssetSelection.assets(*keys),
                               description="Read every configured registry and diff it against the repository.")
    return ScheduleDefinition(name="reflekt_registry_pull_schedule", job=job_def, cron_schedule=cron,
                              execution_timezone=timezone,
                              default_status=DefaultScheduleStatus.RUNNING if running else DefaultScheduleStatus.STOPPED)


def make_full_refresh_job(exclude: AssetSelection | None = None):
    """Every asset (the registry pull assets only read; pushing is a separate job)."""
    selection = AssetSelection.all() - exclude if exclude is not None else AssetSelection.all()
    return define_asset_job("reflekt_full_refresh", selection=selection,
                            description="Lint, catalog, build the dbt package and run dbt: everything, pushes nothing.")


class PushConfig(Config):
    """``dry_run`` is on by default: launch with ``dry_run: false`` to really push."""

    dry_run: bool = True
    delete: bool = False


def make_registry_push_job(registry: str) -> JobDefinition:
    """A job, not an asset: "Materialize all", schedules and automation never push."""
    resource_key = f"registry_{registry}"

    @op(name=f"push_to_{registry}", required_resource_keys={"reflekt", resource_key})
    def push(context: OpExecutionContext, config: PushConfig):
        from reflekt_core.lint.engine import lint_project
        from reflekt_core.registries import make_registry
        from reflekt_core.registries.sync import push_selection

        project = context.resources.reflekt.load()
        settings = getattr(context.resources, resource_key)
        try:
            lint = lint_project(project, [settings.select])
            if not lint.ok:
                raise Failure(description=f"lint found errors in {settings.select}: not pushing to {registry}",
                              metadata={"errors": MetadataValue.md("\n".join(
                                  f"- {v.path}: `{v.code}` {v.message}" for v in lint.violations
                                  if v.level.value == "error"))})
            result, _, _ = push_selection(project, make_registry(settings.entry(), project), settings.select,
                                          delete=config.delete, dry_run=config.dry_run)
        except ReflektError as exc:
            raise Failure(description=str(exc)) from None
        listing = "\n".join([*(f"- create `{n}`" for n in result.created), *(f"- update `{n}`" for n in result.updated),
                             *(f"- delete `{n}`" for n in result.deleted), *(f"- note: {n}" for n in result.notes)])
        return Output(None, metadata={"dry_run": config.dry_run, "summary": result.summary(),
                                      "created": len(result.created), "updated": len(result.updated),
                                      "unchanged": len(result.unchanged), "deleted": len(result.deleted),
                                      "diff": MetadataValue.md(listing or "no difference")})

    @job(name=f"reflekt_push_{registry}", description=(
        f"Push the tracking plan to {registry} (dry run unless launched with dry_run: false); refuses when lint fails."))
    def push_job():
        push()

    return push_job
