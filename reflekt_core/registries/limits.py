"""Bounds on waiting: a command's total deadline, server-requested waits, pagination loops.

Pure helpers shared by every registry client (Segment, Avo, Iglu): no IO except the clock.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable

from reflekt_core.errors import RegistryError

#: Empty pages that still carry a new cursor, in a row, before a listing is declared broken.
MAX_EMPTY_PAGES = 3


class Deadline:
    """The time a command may spend talking to one service, counted from the first request."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self._clock = clock
        self._start: float | None = None

    def start(self) -> None:
        if self._start is None:
            self._start = self._clock()

    def left(self) -> float:
        self.start()
        return self.seconds - (self._clock() - self._start)


def parse_delay(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` / ``X-RateLimit-Reset`` value, or None when absent or garbage.

    Accepts delta-seconds (RFC 9110 §10.2.3), an HTTP-date / RFC 5322 timestamp (Segment documents
    ``X-RateLimit-Reset`` as one), and epoch seconds (a common variant of reset headers).
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is not None:
        if not math.isfinite(number) or number < 0:
            return None
        if number > 1_000_000_000:  # epoch seconds, not a delay
            current = (now or datetime.now(timezone.utc)).timestamp()
            return max(0.0, number - current)
        return number
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def body_delay(body: Any) -> float | None:
    """Segment's 429 body: ``{"errors": [{"data": {"msBeforeNext": 57647}}]}`` (docs "Rate Limits")."""
    if not isinstance(body, Mapping):
        return None
    waits = []
    for error in body.get("errors") or []:
        data = error.get("data") if isinstance(error, Mapping) else None
        value = data.get("msBeforeNext") if isinstance(data, Mapping) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0:
            waits.append(value / 1000)
    return max(waits) if waits else None


def server_wait(headers: Mapping[str, str], body: Any) -> tuple[float, str] | None:
    """The longest wait the server asked for, and where it said so; None when it said nothing usable."""
    hints = [(parse_delay(headers.get("Retry-After")), "Retry-After"),
             (parse_delay(headers.get("X-RateLimit-Reset")), "X-RateLimit-Reset"),
             (body_delay(body), "msBeforeNext")]
    found = [(wait, source) for wait, source in hints if wait is not None]
    return max(found) if found else None


class CursorGuard:
    """Stops a cursor listing that repeats a cursor or keeps returning empty pages."""

    def __init__(self, what: str, max_empty: int = MAX_EMPTY_PAGES):
        self.what = what
        self.max_empty = max_empty
        self._seen: set[str] = set()
        self._empty = 0

    def next(self, cursor: Any, page_size: int) -> str | None:
        """Check the cursor a page pointed to; return it, or None when the listing is complete."""
        if cursor in (None, ""):
            return None
        if not isinstance(cursor, str):
            raise RegistryError(f"{self.what}: the API returned a cursor that is not a string ({type(cursor).__name__})",
                                hint="the listing cannot be followed; report this to the service")
        if cursor in self._seen:
            raise RegistryError(f"{self.what}: the API returned cursor '{cursor[:40]}' a second time; stopped "
                                f"after {len(self._seen)} pages instead of looping forever",
                                hint="the service's pagination is broken; try again later")
        self._seen.add(cursor)
        self._empty = self._empty + 1 if page_size == 0 else 0
        if self._empty > self.max_empty:
            raise RegistryError(f"{self.what}: the API returned {self._empty} empty pages in a row, each with a new "
                                f"cursor; stopped instead of looping forever",
                                hint="the service's pagination is broken; try again later")
        return cursor
