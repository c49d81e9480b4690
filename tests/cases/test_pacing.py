"""RateLimiter spaces requests (with a fake clock, and for real across threads); Retry-After parsing."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from conformance.cases import RateLimiter, retry_after_seconds


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_first_request_is_free_then_spaced_by_the_interval() -> None:
    clock = FakeClock()
    limiter = RateLimiter(4, clock=clock, sleep=clock.sleep)
    waits = [limiter.acquire() for _ in range(5)]
    assert waits == [0.0, 0.25, 0.25, 0.25, 0.25]
    assert clock.now == pytest.approx(101.0)


def test_idle_time_is_not_banked_into_a_burst() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    clock.now += 10.0  # a long pause
    assert limiter.acquire() == 0.0
    assert limiter.acquire() == pytest.approx(0.5)


def test_hold_pushes_every_later_request_back() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    limiter.hold(3.0)
    assert limiter.acquire() == pytest.approx(3.0)
    assert limiter.acquire() == pytest.approx(0.1)
    limiter.hold(0.0)
    limiter.hold(float("nan"))
    assert limiter.reserve() == pytest.approx(0.1)


@pytest.mark.parametrize("rate", [0, -1, float("inf"), float("nan")])
def test_rate_must_be_positive_and_finite(rate: float) -> None:
    with pytest.raises(ValueError):
        RateLimiter(rate)


def test_threads_share_one_schedule() -> None:
    """Real clock, 4 threads x 3 requests at 50/s: the k-th start comes no earlier than k x 20 ms.

    Sleeping never ends early, so the bound holds however loaded the machine is; a limiter that
    let threads through together (per-thread state, a race on the slot) breaks it.
    """
    limiter = RateLimiter(50)
    starts: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(3):
            limiter.acquire()
            with lock:
                starts.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert not any(t.is_alive() for t in threads)
    assert len(starts) == 12
    starts.sort()
    for k, started in enumerate(starts):
        assert started - t0 >= k * 0.02 - 1e-3, f"start #{k} at {started - t0:.4f} s"
    assert starts[-1] - t0 < 5.0


NOW = datetime(2025, 9, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(("headers", "expected"), [
    ({"Retry-After": "120"}, 120.0),
    ({"retry-after": " 0 "}, 0.0),
    ([("Content-Type", "application/json"), ("RETRY-AFTER", "1.5")], 1.5),
    ({"Retry-After": format_datetime(NOW + timedelta(seconds=30), usegmt=True)}, 30.0),
    ({"Retry-After": "Mon, 01 Sep 2025 12:00:45 GMT"}, 45.0),
    ({"Retry-After": "Monday, 01-Sep-25 12:01:00 GMT"}, 60.0),  # RFC 850 form
    ({"Retry-After": "Mon Sep  1 12:00:10 2025"}, 10.0),  # asctime form, no zone: GMT
    ({"Retry-After": format_datetime(NOW - timedelta(seconds=30), usegmt=True)}, 0.0),  # already past
])
def test_retry_after_values(headers: object, expected: float) -> None:
    assert retry_after_seconds(headers, now=NOW) == pytest.approx(expected)  # type: ignore[arg-type]


@pytest.mark.parametrize("headers", [
    {}, {"Retry-After": ""}, {"Retry-After": "soon"}, {"Retry-After": "-5"}, {"Retry-After": "inf"},
    {"Retry-After": "nan"}, {"X-Retry-After": "5"},
])
def test_retry_after_absent_or_unparseable(headers: dict[str, str]) -> None:
    assert retry_after_seconds(headers, now=NOW) is None


def test_retry_after_date_counts_from_the_current_time_by_default() -> None:
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=100), usegmt=True)
    value = retry_after_seconds({"Retry-After": soon})
    assert value is not None and 95 <= value <= 100
