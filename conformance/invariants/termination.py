"""Termination (TERM): a stream ends with exactly one [DONE], every choice finished, within the capture bounds."""

from __future__ import annotations

from collections.abc import Iterator

from ..capture import EndReason
from ._model import Mode, NotApplicable, Severity, Source, Violation
from ._observation import Observation
from ._registry import invariant
from ._stream_helpers import choice_key, choices_of, describe, require_event_stream

__all__ = [
    "capture_stays_within_bounds",
    "done_is_sent_once_and_last",
    "every_choice_finishes_before_done",
    "stream_ends_with_done",
]

_OPENAPI_DONE = Source(
    "openai-openapi",
    "openapi.yaml L34005 (stream)",
    "with the stream terminated by a `data: [DONE]` message",
)
_SEED0_DONE = Source("seed-000", "L81-L85 stream", "The message stream ends with data: [DONE].")
_SEED1_DONE = Source("seed-001", "L32 stream", "The message stream ends with data: [DONE].")

# Ends that mean a capture bound tripped (the others: EOF, or transport trouble that TERM-001 reports).
_BOUND_ENDS = {
    EndReason.TTFB_TIMEOUT: "ttfb_s",
    EndReason.IDLE_TIMEOUT: "idle_s",
    EndReason.TOTAL_TIMEOUT: "total_s",
    EndReason.MAX_BYTES: "max_bytes",
    EndReason.MAX_EVENTS: "max_events",
}


@invariant(
    id="TERM-001",
    rule="The stream ends with data: [DONE] before the body closes.",
    severity=Severity.MUST,
    group="termination",
    modes={Mode.STREAM},
    sources=[
        _OPENAPI_DONE,
        _SEED0_DONE,
        _SEED1_DONE,
        Source("openai-python", "src/openai/_streaming.py L63 (a stream closed without [DONE] ends silently)"),
    ],
)
def stream_ends_with_done(obs: Observation) -> Iterator[Violation]:
    """A dispatched `[DONE]` event arrives. A stream cut before it fails even if the text looks complete:
    the SDK ends the loop silently, so truncated output would pass unnoticed."""
    require_event_stream(obs)
    if any(p.kind == "done" for p in obs.payloads):
        return
    ex = obs.exchange
    events = obs.decoded.events
    detail = f"the body ended after {len(events)} event(s) without [DONE] (capture end: {ex.end}"
    detail += f", {ex.end_detail})" if ex.end_detail else ")"
    tail = obs.decoded.facts.unterminated_tail
    # The tail is the buffered data ("[DONE]") or, when even the line was unterminated, the raw line.
    if tail is not None and tail.strip().removeprefix("data:").strip() == "[DONE]":
        detail += "; an unterminated `data: [DONE]` was discarded because no blank line closed it (FRAME-009)"
    elif events:
        detail += f"; last event {describe(events[-1].data, 60)}"
    yield Violation(
        expected="a `data: [DONE]` event before the body closes",
        received=detail,
        event_index=events[-1].index if events else None,
    )


@invariant(
    id="TERM-002",
    rule="The [DONE] marker is sent exactly once and nothing follows it.",
    severity=Severity.MUST,
    group="termination",
    modes={Mode.STREAM},
    sources=[_OPENAPI_DONE, _SEED0_DONE],
)
def done_is_sent_once_and_last(obs: Observation) -> Iterator[Violation]:
    """After the first `[DONE]`, no further event (another `[DONE]` or a chunk) and no unterminated data
    arrive; clients stop reading at the first marker and would drop whatever follows."""
    require_event_stream(obs)
    done = [p.event_index for p in obs.payloads if p.kind == "done"]
    if not done:
        raise NotApplicable("no [DONE] arrived (TERM-001 reports it)")
    first = done[0]
    for ev in obs.decoded.events[first + 1:]:
        what = "a second [DONE]" if ev.data == "[DONE]" else f"data {describe(ev.data, 80)}"
        yield Violation(expected=f"nothing after [DONE] (event #{first})", received=what, event_index=ev.index)
    tail = obs.decoded.facts.unterminated_tail
    if tail is not None and tail.strip():
        yield Violation(expected=f"nothing after [DONE] (event #{first})",
                        received=f"unterminated trailing data {describe(tail, 80)}")


