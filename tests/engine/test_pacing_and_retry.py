"""The engine honours 429 + Retry-After and the configured request rate, over real loopback HTTP."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conformance.engine import ProviderSession, select_invariants
from conformance.providers import ProviderConfig
from conformance.scenarios import scenario_by_id

COMPLETION = {
    "id": "chatcmpl-1", "object": "chat.completion", "created": 1_780_000_000, "model": "deepseek-chat",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello there, nice to meet"},
                 "finish_reason": "stop", "logprobs": None}],
    "usage": {"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14,
              "prompt_cache_hit_tokens": 0, "prompt_cache_miss_tokens": 9},
}


class _RateLimitedThenOk(BaseHTTPRequestHandler):
    """Answers the first `limited` POSTs with 429 + Retry-After, then with one completion."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        server = self.server
        with server.lock:  # type: ignore[attr-defined]
            server.times.append(time.monotonic())  # type: ignore[attr-defined]
            n = len(server.times)  # type: ignore[attr-defined]
        if n <= server.limited:  # type: ignore[attr-defined]
            body = json.dumps({"error": {"message": "slow down", "type": "rate_limit"}}).encode()
            self.send_response(429)
            self.send_header("Retry-After", "1")
        else:
            body = json.dumps(COMPLETION).encode()
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _RateLimitedThenOk)
    srv.daemon_threads = True
    srv.lock = threading.Lock()  # type: ignore[attr-defined]
    srv.times = []  # type: ignore[attr-defined]
    srv.limited = 1  # type: ignore[attr-defined]
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(timeout=5)


def _session(srv: ThreadingHTTPServer, **kw: object) -> ProviderSession:
    host, port = srv.server_address[:2]
    config = ProviderConfig(name="limited", base_url=f"http://{host}:{port}", profile="canonical",
                            concurrency=1, **kw)  # type: ignore[arg-type]
    return ProviderSession(config, invariants=select_invariants(only=["HEAD-006"]),
                           scenarios=[scenario_by_id("nonstream-false"), scenario_by_id("nonstream-omitted")],
                           api_key="sk-test")


def test_429_is_retried_after_the_retry_after_delay(server: ThreadingHTTPServer) -> None:
    with _session(server) as session:
        result = session.run()
    times = server.times  # type: ignore[attr-defined]
    assert len(times) == 3  # one 429, its retry, then the second scenario
    assert times[1] - times[0] >= 0.95  # Retry-After: 1 was honoured
    assert {c.scenario: c.status for c in result.checks} == {"nonstream-false": "pass", "nonstream-omitted": "pass"}
    assert result.requests == 3 and any("HTTP 429; retry 1" in n for n in result.notes)


def test_retries_are_bounded_and_the_last_answer_is_judged(server: ThreadingHTTPServer) -> None:
    server.limited = 100  # type: ignore[attr-defined]
    with _session(server, max_retries=1) as session:
        result = session.run()
    assert len(server.times) == 4  # type: ignore[attr-defined]  # each scenario: one try and one retry
    assert all(c.status == "fail" and "HTTP 429" in c.message for c in result.checks)


def test_rate_limit_spaces_requests(server: ThreadingHTTPServer) -> None:
    server.limited = 0  # type: ignore[attr-defined]
    with _session(server, rate_limit=4.0) as session:
        session.run()
    times = server.times  # type: ignore[attr-defined]
    assert len(times) == 2 and times[1] - times[0] >= 0.2  # 4 requests/s: at least 250 ms apart, with slack
