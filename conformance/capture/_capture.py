"""Send one request and record everything that comes back, within hard bounds, never raising.

Timing: t0 is `perf_counter_ns()` just before the request is handed to httpx; every read is
stamped when `iter_raw()` returns it, before any decoding. The body is kept exactly as read.
With HTTP/1.1 chunked bodies httpcore yields one item per HTTP chunk, so a `Read` is a chunk:
several chunks taken from one socket receive get separate `Read`s with near-equal times.

Bounds are enforced two ways, because httpcore fixes a read timeout once per response phase
(headers, body) rather than per socket read:

- socket timeouts: connect (`connect_s`), writes (the remaining total), header reads
  (`min(ttfb_s, total_s)`) and body reads (`min(idle_s, total_s)`) — a backstop on every read;
- a watchdog thread holding the exact deadline (first byte, idle gap, total). When the deadline
  passes it shuts the socket down, which wakes the blocked read at once; the capture then records
  the bound that tripped. One watchdog per capture, joined before `capture` returns.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from ._model import Bounds, EndReason, Exchange, Read, RecordedRequest
from ._redact import credential_secrets, mask_bytes, redact_bytes, redact_headers, redact_url
from ._sse import SSEDecoder

__all__ = ["capture"]

_NS = 1_000_000_000
_BACKSTOP_SLACK_S = 0.05  # socket timeouts trail the watchdog so the exact deadline normally wins


class _Watchdog:
    """Shuts a socket down when the current deadline passes, waking a read blocked on it."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        # (absolute perf_counter_ns, the bound it stands for), stored as one value so the
        # watchdog never pairs one deadline with another deadline's reason.
        self._deadline: tuple[int, EndReason] | None = None
        self._sock: socket.socket | None = None
        self._stopped = False
        self.fired: EndReason | None = None
        self._thread = threading.Thread(target=self._run, name="capture-watchdog", daemon=True)
        self._thread.start()

    def attach(self, sock: Any) -> None:
        if isinstance(sock, socket.socket):
            with self._cond:
                self._sock = sock
                if self.fired is not None:
                    self._shutdown()

    def arm(self, deadline_ns: int, reason: EndReason) -> None:
        """Set the deadline. Moving it later needs no lock or wake-up: the watchdog re-checks on waking."""
        current = self._deadline
        if current is None or deadline_ns < current[0]:
            with self._cond:
                self._deadline = (deadline_ns, reason)
                self._cond.notify()
        else:
            self._deadline = (deadline_ns, reason)  # one atomic store on the per-read path

    def stop(self) -> EndReason | None:
        """Stop and join the thread; returns the bound that fired, if any."""
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self._thread.join()
        return self.fired

    def _shutdown(self) -> None:
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed: the read it would wake has ended anyway

    def _run(self) -> None:
        with self._cond:
            while not self._stopped:
                current = self._deadline
                if current is None or self.fired is not None:
                    self._cond.wait()
                    continue
                remaining = current[0] - time.perf_counter_ns()
                if remaining > 0:
                    self._cond.wait(remaining / _NS)
                    continue
                self.fired = current[1]
                self._shutdown()


def _started_at() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _bound_detail(reason: EndReason, bounds: Bounds) -> str:
    if reason is EndReason.TTFB_TIMEOUT:
        return f"no response headers and first body byte within ttfb_s={_seconds(bounds.ttfb_s)}"
    if reason is EndReason.IDLE_TIMEOUT:
        return f"no body bytes for idle_s={_seconds(bounds.idle_s)}"
    if reason is EndReason.TOTAL_TIMEOUT:
        return f"capture exceeded total_s={_seconds(bounds.total_s)}"
    if reason is EndReason.CONNECT_TIMEOUT:
        return f"no connection within connect_s={_seconds(bounds.connect_s)}"
    return reason.value


def _decode_headers(headers: httpx.Headers) -> tuple[tuple[str, str], ...]:
    enc = headers.encoding
    return tuple((k.decode(enc), v.decode(enc)) for k, v in headers.raw)


