"""One HTTP client for every registry: a total deadline, safe retries, rate limits, clear errors.

Retries are a small loop of our own rather than ``urllib3.Retry``: the wait must come from the
response *body* as well as its headers (Segment's ``data.msBeforeNext``), every wait is bounded
by the command's deadline, and a request that may have reached the server is only resent when
it is idempotent. Tokens live only in request headers; nothing here logs a header, and error
messages quote the API's own message, never the request.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from reflekt_core.errors import RegistryError, UsageError
from reflekt_core.registries.limits import Deadline, server_wait
from reflekt_core.registries.neterrors import describe_connection_error
from reflekt_core.warehouses.base import require

log = logging.getLogger(__name__)

RETRY_STATUSES = (429, 500, 502, 503, 504)
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
DEFAULT_DEADLINE = 300.0


@dataclass(frozen=True)
class HttpSettings:
    timeout: float = 30.0            # seconds, connect and read, per request
    retries: int = 5                 # for 5xx and dropped connections (429 waits are bounded by the deadline)
    backoff: float = 0.5             # seconds; doubles each retry, with jitter
    backoff_max: float = 30.0
    min_interval: float = 0.0        # seconds between requests (Avo: one per second)
    deadline: float = DEFAULT_DEADLINE  # seconds for everything one command sends to this service


def check_base_url(name: str, url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"the {name} registry's base_url '{url}' is not an http:// or https:// URL",
                         hint="use e.g. https://api.segmentapis.com; other schemes (file:, ftp:, ...) are refused")
    return url.rstrip("/")


class HttpClient:
    """A ``requests`` session bound to one API, with the behaviour every registry needs."""

    def __init__(self, name: str, base_url: str, headers: dict[str, str], settings: HttpSettings,
                 auth: Any = None):
        self.base_url = check_base_url(name, base_url)
        self._requests = require("requests", "registries", f"The {name} registry")
        self.name = name
        self.settings = settings
        self.deadline = Deadline(settings.deadline)
        self.session = self._requests.Session()
        self.session.headers.update({"User-Agent": "reflekt", **headers})
        # Proxy and CA-bundle settings from the environment apply; ~/.netrc credentials never do
        # (requests would use them whenever no auth is set, replacing the bearer token).
        self.session.auth = auth or _no_auth
        self._lock = threading.Lock()
        self._last = 0.0

    # --- pacing and waiting ------------------------------------------------------------------
    def _pace(self) -> None:
        if self.settings.min_interval <= 0:
            return
        with self._lock:
            wait = self._last + self.settings.min_interval - time.monotonic()
            if wait > 0:
                self._sleep(wait, "pacing")
            self._last = time.monotonic()

    def _sleep(self, seconds: float, why: str, method: str = "", path: str = "") -> None:
        left = self.deadline.left()
        if seconds > left:
            raise RegistryError(
                f"{self.name} API: {method} {path} would have to wait {seconds:.0f} s ({why}), more than the "
                f"{max(left, 0):.0f} s left of the {self.settings.deadline:g} s deadline".replace("API:  ", "API: "),
                transient=True, hint="try again later, or raise 'deadline' in the registry entry of "
                                     "reflekt_profiles.yml")
        time.sleep(seconds)

    def pause(self, attempt: int) -> None:
        """Back off before a caller's own retry (bounded by the deadline like every wait)."""
        self._sleep(self._backoff(attempt), "backoff")

    def _backoff(self, attempt: int) -> float:
        base = min(self.settings.backoff * (2 ** attempt), self.settings.backoff_max)
        return base + random.uniform(0, self.settings.backoff / 2)

    # --- requests ------------------------------------------------------------------------------
    def request(self, method: str, path: str, *, params: Any = None, json: Any = None,
                expected: tuple[int, ...] = (200, 201), idempotent: bool | None = None, raw: bool = False) -> Any:
        """Send a request and return the decoded JSON body (its bytes with ``raw``), or raise
        :class:`RegistryError`.

        ``idempotent`` (default: by method) says whether the request may be sent again after a
        failure that it may have survived (a 5xx, a dropped connection, a read timeout).
        """
        safe = method in IDEMPOTENT if idempotent is None else idempotent
        url = f"{self.base_url}{path}"
        attempt = 0
        while True:
            self._pace()
            left = self.deadline.left()
            if left <= 0:
                raise RegistryError(f"{self.name} API: {method} {path} not sent: the {self.settings.deadline:g} s "
                                    f"deadline is used up", transient=True,
                                    hint="try again later, or raise 'deadline' in the registry entry")
            log.debug("%s %s %s", self.name, method, path)
            try:
                failure, wait = self._attempt(method, url, path, params, json, min(self.settings.timeout, left),
                                              expected, safe, attempt, raw)
            finally:
                self._last = time.monotonic()  # pace from the end of a request: the server saw it by then
            if isinstance(failure, _Done):
                return failure.value
            if wait is None:
                raise failure
            self._sleep(wait[0], wait[1], method, path)
            attempt += 1

    def _attempt(self, method, url, path, params, json, timeout, expected, safe, attempt, raw=False):
        """One try: ``(_Done(value), None)``, or ``(error, (wait, why) or None when not to retry)``."""
        exceptions = self._requests.exceptions
        retries_left = attempt < self.settings.retries
        try:
            response = self.session.request(method, url, params=params, json=json, timeout=timeout)
        except exceptions.ConnectTimeout:
            error = self._unreachable(method, path, "timed out while connecting")
            return error, ((self._backoff(attempt), "backoff") if retries_left else None)
        except exceptions.Timeout:
            clipped = f", cut short by the {self.settings.deadline:g} s deadline" \
                if timeout < self.settings.timeout else ""
            error = RegistryError(f"{self.name} API: {method} {path} timed out after {timeout:.3g} s "
                                  f"({attempt} retries{clipped})", transient=True,
                                  hint="check the network, or try again later")
            return error, ((self._backoff(attempt), "backoff") if retries_left and safe else None)
        except exceptions.ConnectionError as exc:
            reason, before_sending = describe_connection_error(exc)
            error = self._unreachable(method, path, reason)
            return error, ((self._backoff(attempt), "backoff") if retries_left and (safe or before_sending) else None)
        except exceptions.RequestException as exc:
            raise RegistryError(f"{self.name} API: {method} {path} failed: {type(exc).__name__}") from None
        if response.status_code in expected:
            return _Done(response.content if raw else self._decode(method, path, response)), None
        error = self._error(method, path, response, attempt)
        if response.status_code not in RETRY_STATUSES:
            return error, None
        asked = server_wait(response.headers, _json_or_none(response))
        if response.status_code == 429:  # rejected before any work: always safe, bounded by the deadline
            return error, (asked if asked and asked[0] > 0 else (self._backoff(min(attempt, 10)), "backoff"))
        if not (retries_left and safe):
            return error, None
        return error, (asked if asked else (self._backoff(attempt), "backoff"))

    def _decode(self, method: str, path: str, response) -> Any:
        if not response.content:
            return {}
        try:
            return response.json()
        except ValueError:
            raise RegistryError(f"{self.name} API: {method} {path} answered with non-JSON content",
                                status=response.status_code) from None

    def _unreachable(self, method: str, path: str, reason: str) -> RegistryError:
        parts = urlsplit(self.base_url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return RegistryError(f"{self.name} API: cannot reach {parts.hostname} port {port} ({reason}) "
                             f"for {method} {path}", transient=True,
                             hint="check the network and the registry's base URL / region")

    def _error(self, method: str, path: str, response, attempt: int) -> RegistryError:
        status = response.status_code
        message = api_message(response)
        hints = {401: "check the API token / credentials in the profile",
                 403: "the credentials lack permission for this",
                 404: "check the name or id you selected",
                 409: "the remote state conflicts with this request",
                 422: "the API rejected the request body",
                 429: "rate limited until the deadline; try again later"}
        hint = hints.get(status, "see the registry's status page, or try again later")
        redirected = [urlsplit(r.url).hostname for r in response.history]
        if status == 401 and redirected and urlsplit(response.url).hostname != urlsplit(self.base_url).hostname:
            hint = (f"the API redirected to {urlsplit(response.url).hostname} and the token is not sent across "
                    f"hosts: set 'region' (e.g. region: eu) in the registry entry of reflekt_profiles.yml")
        retried = f" (after {attempt} retries)" if status in RETRY_STATUSES and attempt else ""
        return RegistryError(f"{self.name} API: {method} {path} failed with HTTP {status}{retried}: {message}",
                             status=status, transient=status in RETRY_STATUSES, hint=hint)


def _no_auth(request):
    return request


class _Done:
    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value


def _json_or_none(response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


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
