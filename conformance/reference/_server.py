"""The embedded reference provider: a real HTTP/1.1 server on 127.0.0.1 speaking the contract.

Standard library only. Every connection gets a daemon thread; streams are written with manual
chunked transfer encoding so every byte and every delay is under control; all waits use one
stop Event, so `stop()` returns quickly even while streams sleep.
"""

from __future__ import annotations

import hashlib
import json
import socket
import sys
import threading
import time
import uuid
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ..providers._profile import Profile, ProfileError, load_profile
from ._errors import AUTH_KINDS, VALIDATION_KINDS, ApiError
from ._fault_model import Context, Fault
from ._faults import FAULTS
from ._generate import generate
from ._render import Ident, Reply, json_reply, render_body, render_events, stream_reply, time_events
from ._requests import interpret, validate
from ._timing import FaultSettings, Timing

__all__ = ["MAX_BODY_BYTES", "ReferenceServer", "serve"]

MAX_BODY_BYTES = 1024 * 1024
CHAT_ROUTES = ("/v1/chat/completions", "/chat/completions")
MODEL_ROUTES = ("/v1/models", "/models")
_NO_FAULT = ("", "none")
DEFAULT_TIMING = Timing()
DEFAULT_FAULT_SETTINGS = FaultSettings()


class _BodyTooLarge(Exception):
    pass


