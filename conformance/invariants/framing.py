"""SSE framing (FRAME): how the event stream itself is written, judged from the decoder's framing facts."""

from __future__ import annotations

from collections.abc import Iterator

from ._model import Mode, Severity, Source, Violation
from ._observation import Observation
from ._registry import invariant
from ._stream_helpers import DONE, describe, require_event_stream

__all__ = [
    "blank_line_never_closes_an_empty_block_when_ids_are_used",
    "body_ends_at_an_event_boundary",
    "body_is_valid_utf8",
    "data_lines_use_one_space",
    "done_marker_is_bare",
    "event_holds_one_json_value",
    "every_data_event_is_json_object_or_done",
    "line_endings_follow_the_profile",
    "no_event_type_other_than_message",
]

_OPENAPI_DATA_ONLY = Source(
    "openai-openapi",
    "openapi.yaml L34005 (stream: data-only server-sent events)",
    "tokens will be sent as data-only server-sent events",
)
_SDK_JSON = Source("openai-python", "src/openai/_streaming.py L86 (sse.json() on every non-[DONE] event)")
_WHATWG_PARSE = Source("whatwg-sse", "#parsing-an-event-stream (ABNF: end-of-line = CRLF / LF / CR)")
_WHATWG_INTERPRET = Source("whatwg-sse", "#event-stream-interpretation")


@invariant(
    id="FRAME-001",
    rule="Every data event carries one JSON object or the literal [DONE].",
    severity=Severity.MUST,
    group="framing",
    modes={Mode.STREAM},
    sources=[
        _OPENAPI_DATA_ONLY,
        _SDK_JSON,
        Source("seed-000", "L81-L85 (stream: the message stream ends with data: [DONE])"),
    ],
)
def every_data_event_is_json_object_or_done(obs: Observation) -> Iterator[Violation]:
    """Each dispatched event's data must be a JSON object (a chunk) or exactly `[DONE]`.

    The openai SDK calls `json.loads` on every other event, so an empty `data:`, a keep-alive sent
    as data (`data: : keep-alive`), `ping` or a JSON array/string aborts the client's stream.
    """
    require_event_stream(obs)
    for p in obs.payloads:
        if p.kind == "invalid":
            data = obs.decoded.events[p.event_index].data
            yield Violation(
                expected="one JSON object or the literal [DONE] as the event's data",
                received=f"data {describe(data)} that is not JSON ({p.error})",
                event_index=p.event_index,
            )
        elif p.kind == "json" and not isinstance(p.value, dict):
            yield Violation(
                expected="one JSON object or the literal [DONE] as the event's data",
                received=f"a JSON {type(p.value).__name__}: {describe(p.value)}",
                event_index=p.event_index,
            )


@invariant(
    id="FRAME-002",
    rule="An event never holds two JSON values glued together.",
    severity=Severity.MUST,
    group="framing",
    modes={Mode.STREAM},
    sources=[
        _OPENAPI_DATA_ONLY,
        _SDK_JSON,
        _WHATWG_INTERPRET,
    ],
)
def event_holds_one_json_value(obs: Observation) -> Iterator[Violation]:
    """An event's data parses as exactly one JSON value.

    A server that writes two chunks without the blank line between them (or joins them with a
    single newline) produces one event holding `{...}{...}` or `{...}\\n{...}`; every client then
    fails to parse it (llama.cpp #14268).
    """
    require_event_stream(obs)
    for p in obs.payloads:
        # json.loads reports a complete value followed by more text as "Extra data"; no second parse needed.
        if p.kind == "invalid" and p.error.startswith("Extra data"):
            data = obs.decoded.events[p.event_index].data
            yield Violation(
                expected="exactly one JSON value per event (a blank line between chunks)",
                received=f"more than one JSON value glued in one event ({p.error}): {describe(data, 80)}",
                event_index=p.event_index,
            )


