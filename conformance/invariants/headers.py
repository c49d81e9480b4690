"""Headers and media types (HEAD): the body's form follows the request's `stream` flag, and valid requests get 200."""

from __future__ import annotations

from collections.abc import Iterator

from ._model import Expect, Mode, NotApplicable, Severity, Source, Violation
from ._observation import Observation
from ._registry import invariant
from ._stream_helpers import describe

__all__ = [
    "accept_sse_alone_never_streams",
    "error_response_is_json",
    "nonstream_body_is_one_json_object",
    "nonstream_response_is_json",
    "stream_is_event_stream",
    "stream_is_not_length_delimited",
    "valid_request_gets_200",
]

_OPENAPI_OP = "openapi.yaml L2122 #/paths/~1chat~1completions/post/responses/200/content"


def _require_200(obs: Observation) -> None:
    if obs.exchange.status != 200:
        raise NotApplicable(f"HTTP {obs.exchange.status}, not 200 (HEAD-006 reports the status)")


def _content_type(obs: Observation) -> str:
    return describe(obs.exchange.header("content-type"))


def _looks_like_sse(obs: Observation) -> bool:
    """The body reads as an event stream: it dispatches events and is not one JSON value."""
    if obs.body_object is not None:
        return False
    return bool(obs.decoded.events)


@invariant(
    id="HEAD-001",
    rule="A stream true request is answered with Content-Type text/event-stream.",
    severity=Severity.MUST,
    group="headers",
    modes={Mode.STREAM},
    sources=[
        Source("openai-openapi", f"{_OPENAPI_OP} (text/event-stream)"),
        Source("whatwg-sse", "#parsing-an-event-stream (the event stream MIME type is text/event-stream)"),
    ],
)
def stream_is_event_stream(obs: Observation) -> Iterator[Violation]:
    """A 200 answer to `stream: true` has media type `text/event-stream` (parameters such as charset allowed),
    also when the client sends `Accept: application/json` as the openai SDK does."""
    _require_200(obs)
    if obs.exchange.media_type != "text/event-stream":
        yield Violation(expected="Content-Type text/event-stream for stream: true",
                        received=f"Content-Type {_content_type(obs)}")


def _json_content_type(obs: Observation, what: str) -> Iterator[Violation]:
    if obs.exchange.media_type != "application/json":
        yield Violation(expected=f"Content-Type application/json for {what}",
                        received=f"Content-Type {_content_type(obs)} (HTTP {obs.exchange.status})")


@invariant(
    id="HEAD-002",
    rule="A non-stream response has Content-Type application/json.",
    severity=Severity.MUST,
    group="headers",
    modes={Mode.NONSTREAM},
    sources=[
        Source("openai-openapi", f"{_OPENAPI_OP} (application/json)"),
        Source("openai-python", "src/openai/_response.py L243 (non-JSON content types come back as raw text)"),
        Source("seed-002", "L166-L170 (200 non-stream response content application/json)"),
    ],
)
def nonstream_response_is_json(obs: Observation) -> Iterator[Violation]:
    """A 200 answer to a non-stream request is labelled `application/json`."""
    _require_200(obs)
    yield from _json_content_type(obs, "a non-stream response")


@invariant(
    id="HEAD-007",
    rule="An error response has Content-Type application/json.",
    severity=Severity.MUST,
    group="headers",
    expect=Expect.ERROR,
    sources=[
        Source("openai-python", "src/openai/_response.py L243 (non-JSON content types come back as raw text)"),
        Source("openai-python", "src/openai/_client.py L417-L440 (error bodies become APIStatusError.body)"),
    ],
)
def error_response_is_json(obs: Observation) -> Iterator[Violation]:
    """The error half of HEAD-002: a 4xx/5xx answer, in either mode, is labelled `application/json` so clients
    can read the error envelope. A 2xx answer to an invalid request is judged by the errors group."""
    status = obs.exchange.status
    if status is None or status < 400:
        raise NotApplicable(f"HTTP {status} is not an error response (ERROR-003 judges the status)")
    yield from _json_content_type(obs, "an error response")


