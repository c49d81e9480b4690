"""Chunk and body schema (SCHEMA): every stream chunk and every non-stream body has the contract's shape."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import jsonschema_rs

from ..specs import component_schema
from ._model import Mode, Severity, Source, Violation
from ._observation import Observation
from ._registry import invariant
from ._stream_helpers import (
    choices_of,
    describe,
    first_and_count,
    is_int,
    require_event_stream,
    require_json_object_body,
)

__all__ = [
    "body_validates_against_the_response_schema",
    "chunk_choices_have_index_delta_and_finish_reason",
    "chunk_created_is_unix_seconds",
    "chunk_id_is_a_non_empty_string",
    "chunk_object_is_chat_completion_chunk",
    "chunks_validate_against_the_chunk_schema",
    "delta_content_is_string_or_null",
    "delta_role_is_assistant",
    "finish_reason_is_allowed",
    "logprobs_is_null_or_content_object",
    "no_chunk_carries_an_error",
    "nonstream_choice_is_complete",
    "system_fingerprint_is_a_string_where_documented",
    "usage_is_null_or_integer_counts",
]

_CHUNK_SCHEMA = "ChatCompletionChunk"
_BODY_SCHEMA = "ChatCompletion"
_MAX_ERRORS_PER_OBJECT = 3
# Unix seconds from 2020-01-01 to 2100-01-01; milliseconds (1.7e12) or a zero fall outside.
_CREATED_RANGE = (1_577_836_800, 4_102_444_800)
_USAGE_COUNTS = ("prompt_tokens", "completion_tokens", "total_tokens")

_OPENAPI_CHUNK = Source("openai-openapi", "openapi.yaml L33665 #/components/schemas/CreateChatCompletionStreamResponse")
_OPENAPI_BODY = Source("openai-openapi", "openapi.yaml L33507 #/components/schemas/CreateChatCompletionResponse")
_SEED2_EXAMPLE = Source("seed-002", "L418 (streaming example chunks)")


@cache
def _validator(component: str) -> Any:
    """The compiled canonical schema of a component (compiled once per process)."""
    return jsonschema_rs.validator_for(component_schema(component, "canonical"))


def _schema_violations(value: Any, component: str, event_index: int | None) -> Iterator[Violation]:
    validator = _validator(component)
    for n, error in enumerate(validator.iter_errors(value)):
        if n == _MAX_ERRORS_PER_OBJECT:
            break
        where = "/" + "/".join(str(p) for p in error.instance_path)
        yield Violation(
            expected=f"{component} per canonical.yaml (schema path /{'/'.join(str(p) for p in error.schema_path)})",
            received=f"at {where}: {describe(error.message, 200)}",
            event_index=event_index,
        )


def _each_stream_choice(obs: Observation) -> Iterator[tuple[int, int, dict[str, Any]]]:
    """(event index, choice position, choice) over every content chunk."""
    for event_index, chunk in obs.content_chunks:
        for pos, choice in choices_of(chunk):
            yield event_index, pos, choice


def _each_delta(obs: Observation) -> Iterator[tuple[int, int, dict[str, Any]]]:
    for event_index, pos, choice in _each_stream_choice(obs):
        delta = choice.get("delta")
        if isinstance(delta, dict):
            yield event_index, pos, delta


def _summarised(
    obs: Observation, expected: str, what: str, test: Callable[[dict[str, Any]], str | None]
) -> Iterator[Violation]:
    """One violation for a per-chunk fault: the first offending chunk, and how many share it."""
    found = [(i, text) for i, c in obs.content_chunks if (text := test(c)) is not None]
    if found:
        received, event_index = first_and_count(found, len(obs.content_chunks), what)
        yield Violation(expected=expected, received=received, event_index=event_index)


@invariant(
    id="SCHEMA-001",
    rule="Every chunk validates against the canonical chunk schema.",
    severity=Severity.MUST,
    group="schema",
    modes={Mode.STREAM},
    sources=[
        Source("canonical", "#/components/schemas/ChatCompletionChunk"),
        _OPENAPI_CHUNK,
    ],
)
def chunks_validate_against_the_chunk_schema(obs: Observation) -> Iterator[Violation]:
    """Each chunk (error events aside, SCHEMA-010 judges those) validates against canonical.yaml's ChatCompletionChunk.

    The schema is compiled once per process with jsonschema-rs; at most three errors are shown per chunk.
    """
    require_event_stream(obs)
    for event_index, chunk in obs.content_chunks:
        yield from _schema_violations(chunk, _CHUNK_SCHEMA, event_index)


@invariant(
    id="SCHEMA-002",
    rule="Every chunk's object is chat.completion.chunk.",
    severity=Severity.MUST,
    group="schema",
    modes={Mode.STREAM},
    sources=[
        _OPENAPI_CHUNK,
        Source("openai-python", "src/openai/lib/streaming/chat/_completions.py L115 (other objects are dropped)"),
        Source("openai-python", "src/openai/types/chat/chat_completion_chunk.py L143",
               'object: Literal["chat.completion.chunk"]'),
    ],
)
def chunk_object_is_chat_completion_chunk(obs: Observation) -> Iterator[Violation]:
    """`object` is exactly `chat.completion.chunk`; the SDK's stream helper silently drops any other chunk."""
    require_event_stream(obs)

    def test(chunk: dict[str, Any]) -> str | None:
        if chunk.get("object") == "chat.completion.chunk":
            return None
        return f"object {describe(chunk['object'])}" if "object" in chunk else "no `object` field"

    yield from _summarised(obs, 'object == "chat.completion.chunk" on every chunk', "chunks", test)