def capture(
    client: httpx.Client,
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    bounds: Bounds,
    secrets: Sequence[str] = (),
) -> Exchange:
    """Send one request with `client` and return everything observed, within `bounds`.

    Never raises for network or protocol trouble: the returned `Exchange.end` says how the
    capture ended (EOF, a bound, a connect or transport error) and `end_detail` says why in words;
    whatever arrived before the end is kept. Redirects are not followed. `Accept-Encoding:
    identity` is sent unless `headers` sets it, so reads are the body bytes as the provider
    framed them.

    Redaction: credential headers and every string in `secrets` (plus credentials found in
    sensitive headers) are replaced in the recorded request and masked byte-for-byte (`*`) in
    the response body, so no secret reaches a cassette (offsets and read lengths stay exact).
    Response headers get the same redaction as request headers (`Set-Cookie` included).
    """
    started_at = _started_at()
    all_secrets = (*secrets, *credential_secrets(headers.items()))
    send_headers = dict(headers)
    if not any(k.lower() == "accept-encoding" for k in send_headers):
        send_headers["Accept-Encoding"] = "identity"

    def recorded(request: httpx.Request | None) -> RecordedRequest:
        raw_headers = _decode_headers(request.headers) if request is not None else tuple(send_headers.items())
        return RecordedRequest(
            method=method.upper(),
            url=redact_url(url, all_secrets),
            headers=redact_headers(raw_headers, all_secrets),
            body=redact_bytes(body, all_secrets),
        )

    header_read_s = min(bounds.ttfb_s, bounds.total_s)
    timeout = httpx.Timeout(
        connect=min(bounds.connect_s, bounds.total_s),
        read=header_read_s,
        write=bounds.total_s,
        pool=min(bounds.connect_s, bounds.total_s),
    )
    watchdog: _Watchdog | None = None

    def on_trace(event: str, info: dict[str, Any]) -> None:
        # A fresh connection's socket, so the watchdog can also cut a header phase that drips.
        stream = info.get("return_value")
        if watchdog is not None and event.endswith(("connect_tcp.complete", "start_tls.complete")) and stream:
            watchdog.attach(stream.get_extra_info("socket"))

    try:
        request = client.build_request(
            method,
            url,
            headers=send_headers,
            content=body,
            extensions={"timeout": timeout.as_dict(), "trace": on_trace},
        )
    except (httpx.HTTPError, httpx.InvalidURL, ValueError, TypeError) as exc:
        return Exchange(
            request=recorded(None),
            started_at=started_at,
            status=None,
            end=EndReason.CONNECT_ERROR,
            end_detail=f"request could not be built: {type(exc).__name__}: {exc}",
            bounds=bounds,
        )

    reads: list[Read] = []
    status: int | None = None
    resp_headers: tuple[tuple[str, str], ...] = ()
    http_version = ""
    t_headers: int | None = None
    end = EndReason.EOF
    detail = ""
    watchdog = _Watchdog()
    t0 = time.perf_counter_ns()
    total_deadline = t0 + int(bounds.total_s * _NS)
    ttfb_deadline = t0 + int(bounds.ttfb_s * _NS)
    if ttfb_deadline < total_deadline:
        watchdog.arm(ttfb_deadline, EndReason.TTFB_TIMEOUT)
    else:
        watchdog.arm(total_deadline, EndReason.TOTAL_TIMEOUT)
    response: httpx.Response | None = None
    try:
        response = client.send(request, stream=True, follow_redirects=False)
        t_headers = time.perf_counter_ns() - t0
        status = response.status_code
        resp_headers = _decode_headers(response.headers)
        http_version = response.http_version
        stream = response.extensions.get("network_stream")
        if stream is not None:
            watchdog.attach(stream.get_extra_info("socket"))
        # httpcore reads this once when the body starts, so one value must serve the first byte
        # (ttfb) and every later gap (idle): the larger one, a backstop behind the exact watchdog.
        body_read_s = min(max(bounds.idle_s, bounds.ttfb_s), bounds.total_s) + _BACKSTOP_SLACK_S
        request.extensions["timeout"] = {**timeout.as_dict(), "read": body_read_s}
        content_type = response.headers.get("content-type", "")
        decoder = SSEDecoder() if content_type.split(";", 1)[0].strip().lower() == "text/event-stream" else None
        idle_ns = int(bounds.idle_s * _NS)
        max_bytes, max_events = bounds.max_bytes, bounds.max_events
        received = 0
        for data in response.iter_raw():
            now = time.perf_counter_ns()
            t = now - t0
            if now + idle_ns < total_deadline:
                watchdog.arm(now + idle_ns, EndReason.IDLE_TIMEOUT)
            else:
                watchdog.arm(total_deadline, EndReason.TOTAL_TIMEOUT)
            if received + len(data) > max_bytes:
                keep = max_bytes - received
                if keep > 0:
                    reads.append(Read(t, data[:keep]))
                end = EndReason.MAX_BYTES
                detail = (
                    f"body exceeded max_bytes={max_bytes}: kept the first {max_bytes} bytes, "
                    f"dropped {received + len(data) - max_bytes} bytes of the last read"
                )
                break
            if decoder is not None and decoder.feed(data, t) and len(decoder.events) > max_events:
                # Cut the body just after the last allowed event, so it decodes to max_events events.
                cut = decoder.events[max_events - 1].byte_end if max_events > 0 else 0
                keep = cut - received
                if keep > 0:
                    reads.append(Read(t, data[:keep]))
                end = EndReason.MAX_EVENTS
                detail = f"stream exceeded max_events={max_events}: body cut after event {max_events} at byte {cut}"
                break
            reads.append(Read(t, data))
            received += len(data)
            if now >= total_deadline:
                end = EndReason.TOTAL_TIMEOUT
                detail = _bound_detail(end, bounds)
                break
    except httpx.ConnectTimeout as exc:
        end, detail = EndReason.CONNECT_TIMEOUT, f"{_bound_detail(EndReason.CONNECT_TIMEOUT, bounds)} ({exc})"
    except httpx.PoolTimeout as exc:
        end = EndReason.CONNECT_TIMEOUT
        detail = f"no free connection in the client's pool within connect_s={_seconds(bounds.connect_s)} ({exc})"
    except (httpx.ConnectError, httpx.UnsupportedProtocol) as exc:
        end, detail = EndReason.CONNECT_ERROR, f"{type(exc).__name__}: {exc}"
    except httpx.ReadTimeout:
        # A socket backstop fired; the deadline tells which bound it was.
        now = time.perf_counter_ns()
        if now >= total_deadline:
            end = EndReason.TOTAL_TIMEOUT
        elif not reads:
            end = EndReason.TTFB_TIMEOUT
        else:
            end = EndReason.IDLE_TIMEOUT
        detail = _bound_detail(end, bounds)
    except httpx.WriteTimeout as exc:
        end, detail = EndReason.TOTAL_TIMEOUT, f"request body not sent within total_s={bounds.total_s:g} s ({exc})"
    except (httpx.TransportError, httpx.StreamError) as exc:
        end, detail = EndReason.TRANSPORT_ERROR, f"{type(exc).__name__}: {exc or 'connection failed'}"
    except httpx.HTTPError as exc:  # e.g. raised by the caller's client event hooks
        end, detail = EndReason.TRANSPORT_ERROR, f"{type(exc).__name__} while receiving: {exc}"
    except BaseException:
        # Interrupted (KeyboardInterrupt) or a bug: leave no thread or connection behind.
        watchdog.stop()
        if response is not None:
            response.close()
        raise
    t_end = time.perf_counter_ns() - t0
    fired = watchdog.stop()
    if fired is not None and end in (EndReason.EOF, EndReason.TRANSPORT_ERROR, EndReason.CONNECT_ERROR):
        # The watchdog cut the socket: the resulting EOF or broken read is the bound tripping.
        end = EndReason.TTFB_TIMEOUT if fired is EndReason.IDLE_TIMEOUT and not reads else fired
        detail = _bound_detail(end, bounds)
    if end is EndReason.IDLE_TIMEOUT and not reads:
        end, detail = EndReason.TTFB_TIMEOUT, _bound_detail(EndReason.TTFB_TIMEOUT, bounds)
    if response is not None:
        try:
            response.close()
        except (httpx.HTTPError, OSError):
            pass  # closing a broken connection: nothing left to record
    resp_headers = redact_headers(resp_headers, all_secrets)
    if all_secrets:
        reads = _mask_reads(reads, all_secrets)
    return Exchange(
        request=recorded(request),
        started_at=started_at,
        status=status,
        headers=resp_headers,
        http_version=http_version,
        reads=tuple(reads),
        t_headers_ns=t_headers,
        t_end_ns=t_end,
        end=end,
        end_detail=detail,
        bounds=bounds,
    )


def _mask_reads(reads: list[Read], secrets: Sequence[str]) -> list[Read]:
    """Mask secrets in the body, also across read boundaries, keeping every read's length and time."""
    body = b"".join(r.data for r in reads)
    masked = mask_bytes(body, secrets)
    if masked == body:
        return reads
    out, pos = [], 0
    for r in reads:
        out.append(Read(r.t_ns, masked[pos : pos + len(r.data)]))
        pos += len(r.data)
    return out
