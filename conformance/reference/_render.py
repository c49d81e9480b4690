"""From a generation to what goes on the wire, in a profile's dialect.

Streams are first a list of `Event`s (chunk dicts, [DONE], comments) so faults can rewrite them
as data; then each event is encoded with the profile's line ending into a `Part` with its delay,
and a `Reply` says how the body is framed. Nothing here branches on a profile's name.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

from ..providers._profile import Profile
from ._generate import Generation
from ._requests import ChatRequest
from ._timing import Timing
from ._tokens import logprob_entry

__all__ = [
    "JSON_TYPE", "SSE_TYPE", "Event", "Ident", "Part", "Reply", "encode", "json_reply",
    "other_reasoning_field", "render_body", "render_events", "set_dotted", "stream_reply", "time_events",
    "usage_object",
]

SSE_TYPE = "text/event-stream; charset=utf-8"
JSON_TYPE = "application/json"


@dataclass(slots=True)
class Event:
    """One SSE event before encoding.

    kind: "chunk" (data is a chunk dict), "done", "data" (data is the raw data text), "comment"
    (data is the comment text after the colon), "raw" (data is bytes written verbatim).
    tag marks a chunk's role in the stream: "token", "finish", "usage" or "extra"; channel says which
    part of the message a token chunk carries: "reasoning", "content" or "tool".
    """

    kind: str
    data: Any = None
    tag: str = ""
    channel: str = ""
    delay_s: float = 0.0


@dataclass(slots=True)
class Part:
    """Bytes written as one piece after a delay (keep-alives may fill the delay when `keepalive`)."""

    data: bytes
    delay_s: float = 0.0
    keepalive: bool = True


@dataclass(slots=True)
class Reply:
    """A whole response: status, headers and body parts.

    framing "chunked" sends headers at once and each part as it is due; "length" waits for every
    delay, then sends one Content-Length body. `abort` drops the connection after the last part
    instead of ending the body. `keepalive` is what fills long waits (when Timing asks for it).
    """

    status: int
    headers: list[tuple[str, str]]
    parts: list[Part]
    framing: str = "length"
    abort: bool = False
    keepalive: bytes = b""
    stream: bool = False  # the body is an event stream (stream faults look at this)

    def set_header(self, name: str, value: str) -> None:
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()] + [(name, value)]


@dataclass(frozen=True, slots=True)
class Ident:
    """What every chunk of one response repeats."""

    id: str
    created: int
    model: str
    fingerprint: str | None

    def envelope(self, object_name: str) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "object": object_name, "created": self.created, "model": self.model}
        if self.fingerprint is not None:
            out["system_fingerprint"] = self.fingerprint
        return out


def set_dotted(target: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = target
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def other_reasoning_field(name: str) -> str:
    return "reasoning" if name == "reasoning_content" else "reasoning_content"


def usage_object(gen: Generation, profile: Profile) -> dict[str, Any]:
    """Usage in the profile's dialect; counts are exactly what was emitted."""
    prompt, completion = gen.prompt_tokens, gen.completion_tokens
    usage: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": completion,
                             "total_tokens": prompt + completion}
    if profile.usage.cache_fields:
        usage["prompt_cache_hit_tokens"] = 0
        usage["prompt_cache_miss_tokens"] = prompt
    if profile.usage.reasoning_tokens:
        set_dotted(usage, profile.usage.reasoning_tokens, gen.reasoning_tokens)
    return usage


def _logprobs(gen: Generation) -> list[dict[str, Any]] | None:
    if gen.logprobs_top is None:
        return None
    return [logprob_entry(tok, i, gen.logprobs_top) for i, tok in enumerate(gen.content or ())]


