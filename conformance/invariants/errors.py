"""Errors and auth: the right status class, the error envelope, never a 200 stream for a request known bad."""

from __future__ import annotations

from collections.abc import Iterator

from ._behaviour_helpers import (
    clip,
    describe_status,
    error_envelope_problem,
    error_like_payloads,
)
from ._model import Expect, Mode, NotApplicable, Severity, Source, Violation
from ._observation import Observation
from ._registry import invariant

__all__: list[str] = []  # checks register themselves; nothing to import from here

_DS_ERRORS = Source("deepseek-docs", "quick_start/error_codes",
                    "400 Invalid Format; 401 Authentication Fails; 422 Invalid Parameters")
_SDK_STATUS = Source("openai-python", "src/openai/_client.py L417-L440 @656e3ca (_make_status_error)")
_SEED003_AUTH = Source("seed-003", "Authentication",
                       "All requests require a Bearer token in the Authorization header")
_SEED002_SECURITY = Source("seed-002", "security: bearer (x-apidog required: true)")
_ERROR_SCHEMA = Source("openai-openapi", "#/components/schemas/ErrorResponse")
_SDK_STREAM_ERROR = Source("openai-python", "src/openai/_streaming.py L86-L97 @656e3ca",
                           "An error occurred during streaming")

_STREAM_OPTIONS = "stream_options_without_stream"


def _stream_options_ignored(obs: Observation) -> bool:
    """The stream_options-without-stream scenario on a profile that documents ignoring it (ERROR-007 judges)."""
    return _STREAM_OPTIONS in obs.scenario.features and obs.profile.stream_options_without_stream == "ignore"


def _is_auth(obs: Observation) -> bool:
    return obs.scenario.error_kind == "auth" or bool({"missing_key", "wrong_key"} & obs.scenario.features)


def _looks_like_sse(obs: Observation) -> bool:
    return obs.is_event_stream or obs.exchange.body.lstrip().startswith((b"data:", b"event:"))


def _auth_rejected(obs: Observation, what: str) -> Iterator[Violation]:
    if not obs.profile.auth_required:
        raise NotApplicable(f"profile {obs.profile.name} documents no API key")
    status = obs.exchange.status
    if status == 401:
        return
    hint = " (403 means authenticated but forbidden)" if status == 403 else ""
    allowed = obs.profile.status_for("auth")
    yield Violation(expected=f"HTTP 401 for {what} (profile {obs.profile.name}: auth_required, auth statuses "
                             f"{list(allowed)})", received=describe_status(status) + hint)


@invariant(
    id="ERROR-001",
    rule="A request without an API key is rejected with HTTP 401 where the profile requires a key.",
    severity=Severity.MUST,
    group="errors",
    requires={"missing_key"},
    expect=Expect.ERROR,
    sources=[_DS_ERRORS, _SEED003_AUTH, _SEED002_SECURITY, _SDK_STATUS],
)
def missing_key_401(obs: Observation) -> Iterator[Violation]:
    """No Authorization header must give 401 (the SDK raises AuthenticationError for it); a 200 means the
    endpoint is open, a 5xx that authentication crashed."""
    yield from _auth_rejected(obs, "a request without an API key")


@invariant(
    id="ERROR-002",
    rule="A request with a wrong API key is rejected with HTTP 401 where the profile requires a key.",
    severity=Severity.MUST,
    group="errors",
    requires={"wrong_key"},
    expect=Expect.ERROR,
    sources=[_DS_ERRORS, _SEED003_AUTH, _SDK_STATUS],
)
def wrong_key_401(obs: Observation) -> Iterator[Violation]:
    """A key the provider never issued must give 401, also for `stream: true` (no event stream is opened)."""
    yield from _auth_rejected(obs, "a request with a wrong API key")


