"""One HTTP client for every registry: timeouts, retries with backoff, rate limits, clear errors.

Retries use urllib3's ``Retry``: exponential backoff with jitter on 429, 5xx and dropped
connections, honouring ``Retry-After``. Tokens live only in request headers; nothing here
logs a header, and error messages quote the API's own message, never the request.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from reflekt_core.errors import RegistryError
from reflekt_core.warehouses.base import require

log = logging.getLogger(__name__)

RETRY_STATUSES = (429, 500, 502, 503, 504)


@dataclass(frozen=True)
class HttpSettings:
    timeout: float = 30.0            # seconds, connect and read
    retries: int = 5
    backoff: float = 0.5             # seconds; doubles each retry, with jitter
    backoff_max: float = 30.0
    min_interval: float = 0.0        # seconds between requests (Avo: one per second)


class HttpClient:
    """A ``requests`` session bound to one API, with the behaviour every registry needs."""

    def __init__(self, name: str, base_url: str, headers: dict[str, str], settings: HttpSettings,
                 auth: Any = None):
        requests = require("requests", "registries", f"The {name} registry")
        adapters = require("requests.adapters", "registries", f"The {name} registry")
        retry_module = require("urllib3.util.retry", "registries", f"The {name} registry")
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.settings = settings
        self._requests = requests
        retry = retry_module.Retry(
            total=settings.retries, connect=settings.retries, read=settings.retries, status=settings.retries,
            backoff_factor=settings.backoff, backoff_max=settings.backoff_max, backoff_jitter=settings.backoff / 2,
            status_forcelist=RETRY_STATUSES, allowed_methods=None, respect_retry_after_header=True,
            raise_on_status=False)
        self.session = requests.Session()
        self.session.mount("http://", adapters.HTTPAdapter(max_retries=retry))
        self.session.mount("https://", adapters.HTTPAdapter(max_retries=retry))
        self.session.headers.update({"User-Agent": "reflekt", **headers})
        self.session.auth = auth
        self._lock = threading.Lock()
        self._last = 0.0

    def _pace(self) -> None:
        if self.settings.min_interval <= 0:
            return
        with self._lock:
            wait = self._last + self.settings.min_interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last = time.monotonic()

    def request(self, method: str, path: str, *, params: Any = None, json: Any = None,
                expected: tuple[int, ...] = (200, 201)) -> Any:
        """Send a request and return the decoded JSON body, or raise :class:`RegistryError`."""
        self._pace()
        url = f"{self.base_url}{path}"
        log.debug("%s %s %s", self.name, method, path)
        try:
            response = self.session.request(method, url, params=params, json=json, timeout=self.settings.timeout)
        except self._requests.exceptions.RetryError as exc:
            raise RegistryError(f"{self.name} API: {method} {path} kept failing after {self.settings.retries} "
                                f"retries ({_reason(exc)})", transient=True,
                                hint="the service is overloaded or rate limiting; try again later") from None
        except self._requests.exceptions.Timeout:
            raise RegistryError(f"{self.name} API: {method} {path} timed out after {self.settings.timeout:g} s "
                                f"({self.settings.retries} retries)", transient=True,
                                hint="check the network, or try again later") from None
        except self._requests.exceptions.ConnectionError as exc:
            if "timed out" in str(exc).lower():
                raise RegistryError(f"{self.name} API: {method} {path} timed out after {self.settings.timeout:g} s "
                                    f"({self.settings.retries} retries)", transient=True,
                                    hint="check the network, or try again later") from None
            raise RegistryError(f"{self.name} API: cannot reach {self.base_url} ({_reason(exc)})", transient=True,
                                hint="check the network and the registry's base URL / region") from None
        if response.status_code in expected:
            if not response.content:
                return {}
            try:
                return response.json()
            except ValueError:
                raise RegistryError(f"{self.name} API: {method} {path} answered with non-JSON content",
                                    status=response.status_code) from None
        raise self._error(method, path, response)

    def _error(self, method: str, path: str, response) -> RegistryError:
        status = response.status_code
        message = api_message(response)
        hints = {401: "check the API token / credentials in the profile",
                 403: "the credentials lack permission for this",
                 404: "check the name or id you selected",
                 409: "the remote state conflicts with this request",
                 422: "the API rejected the request body",
                 429: "rate limited even after retries; try again later"}
        retried = f" (after {self.settings.retries} retries)" if status in RETRY_STATUSES else ""
        return RegistryError(f"{self.name} API: {method} {path} failed with HTTP {status}{retried}: {message}",
                             status=status,
                             transient=status in RETRY_STATUSES,
                             hint=hints.get(status, "see the registry's status page, or try again later"))


def api_message(response) -> str:
    """The API's own error message from a Segment or Avo error body (or the status reason)."""
    try:
        body = response.json()
    except ValueError:
        return (response.text or response.reason or "").strip()[:300]
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors:
            return "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
        for key in ("message", "error"):
            value = body.get(key)
            if isinstance(value, str):
                return value
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return value["message"]
    return str(body)[:300]


def _reason(exc: Exception) -> str:
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    text = str(reason or exc)
    return text.split(": ", 1)[-1][:200] if "Max retries" in text else text[:200]