@invariant(
    id="FRAME-003",
    rule="The terminal marker is the bare text [DONE], not quoted or wrapped.",
    severity=Severity.MUST,
    group="framing",
    modes={Mode.STREAM},
    sources=[
        _OPENAPI_DATA_ONLY,
        Source("openai-python", "src/openai/_streaming.py L63", 'if sse.data.startswith("[DONE]")'),
        Source("seed-002", "L418 (streaming example ends with data: [DONE])"),
    ],
)
def done_marker_is_bare(obs: Observation) -> Iterator[Violation]:
    """No event looks like a terminal marker without being exactly `[DONE]`.

    `data: "[DONE]"`, `data: {"done": true}`, `data: [done]` or `data: [DONE] ` are not the marker:
    the SDK only stops on data starting with `[DONE]` and otherwise tries to parse them as chunks.
    """
    require_event_stream(obs)
    events = obs.decoded.events
    for p in obs.payloads:
        if p.kind == "done":
            continue
        data = events[p.event_index].data
        stripped = data.strip().strip('"').strip()
        value = p.value if p.kind == "json" else None
        wrapped_json = isinstance(value, dict) and (value.get("done") is True or value.get("data") == DONE)
        if stripped.upper() in (DONE, "DONE") or wrapped_json:
            yield Violation(
                expected="the bare data `[DONE]` as the terminal marker",
                received=f"a wrapped or altered marker: data {describe(data)}",
                event_index=p.event_index,
            )


@invariant(
    id="FRAME-004",
    rule="With id fields in use, no blank line closes a comment-only or empty block.",
    severity=Severity.SHOULD,
    group="framing",
    modes={Mode.STREAM},
    sources=[
        Source("openai-python", "src/openai/_streaming.py L342-L343 (an empty event is dispatched when "
               "last_event_id is set); issue #2722"),
        _WHATWG_INTERPRET,
    ],
)
def blank_line_never_closes_an_empty_block_when_ids_are_used(obs: Observation) -> Iterator[Violation]:
    """When the stream uses `id:`, keep-alive comments must not be followed by a blank line.

    WHATWG dispatches nothing for an empty block, but the openai SDK dispatches an event with
    empty data once a last event id is set, and then `json.loads("")` raises (openai-python #2722).
    Streams without `id:` fields pass: comments there are harmless.
    """
    require_event_stream(obs)
    facts = obs.decoded.facts
    if "id" not in facts.fields_used or not facts.empty_blocks_after_id:
        return
    yield Violation(
        expected="no blank line after a comment-only or empty block once `id:` is in use",
        received=f"{facts.empty_blocks_after_id} empty block(s) closed by a blank line after an `id:` was set "
                 f"({facts.comment_only_blocks} comment-only block(s), "
                 f"e.g. {describe(list(facts.comment_samples[:2]))})",
    )


@invariant(
    id="FRAME-005",
    rule="Data lines use the data field followed by a colon and one space.",
    severity=Severity.SHOULD,
    group="framing",
    modes={Mode.STREAM},
    sources=[
        Source("seed-002", "L418 (the streaming example writes every event as `data: {...}`)"),
        Source("openai-python", "src/openai/_streaming.py L365 (one leading space stripped); issue #498"),
        _WHATWG_INTERPRET,
    ],
)
def data_lines_use_one_space(obs: Observation) -> Iterator[Violation]:
    """Data lines are written `data: {...}`; `data:{...}` is legal SSE but hand-written clients drop it."""
    require_event_stream(obs)
    facts = obs.decoded.facts
    if not facts.data_lines_without_space:
        return
    first = next((ev.index for ev in obs.decoded.events if ev.no_space_lines), None)
    yield Violation(
        expected="`data: ` with one space after the colon",
        received=f"{facts.data_lines_without_space} `data:` line(s) without the space, the first in event #{first}",
        event_index=first,
    )


