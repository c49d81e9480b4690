"""Ordering (ORDER): what stays constant across chunks and in which order roles, content and finishes arrive."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._model import Mode, NotApplicable, Severity, Source, Violation
from ._observation import REASONING_FIELDS, Observation
from ._registry import invariant
from ._stream_helpers import (
    choice_key,
    choices_of,
    describe,
    first_and_count,
    is_int,
    require_event_stream,
    require_json_object_body,
)

__all__ = [
    "choice_index_is_in_range",
    "chunk_created_is_constant",
    "chunk_id_is_constant",
    "chunk_model_is_constant",
    "empty_choices_only_on_the_usage_chunk",
    "finish_chunk_carries_no_new_content",
    "first_delta_carries_role",
    "one_finish_reason_per_choice_on_its_last_chunk",
    "only_usage_after_every_choice_finished",
    "role_appears_once_per_choice",
]

_OPENAPI_CHUNK = "openapi.yaml L33665 #/components/schemas/CreateChatCompletionStreamResponse"
_OPENAPI_EXAMPLE = Source(
    "openai-openapi",
    "openapi.yaml L33665 CreateChatCompletionStreamResponse example (first delta role, last delta {} with finish)",
)


def _constant_field(obs: Observation, name: str) -> Iterator[Violation]:
    require_event_stream(obs)
    chunks = [(i, c) for i, c in obs.content_chunks if name in c]
    if not chunks:
        return
    first_index, first = chunks[0]
    reference = first[name]
    differing = [(i, f"{name} {describe(c[name])}") for i, c in chunks[1:] if c[name] != reference]
    if differing:
        received, event_index = first_and_count(differing, len(chunks), "chunks")
        yield Violation(
            expected=f"{name} {describe(reference)} (as on event #{first_index}) on every chunk",
            received=received,
            event_index=event_index,
        )


@invariant(
    id="ORDER-001",
    rule="The id is identical on every chunk.",
    severity=Severity.MUST,
    group="ordering",
    modes={Mode.STREAM},
    sources=[Source("openai-openapi", f"{_OPENAPI_CHUNK}.id", "Each chunk has the same ID.")],
)
def chunk_id_is_constant(obs: Observation) -> Iterator[Violation]:
    """All chunks of one response share the first chunk's `id` (clients key the message on it)."""
    yield from _constant_field(obs, "id")


@invariant(
    id="ORDER-002",
    rule="The created timestamp is identical on every chunk.",
    severity=Severity.MUST,
    group="ordering",
    modes={Mode.STREAM},
    sources=[Source("openai-openapi", f"{_OPENAPI_CHUNK}.created", "Each chunk has the same timestamp.")],
)
def chunk_created_is_constant(obs: Observation) -> Iterator[Violation]:
    """All chunks share the first chunk's `created`."""
    yield from _constant_field(obs, "created")


@invariant(
    id="ORDER-003",
    rule="The model is identical on every chunk.",
    severity=Severity.SHOULD,
    group="ordering",
    modes={Mode.STREAM},
    sources=[Source("openai-openapi", f"{_OPENAPI_CHUNK}.model"), Source("seed-002", "L418 (model on every chunk)")],
)
def chunk_model_is_constant(obs: Observation) -> Iterator[Violation]:
    """All chunks name the same `model` as the first chunk."""
    yield from _constant_field(obs, "model")


def _choice_chunks(obs: Observation) -> dict[Any, list[tuple[int, dict[str, Any]]]]:
    """Choice index -> [(event index, choice)] in stream order."""
    out: dict[Any, list[tuple[int, dict[str, Any]]]] = {}
    for event_index, chunk in obs.content_chunks:
        for _, choice in choices_of(chunk):
            out.setdefault(choice_key(choice), []).append((event_index, choice))
    return out


def _delta(choice: dict[str, Any]) -> dict[str, Any]:
    delta = choice.get("delta")
    return delta if isinstance(delta, dict) else {}


@invariant(
    id="ORDER-004",
    rule="The first delta of each choice carries the role assistant.",
    severity=Severity.SHOULD,
    group="ordering",
    modes={Mode.STREAM},
    sources=[
        _OPENAPI_EXAMPLE,
        Source("seed-002", "L418 (first delta {\"content\": \"\", \"role\": \"assistant\"})"),
    ],
)
def first_delta_carries_role(obs: Observation) -> Iterator[Violation]:
    """The first chunk of every choice has `delta.role == "assistant"`; clients type the message from it."""
    require_event_stream(obs)
    for key, items in _choice_chunks(obs).items():
        event_index, choice = items[0]
        role = _delta(choice).get("role")
        if role != "assistant":
            yield Violation(
                expected='delta.role "assistant" on the first delta of the choice',
                received=f"choice {describe(key)} starts with delta {describe(choice.get('delta'))}",
                event_index=event_index,
            )