def render_events(gen: Generation, req: ChatRequest, profile: Profile, ident: Ident) -> list[Event]:
    """The stream as events: token deltas, the finish chunk, usage per the profile, then [DONE]."""
    usage_due = req.include_usage or profile.usage.when == "always"
    null_usage = req.include_usage and profile.usage.null_on_other_chunks
    rfield = profile.reasoning_field
    entries = _logprobs(gen)

    def chunk(choices: list[dict[str, Any]], usage: Any = None, with_usage: bool = False) -> dict[str, Any]:
        out = ident.envelope("chat.completion.chunk")
        out["choices"] = choices
        if with_usage:
            out["usage"] = usage
        elif null_usage:
            out["usage"] = None
        return out

    deltas: list[tuple[str, dict[str, Any], Any]] = []  # (channel, delta, logprobs)
    for tok in gen.reasoning:
        deltas.append(("reasoning", {rfield: tok}, None))
    for i, tok in enumerate(gen.content or ()):
        lp = {"content": [entries[i]], "refusal": None} if entries is not None else None
        deltas.append(("content", {"content": tok}, lp))
    for call in gen.tool_calls:
        header = {"index": call.index, "id": call.id, "type": "function",
                  "function": {"name": call.name, "arguments": ""}}
        deltas.append(("tool", {"content": None, "tool_calls": [header]} if not deltas else {"tool_calls": [header]},
                       None))
        for frag in call.fragments:
            deltas.append(("tool", {"tool_calls": [{"index": call.index, "function": {"arguments": frag}}]}, None))
    if not deltas:  # nothing emitted (e.g. a stop sequence at the very start): still open the message
        deltas.append(("content", {"content": ""} if gen.content is not None else {}, None))

    events: list[Event] = []
    for n, (channel, delta, lp) in enumerate(deltas):
        if n == 0 or profile.role_on_every_delta:
            delta = {"role": "assistant", **delta}
        events.append(Event("chunk", chunk([{"index": 0, "delta": delta, "logprobs": lp, "finish_reason": None}]),
                            tag="token", channel=channel))
    finish_delta: dict[str, Any] = {"role": "assistant"} if profile.role_on_every_delta else {}
    finish_choice = [{"index": 0, "delta": finish_delta, "logprobs": None, "finish_reason": gen.finish_reason}]
    usage = usage_object(gen, profile)
    on_finish = usage_due and profile.usage.placement == "final_chunk"
    events.append(Event("chunk", chunk(finish_choice, usage if on_finish else None, with_usage=on_finish),
                        tag="finish"))
    if usage_due and profile.usage.placement == "separate_chunk":
        events.append(Event("chunk", chunk([], usage, with_usage=True), tag="usage"))
    events.append(Event("done"))
    return events


def render_body(gen: Generation, req: ChatRequest, profile: Profile, ident: Ident) -> dict[str, Any]:
    """The non-stream `chat.completion` object."""
    message: dict[str, Any] = {"role": "assistant", "content": gen.text}
    if gen.reasoning:
        message[profile.reasoning_field] = "".join(gen.reasoning)
    if gen.tool_calls:
        message["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in gen.tool_calls
        ]
    entries = _logprobs(gen)
    body = ident.envelope("chat.completion")
    body["choices"] = [{"index": 0, "message": message,
                        "logprobs": {"content": entries, "refusal": None} if entries is not None else None,
                        "finish_reason": gen.finish_reason}]
    if profile.usage.in_nonstream:
        body["usage"] = usage_object(gen, profile)
    return body


def time_events(events: list[Event], timing: Timing, rng: random.Random) -> None:
    """Give token events their delays: TTFT before the first, the token gap before the others."""
    first = True
    chunks = [e for e in events if e.kind == "chunk"]
    timed = [e for e in chunks if e.tag == "token"] or chunks[:1]
    for event in timed:
        event.delay_s = timing.jittered(timing.ttft_s if first else timing.token_gap_s, rng)
        first = False


def encode(event: Event, eol: bytes) -> bytes:
    """One event as SSE bytes: `data: <json>` and a blank line, with the profile's line ending."""
    if event.kind == "chunk":
        return b"data: " + json.dumps(event.data, ensure_ascii=False).encode("utf-8") + eol + eol
    if event.kind == "done":
        return b"data: [DONE]" + eol + eol
    if event.kind == "data":
        return b"data: " + str(event.data).encode("utf-8") + eol + eol
    if event.kind == "comment":
        return b":" + str(event.data).encode("utf-8") + eol + eol
    return bytes(event.data)


def stream_reply(events: list[Event], eol: bytes) -> Reply:
    parts = [Part(encode(e, eol), e.delay_s) for e in events]
    return Reply(200, [("Content-Type", SSE_TYPE), ("Cache-Control", "no-cache")], parts, framing="chunked",
                 keepalive=b": keep-alive" + eol + eol, stream=True)


def json_reply(status: int, body: Any, delay_s: float = 0.0, *, keepalive: bool = False) -> Reply:
    """A JSON response; with keep-alive, blank lines precede the body while it is generated (DeepSeek)."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    return Reply(status, [("Content-Type", JSON_TYPE)], [Part(data, delay_s)],
                 framing="chunked" if keepalive else "length", keepalive=b"\n" if keepalive else b"")