@invariant(
    id="TERM-003",
    rule="Every choice has a finish_reason before [DONE].",
    severity=Severity.MUST,
    group="termination",
    modes={Mode.STREAM},
    sources=[
        Source("openai-openapi", "openapi.yaml L33665 CreateChatCompletionStreamResponse.choices.finish_reason"),
        Source("seed-002", "L418 (the last chunk carries finish_reason stop before [DONE])"),
    ],
)
def every_choice_finishes_before_done(obs: Observation) -> Iterator[Violation]:
    """At least one choice is streamed, and every streamed choice gets a non-null `finish_reason` before
    `[DONE]` (or before the body ends): without it a client cannot tell a complete answer from a cut one."""
    require_event_stream(obs)
    # Finish reasons per choice index, read straight from the chunks (no delta assembly needed).
    finished: dict[object, bool] = {}
    for _, chunk in obs.content_chunks:
        for _, choice in choices_of(chunk):
            key = choice_key(choice)
            finished[key] = finished.get(key, False) or choice.get("finish_reason") is not None
    if not finished:
        yield Violation(expected="at least one choice that ends with a finish_reason",
                        received=f"no choice in {len(obs.content_chunks)} chunk(s)")
        return
    last = obs.content_chunks[-1][0]
    for key, done in finished.items():
        if not done:
            yield Violation(expected=f"a non-null finish_reason for choice {describe(key)}",
                            received="none before the stream ended", event_index=last)


@invariant(
    id="TERM-004",
    rule="No gap between reads exceeds the idle bound, and the capture ends within its bounds.",
    severity=Severity.SHOULD,
    group="termination",
    sources=[
        Source("deepseek-docs", "quick_start/rate_limit (keep-alive comments and empty lines while waiting)"),
        Source("whatwg-sse", "#authoring-notes (send a comment line every 15 seconds or so)"),
    ],
)
def capture_stays_within_bounds(obs: Observation) -> Iterator[Violation]:
    """The provider keeps the connection alive (chunks, comments or blank lines) more often than the idle
    bound, answers within the time-to-first-byte bound, and finishes within the total, byte and event
    bounds. A capture cut by a bound is reported with the bound that tripped."""
    ex = obs.exchange
    b = ex.bounds
    bound = _BOUND_ENDS.get(ex.end)
    if bound is not None:
        yield Violation(expected=f"the response to end within its bounds ({bound} = {getattr(b, bound)})",
                        received=f"the capture was cut: {ex.end}" + (f" ({ex.end_detail})" if ex.end_detail else ""))
    events = obs.decoded.events if obs.scenario.mode is Mode.STREAM and obs.is_event_stream else ()
    previous = 0  # times are relative to t0, the request start: the first read's time is the time to first byte
    for n, read in enumerate(ex.reads):
        gap_s = (read.t_ns - previous) / 1e9
        limit = b.ttfb_s if n == 0 else b.idle_s
        if gap_s > limit:
            at = next((ev.index for ev in events if ev.t_ns >= read.t_ns), None)
            what = "from the request to the first body byte" if n == 0 else f"between read {n - 1} and read {n}"
            yield Violation(
                expected=f"no gap above {'ttfb_s' if n == 0 else 'idle_s'} = {limit:g} s",
                received=f"{gap_s:.3f} s {what}",
                event_index=at,
            )
        previous = read.t_ns
    if ex.end is EndReason.EOF and ex.t_end_ns / 1e9 > b.total_s:
        yield Violation(expected=f"the capture to finish within total_s = {b.total_s:g} s",
                        received=f"{ex.t_end_ns / 1e9:.3f} s")
