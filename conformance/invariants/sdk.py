"""SDK compatibility: the captured bytes replayed through the official openai package.

The replay (`conformance.sdk`) serves the recorded response to the SDK from memory; these checks read
what the SDK raised, yielded and assembled, and compare it with what the wire carried. Each observation
is replayed at most once per mode (the result is cached on the observation).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from typing import Any

from ..capture._model import EndReason
from ..sdk._replay import SdkChoice, SdkReport, SdkRun, SdkUnavailable, replay_nonstream, replay_stream
from ._behaviour_helpers import clip, is_int, iter_choice_deltas
from ._model import Mode, NotApplicable, Severity, Source, Violation
from ._observation import AssembledChoice, Observation
from ._registry import invariant

__all__: list[str] = []  # checks register themselves; nothing to import from here

_STREAMING = Source("openai-python", "src/openai/_streaming.py L63-L97 @656e3ca (Stream.__stream__)")
_DELTAS = Source("openai-python", "src/openai/lib/streaming/_deltas.py L28-L47 @656e3ca (accumulate_delta)")
_HELPER = Source("openai-python", "src/openai/lib/streaming/chat/_completions.py L115, L238, L763 @656e3ca",
                 "_is_valid_chat_completion_chunk_weak")
_BASE_CLIENT = Source("openai-python", "src/openai/_base_client.py _process_response_data @656e3ca")
_RESPONSE = Source("openai-python", "src/openai/_response.py L243 @656e3ca")
_CHUNK = Source("openai-openapi", "#/components/schemas/CreateChatCompletionStreamResponse (L33665)")
_COMPLETION = Source("openai-openapi", "#/components/schemas/CreateChatCompletionResponse (L33507)")

# Exceptions the `.stream()` helper raises by design for a legitimately cut or filtered answer.
_EXPECTED_HELPER_ERRORS = {"LengthFinishReasonError": "length", "ContentFilterFinishReasonError": "content_filter"}
# Captures the suite itself cut short: the SDK would have kept reading, so a replay would misjudge it.
_SUITE_BOUNDS = (EndReason.MAX_BYTES, EndReason.MAX_EVENTS)

_reports: weakref.WeakKeyDictionary[Observation, SdkReport] = weakref.WeakKeyDictionary()


def _report(obs: Observation) -> SdkReport:
    """The SDK replay of this observation (computed once)."""
    cached = _reports.get(obs)
    if cached is not None:
        return cached
    if obs.exchange.status != 200:
        raise NotApplicable(f"HTTP {obs.exchange.status}: the SDK raises its status error by design (HEAD-006)")
    if obs.exchange.end in _SUITE_BOUNDS:
        raise NotApplicable(f"the capture was cut by the suite's own bound ({obs.exchange.end.value})")
    replay = replay_stream if obs.scenario.mode is Mode.STREAM else replay_nonstream
    try:
        report = replay(obs.exchange, obs.request)
    except SdkUnavailable as exc:
        raise NotApplicable(str(exc)) from None
    _reports[obs] = report
    return report


def _stream_report(obs: Observation) -> SdkReport:
    if not obs.is_event_stream:
        raise NotApplicable(f"the body is not an event stream (Content-Type {obs.exchange.header('content-type')}; "
                            "HEAD-001 reports it)")
    return _report(obs)


def _failing_event(obs: Observation, chunks: int) -> int | None:
    """The wire event near which the SDK stopped: the first data event after the chunks it yielded."""
    events = []
    for payload in obs.payloads:
        if payload.kind == "done":
            break
        events.append(payload.event_index)
    return events[chunks] if chunks < len(events) else None


def _ended_note(obs: Observation) -> str:
    end = obs.exchange.end
    return "" if end is EndReason.EOF else f"; the capture ended with {end.value}, replayed as that network error"


@invariant(
    id="SDK-001",
    rule="The official openai SDK iterates the stream from create(stream=True) to its end without raising.",
    severity=Severity.MUST,
    group="sdk",
    modes={Mode.STREAM},
    sources=[_STREAMING, _CHUNK],
)
def sdk_consumes_stream(obs: Observation) -> Iterator[Violation]:
    """The captured bytes are replayed to `client.chat.completions.create(stream=True)`; any exception is what
    every SDK user would get (a non-JSON data event, an error event, invalid UTF-8, a cut body). A data event
    that is JSON but not an object (e.g. a quoted "[DONE]") comes out as a bare value that breaks the caller."""
    report = _stream_report(obs)
    raw = report.raw
    expected = f"openai {report.sdk_version} {raw.api} yields every chunk without raising"
    for note in raw.notes:
        yield Violation(expected=expected, received=f"{note}: user code reading chunk.choices raises")
    if raw.raised:
        yield Violation(
            expected=expected,
            received=f"{raw.describe_error()} after {raw.chunks} chunk(s){_ended_note(obs)}",
            event_index=_failing_event(obs, raw.chunks),
        )


def _wire_calls(acc: AssembledChoice) -> list[tuple[int, Any]]:
    return sorted(((k, c) for k, c in acc.tool_calls.items() if is_int(k)), key=lambda kc: kc[0])


def _role_deltas(obs: Observation, index: Any) -> int:
    return sum(1 for _, key, delta in iter_choice_deltas(obs) if key == index and delta.get("role"))


def _compare_choice(obs: Observation, index: Any, wire: AssembledChoice, sdk: SdkChoice) -> Iterator[str]:
    """What the SDK's assembly of one choice lost or changed, relative to the wire."""
    if wire.role != sdk.role:
        repeated = _role_deltas(obs, index)
        why = f" (role sent on {repeated} deltas and concatenated)" if repeated > 1 else ""
        yield f"role {clip(sdk.role)} where the wire carries {clip(wire.role)}{why}"
    if (wire.content or "") != (sdk.content or ""):
        yield f"content {clip(sdk.content)} where the wire carries {clip(wire.content)}"
    for name, text in wire.reasoning.items():
        if text != (sdk.reasoning.get(name) or ""):
            yield f"{name} {clip(sdk.reasoning.get(name))} where the wire carries {clip(text)}"
    wire_calls = _wire_calls(wire)
    if len(wire_calls) != len(sdk.tool_calls):
        yield f"{len(sdk.tool_calls)} tool call(s) where the wire carries {len(wire_calls)}"
    for (key, call), got in zip(wire_calls, sdk.tool_calls, strict=False):
        for what, want, have in (("id", call.id, got.id), ("name", call.name, got.name)):
            if want != have:
                yield f"tool call {key} {what} {clip(have)} where the wire carries {clip(want)}"
        if call.argument_types <= {"str"} and call.arguments != got.arguments:
            yield f"tool call {key} arguments {clip(got.arguments)} where the wire carries {clip(call.arguments)}"
    if wire.finish_reason != sdk.finish_reason:
        yield f"finish_reason {clip(sdk.finish_reason)} where the wire's first is {clip(wire.finish_reason)}"