@invariant(
    id="SCHEMA-003",
    rule="Every chunk has a non-empty string id.",
    severity=Severity.MUST,
    group="schema",
    modes={Mode.STREAM},
    sources=[_OPENAPI_CHUNK, _SEED2_EXAMPLE],
)
def chunk_id_is_a_non_empty_string(obs: Observation) -> Iterator[Violation]:
    """`id` is present, a string, and not empty (TGI once sent `""`)."""
    require_event_stream(obs)

    def test(chunk: dict[str, Any]) -> str | None:
        value = chunk.get("id")
        if isinstance(value, str) and value:
            return None
        return f"id {describe(value)}" if "id" in chunk else "no `id` field"

    yield from _summarised(obs, "a non-empty string id on every chunk", "chunks", test)


@invariant(
    id="SCHEMA-004",
    rule="Every chunk's created is an integer count of Unix seconds.",
    severity=Severity.MUST,
    group="schema",
    modes={Mode.STREAM},
    sources=[
        Source("openai-openapi", "openapi.yaml L33665 CreateChatCompletionStreamResponse.created",
               "The Unix timestamp (in seconds) of when the chat completion was created."),
    ],
)
def chunk_created_is_unix_seconds(obs: Observation) -> Iterator[Violation]:
    """`created` is a JSON integer between 2020 and 2100 in Unix seconds (milliseconds or 0 fall outside)."""
    require_event_stream(obs)
    low, high = _CREATED_RANGE

    def test(chunk: dict[str, Any]) -> str | None:
        value = chunk.get("created")
        if "created" not in chunk:
            return "no `created` field"
        if not is_int(value):
            return f"created {describe(value)} is not an integer"
        if not low <= value < high:
            return f"created {value} is not Unix seconds (expected {low} <= created < {high})"
        return None

    yield from _summarised(obs, "an integer Unix-seconds `created` on every chunk", "chunks", test)


@invariant(
    id="SCHEMA-005",
    rule="Every choice has an integer index, an object delta and a finish_reason key.",
    severity=Severity.MUST,
    group="schema",
    modes={Mode.STREAM},
    sources=[
        Source("openai-openapi", "openapi.yaml L33665 CreateChatCompletionStreamResponse.choices.items.required",
               "delta, finish_reason, index"),
    ],
)
def chunk_choices_have_index_delta_and_finish_reason(obs: Observation) -> Iterator[Violation]:
    """Every chunk has a `choices` array; each choice is an object with an integer `index`, an object
    `delta` (never null: clients call attributes on it) and the `finish_reason` key (null until the end)."""
    require_event_stream(obs)
    for event_index, chunk in obs.content_chunks:
        choices = chunk.get("choices")
        if not isinstance(choices, list):
            yield Violation(
                expected="a `choices` array on every chunk",
                received=f"choices {describe(choices)}" if "choices" in chunk else "no `choices` field",
                event_index=event_index,
            )
            continue
        for pos, choice in enumerate(choices):
            if not isinstance(choice, dict):
                yield Violation(expected="each choice is an object", received=f"choices[{pos}] = {describe(choice)}",
                                event_index=event_index)
                continue
            problems = []
            if not is_int(choice.get("index")):
                problems.append(f"index {describe(choice.get('index'))}" if "index" in choice else "no index")
            if not isinstance(choice.get("delta"), dict):
                problems.append(f"delta {describe(choice.get('delta'))}" if "delta" in choice else "no delta")
            if "finish_reason" not in choice:
                problems.append("no finish_reason key")
            if problems:
                yield Violation(
                    expected="choice with integer index, object delta and a finish_reason key",
                    received=f"choices[{pos}]: " + ", ".join(problems),
                    event_index=event_index,
                )