@invariant(
    id="ORDER-005",
    rule="The role appears at most once per choice, unless the profile documents it on every delta.",
    severity=Severity.SHOULD,
    group="ordering",
    modes={Mode.STREAM},
    sources=[
        Source("openai-python", "src/openai/lib/streaming/_deltas.py L28 (string fields are concatenated)"),
        Source("seed-002", "L418 (role repeated on every content delta)"),
    ],
)
def role_appears_once_per_choice(obs: Observation) -> Iterator[Violation]:
    """A non-null `delta.role` appears once per choice: the SDK's stream helper concatenates repeated roles
    into "assistantassistant...". Profiles with `role_on_every_delta: true` document the repetition."""
    require_event_stream(obs)
    if obs.profile.role_on_every_delta:
        return
    for key, items in _choice_chunks(obs).items():
        with_role = [i for i, choice in items if _delta(choice).get("role") is not None]
        if len(with_role) > 1:
            yield Violation(
                expected=f"a non-null role on one delta of choice {describe(key)} (profile {obs.profile.name}: "
                         "role_on_every_delta false)",
                received=f"role on {len(with_role)} deltas, again at event #{with_role[1]}",
                event_index=with_role[1],
            )


@invariant(
    id="ORDER-006",
    rule="Each choice has exactly one non-null finish_reason, on its last chunk.",
    severity=Severity.MUST,
    group="ordering",
    modes={Mode.STREAM},
    sources=[
        Source("openai-openapi", f"{_OPENAPI_CHUNK}.choices.finish_reason"),
        _OPENAPI_EXAMPLE,
    ],
)
def one_finish_reason_per_choice_on_its_last_chunk(obs: Observation) -> Iterator[Violation]:
    """Per choice index: exactly one chunk carries a non-null `finish_reason`, and no later chunk carries
    that choice again (two finishes such as `tool_calls` then `stop` confuse every accumulator)."""
    require_event_stream(obs)
    for key, items in _choice_chunks(obs).items():
        finishes = [(i, c.get("finish_reason")) for i, c in items if c.get("finish_reason") is not None]
        if not finishes:
            yield Violation(expected=f"one non-null finish_reason for choice {describe(key)}",
                            received=f"none in {len(items)} chunk(s) of that choice", event_index=items[-1][0])
            continue
        if len(finishes) > 1:
            yield Violation(
                expected=f"exactly one non-null finish_reason for choice {describe(key)}",
                received=f"{len(finishes)}: " + ", ".join(f"{describe(r)} at #{i}" for i, r in finishes),
                event_index=finishes[1][0],
            )
        last_finish = finishes[0][0]
        later = [i for i, _ in items if i > last_finish]
        if later and len(finishes) == 1:
            yield Violation(
                expected=f"the finish chunk (event #{last_finish}) to be the last chunk of choice {describe(key)}",
                received=f"{len(later)} later chunk(s) of that choice, the first at event #{later[0]}",
                event_index=later[0],
            )


def _is_usage_chunk(chunk: dict[str, Any]) -> bool:
    return chunk.get("choices") == [] and chunk.get("usage") is not None


@invariant(
    id="ORDER-007",
    rule="After every choice has finished, only the usage chunk may precede [DONE].",
    severity=Severity.MUST,
    group="ordering",
    modes={Mode.STREAM},
    sources=[
        Source("openai-openapi", "openapi.yaml L31765 #/components/schemas/ChatCompletionStreamOptions",
               "an additional chunk will be streamed before the `data: [DONE]` message"),
        Source("seed-000", "L92 (stream_options.include_usage)"),
    ],
)
def only_usage_after_every_choice_finished(obs: Observation) -> Iterator[Violation]:
    """Once every choice has its finish_reason, the next event is `[DONE]` or a single usage chunk
    (`choices: []`, non-null usage) followed by `[DONE]`."""
    require_event_stream(obs)
    per_choice = _choice_chunks(obs)
    finish_events = []
    for items in per_choice.values():
        finished = [i for i, c in items if c.get("finish_reason") is not None]
        if not finished:
            raise NotApplicable("a choice never finished (TERM-003 reports it)")
        finish_events.append(finished[0])
    if not finish_events:
        raise NotApplicable("no choice was streamed (TERM-003 reports it)")
    all_done = max(finish_events)
    usage_seen = False
    for event_index, chunk in obs.content_chunks:
        if event_index <= all_done:
            continue
        if _is_usage_chunk(chunk) and not usage_seen:
            usage_seen = True
            continue
        what = "a second usage chunk" if _is_usage_chunk(chunk) else f"chunk {describe(chunk, 100)}"
        yield Violation(
            expected=f"only one usage chunk and [DONE] after every choice finished (event #{all_done})",
            received=what,
            event_index=event_index,
        )


