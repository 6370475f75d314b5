"""Ask the Dagster webserver to reload this code location (new schema files, a new dbt manifest).

Opt-in: only when ``REFLEKT_DAGSTER_RELOAD_URL`` names the webserver (``scripts/ui`` sets it
for ``dagster dev``). A deployed code location is reloaded by a deploy instead.
"""

from __future__ import annotations

import logging
import os
from urllib.parse import urlsplit

LOCATION = "reflekt"
RELOAD_TAG = "reflekt/reload"  # on a run that should end with a reload (files added or deleted)
log = logging.getLogger(__name__)


def request_reload() -> str | None:
    """Reload the location named ``REFLEKT_DAGSTER_LOCATION`` (default ``reflekt``); returns its status."""
    url = os.environ.get("REFLEKT_DAGSTER_RELOAD_URL")
    if not url:
        return None
    from dagster_graphql import DagsterGraphQLClient, DagsterGraphQLClientError

    parts = urlsplit(url)
    client = DagsterGraphQLClient(parts.hostname or "127.0.0.1", port_number=parts.port,
                                  use_https=parts.scheme == "https", timeout=60)
    try:
        info = client.reload_repository_location(os.environ.get("REFLEKT_DAGSTER_LOCATION", LOCATION))
    except (DagsterGraphQLClientError, OSError) as exc:
        log.warning("could not reload the code location through %s: %s", url, exc)
        return None
    return info.status.value
