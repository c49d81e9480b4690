"""Small helpers for talking to the reference server in tests (real HTTP over loopback)."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from conformance.capture import DecodedStream, Read, decode_reads
from conformance.providers import load_profile

KEY = "sk-reference-test"
BASIC = "Say hello in five words."
REASONING = "What is 17*23? Think step by step."
WEATHER = "What's the weather in Hangzhou?"
WEATHER2 = "What's the weather in Hangzhou and in Paris?"
WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather for a city.",
        "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]},
    },
}


@dataclass
class Got:
    """One exchange: status, headers, raw body, read times, and whether the transport broke."""

    status: int
    headers: httpx.Headers
    body: bytes
    read_times: list[float] = field(default_factory=list)
    transport_error: str | None = None
    started: float = 0.0

    @property
    def decoded(self) -> DecodedStream:
        return decode_reads([Read(int((t - self.started) * 1e9), b) for t, b in self.reads])

    reads: list[tuple[float, bytes]] = field(default_factory=list)

    @property
    def data(self) -> list[str]:
        return [e.data for e in self.decoded.events]

    @property
    def chunks(self) -> list[dict[str, Any]]:
        out = []
        for d in self.data:
            if d == "[DONE]":
                break
            try:
                value = json.loads(d)
            except ValueError:
                continue
            if isinstance(value, dict):
                out.append(value)
        return out

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def deltas(self) -> list[dict[str, Any]]:
        return [c["choices"][0]["delta"] for c in self.chunks if c.get("choices")]

    def text(self, field_name: str = "content") -> str:
        return "".join(d.get(field_name) or "" for d in self.deltas if isinstance(d, dict))

    @property
    def finish_reasons(self) -> list[str]:
        return [c["choices"][0]["finish_reason"] for c in self.chunks
                if c.get("choices") and c["choices"][0].get("finish_reason") is not None]

    @property
    def usages(self) -> list[dict[str, Any]]:
        return [c["usage"] for c in self.chunks if isinstance(c.get("usage"), dict)]


def body_for(profile: str = "canonical", prompt: str = BASIC, *, stream: bool = False, usage: bool | None = None,
             **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"model": load_profile(profile).default_model,
                            "messages": [{"role": "user", "content": prompt}], "max_tokens": 64}
    if stream:
        body["stream"] = True
        if usage is not None:
            body["stream_options"] = {"include_usage": usage}
    body.update(extra)
    return body


def call(client: httpx.Client, url: str, body: Any = None, *, raw: bytes | None = None,
         headers: dict[str, str] | None = None, method: str = "POST") -> Got:
    """Send one request and read the whole body read by read (never raises for a cut body)."""
    content = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    hdrs = {"Content-Type": "application/json", **(headers or {})}
    started = time.perf_counter()
    reads: list[tuple[float, bytes]] = []
    error = None
    with client.stream(method, url, content=content, headers=hdrs) as resp:
        try:
            for piece in resp.iter_raw():
                reads.append((time.perf_counter(), piece))
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            error = type(exc).__name__
        got = Got(resp.status_code, resp.headers, b"".join(b for _, b in reads), [t for t, _ in reads], error,
                  started, reads)
    return got


_VOLATILE = re.compile(rb'"(id|created)": ("chatcmpl-[0-9a-f]+"|\d+)')


def normalized(body: bytes) -> bytes:
    """The body with the response id and created time blanked (they differ per response by design)."""
    return _VOLATILE.sub(rb'"\1": "X"', body)
