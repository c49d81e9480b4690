"""Logprobs: present when requested (streamed too), well-formed, absent when not requested, limits enforced."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from ._behaviour_helpers import (
    clip,
    describe_status,
    is_int,
    is_number,
    iter_logprob_entries,
    nonstream_message,
    require_response,
)
from ._model import Expect, Mode, NotApplicable, Severity, Source, Violation
from ._observation import Observation
from ._registry import invariant

__all__: list[str] = []  # checks register themselves; nothing to import from here

_TOKEN_LOGPROB = Source("openai-openapi", "#/components/schemas/ChatCompletionTokenLogprob (L31862)")
_BYTES = Source("openai-openapi", "#/components/schemas/ChatCompletionTokenLogprob bytes",
                "A list of integers representing the UTF-8 bytes representation of the token")
_REQUEST_TOP = Source("openai-openapi", "#/components/schemas/CreateChatCompletionRequest top_logprobs (0-20)")
_SEED004_TOP = Source("seed-004", "requestBody top_logprobs (maximum: 20)",
                      "Number of most likely tokens to return with log probabilities. Requires logprobs to be true.")
_SEED002_LOGPROBS = Source("seed-002", "choices[].logprobs.content[] (token, logprob, bytes, top_logprobs)")
_ERRORS = Source("deepseek-docs", "quick_start/error_codes: 400 Invalid Format, 422 Invalid Parameters")


def _entries(obs: Observation) -> list[tuple[int | None, Any]]:
    require_response(obs)
    entries = list(iter_logprob_entries(obs))
    if not entries:
        raise NotApplicable("the response carries no logprobs entry")
    return entries


def _with_alternatives(entries: list[tuple[int | None, Any]]) -> Iterator[tuple[int | None, str, Any]]:
    """(event index, label, entry) for every token entry and each of its top_logprobs alternatives."""
    for event_index, entry in entries:
        yield event_index, "token", entry
        tops = entry.get("top_logprobs") if isinstance(entry, dict) else None
        for alt in tops if isinstance(tops, list) else []:
            yield event_index, "top_logprobs entry", alt


def _logprobs_of_choice(choice: dict[str, Any]) -> list[Any] | None:
    lp = choice.get("logprobs")
    if isinstance(lp, dict) and isinstance(lp.get("content"), list) and lp["content"]:
        content: list[Any] = lp["content"]
        return content
    return None


@invariant(
    id="LOGPROB-001",
    rule="Requested logprobs accompany every piece of content, in stream chunks and in non-stream choices.",
    severity=Severity.MUST,
    group="logprobs",
    requires={"logprobs"},
    sources=[_TOKEN_LOGPROB, _SEED002_LOGPROBS,
             Source("openai-openapi", "#/components/schemas/CreateChatCompletionStreamResponse choices[].logprobs")],
)
def logprobs_present(obs: Observation) -> Iterator[Violation]:
    """With `logprobs: true`, every chunk whose delta carries content has `logprobs.content` entries (servers
    that drop them on streamed chunks are a known deviation), and so does every non-stream choice with content."""
    require_response(obs)
    if obs.request.get("logprobs") is not True:
        raise NotApplicable("the request did not set logprobs: true")
    if obs.scenario.mode is Mode.NONSTREAM:
        for choice in (obs.body_object or {}).get("choices") or []:
            msg = nonstream_message(choice) or {}
            if isinstance(msg.get("content"), str) and msg["content"] and not _logprobs_of_choice(choice):
                yield Violation(expected=f"choices[{choice.get('index')}].logprobs.content entries for the content",
                                received=f"logprobs {clip(choice.get('logprobs'))}")
        return
    missing: list[int] = []
    for event_index, chunk in obs.content_chunks:
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict) or not isinstance(choice.get("delta"), dict):
                continue
            content = choice["delta"].get("content")
            if isinstance(content, str) and content and not _logprobs_of_choice(choice):
                missing.append(event_index)
    if missing:
        yield Violation(expected="logprobs.content entries on every chunk that carries content",
                        received=f"{len(missing)} content chunk(s) without logprobs", event_index=missing[0])


@invariant(
    id="LOGPROB-002",
    rule="Each logprob is a number no greater than 0 and each bytes value is an integer array or null.",
    severity=Severity.MUST,
    group="logprobs",
    requires={"logprobs"},
    sources=[_TOKEN_LOGPROB, _BYTES],
)
def logprob_values_valid(obs: Observation) -> Iterator[Violation]:
    """A log probability is <= 0 by definition (-9999.0 marks "not in the top 20"); `bytes` holds UTF-8 byte
    values 0-255 or null. Alternatives in top_logprobs obey the same rules."""
    for event_index, label, entry in _with_alternatives(_entries(obs)):
        if not isinstance(entry, dict):
            yield Violation(expected=f"a logprob object ({label})", received=clip(entry), event_index=event_index)
            continue
        value = entry.get("logprob")
        if not is_number(value) or not value <= 0:
            yield Violation(expected=f"logprob a number <= 0 ({label} {clip(entry.get('token'))})",
                            received=clip(value), event_index=event_index)
        raw = entry.get("bytes")
        if raw is not None and not (isinstance(raw, list) and all(is_int(b) and 0 <= b <= 255 for b in raw)):
            yield Violation(expected=f"bytes an array of byte values or null ({label} {clip(entry.get('token'))})",
                            received=clip(raw), event_index=event_index)


@invariant(
    id="LOGPROB-003",
    rule="Each token's top_logprobs holds at most the requested number of entries, sorted by descending logprob.",
    severity=Severity.MUST,
    group="logprobs",
    requires={"logprobs"},
    sources=[_REQUEST_TOP, Source("openai-openapi", "#/components/schemas/ChatCompletionTokenLogprob top_logprobs",
                                  "there may be fewer than the number of requested `top_logprobs` returned")],
)
def top_logprobs_bounded_sorted(obs: Observation) -> Iterator[Violation]:
    """`top_logprobs: k` asks for up to k alternatives per position, most likely first; a null list when k > 0
    drops them (a known streamed-chunk deviation)."""
    requested = obs.request.get("top_logprobs")
    k = requested if is_int(requested) else 0
    for event_index, entry in _entries(obs):
        if not isinstance(entry, dict):
            continue  # LOGPROB-002 reports it
        tops = entry.get("top_logprobs")
        token = clip(entry.get("token"))
        if not isinstance(tops, list):
            if k > 0:
                yield Violation(expected=f"a top_logprobs array (top_logprobs {k}) for token {token}",
                                received=clip(tops), event_index=event_index)
            continue
        if len(tops) > k:
            yield Violation(expected=f"at most {k} top_logprobs for token {token}", received=f"{len(tops)}",
                            event_index=event_index)
        values: list[float] = [t["logprob"] for t in tops if isinstance(t, dict) and is_number(t.get("logprob"))]
        if any(a < b for a, b in itertools.pairwise(values)):
            yield Violation(expected=f"top_logprobs of token {token} sorted by descending logprob",
                            received=clip(values), event_index=event_index)


@invariant(
    id="LOGPROB-004",
    rule="The bytes of a logprob entry equal the UTF-8 encoding of its token.",
    severity=Severity.SHOULD,
    group="logprobs",
    requires={"logprobs"},
    sources=[_BYTES],
)
def logprob_bytes_match_token(obs: Observation) -> Iterator[Violation]:
    """`bytes` is the token's UTF-8; a token that is only part of a multi-byte character (its bytes do not
    decode) is shown escaped and is not compared."""
    compared = 0
    for event_index, label, entry in _with_alternatives(_entries(obs)):
        if not isinstance(entry, dict) or not isinstance(entry.get("token"), str):
            continue
        raw = entry.get("bytes")
        if not isinstance(raw, list):
            continue
        try:
            data = bytes(raw)
            data.decode("utf-8")
        except (TypeError, ValueError):
            continue  # not byte values (LOGPROB-002), or a partial character
        compared += 1
        if data != entry["token"].encode("utf-8"):
            yield Violation(expected=f"bytes equal to the UTF-8 of {label} {entry['token']!r}",
                            received=f"{clip(raw)} (decodes to {data.decode('utf-8')!r})", event_index=event_index)
    if not compared:
        raise NotApplicable("no logprob entry carries bytes")


@invariant(
    id="LOGPROB-005",
    rule="Without logprobs requested, every choice carries null or no logprobs.",
    severity=Severity.MUST,
    group="logprobs",
    sources=[Source("openai-openapi", "#/components/schemas/CreateChatCompletionStreamResponse choices[].logprobs"),
             Source("seed-002", "streaming example", "\"logprobs\": null")],
)
def no_logprobs_unrequested(obs: Observation) -> Iterator[Violation]:
    """Logprobs cost bandwidth and are only sent on request; an object whose content and refusal are
    null or empty carries none and is accepted."""
    if obs.request.get("logprobs") is True:
        raise NotApplicable("the request asked for logprobs")
    require_response(obs)
    located: list[tuple[int | None, Any]]
    if obs.scenario.mode is Mode.STREAM:
        located = [(i, c) for i, chunk in obs.content_chunks for c in chunk.get("choices") or []]
    else:
        located = [(None, c) for c in (obs.body_object or {}).get("choices") or []]
    found = [(i, c.get("logprobs")) for i, c in located if isinstance(c, dict) and _carries_logprobs(c.get("logprobs"))]
    if found:
        yield Violation(expected="logprobs null or absent (the request did not set logprobs)",
                        received=f"{len(found)} choice(s) carry logprobs, first {clip(found[0][1])}",
                        event_index=found[0][0])


def _carries_logprobs(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, dict):
        return any(value.get(key) for key in ("content", "refusal"))
    return True


def _rejected(obs: Observation, what: str) -> Iterator[Violation]:
    status = obs.exchange.status
    if status is None or not 400 <= status < 500:
        yield Violation(expected=f"a 4xx for {what}", received=describe_status(status))


@invariant(
    id="LOGPROB-006",
    rule="A request with top_logprobs but without logprobs true is rejected with a 4xx status.",
    severity=Severity.MUST,
    group="logprobs",
    requires={"top_logprobs_without_logprobs"},
    expect=Expect.ERROR,
    sources=[_SEED004_TOP, Source("openai-openapi", "#/components/schemas/CreateChatCompletionRequest top_logprobs",
                                  "`logprobs` must be set to `true` if this parameter is used"), _ERRORS],
)
def top_logprobs_alone_rejected(obs: Observation) -> Iterator[Violation]:
    """`top_logprobs` requires `logprobs: true`; accepting it alone hides the caller's mistake."""
    yield from _rejected(obs, f"top_logprobs {obs.request.get('top_logprobs')!r} without logprobs")


@invariant(
    id="LOGPROB-007",
    rule="A request with top_logprobs above 20 is rejected with a 4xx status.",
    severity=Severity.MUST,
    group="logprobs",
    requires={"top_logprobs_over_max"},
    expect=Expect.ERROR,
    sources=[_SEED004_TOP, _REQUEST_TOP, _ERRORS],
)
def top_logprobs_over_max_rejected(obs: Observation) -> Iterator[Violation]:
    """20 is the documented maximum; larger values are invalid parameters (never a 5xx, never silently capped)."""
    yield from _rejected(obs, f"top_logprobs {obs.request.get('top_logprobs')!r} (maximum 20)")
