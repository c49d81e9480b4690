"""Timing controls are observable (generous lower bounds only) and stop() is prompt."""

from __future__ import annotations

import itertools
import threading
import time

import httpx
import pytest

from conformance.reference import FaultSettings, ReferenceServer, Timing

from ._client import KEY, body_for, call

CHAT = "/v1/chat/completions"


def _client() -> httpx.Client:
    return httpx.Client(timeout=httpx.Timeout(20.0), headers={"Authorization": f"Bearer {KEY}"})


def test_ttft_and_token_gap_are_observed() -> None:
    with ReferenceServer(api_key=KEY, timing=Timing(ttft_s=0.05, token_gap_s=0.02)) as srv, _client() as c:
        got = call(c, srv.base_url + CHAT, body_for(stream=True))
    assert got.status == 200
    events = got.decoded.events
    # Lower bounds only: the server cannot send an event earlier than its schedule, whereas a busy
    # client may read late and see two events together, so per-gap checks would be flaky.
    assert events[0].t_ns / 1e9 >= 0.045  # TTFT 50 ms
    for k in range(1, min(7, len(events) - 1)):
        assert events[k].t_ns / 1e9 >= 0.045 + k * 0.018, (k, events[k].t_ns)  # token gap 20 ms


def test_nonstream_waits_for_the_whole_generation() -> None:
    with ReferenceServer(api_key=KEY, timing=Timing(ttft_s=0.05, token_gap_s=0.01)) as srv, _client() as c:
        started = time.perf_counter()
        got = call(c, srv.base_url + CHAT, body_for())
        elapsed = time.perf_counter() - started
    assert got.status == 200
    tokens = got.json()["usage"]["completion_tokens"]
    assert elapsed >= 0.05 + 0.01 * (tokens - 1) - 0.01


def test_jitter_is_seeded() -> None:
    timing = Timing(token_gap_s=0.01, jitter_s=0.05, seed=3)
    first_rng, second_rng = timing.rng(), timing.rng()
    first = [timing.jittered(0.01, first_rng) for _ in range(5)]
    assert first == [timing.jittered(0.01, second_rng) for _ in range(5)]  # same seed, same delays
    assert all(0.01 <= d <= 0.06 for d in first) and len(set(first)) > 1
    other = Timing(jitter_s=0.05, seed=4)
    other_rng = other.rng()
    assert [other.jittered(0.01, other_rng) for _ in range(5)] != first


def test_keepalive_comments_fill_waits() -> None:
    timing = Timing(ttft_s=0.25, keepalive_every_s=0.05)
    with ReferenceServer(api_key=KEY, timing=timing) as srv, _client() as c:
        streamed = call(c, srv.base_url + CHAT, body_for(stream=True))
        plain = call(c, srv.base_url + CHAT, body_for())
    facts = streamed.decoded.facts
    # Counts depend on thread scheduling; the first keep-alive is sent at once, so presence is certain.
    assert facts.comment_lines >= 1
    assert all(s.startswith(": keep-alive") for s in facts.comment_samples)
    assert streamed.data[-1] == "[DONE]"
    assert plain.body.startswith(b"\n")  # DeepSeek: empty lines before a non-stream body
    assert plain.json()["object"] == "chat.completion"


def test_timing_rejects_negative_values() -> None:
    with pytest.raises(ValueError):
        Timing(ttft_s=-1)
    with pytest.raises(ValueError):
        Timing(keepalive_every_s=0)


def test_stop_is_prompt_with_a_stream_in_flight() -> None:
    srv = ReferenceServer(api_key=KEY, timing=Timing(ttft_s=0.0, token_gap_s=5.0))
    srv.start()
    outcome: dict[str, object] = {}

    def reader() -> None:
        with _client() as c:
            outcome["got"] = call(c, srv.base_url + CHAT, body_for(stream=True))

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    time.sleep(0.3)  # the first token is out; the server now sleeps 5 s before the next
    started = time.perf_counter()
    srv.stop()
    assert time.perf_counter() - started < 2.0
    thread.join(5.0)
    assert not thread.is_alive()
    got = outcome["got"]
    assert got.status == 200  # type: ignore[attr-defined]
    assert got.transport_error is not None  # type: ignore[attr-defined] # the body was cut, not completed
    with pytest.raises(httpx.ConnectError), httpx.Client(timeout=2) as c:
        c.get(srv.base_url + "/v1/models")


def test_stall_is_bounded_and_interruptible() -> None:
    assert FaultSettings(stall_s=1000).bounded().stall_s == 30.0
    with ReferenceServer(api_key=KEY, fault="stall", fault_settings=FaultSettings(stall_s=0.4)) as srv, _client() as c:
        got = call(c, srv.base_url + CHAT, body_for(stream=True))
    gaps = [b - a for a, b in itertools.pairwise(got.read_times)]
    assert max(gaps) >= 0.35
    assert got.data[-1] == "[DONE]"  # the stream resumes after the stall


def test_restart_after_stop() -> None:
    srv = ReferenceServer(api_key=KEY)
    with srv, _client() as c:
        assert call(c, srv.base_url + CHAT, body_for()).status == 200
    srv.port = 0
    with srv, _client() as c:
        assert call(c, srv.base_url + CHAT, body_for()).status == 200