@invariant(
    id="ERROR-003",
    rule="An invalid request gets a 4xx status from the profile's list for its error kind, never a 2xx or a 5xx.",
    severity=Severity.MUST,
    group="errors",
    expect=Expect.ERROR,
    sources=[_DS_ERRORS, _SDK_STATUS, Source("rfc9110", "Section 15.5 Client Error 4xx")],
)
def invalid_request_status(obs: Observation) -> Iterator[Violation]:
    """Bad JSON, out-of-range or wrong-typed parameters, empty messages, bad roles and bad credentials are client
    errors with the status the profile documents for their kind (e.g. 400 or 422; 401 for auth). A 2xx silently
    accepts the mistake; a 5xx blames the server (and the SDK retries it)."""
    if _is_auth(obs) and not obs.profile.auth_required:
        raise NotApplicable(f"profile {obs.profile.name} documents no API key")
    if _stream_options_ignored(obs):
        raise NotApplicable(f"profile {obs.profile.name} documents ignoring stream_options without stream")
    kind = obs.scenario.error_kind or ("auth" if _is_auth(obs) else "invalid_param")
    allowed = obs.profile.status_for(kind)
    status = obs.exchange.status
    if status in allowed:
        return
    received = describe_status(status)
    if status is not None and 400 <= status < 500:
        received += " (a 4xx, but not one the profile documents for this kind)"
    yield Violation(expected=f"one of {list(allowed)} (profile {obs.profile.name}: statuses.{kind})", received=received)


@invariant(
    id="ERROR-004",
    rule='An error response is an application/json body {"error": {...}} with a non-empty string message.',
    severity=Severity.MUST,
    group="errors",
    expect=Expect.ERROR,
    sources=[_ERROR_SCHEMA, Source("canonical", "#/components/schemas/ErrorResponse"), _DS_ERRORS,
             Source("openai-python", "src/openai/_response.py L243 @656e3ca (non-JSON content types)")],
)
def error_envelope(obs: Observation) -> Iterator[Violation]:
    """Clients show `error.message`; a plain-text, HTML or differently shaped body leaves the user with
    "Error code: 400" and nothing else. An invalid request answered with a completion (any 2xx body) carries
    no envelope either (ERROR-003 judges the status itself)."""
    status = obs.exchange.status
    if status is None:
        raise NotApplicable("no response")
    if _stream_options_ignored(obs):
        raise NotApplicable(f"profile {obs.profile.name} documents ignoring stream_options without stream")
    media = obs.exchange.media_type
    if media is None or not (media == "application/json" or media.endswith("+json")):
        yield Violation(expected="Content-Type application/json on the error response", received=f"{media!r}")
    try:
        body = obs.body_json
    except (ValueError, UnicodeDecodeError) as exc:
        yield Violation(expected='a JSON body {"error": {"message": ...}}',
                        received=f"not JSON ({exc}): {clip(obs.exchange.body[:120])}")
        return
    problem = error_envelope_problem(body)
    if problem:
        yield Violation(expected='{"error": {"message": <non-empty string>, ...}}',
                        received=f"HTTP {status}: {problem}")


@invariant(
    id="ERROR-005",
    rule="An error known before generation starts never arrives as an event stream or an HTTP 2xx stream.",
    severity=Severity.MUST,
    group="errors",
    expect=Expect.ERROR,
    sources=[Source("openai-openapi", "paths./chat/completions.post responses (L2122)"), _SDK_STREAM_ERROR, _DS_ERRORS],
)
def error_not_streamed(obs: Observation) -> Iterator[Violation]:
    """Validation happens before the first token: the answer is a 4xx JSON error. An HTTP 200 stream carrying
    the error (or an error status with an SSE body) makes the SDK report success or choke on the framing."""
    if _stream_options_ignored(obs):
        raise NotApplicable(f"profile {obs.profile.name} documents ignoring stream_options without stream")
    status = obs.exchange.status
    if status is None or not _looks_like_sse(obs):
        return
    media = obs.exchange.header("content-type")
    if 200 <= status < 300:
        errors = [clip(v.get("error", v)) for _, v in error_like_payloads(obs)]
        detail = f"; error event {errors[0]}" if errors else ""
        yield Violation(expected="a 4xx JSON error before any stream starts",
                        received=f"HTTP {status} event stream (Content-Type {media!r}){detail}")
    else:
        yield Violation(expected=f"HTTP {status} with a JSON error body",
                        received=f"an event-stream body (Content-Type {media!r})")


@invariant(
    id="ERROR-006",
    rule="A request naming an unknown model is rejected with a 4xx status.",
    severity=Severity.MUST,
    group="errors",
    requires={"unknown_model"},
    expect=Expect.ERROR,
    sources=[_SDK_STATUS, _DS_ERRORS, Source("seed-004", "requestBody.model enum [deepseek-chat, deepseek-reasoner]")],
)
def unknown_model_rejected(obs: Observation) -> Iterator[Violation]:
    """A model id the provider does not serve is a client error (400/404/422); silently routing it to some
    default model hides which model answered."""
    status = obs.exchange.status
    if status is not None and 400 <= status < 500:
        return
    yield Violation(expected=f"a 4xx for model {obs.request.get('model')!r}", received=describe_status(status))