@invariant(
    id="SCHEMA-006",
    rule="Every finish_reason is null or one of the values the profile allows.",
    severity=Severity.MUST,
    group="schema",
    sources=[
        Source("openai-openapi", "openapi.yaml L33665 CreateChatCompletionStreamResponse.choices.finish_reason (enum)"),
        Source("openai-python", "src/openai/types/chat/chat_completion_chunk.py L100 (finish_reason Literal)"),
        Source("deepseek-docs", "api/create-chat-completion (finish_reason adds insufficient_system_resource)"),
    ],
)
def finish_reason_is_allowed(obs: Observation) -> Iterator[Violation]:
    """A non-null `finish_reason` is one of `profile.finish_reasons` (OpenAI's enum, or DeepSeek's with
    `insufficient_system_resource`), in stream chunks and in the non-stream body."""
    allowed = obs.profile.finish_reasons
    expected = f"finish_reason null or one of {list(allowed)} (profile {obs.profile.name}: finish_reasons)"
    if obs.scenario.mode is Mode.STREAM:
        require_event_stream(obs)
        items: list[tuple[int | None, int, dict[str, Any]]] = list(_each_stream_choice(obs))
    else:
        body = require_json_object_body(obs)
        items = [(None, pos, choice) for pos, choice in choices_of(body)]
    for event_index, pos, choice in items:
        reason = choice.get("finish_reason")
        if reason is not None and reason not in allowed:
            yield Violation(expected=expected, received=f"choices[{pos}].finish_reason {describe(reason)}",
                            event_index=event_index)


@invariant(
    id="SCHEMA-007",
    rule="A delta role, when present and non-null, is assistant.",
    severity=Severity.MUST,
    group="schema",
    modes={Mode.STREAM},
    sources=[
        Source("openai-openapi", "openapi.yaml L31819 #/components/schemas/ChatCompletionStreamResponseDelta.role"),
        _SEED2_EXAMPLE,
    ],
)
def delta_role_is_assistant(obs: Observation) -> Iterator[Violation]:
    """`delta.role` is absent, null or `assistant`; a completion never speaks as user, system or tool."""
    require_event_stream(obs)
    for event_index, pos, delta in _each_delta(obs):
        role = delta.get("role")
        if role is not None and role != "assistant":
            yield Violation(expected='delta.role absent, null or "assistant"',
                            received=f"choices[{pos}].delta.role {describe(role)}", event_index=event_index)


@invariant(
    id="SCHEMA-008",
    rule="A delta content is a string, null or absent.",
    severity=Severity.MUST,
    group="schema",
    modes={Mode.STREAM},
    sources=[
        Source("openai-openapi", "openapi.yaml L31819 #/components/schemas/ChatCompletionStreamResponseDelta.content"),
    ],
)
def delta_content_is_string_or_null(obs: Observation) -> Iterator[Violation]:
    """`delta.content` is a string or null when present; clients concatenate it."""
    require_event_stream(obs)
    for event_index, pos, delta in _each_delta(obs):
        if "content" in delta and not (delta["content"] is None or isinstance(delta["content"], str)):
            yield Violation(expected="delta.content a string, null or absent",
                            received=f"choices[{pos}].delta.content {describe(delta['content'])}",
                            event_index=event_index)


def _usage_problems(usage: Any) -> list[str]:
    """What is wrong with a usage value (empty when it is null or integer counts)."""
    if usage is None:
        return []
    if not isinstance(usage, dict):
        return [f"usage {describe(usage)} is not an object"]
    problems = []
    for name in _USAGE_COUNTS:
        if name not in usage:
            problems.append(f"no {name}")
        elif not is_int(usage[name]) or usage[name] < 0:
            problems.append(f"{name} {describe(usage[name])}")
    for name, value in usage.items():
        if name in _USAGE_COUNTS:
            continue
        if name.endswith("_tokens") and value is not None and not (is_int(value) and value >= 0):
            problems.append(f"{name} {describe(value)}")
        elif name.endswith("_details") and value is not None:
            if not isinstance(value, dict):
                problems.append(f"{name} {describe(value)} is not an object")
            else:
                problems.extend(f"{name}.{k} {describe(v)}" for k, v in value.items()
                                if v is not None and not (is_int(v) and v >= 0))
    return problems


