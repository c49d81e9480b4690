"""Pacing for paid, rate-limited endpoints: a request-rate limiter and the Retry-After header."""

from __future__ import annotations

import email.utils
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime

__all__ = ["RateLimiter", "retry_after_seconds"]


class RateLimiter:
    """Spaces requests at most `requests_per_second` apart, across threads.

    Each `acquire()` reserves the next free slot under a lock and sleeps outside it, so waiting
    threads do not serialise on the lock. `hold(seconds)` pushes every later slot back, which is
    how a 429's Retry-After pauses all workers, not only the one that saw it.
    """

    def __init__(
        self,
        requests_per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not math.isfinite(requests_per_second) or requests_per_second <= 0:
            raise ValueError(f"requests_per_second must be a positive finite number, got {requests_per_second!r}")
        self.requests_per_second = float(requests_per_second)
        self._interval = 1.0 / self.requests_per_second
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = -math.inf  # the earliest time the next request may start

    def reserve(self) -> float:
        """Take the next slot and return how many seconds to wait for it (0.0 when it is free now)."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self._interval
            return slot - now

    def acquire(self) -> float:
        """Block until this caller may send; returns the seconds waited."""
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)
        return wait

    def hold(self, seconds: float) -> None:
        """Let no request start in the next `seconds` (a Retry-After from the provider)."""
        if not math.isfinite(seconds) or seconds <= 0:
            return
        with self._lock:
            self._next = max(self._next, self._clock() + seconds)


Headers = Mapping[str, str] | Iterable[tuple[str, str]]


def retry_after_seconds(headers: Headers, *, now: datetime | None = None) -> float | None:
    """Seconds to wait according to a Retry-After header (RFC 9110 §10.2.3), or None.

    The value is either delay-seconds (a non-negative integer; a decimal is tolerated) or an
    HTTP-date, which counts from `now` (the current time by default) and gives 0.0 once past.
    A missing, empty or unparseable header gives None.
    """
    items = headers.items() if isinstance(headers, Mapping) else headers
    value = next((v for k, v in items if k.lower() == "retry-after"), None)
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 850 / asctime forms carry no zone; HTTP dates are GMT
        when = when.replace(tzinfo=UTC)
    current = now if now is not None else datetime.now(UTC)
    return max(0.0, (when - current).total_seconds())