def _mistyped(run: SdkRun) -> Iterator[str]:
    """Values the SDK hands out with a type its own models do not declare (it does not validate by default)."""
    for choice in run.choices:
        if not isinstance(choice.role, str):
            yield (f"choice {choice.index} message.role {clip(choice.role)} where its type declares \"assistant\" "
                   "(a follow-up request built from this message is invalid)")
        if choice.content is not None and not isinstance(choice.content, str):
            yield f"choice {choice.index} content as {type(choice.content).__name__}, not str"
        for call in choice.tool_calls:
            if not isinstance(call.arguments, str):
                yield (f"tool call {call.index} function.arguments as {type(call.arguments).__name__}, not the str "
                       "its type declares (json.loads on it fails)")


def _compare(obs: Observation, run: SdkRun) -> Iterator[str]:
    for index, wire in obs.assembled.items():
        if not is_int(index):
            continue  # an invalid choice index is judged by ORDER-009
        sdk = run.choice(index)
        if sdk is None:
            yield f"choice {index} is missing from {run.api}'s result"
            continue
        yield from _compare_choice(obs, index, wire, sdk)


@invariant(
    id="SDK-002",
    rule="The openai SDK's stream helper assembles the same message the wire carries, losing nothing.",
    severity=Severity.MUST,
    group="sdk",
    modes={Mode.STREAM},
    sources=[_DELTAS, _HELPER, _CHUNK],
)
def sdk_helper_assembles_wire(obs: Observation) -> Iterator[Violation]:
    """`client.chat.completions.stream()` concatenates every string it sees (a `role` on every delta becomes
    "assistantassistant..."), silently drops chunks whose `object` is not `chat.completion.chunk`, needs an
    integer `index` on tool-call deltas and keeps the last chunk's usage. Its final completion is compared
    with the message assembled from the wire, and its values must have the types the SDK declares. Bytes on
    which `create(stream=True)` already raises make the helper raise too (reported here for its users)."""
    report = _stream_report(obs)
    helper = report.helper
    if helper is None:
        raise NotApplicable(f"openai {report.sdk_version} has no chat.completions.stream() helper")
    expected = f"openai {report.sdk_version} {helper.api} reproduces the wire message"
    if helper.raised:
        wanted = _EXPECTED_HELPER_ERRORS.get(str(helper.error_type))
        if wanted is None or not any(acc.finish_reason == wanted for acc in obs.assembled.values()):
            yield Violation(expected=expected, received=f"it raised {helper.describe_error()}")
        return
    dropped = report.raw.chunks - helper.chunks
    if dropped > 0:
        wrong = [i for i, c in obs.content_chunks if c.get("object") != "chat.completion.chunk"]
        yield Violation(expected=expected,
                        received=f"it dropped {dropped} of {report.raw.chunks} chunk(s) (object is not "
                                 "chat.completion.chunk)", event_index=wrong[0] if wrong else None)
    for difference in _compare(obs, helper):
        yield Violation(expected=expected, received=f"it assembled {difference}")
    for problem in _mistyped(helper):
        yield Violation(expected=expected, received=f"it hands out {problem}")
    wire_usage = obs.usage
    if wire_usage is not None and helper.usage != wire_usage:
        yield Violation(expected=expected,
                        received=f"its final usage is {clip(helper.usage)} where the wire carries {clip(wire_usage)} "
                                 "(the helper keeps the last chunk's usage)")


