"""The scripted server sends exactly what a script says, records requests, and always stops promptly."""

from __future__ import annotations

import socket
import threading
import time

import httpx
import pytest

from tests.support.scripted_server import Script, ScriptedServer

SSE = [("Content-Type", "text/event-stream")]


def test_chunked_script_delivers_writes_in_order_with_delays() -> None:
    writes = [(0.0, b"data: 1\n\n"), (0.15, b"data: 2\n\n"), (0.0, b""), (0.0, b"data: [DONE]\n\n")]
    with ScriptedServer() as srv, httpx.Client(timeout=5) as client:
        url = srv.add(Script(200, SSE, writes))
        arrivals: list[tuple[float, bytes]] = []
        t0 = time.perf_counter()
        with client.stream("POST", url, content=b"{}") as resp:
            assert resp.status_code == 200
            assert resp.headers["content-type"] == "text/event-stream"
            assert resp.headers["transfer-encoding"] == "chunked"
            assert "content-length" not in resp.headers
            for data in resp.iter_raw():
                arrivals.append((time.perf_counter() - t0, data))
    body = b"".join(d for _, d in arrivals)
    assert body == b"data: 1\n\ndata: 2\n\ndata: [DONE]\n\n"
    first_two = next(t for t, d in arrivals if b"2" in d)
    assert first_two >= 0.14  # the second write waited for its delay


def test_length_framing_sets_content_length() -> None:
    with ScriptedServer() as srv, httpx.Client(timeout=5) as client:
        url = srv.add(Script(200, [("Content-Type", "application/json")], [(0.0, b'{"a":'), (0.05, b"1}")], "length"))
        resp = client.get(url)
    assert resp.headers["content-length"] == "7"
    assert "transfer-encoding" not in resp.headers
    assert resp.json() == {"a": 1}


def test_close_framing_ends_body_at_connection_close() -> None:
    with ScriptedServer() as srv, httpx.Client(timeout=5) as client:
        url = srv.add(Script(200, SSE, [(0.0, b"data: x\n\n"), (0.02, b"data: y\n\n")], "close"))
        resp = client.get(url)
    assert resp.headers["connection"] == "close"
    assert "content-length" not in resp.headers and "transfer-encoding" not in resp.headers
    assert resp.content == b"data: x\n\ndata: y\n\n"


def test_close_framing_can_send_a_broken_chunked_body() -> None:
    # A chunk announced as 0x20 bytes, only 5 sent, then the connection closes.
    headers = [*SSE, ("Transfer-Encoding", "chunked")]
    with ScriptedServer() as srv, httpx.Client(timeout=5) as client:
        url = srv.add(Script(200, headers, [(0.0, b"5\r\nhello\r\n"), (0.0, b"20\r\nworld")], "close"))
        received = b""
        with pytest.raises(httpx.RemoteProtocolError), client.stream("GET", url) as resp:
            for data in resp.iter_raw():
                received += data
    assert received.startswith(b"hello")


def test_requests_are_recorded_as_received_for_any_method_and_suffix() -> None:
    with ScriptedServer() as srv, httpx.Client(timeout=5) as client:
        url = srv.add(Script(201, [("Content-Type", "application/json")], [(0.0, b"{}")], "length"))
        other = srv.add(Script(200, [], [], "length"))
        r1 = client.post(url + "/v1/chat/completions?x=1", content=b'{"stream": true}', headers={"X-Test": "yes"})
        r2 = client.request("PATCH", url, content=b"")
        assert (r1.status_code, r2.status_code) == (201, 201)
        got = srv.requests(url)
        assert srv.requests(other) == []
    assert [(r.method, r.path) for r in got] == [
        ("POST", "/s/1/v1/chat/completions?x=1"),
        ("PATCH", "/s/1"),
    ]
    assert got[0].body == b'{"stream": true}'
    assert got[0].header("x-test") == "yes"
    assert got[1].body == b""


def test_chunked_request_body_is_decoded() -> None:
    with ScriptedServer() as srv, httpx.Client(timeout=5) as client:
        url = srv.add(Script(200, [], [], "length"))
        client.post(url, content=iter([b"ab", b"cd"]))  # an iterator body goes out chunked
        (got,) = srv.requests(url)
    assert got.header("transfer-encoding") == "chunked"
    assert got.body == b"abcd"


def test_unknown_path_gets_404_and_unknown_url_raises() -> None:
    with ScriptedServer() as srv, httpx.Client(timeout=5) as client:
        assert client.get(srv.base_url + "/nothing").status_code == 404
        assert client.get(srv.base_url + "/s/999").status_code == 404
        with pytest.raises(KeyError):
            srv.requests(srv.base_url + "/s/999")


def test_invalid_framing_is_rejected() -> None:
    with pytest.raises(ValueError, match="framing"):
        Script(200, [], [], "gzip")  # type: ignore[arg-type]


def test_header_delay_holds_back_the_status_line() -> None:
    with ScriptedServer() as srv, httpx.Client(timeout=5) as client:
        url = srv.add(Script(200, [], [(0.0, b"x")], "length", header_delay_s=0.2))
        t0 = time.perf_counter()
        resp = client.get(url)
        elapsed = time.perf_counter() - t0
    assert resp.content == b"x"
    assert elapsed >= 0.19


def test_close_interrupts_a_sleeping_script_and_an_idle_keepalive_connection() -> None:
    before = threading.active_count()
    srv = ScriptedServer().__enter__()
    url = srv.add(Script(200, SSE, [(0.0, b"data: 1\n\n"), (60.0, b"data: never\n\n")]))
    idle_url = srv.add(Script(200, [], [(0.0, b"ok")], "length"))
    # A raw keep-alive connection that stays open after its response.
    host, port = srv.base_url.removeprefix("http://").split(":")
    idle = socket.create_connection((host, int(port)), timeout=5)
    idle.sendall(f"GET {idle_url.removeprefix(srv.base_url)} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert idle.recv(4096).startswith(b"HTTP/1.1 200")
    client = httpx.Client(timeout=5)
    errors: list[BaseException] = []
    first = threading.Event()

    def reader() -> None:
        try:
            with client.stream("GET", url) as resp:
                for _ in resp.iter_raw():
                    first.set()
        except httpx.HTTPError as exc:
            errors.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    assert first.wait(5)
    t0 = time.perf_counter()
    srv.close()
    took = time.perf_counter() - t0
    thread.join(5)
    idle.close()
    client.close()
    assert took < 2.0, f"close took {took:.2f}s"
    assert not thread.is_alive()
    assert errors and isinstance(errors[0], httpx.RemoteProtocolError)  # the stream was cut, not completed
    assert threading.active_count() <= before
    with pytest.raises(RuntimeError):
        srv.base_url  # noqa: B018 - the property raises once stopped


def test_raw_framing_sends_only_the_scripted_bytes() -> None:
    raw = b"HTTP/1.1 203 Whatever\r\nX-Raw: 1\r\nContent-Length: 2\r\n\r\nhi"
    with ScriptedServer() as srv, httpx.Client(timeout=5) as client:
        url = srv.add(Script(500, [("X-Ignored", "1")], [(0.0, raw[:10]), (0.05, raw[10:])], "raw"))
        resp = client.get(url)
    assert resp.status_code == 203
    assert resp.headers["x-raw"] == "1" and "x-ignored" not in resp.headers
    assert resp.content == b"hi"