@invariant(
    id="HEAD-003",
    rule="An Accept text/event-stream header alone never turns a non-stream request into a stream.",
    severity=Severity.MUST,
    group="headers",
    requires={"accept_sse"},
    modes={Mode.NONSTREAM},
    sources=[
        Source("openai-openapi", "openapi.yaml L33321 CreateChatCompletionRequest.stream (default false)"),
        Source("openai-python", "src/openai/_base_client.py L672 (the SDK always sends Accept: application/json)"),
    ],
)
def accept_sse_alone_never_streams(obs: Observation) -> Iterator[Violation]:
    """With `Accept: text/event-stream` but no `stream: true` in the body, the answer is still one JSON object
    with Content-Type application/json: streaming is selected by the body, not by content negotiation."""
    _require_200(obs)
    if obs.exchange.media_type == "text/event-stream" or _looks_like_sse(obs):
        yield Violation(
            expected="a JSON response: the body has no stream: true",
            received=f"an event stream (Content-Type {_content_type(obs)}, {len(obs.decoded.events)} event(s))",
        )


@invariant(
    id="HEAD-004",
    rule="A request with stream false or omitted gets one JSON object, with no SSE framing and no [DONE].",
    severity=Severity.MUST,
    group="headers",
    modes={Mode.NONSTREAM},
    sources=[
        Source("openai-openapi", "openapi.yaml L33321 CreateChatCompletionRequest.stream (default false)"),
        Source("seed-002", "L134 and L166-L170 (stream: false answered with application/json)"),
        Source("deepseek-docs", "quick_start/rate_limit (non-stream keep-alive is empty lines before the JSON)"),
    ],
)
def nonstream_body_is_one_json_object(obs: Observation) -> Iterator[Violation]:
    """The 200 body of a non-stream request parses as exactly one JSON object (leading blank lines, DeepSeek's
    keep-alive, are allowed); `data:` lines or a `[DONE]` appended to the JSON fail."""
    _require_200(obs)
    try:
        value = obs.body_json
    except ValueError as exc:
        sse = _looks_like_sse(obs)
        done = any(p.kind == "done" for p in obs.payloads) if sse else False
        shape = f"an SSE body with {len(obs.decoded.events)} event(s)" + (" and [DONE]" if done else "") if sse \
            else f"a body that is not one JSON value ({exc})"
        yield Violation(expected="one JSON object as the whole body", received=shape)
        return
    if not isinstance(value, dict):
        yield Violation(expected="one JSON object as the whole body", received=f"a JSON {type(value).__name__}")


@invariant(
    id="HEAD-005",
    rule="A streamed response is not length-delimited and carries no Content-Length.",
    severity=Severity.SHOULD,
    group="headers",
    modes={Mode.STREAM},
    sources=[
        Source("rfc9110", "Section 8.6 Content-Length"),
        Source("openai-openapi", "openapi.yaml L33321 CreateChatCompletionRequest.stream",
               "streamed to the client as it is generated"),
    ],
)
def stream_is_not_length_delimited(obs: Observation) -> Iterator[Violation]:
    """A streamed body is sent as it is generated (chunked or close-delimited): a Content-Length means the
    server buffered the whole answer before sending it."""
    _require_200(obs)
    if not obs.is_event_stream:
        raise NotApplicable(f"Content-Type {_content_type(obs)} is not an event stream (HEAD-001 reports it)")
    length = obs.exchange.header("content-length")
    if length is not None:
        yield Violation(expected="no Content-Length on a stream (chunked or close-delimited)",
                        received=f"Content-Length {describe(length)}")


@invariant(
    id="HEAD-006",
    rule="A documented-valid request is answered with HTTP 200.",
    severity=Severity.MUST,
    group="headers",
    sources=[
        Source("openai-openapi", "openapi.yaml L2122 #/paths/~1chat~1completions/post/responses/200"),
        Source("seed-002", "L166-L167 (responses '200')"),
    ],
)
def valid_request_gets_200(obs: Observation) -> Iterator[Violation]:
    """A scenario the contract documents as valid gets HTTP 200, in both modes; the error message, when the
    body has one, is shown."""
    status = obs.exchange.status
    if status == 200:
        return
    body = obs.body_object
    error = body.get("error") if body else None
    message = error.get("message") if isinstance(error, dict) else error
    yield Violation(
        expected="HTTP 200 for a documented-valid request",
        received=f"HTTP {status}" + (f" with error {describe(message)}" if message is not None else ""),
    )