@invariant(
    id="SDK-003",
    rule="The openai SDK parses the non-stream body into a chat completion that keeps every choice and message.",
    severity=Severity.MUST,
    group="sdk",
    modes={Mode.NONSTREAM},
    sources=[_BASE_CLIENT, _RESPONSE, _COMPLETION],
)
def sdk_parses_body(obs: Observation) -> Iterator[Violation]:
    """The body is replayed to `client.chat.completions.create()`. The SDK does not validate: a non-JSON
    Content-Type makes it return a plain string, a malformed body raises, a non-list `choices` gives an object
    whose `.choices[0]` breaks user code."""
    report = _report(obs)
    raw = report.raw
    expected = f"openai {report.sdk_version} {raw.api} returns a ChatCompletion matching the body"
    if raw.raised:
        yield Violation(expected=expected, received=f"it raised {raw.describe_error()}")
        return
    if raw.result_type != "ChatCompletion":
        media = obs.exchange.header("content-type")
        yield Violation(expected=expected, received=f"it returned a {raw.result_type} (Content-Type {media!r})")
        return
    for note in raw.notes:
        yield Violation(expected=expected, received=f"its result has {note}")
    for difference in _compare(obs, raw):
        yield Violation(expected=expected, received=f"it parsed {difference}")
    for problem in _mistyped(raw):
        yield Violation(expected=expected, received=f"it hands out {problem}")
