"""A loopback HTTP server that answers each URL with a scripted response, byte by byte, on a timetable.

Tests use it to reproduce exactly what a provider sends on the wire: status, headers, every write
and the delay before it, and how the body is delimited (chunked, connection close, or
Content-Length). Nothing is mocked: clients talk real HTTP/1.1 over 127.0.0.1.

    with ScriptedServer() as srv:
        url = srv.add(Script(200, [("Content-Type", "text/event-stream")],
                             writes=[(0.0, b"data: {}\\n\\n"), (0.01, b"data: [DONE]\\n\\n")]))
        ...  # any method, and any path below `url`, gets this script
        srv.requests(url)  # what arrived, as received

Every delay is an interruptible wait, so leaving the `with` block stops the server promptly even
while a script is sleeping or a client holds a keep-alive connection open.

`framing="close"` writes the status line, the script's headers and the bytes verbatim, then closes
the connection; with a `Transfer-Encoding: chunked` header in the script this produces broken or
truncated chunked bodies (a chunk announced longer than what is sent, a missing last chunk).
`framing="raw"` writes nothing but the scripted bytes (no status line, no headers; `status` and
`headers` are ignored), then closes: for malformed or slowly dripped response heads.
"""

from __future__ import annotations

import http
import itertools
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Literal
from urllib.parse import urlsplit

__all__ = ["ReceivedRequest", "Script", "ScriptedServer"]

Framing = Literal["chunked", "close", "length", "raw"]
_FRAMINGS = ("chunked", "close", "length", "raw")
_PREFIX = "/s/"


@dataclass(frozen=True)
class Script:
    """One scripted response: status, headers, then each `(delay_s, bytes)` write in order.

    `header_delay_s` delays the status line and headers themselves (a server that accepts the
    connection and says nothing). Framing headers (Transfer-Encoding, Content-Length, Connection)
    are added for the chosen framing unless the script already sets them.
    """

    status: int = 200
    headers: Sequence[tuple[str, str]] = ()
    writes: Sequence[tuple[float, bytes]] = ()
    framing: Framing = "chunked"
    header_delay_s: float = 0.0

    def __post_init__(self) -> None:
        if self.framing not in _FRAMINGS:
            raise ValueError(f"framing must be one of {_FRAMINGS}, got {self.framing!r}")


@dataclass(frozen=True)
class ReceivedRequest:
    """A request exactly as the server received it."""

    method: str
    path: str  # the full request target, including any suffix below the script URL and the query
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None


@dataclass
class _State:
    scripts: dict[str, Script] = field(default_factory=dict)
    received: dict[str, list[ReceivedRequest]] = field(default_factory=dict)
    connections: set[socket.socket] = field(default_factory=set)
    threads: set[threading.Thread] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)


class _Stopped(Exception):
    """The server is shutting down; abandon the response."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a handler stuck on a client never blocks interpreter exit
    allow_reuse_address = True

    def __init__(self, state: _State) -> None:
        self.state = state
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients that hang up mid-response (a capture hitting its bound) are expected; stay quiet.
        return


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # a silent client never pins a handler thread forever
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.state.lock:
            self.server.state.connections.add(self.connection)
            self.server.state.threads.add(threading.current_thread())

    def finish(self) -> None:
        with self.server.state.lock:
            self.server.state.connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: object) -> None:
        return  # keep test output clean

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (_Stopped, OSError):
            self.close_connection = True

    def __getattr__(self, name: str) -> object:
        # Every method (GET, POST, PATCH, ...) is served by the same scripted handler.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _serve(self) -> None:
        state = self.server.state
        body = self._read_body()
        key = self._script_key(self.path)
        received = ReceivedRequest(self.command, self.path, tuple(self.headers.items()), body)
        with state.lock:
            script = state.scripts.get(key) if key else None
            if key is not None and script is not None:
                state.received[key].append(received)
        if script is None:
            self._send_raw(
                404, [("Content-Type", "application/json")], [(0.0, b'{"error": "no script"}')], "length", 0.0
            )
            return
        self._send_raw(script.status, script.headers, script.writes, script.framing, script.header_delay_s)

    @staticmethod
    def _script_key(path: str) -> str | None:
        target = urlsplit(path).path
        if not target.startswith(_PREFIX):
            return None
        return target[len(_PREFIX) :].split("/", 1)[0]

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _wait(self, delay_s: float) -> None:
        if delay_s > 0 and self.server.state.stop.wait(delay_s):
            raise _Stopped
        if self.server.state.stop.is_set():
            raise _Stopped

    def _send_raw(
        self,
        status: int,
        headers: Sequence[tuple[str, str]],
        writes: Sequence[tuple[float, bytes]],
        framing: Framing,
        header_delay_s: float,
    ) -> None:
        self._wait(header_delay_s)
        if framing == "raw":
            self.close_connection = True
            for delay_s, data in writes:
                self._wait(delay_s)
                self.wfile.write(data)
                self.wfile.flush()
            return
        names = {name.lower() for name, _ in headers}
        extra: list[tuple[str, str]] = []
        if framing == "chunked" and "transfer-encoding" not in names:
            extra.append(("Transfer-Encoding", "chunked"))
        elif framing == "length" and "content-length" not in names:
            extra.append(("Content-Length", str(sum(len(data) for _, data in writes))))
        elif framing == "close" and "connection" not in names:
            extra.append(("Connection", "close"))
        try:
            reason = http.HTTPStatus(status).phrase
        except ValueError:
            reason = "Scripted"
        head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in [*headers, *extra]) + "\r\n"
        self.wfile.write(head.encode("latin-1"))
        self.wfile.flush()
        for delay_s, data in writes:
            self._wait(delay_s)
            if not data:
                continue  # an empty chunk would end a chunked body early
            if framing == "chunked":
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            else:
                self.wfile.write(data)
            self.wfile.flush()
        if framing == "chunked":
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        if framing == "close":
            self.close_connection = True


class ScriptedServer:
    """A context manager running scripted responses on 127.0.0.1 at an ephemeral port."""

    def __init__(self) -> None:
        self._state = _State()
        self._ids = itertools.count(1)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("ScriptedServer is not running; use it as a context manager")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def add(self, script: Script) -> str:
        """Register a script; returns its URL. Any method and any path below the URL replays it."""
        key = str(next(self._ids))
        with self._state.lock:
            self._state.scripts[key] = script
            self._state.received[key] = []
        return f"{self.base_url}{_PREFIX}{key}"

    def requests(self, url: str) -> list[ReceivedRequest]:
        """Requests that arrived for a script URL so far, in arrival order."""
        key = _Handler._script_key(urlsplit(url).path)
        with self._state.lock:
            if key is None or key not in self._state.received:
                raise KeyError(f"no script registered at {url}")
            return list(self._state.received[key])

    def __enter__(self) -> ScriptedServer:
        self._server = _Server(self._state)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="scripted-server", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving: wake sleeping scripts, drop open connections, close the listening socket."""
        if self._server is None:
            return
        self._state.stop.set()
        self._server.shutdown()  # no new connections after this returns
        with self._state.lock:
            connections = list(self._state.connections)
            threads = list(self._state.threads)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)  # wakes handlers blocked on a keep-alive read
            except OSError:
                pass
        for thread in threads:
            thread.join(timeout=5)
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None