@invariant(
    id="SCHEMA-009",
    rule="The usage value is null or an object of non-negative integer token counts.",
    severity=Severity.MUST,
    group="schema",
    sources=[
        Source("openai-openapi", "openapi.yaml L32211 #/components/schemas/CompletionUsage",
               "prompt_tokens, completion_tokens, total_tokens"),
        Source("seed-002", "L283-L318 (usage counts typed integer)"),
    ],
)
def usage_is_null_or_integer_counts(obs: Observation) -> Iterator[Violation]:
    """Wherever `usage` appears it is null or an object whose `prompt_tokens`, `completion_tokens` and
    `total_tokens` (and any other `*_tokens` / `*_details` counts) are non-negative integers."""
    expected = "usage null, or an object of non-negative integer prompt/completion/total_tokens"
    if obs.scenario.mode is Mode.STREAM:
        require_event_stream(obs)
        items: list[tuple[int | None, Any]] = [(i, c["usage"]) for i, c in obs.content_chunks if "usage" in c]
    else:
        body = require_json_object_body(obs)
        items = [(None, body["usage"])] if "usage" in body else []
    for event_index, usage in items:
        problems = _usage_problems(usage)
        if problems:
            yield Violation(expected=expected, received="; ".join(problems), event_index=event_index)


@invariant(
    id="SCHEMA-010",
    rule="No chunk carries an error object as an in-band error event.",
    severity=Severity.MUST,
    group="schema",
    modes={Mode.STREAM},
    sources=[
        Source("openai-python", "src/openai/_streaming.py L86-L97 (a truthy `error` key raises APIError)"),
        _OPENAPI_CHUNK,
    ],
)
def no_chunk_carries_an_error(obs: Observation) -> Iterator[Violation]:
    """A successful stream has no event with a truthy `error` key; the SDK raises on the first one, so an
    error that arrives after HTTP 200 aborts the client mid-answer."""
    require_event_stream(obs)
    for event_index, chunk in obs.chunks:
        error = chunk.get("error")
        if error:
            message = error.get("message") if isinstance(error, dict) else error
            yield Violation(expected="no error object inside a 200 stream",
                            received=f"an error event: {describe(message)}", event_index=event_index)


@invariant(
    id="SCHEMA-011",
    rule="A choice's logprobs is null or an object with content and refusal arrays.",
    severity=Severity.MUST,
    group="schema",
    sources=[
        Source("openai-openapi", "openapi.yaml L33665 CreateChatCompletionStreamResponse.choices.logprobs"),
        Source("seed-002", "L230-L260 (choices[].logprobs with a content array)"),
    ],
)
def logprobs_is_null_or_content_object(obs: Observation) -> Iterator[Violation]:
    """`choices[].logprobs` is absent, null, or an object whose `content` key is an array or null; `refusal`,
    when present, is an array or null too (DeepSeek documents only `content`)."""
    if obs.scenario.mode is Mode.STREAM:
        require_event_stream(obs)
        items: list[tuple[int | None, int, dict[str, Any]]] = list(_each_stream_choice(obs))
    else:
        body = require_json_object_body(obs)
        items = [(None, pos, choice) for pos, choice in choices_of(body)]
    for event_index, pos, choice in items:
        lp = choice.get("logprobs")
        if lp is None:
            continue
        problem = None
        if not isinstance(lp, dict):
            problem = f"logprobs {describe(lp)} is not an object"
        elif "content" not in lp:
            problem = f"logprobs {describe(lp)} has no content key"
        else:
            bad = [k for k in ("content", "refusal") if k in lp and not (lp[k] is None or isinstance(lp[k], list))]
            if bad:
                problem = ", ".join(f"logprobs.{k} {describe(lp[k])}" for k in bad)
        if problem:
            yield Violation(expected="logprobs null, or {content: array|null, refusal: array|null}",
                            received=f"choices[{pos}].{problem}", event_index=event_index)


