"""capture() over real loopback HTTP: complete bodies, every bound tripping, transport errors, redaction."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest

from conformance.capture import Bounds, EndReason, Exchange, capture, decode_reads, load_cassette, save_cassette
from tests.support.scripted_server import Script, ScriptedServer

SSE = [("Content-Type", "text/event-stream")]
JSON = [("Content-Type", "application/json")]
FAST = Bounds(connect_s=1.0, ttfb_s=1.0, idle_s=1.0, total_s=3.0)
MS = 1_000_000


@pytest.fixture
def srv() -> Iterator[ScriptedServer]:
    with ScriptedServer() as server:
        yield server


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as c:
        yield c


def run(
    client: httpx.Client, url: str, bounds: Bounds = FAST, *, body: bytes = b'{"stream": true}', **kw: object
) -> tuple[Exchange, float]:
    headers = kw.pop("headers", {"Content-Type": "application/json"})
    t = time.perf_counter()
    exchange = capture(client, method="POST", url=url, headers=headers, body=body, bounds=bounds, **kw)  # type: ignore[arg-type]
    return exchange, time.perf_counter() - t


def watchdogs() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "capture-watchdog")


def test_complete_stream_is_recorded_with_monotonic_timings(srv: ScriptedServer, client: httpx.Client) -> None:
    writes = [(0.0, b'data: {"n":1}\n\n'), (0.05, b'data: {"n":2}\n\n'), (0.05, b"data: [DONE]\n\n")]
    url = srv.add(Script(200, [*SSE, ("X-Request-Id", "abc")], writes))
    exchange, _ = run(client, url + "/v1/chat/completions")
    assert exchange.end is EndReason.EOF and exchange.complete and exchange.end_detail == ""
    assert exchange.status == 200 and exchange.http_version == "HTTP/1.1"
    assert exchange.header("x-request-id") == "abc" and exchange.media_type == "text/event-stream"
    assert exchange.body == b"".join(data for _, data in writes)
    assert len(exchange.reads) == 3  # one socket read per scripted write, given the 50 ms gaps
    times = [r.t_ns for r in exchange.reads]
    assert exchange.t_headers_ns is not None and 0 < exchange.t_headers_ns <= times[0]
    assert times == sorted(times) and times[-1] <= exchange.t_end_ns
    assert times[1] - times[0] >= 40 * MS and times[2] - times[1] >= 40 * MS
    assert [e.data for e in decode_reads(exchange.reads).events] == ['{"n":1}', '{"n":2}', "[DONE]"]
    assert datetime.fromisoformat(exchange.started_at).utcoffset() is not None
    assert exchange.started_at.endswith("Z")
    assert exchange.request.method == "POST" and exchange.request.url == url + "/v1/chat/completions"
    assert exchange.request.body == b'{"stream": true}'
    assert exchange.request.header("accept-encoding") == "identity"
    assert exchange.bounds == FAST
    (received,) = srv.requests(url)
    assert received.body == b'{"stream": true}' and received.path == "/s/1/v1/chat/completions"
    assert received.header("accept-encoding") == "identity"
    assert watchdogs() == 0


def test_non_stream_json_response(srv: ScriptedServer, client: httpx.Client) -> None:
    url = srv.add(Script(200, JSON, [(0.0, b'{"object": "chat.completion", "choices": []}')], "length"))
    exchange, _ = run(client, url, body=b"{}")
    assert exchange.end is EndReason.EOF
    assert exchange.media_type == "application/json"
    assert exchange.header("content-length") == str(len(exchange.body))
    assert exchange.json() == {"object": "chat.completion", "choices": []}


def test_error_status_is_recorded_not_raised(srv: ScriptedServer, client: httpx.Client) -> None:
    url = srv.add(Script(401, JSON, [(0.0, b'{"error": {"message": "bad key"}}')], "length"))
    exchange, _ = run(client, url)
    assert (exchange.status, exchange.end) == (401, EndReason.EOF)
    assert exchange.json()["error"]["message"] == "bad key"


def test_caller_accept_encoding_is_kept(srv: ScriptedServer, client: httpx.Client) -> None:
    url = srv.add(Script(200, JSON, [(0.0, b"{}")], "length"))
    exchange, _ = run(client, url, headers={"Accept-Encoding": "gzip"})
    assert srv.requests(url)[0].header("accept-encoding") == "gzip"
    assert exchange.request.header("accept-encoding") == "gzip"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_connection_refused_is_a_connect_error(client: httpx.Client) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1/chat/completions"
    exchange, took = run(client, url)
    assert exchange.end is EndReason.CONNECT_ERROR and exchange.end.unreachable
    assert "ConnectError" in exchange.end_detail
    assert exchange.status is None and exchange.reads == () and exchange.t_headers_ns is None
    assert exchange.request.url == url
    assert took < 1.0


def test_unsupported_scheme_is_a_connect_error(client: httpx.Client) -> None:
    exchange, _ = run(client, "ftp://127.0.0.1/x")
    assert exchange.end is EndReason.CONNECT_ERROR and "UnsupportedProtocol" in exchange.end_detail


def test_connect_timeout_when_the_listen_queue_is_full(client: httpx.Client) -> None:
    # A listener that never accepts, its queue filled: further SYNs are dropped, connect hangs.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = []
        try:
            for _ in range(3):
                filler = socket.socket()
                filler.setblocking(False)
                fillers.append(filler)
                try:
                    filler.connect(("127.0.0.1", port))
                except BlockingIOError:
                    pass
            time.sleep(0.05)
            bounds = Bounds(connect_s=0.3, ttfb_s=2, idle_s=2, total_s=3)
            exchange, took = run(client, f"http://127.0.0.1:{port}/", bounds)
        finally:
            for filler in fillers:
                filler.close()
    assert exchange.end is EndReason.CONNECT_TIMEOUT and exchange.end.unreachable
    assert "connect_s=0.3 s" in exchange.end_detail
    assert 0.25 < took < 1.5


def test_ttfb_when_no_headers_arrive(srv: ScriptedServer, client: httpx.Client) -> None:
    url = srv.add(Script(200, SSE, [(0.0, b"data: late\n\n")], header_delay_s=30))
    exchange, took = run(client, url, Bounds(connect_s=1, ttfb_s=0.3, idle_s=5, total_s=5))
    assert exchange.end is EndReason.TTFB_TIMEOUT and "ttfb_s=0.3 s" in exchange.end_detail
    assert exchange.status is None and exchange.reads == ()
    assert 0.25 < took < 1.5


def test_ttfb_when_headers_arrive_but_no_body(srv: ScriptedServer, client: httpx.Client) -> None:
    url = srv.add(Script(200, SSE, [(30.0, b"data: late\n\n")]))
    exchange, took = run(client, url, Bounds(connect_s=1, ttfb_s=0.3, idle_s=0.1, total_s=5))
    assert exchange.end is EndReason.TTFB_TIMEOUT  # idle only starts counting after the first body byte
    assert exchange.status == 200 and exchange.reads == ()
    assert 0.25 < took < 1.5


def test_ttfb_cuts_a_response_head_that_drips(srv: ScriptedServer) -> None:
    # Each header line arrives well within the bound; only the watchdog can stop the whole head.
    head = [(0.0, b"HTTP/1.1 200 OK\r\n")] + [(0.05, b"X-Drip: 1\r\n")] * 200
    url = srv.add(Script(writes=head, framing="raw"))
    with httpx.Client() as fresh:  # a fresh connection, whose socket the watchdog can reach
        exchange, took = run(fresh, url, Bounds(connect_s=1, ttfb_s=0.4, idle_s=5, total_s=5))
    assert exchange.end is EndReason.TTFB_TIMEOUT and exchange.status is None
    assert took < 1.5


def test_idle_gap_ends_the_capture_and_keeps_what_arrived(srv: ScriptedServer, client: httpx.Client) -> None:
    url = srv.add(Script(200, SSE, [(0.0, b"data: 1\n\n"), (30.0, b"data: 2\n\n")]))
    # ttfb is long, so the socket backstop (max of idle and ttfb) is long too: the watchdog must act.
    exchange, took = run(client, url, Bounds(connect_s=1, ttfb_s=5, idle_s=0.3, total_s=10))
    assert exchange.end is EndReason.IDLE_TIMEOUT and "idle_s=0.3 s" in exchange.end_detail
    assert exchange.body == b"data: 1\n\n"
    assert 0.25 < took < 1.5
    assert exchange.t_end_ns - exchange.reads[-1].t_ns >= 250 * MS


@pytest.mark.parametrize("framing", ["chunked", "close"])
def test_total_bound_stops_a_server_that_drips_forever(srv: ScriptedServer, client: httpx.Client, framing: str) -> None:
    url = srv.add(Script(200, SSE, [(0.05, b"x")] * 10_000, framing))  # type: ignore[arg-type]
    exchange, took = run(client, url, Bounds(connect_s=1, ttfb_s=1, idle_s=1, total_s=0.6))
    assert exchange.end is EndReason.TOTAL_TIMEOUT and "total_s=0.6 s" in exchange.end_detail
    assert 4 <= len(exchange.reads) <= 13 and set(exchange.body) == {ord("x")}
    assert 0.55 < took < 1.5
    assert 600 * MS <= exchange.t_end_ns < 1500 * MS


def test_max_bytes_keeps_exactly_the_bound(srv: ScriptedServer, client: httpx.Client) -> None:
    url = srv.add(Script(200, SSE, [(0.0, b"a" * 100), (0.02, b"b" * 100), (0.02, b"c" * 100)]))
    exchange, _ = run(client, url, Bounds(max_bytes=150))
    assert exchange.end is EndReason.MAX_BYTES and "max_bytes=150" in exchange.end_detail
    assert exchange.body == b"a" * 100 + b"b" * 50


def test_a_body_of_exactly_max_bytes_is_complete(srv: ScriptedServer, client: httpx.Client) -> None:
    url = srv.add(Script(200, SSE, [(0.0, b"a" * 100), (0.02, b"b" * 50)]))
    exchange, _ = run(client, url, Bounds(max_bytes=150))
    assert exchange.end is EndReason.EOF and len(exchange.body) == 150


def test_max_events_cuts_after_the_last_allowed_event(srv: ScriptedServer, client: httpx.Client) -> None:
    writes = [(0.0, b"data: 1\n\ndata: 2\n\n"), (0.02, b"data: 3\n\ndata: 4\n\n"), (0.02, b"data: [DONE]\n\n")]
    url = srv.add(Script(200, SSE, writes))
    exchange, _ = run(client, url, Bounds(max_events=3))
    assert exchange.end is EndReason.MAX_EVENTS and "max_events=3" in exchange.end_detail
    assert exchange.body == b"data: 1\n\ndata: 2\n\ndata: 3\n\n"
    assert [e.data for e in decode_reads(exchange.reads).events] == ["1", "2", "3"]


def test_max_events_counts_only_event_streams(srv: ScriptedServer, client: httpx.Client) -> None:
    body = b"data: 1\n\ndata: 2\n\ndata: 3\n\n"
    sse_url = srv.add(Script(200, SSE, [(0.0, body)]))
    text_url = srv.add(Script(200, [("Content-Type", "text/plain")], [(0.0, body)]))
    assert run(client, sse_url, Bounds(max_events=3))[0].end is EndReason.EOF  # exactly the bound
    assert run(client, sse_url, Bounds(max_events=2))[0].end is EndReason.MAX_EVENTS
    assert run(client, text_url, Bounds(max_events=2))[0].end is EndReason.EOF


def test_connection_closed_mid_chunk_keeps_the_partial_body(srv: ScriptedServer, client: httpx.Client) -> None:
    raw = [(0.0, b"e\r\ndata: partial\n\r\n"), (0.02, b'40\r\ndata: {"cut": ')]  # 0x40 announced, 14 sent
    url = srv.add(Script(200, [*SSE, ("Transfer-Encoding", "chunked")], raw, "close"))
    exchange, _ = run(client, url)
    assert exchange.end is EndReason.TRANSPORT_ERROR and exchange.status == 200
    assert "RemoteProtocolError" in exchange.end_detail
    assert exchange.body == b'data: partial\ndata: {"cut": '
    # The tail holds the buffered data values, then the raw unfinished line.
    assert decode_reads(exchange.reads).facts.unterminated_tail == 'partial\ndata: {"cut": '


def test_malformed_status_line_is_a_transport_error(srv: ScriptedServer, client: httpx.Client) -> None:
    url = srv.add(Script(writes=[(0.0, b"NOT HTTP AT ALL\r\n\r\n")], framing="raw"))
    exchange, _ = run(client, url)
    assert exchange.end is EndReason.TRANSPORT_ERROR and exchange.status is None


def test_client_is_reusable_after_bounds_trip(srv: ScriptedServer, client: httpx.Client) -> None:
    cut = srv.add(Script(200, SSE, [(0.0, b"a" * 100), (0.0, b"b" * 100)]))
    slow = srv.add(Script(200, SSE, [(0.0, b"data: 1\n\n"), (30.0, b"x")]))
    ok = srv.add(Script(200, SSE, [(0.0, b"data: [DONE]\n\n")]))
    assert run(client, cut, Bounds(max_bytes=10))[0].end is EndReason.MAX_BYTES
    assert run(client, slow, Bounds(idle_s=0.2))[0].end is EndReason.IDLE_TIMEOUT
    for _ in range(3):
        exchange, _ = run(client, ok)
        assert exchange.end is EndReason.EOF and exchange.body == b"data: [DONE]\n\n"
    assert watchdogs() == 0


SECRET = "sk-test-0123456789abcdef"


def test_secrets_never_reach_the_exchange_or_the_cassette(
    srv: ScriptedServer, client: httpx.Client, tmp_path: pytest.TempPathFactory
) -> None:
    # The provider echoes the key, as some do in auth errors.
    echo = f'data: {{"error": {{"message": "Incorrect API key provided: {SECRET}"}}}}\n\n'.encode()
    url = srv.add(Script(200, [*SSE, ("X-Echo", f"key={SECRET}")], [(0.0, echo[:40]), (0.02, echo[40:])]))
    headers = {"Authorization": f"Bearer {SECRET}", "X-Custom": f"k={SECRET}", "api-key": SECRET}
    body = f'{{"model": "m", "user": "{SECRET}"}}'.encode()
    exchange, _ = run(client, url + f"/v1/chat/completions?api_key={SECRET}&x=1", headers=headers, body=body)
    assert exchange.end is EndReason.EOF
    # The server got the real credentials: redaction only touches the record.
    (received,) = srv.requests(url)
    assert received.header("authorization") == f"Bearer {SECRET}" and SECRET.encode() in received.body
    req = exchange.request
    assert req.header("authorization") == "Bearer ***REDACTED***"
    assert req.header("api-key") == "***REDACTED***"
    assert req.header("x-custom") == "k=***REDACTED***"
    assert SECRET not in req.url and "x=1" in req.url
    assert req.json() == {"model": "m", "user": "***REDACTED***"}
    # The response is masked byte for byte, so offsets and read lengths are unchanged.
    assert len(exchange.body) == len(echo) and [len(r.data) for r in exchange.reads] == [40, len(echo) - 40]
    assert b"*" * len(SECRET) in exchange.body and SECRET.encode() not in exchange.body
    assert SECRET not in repr(exchange)
    path = tmp_path / "secret.json"  # type: ignore[operator]
    save_cassette(path, exchange, {"scenario": "redaction"}, raw_body=True)
    for written in (path, path.with_suffix(".body")):
        assert SECRET.encode() not in written.read_bytes()
    loaded, _ = load_cassette(path)
    assert loaded == exchange


def test_explicit_secrets_are_redacted_even_in_plain_headers(srv: ScriptedServer, client: httpx.Client) -> None:
    url = srv.add(Script(200, JSON, [(0.0, b"{}")], "length"))
    exchange, _ = run(client, url, headers={"X-Org": "org-hidden-42"}, secrets=["org-hidden-42"])
    assert exchange.request.header("x-org") == "***REDACTED***"
    assert srv.requests(url)[0].header("x-org") == "org-hidden-42"


def test_redirects_are_recorded_not_followed(srv: ScriptedServer, client: httpx.Client) -> None:
    target = srv.add(Script(200, JSON, [(0.0, b"{}")], "length"))
    url = srv.add(Script(307, [("Location", target)], [], "length"))
    with httpx.Client(follow_redirects=True) as following:
        exchange, _ = run(following, url)
    assert (exchange.status, exchange.header("location"), exchange.end) == (307, target, EndReason.EOF)
    assert srv.requests(target) == []


def test_errors_from_client_event_hooks_do_not_escape(srv: ScriptedServer) -> None:
    url = srv.add(Script(500, JSON, [(0.0, b'{"error": {}}')], "length"))
    with httpx.Client(event_hooks={"response": [lambda r: r.raise_for_status()]}) as hooked:
        exchange, _ = run(hooked, url)
    assert exchange.end is EndReason.TRANSPORT_ERROR and "HTTPStatusError" in exchange.end_detail
    assert watchdogs() == 0