def _new_content(delta: dict[str, Any]) -> list[str]:
    fields = ["content", "refusal", *REASONING_FIELDS]
    found = [f"{name} {describe(delta[name], 40)}" for name in fields
             if isinstance(delta.get(name), str) and delta[name]]
    if delta.get("tool_calls"):
        found.append("tool_calls")
    return found


@invariant(
    id="ORDER-008",
    rule="The finish chunk carries no new content.",
    severity=Severity.SHOULD,
    group="ordering",
    modes={Mode.STREAM},
    sources=[
        _OPENAPI_EXAMPLE,
        Source("deepseek-docs", "api/create-chat-completion (stream_options)",
               "whose choices array always contains exactly one element that carries no new content"),
        Source("seed-002", "L418 (finish chunk delta {\"content\": \"\", \"role\": null})"),
    ],
)
def finish_chunk_carries_no_new_content(obs: Observation) -> Iterator[Violation]:
    """A choice's delta that carries the non-null `finish_reason` has no non-empty content, reasoning,
    refusal or tool calls: clients that stop reading at the finish would lose it."""
    require_event_stream(obs)
    for event_index, chunk in obs.content_chunks:
        for pos, choice in choices_of(chunk):
            if choice.get("finish_reason") is None:
                continue
            found = _new_content(_delta(choice))
            if found:
                yield Violation(expected="an empty delta (or empty strings) on the finish chunk",
                                received=f"choices[{pos}] finishes with " + ", ".join(found), event_index=event_index)


@invariant(
    id="ORDER-009",
    rule="Every choice index lies in the range 0 to n-1, and is 0 when n is not set.",
    severity=Severity.MUST,
    group="ordering",
    sources=[
        Source("openai-openapi", f"{_OPENAPI_CHUNK}.choices.index"),
        Source("openai-openapi", "openapi.yaml L33507 CreateChatCompletionResponse.choices.index"),
    ],
)
def choice_index_is_in_range(obs: Observation) -> Iterator[Violation]:
    """Each integer `choices[].index` is in [0, n-1] for the request's `n` (1 when absent)."""
    n = obs.request.get("n")
    n = n if is_int(n) and n >= 1 else 1
    expected = f"choice index in [0, {n - 1}] (request n={obs.request.get('n', 'unset')})"
    if obs.scenario.mode is Mode.STREAM:
        require_event_stream(obs)
        items: list[tuple[int | None, int, dict[str, Any]]] = [
            (i, pos, c) for i, chunk in obs.content_chunks for pos, c in choices_of(chunk)
        ]
    else:
        body = require_json_object_body(obs)
        items = [(None, pos, c) for pos, c in choices_of(body)]
    for event_index, pos, choice in items:
        idx = choice.get("index")
        if is_int(idx) and not 0 <= idx < n:
            yield Violation(expected=expected, received=f"choices[{pos}].index {idx}", event_index=event_index)


@invariant(
    id="ORDER-010",
    rule="No chunk with empty choices occurs except the usage chunk.",
    severity=Severity.SHOULD,
    group="ordering",
    modes={Mode.STREAM},
    sources=[
        Source("openai-openapi", f"{_OPENAPI_CHUNK}.choices",
               'Can also be empty for the last chunk if you set `stream_options: {"include_usage": true}`.'),
    ],
)
def empty_choices_only_on_the_usage_chunk(obs: Observation) -> Iterator[Violation]:
    """A chunk with `choices: []` carries the usage; an empty-choices chunk without usage mid-stream makes
    clients that read `choices[0]` fail or end the message early."""
    require_event_stream(obs)
    for event_index, chunk in obs.content_chunks:
        if chunk.get("choices") == [] and chunk.get("usage") is None:
            yield Violation(expected="choices: [] only on the usage chunk",
                            received=f"an empty-choices chunk without usage: {describe(chunk, 100)}",
                            event_index=event_index)
