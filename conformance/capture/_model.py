"""The evidence: what was sent, and every byte that came back with the time it arrived.

Everything here is plain frozen data. Captures are written to disk as cassettes and loaded back
identically, so every verdict can be recomputed offline from these objects alone.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Bounds", "EndReason", "Exchange", "Read", "RecordedRequest"]


@dataclass(frozen=True, slots=True)
class Read:
    """One chunk of the response body exactly as a socket read returned it."""

    t_ns: int  # perf_counter_ns when the read returned, relative to the request start (t0)
    data: bytes


class EndReason(enum.StrEnum):
    """Why a capture stopped. Everything except EOF means the capture was cut short."""

    EOF = "eof"  # the server ended the body
    CONNECT_ERROR = "connect_error"  # nothing listening, DNS failure, TLS failure
    CONNECT_TIMEOUT = "connect_timeout"
    TTFB_TIMEOUT = "ttfb_timeout"  # no response headers or first body byte in time
    IDLE_TIMEOUT = "idle_timeout"  # gap between two reads exceeded the bound
    TOTAL_TIMEOUT = "total_timeout"
    MAX_BYTES = "max_bytes"
    MAX_EVENTS = "max_events"
    TRANSPORT_ERROR = "transport_error"  # connection reset, malformed HTTP, chunked encoding broken

    @property
    def unreachable(self) -> bool:
        """The provider could not be reached at all (CLI exit code 3)."""
        return self in (EndReason.CONNECT_ERROR, EndReason.CONNECT_TIMEOUT)


@dataclass(frozen=True, slots=True)
class Bounds:
    """Every limit a capture obeys. A capture never waits or reads past these."""

    connect_s: float = 10.0
    ttfb_s: float = 60.0
    idle_s: float = 60.0
    total_s: float = 300.0
    max_bytes: int = 16 * 1024 * 1024
    max_events: int = 20_000

    def to_json(self) -> dict[str, Any]:
        return {
            "connect_s": self.connect_s,
            "ttfb_s": self.ttfb_s,
            "idle_s": self.idle_s,
            "total_s": self.total_s,
            "max_bytes": self.max_bytes,
            "max_events": self.max_events,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Bounds:
        return cls(**data)


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """The request as sent, with secrets already redacted from the headers."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON, or None when it is empty or not JSON."""
        try:
            return json.loads(self.body) if self.body else None
        except (ValueError, UnicodeDecodeError):
            return None

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and everything observed about its response.

    Times are nanoseconds relative to t0, the moment just before the request was handed to
    the client. `reads` holds the body exactly as received, so the body is `b"".join(...)`.
    """

    request: RecordedRequest
    started_at: str  # wall clock, ISO 8601 UTC, for humans and run ordering only
    status: int | None  # None when no response arrived
    headers: tuple[tuple[str, str], ...] = ()
    http_version: str = ""
    reads: tuple[Read, ...] = ()
    t_headers_ns: int | None = None
    t_end_ns: int = 0
    end: EndReason = EndReason.EOF
    end_detail: str = ""
    bounds: Bounds = field(default_factory=Bounds)

    @property
    def body(self) -> bytes:
        return b"".join(r.data for r in self.reads)

    @property
    def complete(self) -> bool:
        """The body was read to its end without any bound or transport error cutting it."""
        return self.end is EndReason.EOF

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None

    @property
    def media_type(self) -> str | None:
        """The Content-Type without parameters, lower-cased (`text/event-stream`)."""
        value = self.header("content-type")
        if value is None:
            return None
        return value.split(";", 1)[0].strip().lower()

    def json(self) -> Any:
        """The body parsed as one JSON value. Leading whitespace (keep-alive blank lines) is allowed."""
        return json.loads(self.body.decode("utf-8"))