class _HTTPServer(ThreadingHTTPServer):
    """Tracks live connections and their threads so stop() can cut them loose."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: ReferenceServer) -> None:
        self.app = app
        self._live: dict[threading.Thread, socket.socket] = {}
        self._live_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(target=self._serve_one, args=(request, client_address), daemon=True,
                                  name="reference-conn")
        with self._live_lock:
            self._live[thread] = request
        thread.start()

    def _serve_one(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._live_lock:
                self._live.pop(threading.current_thread(), None)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up is normal here (faults cut streams on purpose): stay quiet."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)

    def cut_connections(self, timeout: float) -> None:
        with self._live_lock:
            live = dict(self._live)
        for sock in live.values():
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        deadline = time.monotonic() + timeout
        for thread in live:
            thread.join(max(0.0, deadline - time.monotonic()))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "conformance-reference/1"
    timeout = 60  # an idle keep-alive connection is dropped after this
    disable_nagle_algorithm = True  # small writes (headers, one chunk per token) leave at once
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests and `conformance serve` print their own lines

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    # -- request side ------------------------------------------------------------------------------

    def read_body(self) -> bytes:
        """The request body (Content-Length or chunked), refusing more than MAX_BODY_BYTES.

        `_body_read` is set only once the whole body is consumed: a refused or malformed body stays
        (partly) unread, so the connection must close rather than parse its rest as the next request.
        """
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            data = bytearray()
            while True:
                size = int((self.rfile.readline(64).split(b";")[0].strip() or b"0"), 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    self._body_read = True
                    return bytes(data)
                if len(data) + size > MAX_BODY_BYTES:
                    raise _BodyTooLarge
                data += self.rfile.read(size)
                self.rfile.readline(8)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            raise _BodyTooLarge
        body = self.rfile.read(length) if length > 0 else b""
        self._body_read = True
        return body

    def _dispatch(self, method: str) -> None:
        self._body_read = False
        try:
            reply = self.server.app.respond(self, method)
        except Exception as exc:
            err = ApiError("server_error", f"reference provider bug: {type(exc).__name__}: {exc}", status=500)
            reply = json_reply(500, err.envelope())
        if not self._body_read and method in ("POST", "PUT", "PATCH"):
            self.close_connection = True  # the unread body would poison the next request
        self._write(reply, head_only=method == "HEAD")

    # -- response side -----------------------------------------------------------------------------

    def _write(self, reply: Reply, *, head_only: bool = False) -> None:
        stop = self.server.app.stopping
        every = self.server.app.timing.keepalive_every_s
        try:
            if reply.framing == "length":
                if not self._wait(sum(p.delay_s for p in reply.parts), b"", None):
                    return self._drop()
                body = b"".join(p.data for p in reply.parts)
                self._head(reply, [("Content-Length", str(len(body)))])
                if not head_only:
                    self.wfile.write(body)
                return None
            self._head(reply, [("Transfer-Encoding", "chunked")])
            for part in reply.parts:
                if not self._wait(part.delay_s, reply.keepalive if part.keepalive else b"", every):
                    return self._drop()
                self._chunk(part.data)
            if reply.abort or stop.is_set():
                return self._drop()
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, TimeoutError, OSError):
            self.close_connection = True
        return None

    def _head(self, reply: Reply, framing: list[tuple[str, str]]) -> None:
        self.send_response(reply.status)
        for name, value in [*reply.headers, *framing]:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()

    def _chunk(self, data: bytes) -> None:
        if data:
            self.wfile.write(b"%x\r\n" % len(data) + data + b"\r\n")

    def _wait(self, seconds: float, keepalive: bytes, every: float | None) -> bool:
        """Sleep, sending keep-alive bytes every `every` seconds; False when the server stops."""
        stop = self.server.app.stopping
        deadline = time.monotonic() + seconds
        if every and keepalive and seconds >= every:
            self._chunk(keepalive)  # at once, so a wait always shows one even when this thread is starved
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return not stop.is_set()
            step = min(remaining, every) if every and keepalive else remaining
            if stop.wait(step):
                return False
            if every and keepalive and deadline - time.monotonic() > 0:
                self._chunk(keepalive)

    def _drop(self) -> None:
        """End the exchange abruptly: no terminating chunk, the socket is shut down."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class ReferenceServer:
    """The reference provider on 127.0.0.1 (port 0 picks a free port); a context manager.

    `profile` and `fault` are the defaults for every request; a request picks others with the
    path prefixes `/profile/<name>` and `/fault/<name>` (see `url_for`) or the headers
    `X-Conformance-Profile` / `X-Conformance-Fault` (`none` disables a server-wide fault).
    With `api_key`, requests to profiles that document auth need `Authorization: Bearer <key>`.
    """

    def __init__(self, *, profile: str = "canonical", fault: str | None = None, api_key: str | None = None,
                 timing: Timing = DEFAULT_TIMING, host: str = "127.0.0.1", port: int = 0,
                 fault_settings: FaultSettings = DEFAULT_FAULT_SETTINGS) -> None:
        load_profile(profile)  # fail early on a typo
        if fault not in (None, *_NO_FAULT) and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; known: {', '.join(FAULTS)}")
        self.profile_name = profile
        self.fault_name = None if fault in _NO_FAULT else fault
        self.api_key = api_key
        self.timing = timing
        self.fault_settings = fault_settings.bounded()
        self.host = host
        self.port = port
        self.stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> ReferenceServer:
        """Bind and serve in a background thread; returns self."""
        if self._httpd is not None:
            return self
        self.stopping.clear()
        self._httpd = _HTTPServer((self.host, self.port), self)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True, name="reference-server")
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving: wake every sleeping stream, cut live connections, free the port."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self.stopping.set()
        httpd.shutdown()
        httpd.server_close()
        httpd.cut_connections(timeout)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> ReferenceServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url_for(self, profile: str | None = None, fault: str | None = None) -> str:
        """A base URL selecting a profile and/or a fault; the client appends the chat path."""
        url = self.base_url
        if profile:
            url += f"/profile/{profile}"
        if fault:
            url += f"/fault/{fault}"
        return url

    # -- answering ---------------------------------------------------------------------------------

    def respond(self, handler: _Handler, method: str) -> Reply:
        """Route, authenticate, validate and answer one request (never raises ApiError)."""
        headers = {k.lower(): v for k, v in handler.headers.items()}
        segments = [s for s in handler.path.split("?", 1)[0].split("/") if s]
        profile_name = headers.get("x-conformance-profile") or self.profile_name
        fault_name = headers.get("x-conformance-fault", self.fault_name)
        while len(segments) >= 2 and segments[0] in ("profile", "fault"):
            if segments[0] == "profile":
                profile_name = segments[1]
            else:
                fault_name = segments[1]
            segments = segments[2:]
        route = "/" + "/".join(segments)
        try:
            profile = load_profile(profile_name)
        except ProfileError as exc:
            return json_reply(404, ApiError("not_found", str(exc), status=404).envelope())
        ctx = Context(profile=profile, settings=self._settings(headers), headers=headers,
                      eol=b"\r\n" if profile.line_ending == "CRLF" else b"\n")
        fault = None
        if fault_name not in (None, *_NO_FAULT):
            fault = FAULTS.get(str(fault_name))
            if fault is None:
                return self._error(ApiError("not_found", f"unknown fault {fault_name!r}", status=404), ctx, None)
        allowed = "POST" if route in CHAT_ROUTES else "GET" if route in MODEL_ROUTES else None
        if allowed is None:
            return self._error(ApiError("not_found", f"no route {method} {route}", status=404), ctx, fault)
        if method not in (allowed, "HEAD" if allowed == "GET" else allowed):
            reply = self._error(ApiError("method_not_allowed", f"{route} supports {allowed} only", status=405),
                                ctx, fault)
            reply.set_header("Allow", allowed)
            return reply
        raw = b""
        if method == "POST":
            try:
                raw = handler.read_body()
            except _BodyTooLarge:
                return self._error(ApiError("too_large", f"request body exceeds {MAX_BODY_BYTES} bytes",
                                            status=413), ctx, fault)
            except ValueError:
                return self._error(ApiError("bad_json", "malformed request body framing"), ctx, fault)
        denied = self._authenticate(headers, profile)
        if denied is not None:
            refused = self._error_or_proceed(denied, ctx, fault)
            if refused is not None:
                return refused
        if route in MODEL_ROUTES:
            return json_reply(200, self._models(profile))
        return self._chat(raw, ctx, fault)

    def _authenticate(self, headers: dict[str, str], profile: Profile) -> ApiError | None:
        if not self.api_key or not profile.auth_required:
            return None
        auth = headers.get("authorization", "")
        if not auth.strip():
            return ApiError("missing_key", "Authentication Fails: no API key provided")
        scheme, _, key = auth.partition(" ")
        if scheme.lower() != "bearer" or key.strip() != self.api_key:
            return ApiError("wrong_key", "Authentication Fails: your API key is invalid")
        return None

    def _chat(self, raw: bytes, ctx: Context, fault: Fault | None) -> Reply:
        try:
            ctx.body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            return self._error(ApiError("bad_json", f"Invalid Format: the body is not valid JSON ({exc})"), ctx,
                               fault)
        try:
            validate(ctx.body, ctx.profile)
        except ApiError as err:
            refused = self._error_or_proceed(err, ctx, fault)
            if refused is not None:
                return refused
        req = interpret(ctx.body, ctx.profile)
        if fault and fault.on_request:
            try:
                req = fault.on_request(req, ctx)
            except ApiError as err:
                return json_reply(err.status_for(ctx.profile), err.envelope())
        ctx.request = req
        gen = generate(req)
        if fault and fault.on_generation:
            gen = fault.on_generation(gen, ctx)
        ctx.generation = gen
        fingerprint = None
        if ctx.profile.system_fingerprint:
            fingerprint = "fp_" + hashlib.sha256(ctx.profile.name.encode()).hexdigest()[:10]
        ident = Ident(id="chatcmpl-" + uuid.uuid4().hex, created=int(time.time()), model=req.model,
                      fingerprint=fingerprint)
        rng = self.timing.rng()
        if req.stream:
            events = render_events(gen, req, ctx.profile, ident)
            if fault and fault.on_events:
                events = fault.on_events(events, ctx)
            time_events(events, self.timing, rng)
            reply = stream_reply(events, ctx.eol)
        else:
            body = render_body(gen, req, ctx.profile, ident)
            if fault and fault.on_body:
                body = fault.on_body(body, ctx)
            pieces = max(gen.completion_tokens, 1)
            delay = self.timing.jittered(self.timing.ttft_s + self.timing.token_gap_s * (pieces - 1), rng)
            reply = json_reply(200, body, delay, keepalive=self.timing.keepalive_every_s is not None)
        reply.set_header("X-Request-Id", ident.id)
        if fault and fault.on_reply:
            reply = fault.on_reply(reply, ctx)
        return reply

    def _error(self, err: ApiError, ctx: Context, fault: Fault | None) -> Reply:
        """The error reply, after the fault had its say."""
        reply = self._error_or_proceed(err, ctx, fault, can_proceed=False)
        assert reply is not None
        return reply

    def _error_or_proceed(self, err: ApiError, ctx: Context, fault: Fault | None, *,
                          can_proceed: bool = True) -> Reply | None:
        """The error reply, or None when the fault says to carry on as if nothing was wrong."""
        if fault and fault.on_error:
            outcome = fault.on_error(err, ctx)
            if outcome is None:
                if can_proceed and err.kind in VALIDATION_KINDS | AUTH_KINDS:
                    return None
            elif isinstance(outcome, Reply):
                return outcome
            else:
                err = outcome
        return json_reply(err.status_for(ctx.profile), err.envelope())

    def _settings(self, headers: dict[str, str]) -> FaultSettings:
        settings = self.fault_settings
        try:
            if "x-conformance-stall-s" in headers:
                settings = replace(settings, stall_s=float(headers["x-conformance-stall-s"]))
            if "x-conformance-event-bytes" in headers:
                settings = replace(settings, huge_event_bytes=int(headers["x-conformance-event-bytes"]))
        except ValueError:
            pass
        return settings.bounded()

    @staticmethod
    def _models(profile: Profile) -> dict[str, Any]:
        ids = list(dict.fromkeys(profile.models.values()))
        return {"object": "list", "data": [{"id": m, "object": "model", "created": 0, "owned_by": "conformance"}
                                           for m in ids]}


def serve(profile: str = "canonical", fault: str | None = None, port: int = 8765, api_key: str | None = None,
          timing: Timing = DEFAULT_TIMING, *, host: str = "127.0.0.1",
          fault_settings: FaultSettings = DEFAULT_FAULT_SETTINGS) -> None:
    """Run the reference provider in the foreground until Ctrl-C (for `conformance serve`)."""
    server = ReferenceServer(profile=profile, fault=fault, api_key=api_key, timing=timing, host=host, port=port,
                             fault_settings=fault_settings)
    server.start()
    chat_path = load_profile(profile).path
    sys.stderr.write(f"reference provider listening on {server.base_url} (profile {profile}, "
                     f"fault {fault or 'none'}); POST {server.base_url}{chat_path}\n"
                     f"per request: {server.base_url}/profile/<name>/fault/<name>{chat_path}; Ctrl-C stops\n")
    sys.stderr.flush()
    try:
        while not server.stopping.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