@invariant(
    id="SCHEMA-012",
    rule="The system_fingerprint is a string, present on every chunk or body where the profile documents it.",
    severity=Severity.MUST,
    group="schema",
    sources=[
        Source("seed-002", "L319-L328 and L396-L415 (system_fingerprint required in both responses)"),
        Source("seed-004", "L143-L167 (system_fingerprint required)"),
        Source("openai-openapi", "openapi.yaml L33665 CreateChatCompletionStreamResponse.system_fingerprint"),
    ],
)
def system_fingerprint_is_a_string_where_documented(obs: Observation) -> Iterator[Violation]:
    """`system_fingerprint` is a string (null allowed) when present; where the profile documents it
    (`system_fingerprint: true`) it is a string on every chunk and on the body."""
    documented = obs.profile.system_fingerprint
    if obs.scenario.mode is Mode.STREAM:
        require_event_stream(obs)
        items: list[tuple[int | None, dict[str, Any]]] = list(obs.content_chunks)
    else:
        items = [(None, require_json_object_body(obs))]
    missing: list[tuple[int, str]] = []
    for event_index, obj in items:
        value = obj.get("system_fingerprint")
        if "system_fingerprint" in obj and value is not None and not isinstance(value, str):
            yield Violation(expected="system_fingerprint a string",
                            received=f"system_fingerprint {describe(value)}", event_index=event_index)
        elif documented and not isinstance(value, str):
            missing.append((event_index if event_index is not None else -1,
                            f"system_fingerprint {describe(value)}" if "system_fingerprint" in obj
                            else "no system_fingerprint"))
    if missing:
        received, event_index = first_and_count(missing, len(items), "objects")
        yield Violation(
            expected=f"a string system_fingerprint on every chunk and body (profile {obs.profile.name}: "
                     "system_fingerprint true)",
            received=received,
            event_index=event_index if event_index >= 0 else None,
        )


@invariant(
    id="SCHEMA-013",
    rule="A non-stream body validates against the canonical response schema with object chat.completion.",
    severity=Severity.MUST,
    group="schema",
    modes={Mode.NONSTREAM},
    sources=[
        Source("canonical", "#/components/schemas/ChatCompletion"),
        _OPENAPI_BODY,
    ],
)
def body_validates_against_the_response_schema(obs: Observation) -> Iterator[Violation]:
    """The 200 body validates against canonical.yaml's ChatCompletion (which pins `object: chat.completion`)."""
    body = require_json_object_body(obs)
    yield from _schema_violations(body, _BODY_SCHEMA, None)


@invariant(
    id="SCHEMA-014",
    rule="A non-stream choice has an index, an assistant message and a non-null finish_reason.",
    severity=Severity.MUST,
    group="schema",
    modes={Mode.NONSTREAM},
    sources=[
        Source("openai-openapi", "openapi.yaml L33507 CreateChatCompletionResponse.choices.items.required",
               "finish_reason, index, message, logprobs"),
        Source("openai-openapi", "openapi.yaml L31629 #/components/schemas/ChatCompletionResponseMessage"),
        Source("seed-002", "L337-L344 (non-stream example choice)"),
    ],
)
def nonstream_choice_is_complete(obs: Observation) -> Iterator[Violation]:
    """The body has at least one choice; each is an object with an integer `index`, a `message` object whose
    role is `assistant` and whose content is a string or null, and a non-null `finish_reason`."""
    body = require_json_object_body(obs)
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        yield Violation(expected="a non-empty choices array", received=f"choices {describe(choices)}")
        return
    for pos, choice in enumerate(choices):
        if not isinstance(choice, dict):
            yield Violation(expected="each choice is an object", received=f"choices[{pos}] = {describe(choice)}")
            continue
        problems = []
        if not is_int(choice.get("index")):
            problems.append(f"index {describe(choice.get('index'))}" if "index" in choice else "no index")
        msg = choice.get("message")
        if not isinstance(msg, dict):
            problems.append(f"message {describe(msg)}" if "message" in choice else "no message")
        else:
            if msg.get("role") != "assistant":
                problems.append(f"message.role {describe(msg.get('role'))}")
            content = msg.get("content")
            if content is not None and not isinstance(content, str):
                problems.append(f"message.content {describe(content)}")
        if choice.get("finish_reason") is None:
            problems.append("finish_reason null" if "finish_reason" in choice else "no finish_reason")
        if problems:
            yield Violation(expected="choice with integer index, an assistant message and a non-null finish_reason",
                            received=f"choices[{pos}]: " + ", ".join(problems))