@invariant(
    id="ERROR-007",
    rule="stream_options without stream true is rejected or ignored exactly as the profile documents.",
    severity=Severity.MUST,
    group="errors",
    requires={_STREAM_OPTIONS},
    expect=Expect.ERROR,
    sources=[Source("seed-000", "requestBody.stream_options",
                    "This parameter can only be set when the stream parameter is true."),
             Source("seed-001", "Body Parameters stream_options"), _DS_ERRORS],
)
def stream_options_without_stream(obs: Observation) -> Iterator[Violation]:
    """Profiles say `reject` (a 4xx from the profile's list) or `ignore` (an ordinary non-stream JSON answer,
    never an event stream). The engine runs this for scenarios built as errors; under `ignore` the scenario may
    instead be built as a success and judged by the header and schema groups."""
    policy = obs.profile.stream_options_without_stream
    status = obs.exchange.status
    fact = f"profile {obs.profile.name}: stream_options_without_stream {policy}"
    if policy == "reject":
        kind = obs.scenario.error_kind or "invalid_param"
        allowed = obs.profile.status_for(kind)
        if status not in allowed:
            yield Violation(expected=f"one of {list(allowed)} ({fact})", received=describe_status(status))
        return
    if status != 200:
        yield Violation(expected=f"HTTP 200: the stray stream_options is ignored ({fact})", received=f"HTTP {status}")
        return
    if _looks_like_sse(obs):
        yield Violation(expected=f"one JSON completion, not a stream ({fact})",
                        received=f"an event stream (Content-Type {obs.exchange.header('content-type')!r})")
        return
    body = obs.body_object
    if body is None or not isinstance(body.get("choices"), list):
        yield Violation(expected=f"a chat.completion JSON object ({fact})", received=clip(obs.exchange.body[:120]))


@invariant(
    id="ERROR-008",
    rule="An error event inside a stream has the shape the openai SDK raises on: an error object with a message.",
    severity=Severity.MUST,
    group="errors",
    modes={Mode.STREAM},
    sources=[_SDK_STREAM_ERROR, _ERROR_SCHEMA],
)
def stream_error_event_shape(obs: Observation) -> Iterator[Violation]:
    """The SDK raises `APIError(error.message)` only for a data event with a truthy `error` key; an event like
    `{"object": "error", "message": ...}` is yielded as an ordinary chunk (the failure is silently lost) and a
    non-object `error` or a missing message surfaces as a generic "An error occurred during streaming"."""
    if not obs.is_event_stream:
        raise NotApplicable("the body is not an event stream")
    found = False
    for event_index, value in error_like_payloads(obs):
        found = True
        problem = error_envelope_problem(value)
        if problem is None:
            continue
        if not value.get("error"):
            effect = "the SDK yields it as a chunk: the error is silently lost"
        else:
            effect = "the SDK raises with the generic message \"An error occurred during streaming\""
        yield Violation(expected='an error event {"error": {"message": <non-empty string>, ...}}',
                        received=f"{problem}; {effect}", event_index=event_index)
    if not found:
        raise NotApplicable("no error event in the stream")


@invariant(
    id="ERROR-009",
    rule="An unknown extra request field never causes a 5xx status.",
    severity=Severity.SHOULD,
    group="errors",
    requires={"extra_field"},
    sources=[Source("rfc9110", "Section 15.6 Server Error 5xx"),
             Source("deepseek-docs", "zh-cn/guides/reasoning_model: unsupported parameters do not trigger an error")],
)
def extra_field_no_5xx(obs: Observation) -> Iterator[Violation]:
    """Clients add vendor fields freely (`extra_body`); a strict server may refuse them with a 4xx, but a 5xx
    says the server broke on input it should have validated."""
    status = obs.exchange.status
    if status is not None and status >= 500:
        body = obs.body_object
        detail = f": {clip(body.get('error'))}" if body else ""
        yield Violation(expected="a 2xx or 4xx for a request with an unknown field",
                        received=f"HTTP {status}{detail}")