@invariant(
    id="FRAME-006",
    rule="Line endings are LF, or the line-ending style the profile documents.",
    severity=Severity.SHOULD,
    group="framing",
    modes={Mode.STREAM},
    sources=[
        _WHATWG_PARSE,
        Source("seed-002", "L418 (the streaming example separates events with \\r\\n\\r\\n)"),
        Source("openai-python", "src/openai/_streaming.py L311 (CR, LF and CRLF all end a line)"),
    ],
)
def line_endings_follow_the_profile(obs: Observation) -> Iterator[Violation]:
    """Every line ends with LF, or with the profile's documented `line_ending` (e.g. CRLF).

    All three endings are legal SSE, but LF-only parsers fail on CRLF and nearly every parser
    fails on bare CR, so a deviation from what the provider documents is reported.
    """
    require_event_stream(obs)
    allowed = {"LF", obs.profile.line_ending}
    seen = obs.decoded.facts.line_endings
    bad = {k: n for k, n in seen.items() if k not in allowed and n}
    if bad:
        yield Violation(
            expected=f"line endings in {sorted(allowed)} (profile {obs.profile.name}: line_ending "
                     f"{obs.profile.line_ending})",
            received="line endings " + ", ".join(f"{k}×{n}" for k, n in sorted(seen.items())),
        )


@invariant(
    id="FRAME-007",
    rule="No event carries an event type other than message.",
    severity=Severity.SHOULD,
    group="framing",
    modes={Mode.STREAM},
    sources=[
        _OPENAPI_DATA_ONLY,
        Source("openai-python", "src/openai/_streaming.py L67 (only thread.* event types are special-cased)"),
    ],
)
def no_event_type_other_than_message(obs: Observation) -> Iterator[Violation]:
    """Chat streams are data-only; `event: message` is the SSE default and harmless, any other type is not."""
    require_event_stream(obs)
    for ev in obs.decoded.events:
        if ev.event not in (None, "message"):
            yield Violation(
                expected="no `event:` field, or `event: message`",
                received=f"event type {describe(ev.event)}",
                event_index=ev.index,
            )


@invariant(
    id="FRAME-008",
    rule="The response body is valid UTF-8.",
    severity=Severity.MUST,
    group="framing",
    modes={Mode.STREAM},
    sources=[
        Source("whatwg-sse", "#parsing-an-event-stream",
               "Event streams in this format must always be encoded as UTF-8."),
    ],
)
def body_is_valid_utf8(obs: Observation) -> Iterator[Violation]:
    """Every line decodes as UTF-8; the decoder counts lines that needed U+FFFD replacement."""
    require_event_stream(obs)
    bad = obs.decoded.facts.invalid_utf8_lines
    if bad:
        first = next((ev.index for ev in obs.decoded.events if "\ufffd" in ev.data), None)
        yield Violation(
            expected="a body that decodes as UTF-8",
            received=f"{bad} line(s) with invalid UTF-8 bytes" + (f", the first in event #{first}" if first is not None
                                                                 else ""),
            event_index=first,
        )


@invariant(
    id="FRAME-009",
    rule="The body ends at an event boundary, with no unterminated trailing event.",
    severity=Severity.MUST,
    group="framing",
    modes={Mode.STREAM},
    sources=[
        Source("whatwg-sse", "#event-stream-interpretation",
               "If the file ends in the middle of an event, before the final empty line, the incomplete event is "
               "not dispatched."),
        Source("openai-python", "src/openai/_streaming.py L311-L343 (an event is only yielded at a blank line)"),
    ],
)
def body_ends_at_an_event_boundary(obs: Observation) -> Iterator[Violation]:
    """The last event is closed by a blank line; bytes after the last blank line are discarded by every client."""
    require_event_stream(obs)
    tail = obs.decoded.facts.unterminated_tail
    if tail is not None and tail.strip():
        yield Violation(
            expected="the body to end with a blank line closing the last event",
            received=f"an unterminated trailing event {describe(tail)} (clients discard it)",
        )
