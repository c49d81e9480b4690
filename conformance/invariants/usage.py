"""Usage (USAGE): where token usage appears in a stream and a body, and whether its numbers add up.

Placement is a profile fact: OpenAI-style providers send a separate `choices: []` chunk when
`include_usage` is set; DeepSeek's own API documents usage riding on the finish chunk, always.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._model import Mode, NotApplicable, Severity, Source, Violation
from ._observation import Observation
from ._registry import invariant
from ._stream_helpers import (
    describe,
    first_and_count,
    is_int,
    require_event_stream,
    require_json_object_body,
    usage_chunks,
)

__all__ = [
    "cache_tokens_add_up_to_prompt_tokens",
    "no_partial_usage_before_the_final_chunk",
    "no_usage_unless_requested",
    "nonstream_body_carries_usage",
    "one_usage_chunk_with_include_usage",
    "other_chunks_carry_null_usage",
    "total_is_prompt_plus_completion",
    "usage_chunk_has_empty_choices_or_rides_on_finish",
    "usage_chunk_is_last",
]

_STREAM_OPTIONS = Source(
    "openai-openapi",
    "openapi.yaml L31765 #/components/schemas/ChatCompletionStreamOptions.include_usage",
    "an additional chunk will be streamed before the `data: [DONE]` message",
)
_SEED0_INCLUDE_USAGE = Source(
    "seed-000",
    "L89-L92 stream_options.include_usage",
    "while the `choices` field will always be an empty array",
)
_DEEPSEEK_USAGE = Source(
    "deepseek-docs",
    "api/create-chat-completion (stream_options.include_usage)",
    "the last chunk before the `data: [DONE]` message carries the token usage statistics",
)
_SEED2_EXAMPLE = Source("seed-002", "L418 (usage on the finish chunk, no separate usage chunk)")


def _stream_usage(obs: Observation) -> list[tuple[int, dict[str, Any]]]:
    require_event_stream(obs)
    return usage_chunks(obs)


def _the_usage_chunk(obs: Observation) -> tuple[int, dict[str, Any]]:
    found = _stream_usage(obs)
    if not found:
        raise NotApplicable("no chunk carries usage (USAGE-001 judges whether one should)")
    return found[-1]


@invariant(
    id="USAGE-001",
    rule="With include_usage, exactly one chunk carries a non-null usage.",
    severity=Severity.MUST,
    group="usage",
    requires={"include_usage"},
    modes={Mode.STREAM},
    sources=[_STREAM_OPTIONS, _SEED0_INCLUDE_USAGE, Source("seed-001", "L34 (include_usage)")],
)
def one_usage_chunk_with_include_usage(obs: Observation) -> Iterator[Violation]:
    """With `stream_options.include_usage: true`, one chunk (and only one) has a non-null `usage`."""
    found = _stream_usage(obs)
    if not found:
        yield Violation(expected="exactly one chunk with non-null usage (include_usage was requested)",
                        received=f"none among {len(obs.content_chunks)} chunks")
    elif len(found) > 1:
        yield Violation(
            expected="exactly one chunk with non-null usage",
            received=f"{len(found)} chunks with usage, at events " + ", ".join(f"#{i}" for i, _ in found),
            event_index=found[1][0],
        )


@invariant(
    id="USAGE-002",
    rule="The usage chunk is the last chunk before [DONE].",
    severity=Severity.MUST,
    group="usage",
    modes={Mode.STREAM},
    sources=[_STREAM_OPTIONS, _DEEPSEEK_USAGE],
)
def usage_chunk_is_last(obs: Observation) -> Iterator[Violation]:
    """The chunk that carries usage is the last JSON event before `[DONE]`, in both placements."""
    event_index, _ = _the_usage_chunk(obs)
    last_index = obs.chunks[-1][0]
    if event_index != last_index:
        later = [i for i, _ in obs.chunks if i > event_index]
        yield Violation(
            expected="the usage chunk to be the last chunk before [DONE]",
            received=f"{len(later)} chunk(s) after it, the first at event #{later[0]}",
            event_index=event_index,
        )


@invariant(
    id="USAGE-003",
    rule="The usage chunk has empty choices, or rides on the finish chunk where the profile documents that.",
    severity=Severity.MUST,
    group="usage",
    modes={Mode.STREAM},
    sources=[_STREAM_OPTIONS, _SEED0_INCLUDE_USAGE, _DEEPSEEK_USAGE, _SEED2_EXAMPLE],
)
def usage_chunk_has_empty_choices_or_rides_on_finish(obs: Observation) -> Iterator[Violation]:
    """Profile `usage.placement: separate_chunk`: the usage chunk has `choices: []`.
    `final_chunk`: usage rides on the finish chunk, whose choices all carry a non-null finish_reason."""
    event_index, chunk = _the_usage_chunk(obs)
    choices = chunk.get("choices")
    placement = obs.profile.usage.placement
    fact = f"profile {obs.profile.name}: usage.placement {placement}"
    if placement == "separate_chunk":
        if choices != []:
            count = f"{len(choices)} choice(s)" if isinstance(choices, list) else describe(choices)
            yield Violation(expected=f"choices == [] on the usage chunk ({fact})",
                            received=f"choices with {count}", event_index=event_index)
        return
    finished = isinstance(choices, list) and bool(choices) and all(
        isinstance(c, dict) and c.get("finish_reason") is not None for c in choices
    )
    if not finished:
        yield Violation(expected=f"usage on the finish chunk, whose choices carry a finish_reason ({fact})",
                        received=f"usage on a chunk with choices {describe(choices)}", event_index=event_index)


@invariant(
    id="USAGE-004",
    rule="With include_usage, every other chunk carries a usage key with the value null.",
    severity=Severity.SHOULD,
    group="usage",
    requires={"include_usage"},
    modes={Mode.STREAM},
    sources=[
        Source("openai-openapi", "openapi.yaml L31765 ChatCompletionStreamOptions.include_usage",
               "All other chunks will also include a `usage` field, but with a null value."),
        _SEED0_INCLUDE_USAGE,
    ],
)
def other_chunks_carry_null_usage(obs: Observation) -> Iterator[Violation]:
    """Where the profile documents it (`usage.null_on_other_chunks`), every chunk but the usage chunk has
    `"usage": null`; a missing key breaks clients that read `chunk.usage` unconditionally."""
    require_event_stream(obs)
    if not obs.profile.usage.null_on_other_chunks:
        raise NotApplicable(f"profile {obs.profile.name} does not document usage: null on other chunks")
    carrying = [i for i, c in obs.content_chunks if c.get("usage") is not None]
    last_usage = carrying[-1] if carrying else None  # the usage chunk; USAGE-001/002 judge where it is
    others = [(i, c) for i, c in obs.content_chunks if i != last_usage]
    wrong = [(i, "no `usage` key" if "usage" not in c else f"usage {describe(c['usage'])}")
             for i, c in others if c.get("usage") is not None or "usage" not in c]
    if wrong:
        received, event_index = first_and_count(wrong, len(others), "chunks before the usage chunk")
        yield Violation(
            expected=f'"usage": null on every chunk but the usage chunk (profile {obs.profile.name}: '
                     "usage.null_on_other_chunks true)",
            received=received,
            event_index=event_index,
        )


@invariant(
    id="USAGE-005",
    rule="Without include_usage, no chunk carries usage, unless the profile documents usage on the last chunk always.",
    severity=Severity.SHOULD,
    group="usage",
    requires={"usage_not_requested"},
    modes={Mode.STREAM},
    sources=[
        Source("openai-openapi", "openapi.yaml L31765 ChatCompletionStreamOptions.include_usage"),
        _DEEPSEEK_USAGE,
        _SEED2_EXAMPLE,
    ],
)
def no_usage_unless_requested(obs: Observation) -> Iterator[Violation]:
    """Profile `usage.when: include_usage`: no chunk has a non-null usage unless it was requested.
    `usage.when: always`: usage may appear, but only on the last chunk."""
    found = _stream_usage(obs)
    when = obs.profile.usage.when
    fact = f"profile {obs.profile.name}: usage.when {when}"
    if when == "always":
        last = obs.chunks[-1][0] if obs.chunks else None
        early = [i for i, _ in found if i != last]
        if early:
            yield Violation(expected=f"unrequested usage only on the last chunk ({fact})",
                            received=f"usage on {len(early)} earlier chunk(s)", event_index=early[0])
        return
    if found:
        yield Violation(
            expected=f"no usage without stream_options.include_usage ({fact})",
            received=f"{len(found)} chunk(s) with usage, first {describe(found[0][1]['usage'], 80)}",
            event_index=found[0][0],
        )


def _counts(usage: dict[str, Any], names: tuple[str, ...]) -> list[int]:
    values = [usage.get(n) for n in names]
    if not all(is_int(v) for v in values):
        raise NotApplicable(f"usage counts {describe({n: usage.get(n) for n in names})} are not all integers "
                            "(SCHEMA-009 reports types)")
    return [v for v in values if isinstance(v, int)]


def _usage_and_where(obs: Observation) -> tuple[dict[str, Any], int | None]:
    if obs.scenario.mode is Mode.STREAM:
        event_index, chunk = _the_usage_chunk(obs)
        usage = chunk["usage"]
        if not isinstance(usage, dict):
            raise NotApplicable("usage is not an object (SCHEMA-009 reports it)")
        return usage, event_index
    body = require_json_object_body(obs)
    usage = body.get("usage")
    if not isinstance(usage, dict):
        raise NotApplicable("the body carries no usage object (USAGE-009 judges whether it should)")
    return usage, None


@invariant(
    id="USAGE-006",
    rule="The total_tokens equals prompt_tokens plus completion_tokens, all non-negative.",
    severity=Severity.MUST,
    group="usage",
    sources=[
        Source("openai-openapi", "openapi.yaml L32211 CompletionUsage.total_tokens",
               "Total number of tokens used in the request (prompt + completion)."),
        Source("seed-002", "L348-L351 (non-stream example usage 16 + 10 = 26)"),
    ],
)
def total_is_prompt_plus_completion(obs: Observation) -> Iterator[Violation]:
    """On the usage that counts (the stream's usage chunk, or the body's usage), `total_tokens ==
    prompt_tokens + completion_tokens` and none is negative."""
    usage, where = _usage_and_where(obs)
    prompt, completion, total = _counts(usage, ("prompt_tokens", "completion_tokens", "total_tokens"))
    if min(prompt, completion, total) < 0:
        yield Violation(expected="non-negative token counts",
                        received=f"prompt {prompt}, completion {completion}, total {total}", event_index=where)
    elif total != prompt + completion:
        yield Violation(expected=f"total_tokens {prompt + completion} (= {prompt} + {completion})",
                        received=f"total_tokens {total}", event_index=where)


@invariant(
    id="USAGE-007",
    rule="Usage never appears on a non-final chunk, as a zero, partial or running object.",
    severity=Severity.MUST,
    group="usage",
    modes={Mode.STREAM},
    sources=[_STREAM_OPTIONS, _DEEPSEEK_USAGE],
)
def no_partial_usage_before_the_final_chunk(obs: Observation) -> Iterator[Violation]:
    """Only the last chunk may carry a non-null usage; clients that take the first usage they see would
    otherwise lock in zeros or a running count (vLLM #7262)."""
    found = _stream_usage(obs)
    if not obs.chunks:
        return
    last = obs.chunks[-1][0]
    for event_index, chunk in found:
        if event_index == last:
            continue
        usage = chunk["usage"]
        counts = [usage.get(n) for n in ("prompt_tokens", "completion_tokens", "total_tokens")] \
            if isinstance(usage, dict) else []
        kind = "a zero" if counts and all(c == 0 for c in counts) else "a partial or running"
        yield Violation(expected="usage null or absent on every chunk but the last",
                        received=f"{kind} usage {describe(usage, 80)}", event_index=event_index)


@invariant(
    id="USAGE-008",
    rule="The prompt cache hit and miss tokens add up to prompt_tokens where the profile documents cache fields.",
    severity=Severity.MUST,
    group="usage",
    sources=[
        Source("seed-002", "L292-L318 (usage requires prompt_cache_hit_tokens and prompt_cache_miss_tokens)"),
        Source("deepseek-docs", "guides/kv_cache (prompt_cache_hit_tokens, prompt_cache_miss_tokens)"),
    ],
)
def cache_tokens_add_up_to_prompt_tokens(obs: Observation) -> Iterator[Violation]:
    """Where the profile documents cache fields (`usage.cache_fields: true`), usage that reports them has
    both as integers and `prompt_cache_hit_tokens + prompt_cache_miss_tokens == prompt_tokens`."""
    if not obs.profile.usage.cache_fields:
        raise NotApplicable(f"profile {obs.profile.name} documents no cache fields (usage.cache_fields false)")
    usage, where = _usage_and_where(obs)
    names = ("prompt_cache_hit_tokens", "prompt_cache_miss_tokens")
    present = [n for n in names if n in usage]
    if not present:
        raise NotApplicable("usage reports no cache fields (CONSIST-004 compares the usage keys)")
    if len(present) == 1:
        yield Violation(expected=f"both {names[0]} and {names[1]} (profile {obs.profile.name}: usage.cache_fields)",
                        received=f"only {present[0]}", event_index=where)
        return
    hit, miss, prompt = _counts(usage, (*names, "prompt_tokens"))
    if hit + miss != prompt:
        yield Violation(
            expected=f"prompt_cache_hit_tokens + prompt_cache_miss_tokens == prompt_tokens {prompt} "
                     f"(profile {obs.profile.name}: usage.cache_fields)",
            received=f"{hit} + {miss} = {hit + miss}",
            event_index=where,
        )


@invariant(
    id="USAGE-009",
    rule="A non-stream response carries usage where the profile documents it.",
    severity=Severity.MUST,
    group="usage",
    modes={Mode.NONSTREAM},
    sources=[
        Source("seed-002", "L321-L328 (usage in the required list of the non-stream response)"),
        Source("seed-000", "L190-L195 (usage in the required list of the response)"),
        Source("openai-openapi", "openapi.yaml L33507 CreateChatCompletionResponse.usage"),
    ],
)
def nonstream_body_carries_usage(obs: Observation) -> Iterator[Violation]:
    """With profile `usage.in_nonstream: true`, the 200 body has a `usage` object."""
    if not obs.profile.usage.in_nonstream:
        raise NotApplicable(f"profile {obs.profile.name} does not document usage in non-stream bodies")
    body = require_json_object_body(obs)
    if not isinstance(body.get("usage"), dict):
        yield Violation(
            expected=f"a usage object in the body (profile {obs.profile.name}: usage.in_nonstream true)",
            received=f"usage {describe(body['usage'])}" if "usage" in body else "no `usage` field",
        )
