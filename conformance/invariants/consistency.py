"""Stream vs non-stream: the same request in both modes yields the same message shape, finish and accounting.

Each check runs on the stream observation and compares it with its non-stream peer
(`obs.peers["nonstream"]`); without a peer it cannot judge.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._behaviour_helpers import REASONING_FIELDS, clip, content_text, is_int, nonstream_message, require_response
from ._model import Mode, NotApplicable, Severity, Source, Violation
from ._observation import AssembledChoice, Observation
from ._registry import invariant

__all__: list[str] = []  # checks register themselves; nothing to import from here

_RESPONSE = Source("openai-openapi", "#/components/schemas/CreateChatCompletionResponse (L33507)")
_CHUNK = Source("openai-openapi", "#/components/schemas/CreateChatCompletionStreamResponse (L33665)")
_SEED002_BOTH = Source("seed-002", "responses 200 (No streaming) and x-200:Streaming")
_USAGE = Source("openai-openapi", "#/components/schemas/CompletionUsage (L32211)")
_SEED = Source("openai-openapi", "#/components/schemas/CreateChatCompletionRequest seed",
               "make a best effort to sample deterministically")


def _peer(obs: Observation) -> Observation:
    """The non-stream peer of a stream observation, when both carry a completion."""
    peer = obs.peers.get(str(Mode.NONSTREAM))
    if peer is None:
        raise NotApplicable("no non-stream peer observation to compare with")
    require_response(obs)
    try:
        require_response(peer)
    except NotApplicable as exc:
        raise NotApplicable(f"the non-stream peer cannot be compared: {exc}") from None
    return peer


def _common_choices(obs: Observation, peer: Observation) -> list[tuple[Any, AssembledChoice, AssembledChoice]]:
    common = [(i, acc, peer.assembled[i]) for i, acc in obs.assembled.items() if i in peer.assembled]
    if not common:
        raise NotApplicable("the two modes share no choice index")
    return common


def _peer_message(peer: Observation, index: Any) -> dict[str, Any]:
    for choice in (peer.body_object or {}).get("choices") or []:
        if isinstance(choice, dict) and choice.get("index") == index:
            return nonstream_message(choice) or {}
    return {}


@invariant(
    id="CONSIST-001",
    rule="The message assembled from the stream has the same fields and types as the non-stream message.",
    severity=Severity.MUST,
    group="consistency",
    modes={Mode.STREAM},
    requires={"paired"},  # judged on a stream scenario observed with its non-stream twin
    sources=[_RESPONSE, _CHUNK, _SEED002_BOTH],
)
def same_message_shape(obs: Observation) -> Iterator[Violation]:
    """A client written against one mode must work in the other: the role, a string content, the reasoning
    field name and string tool-call arguments are the same in both (what the model says may differ)."""
    peer = _peer(obs)
    for index, streamed, _ in _common_choices(obs, peer):
        msg = _peer_message(peer, index)
        where = f"choice {index}"
        if streamed.role is None and isinstance(msg.get("role"), str):
            yield Violation(expected=f"{where}: a role in the stream, as in the non-stream message ({msg['role']!r})",
                            received="no delta carries a role")
        content = msg.get("content")
        if content is not None and not isinstance(content, str):
            yield Violation(expected=f"{where}: message.content a string, as streamed deltas are",
                            received=f"non-stream content is {type(content).__name__}: {clip(content)}")
        stream_fields = {name for name, text in streamed.reasoning.items() if text}
        peer_fields = {name for name in REASONING_FIELDS if msg.get(name)}
        for name in sorted(peer_fields):
            if not isinstance(msg[name], str):
                yield Violation(expected=f"{where}: message.{name} a string, as streamed deltas are",
                                received=f"{type(msg[name]).__name__}: {clip(msg[name])}")
        if stream_fields and peer_fields and stream_fields != peer_fields:
            yield Violation(expected=f"{where}: reasoning in the same field in both modes",
                            received=f"stream {sorted(stream_fields)}, non-stream {sorted(peer_fields)}")
        peer_calls = msg.get("tool_calls") if isinstance(msg.get("tool_calls"), list) else []
        if streamed.tool_calls and peer_calls:
            stream_types = set().union(*(c.argument_types for c in streamed.tool_calls.values()))
            peer_types = {type((c.get("function") or {}).get("arguments")).__name__
                          for c in peer_calls if isinstance(c, dict)}
            if stream_types != peer_types:
                yield Violation(expected=f"{where}: tool-call arguments of the same type in both modes",
                                received=f"stream {sorted(stream_types)}, non-stream {sorted(peer_types)}")


@invariant(
    id="CONSIST-002",
    rule="The stream and the non-stream response finish with the same finish_reason.",
    severity=Severity.MUST,
    group="consistency",
    modes={Mode.STREAM},
    requires={"paired"},  # judged on a stream scenario observed with its non-stream twin
    sources=[_RESPONSE, _CHUNK],
)
def same_finish_reason(obs: Observation) -> Iterator[Violation]:
    """The same request ends the same way in both modes: a provider that maps a tool call or a length cut to
    `stop` only when streaming breaks clients that switch modes."""
    peer = _peer(obs)
    for index, streamed, plain in _common_choices(obs, peer):
        if plain.finish_reason is None:
            continue  # the non-stream body without a finish is reported by SCHEMA-014
        if streamed.finish_reason != plain.finish_reason:
            got = "no finish_reason" if streamed.finish_reason is None else repr(streamed.finish_reason)
            yield Violation(expected=f"choice {index}: the same finish_reason in both modes",
                            received=f"stream {got}, non-stream {plain.finish_reason!r}")


def _usages(obs: Observation) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(stream usage, non-stream usage); the stream's is None only when it was due (requested, or always sent)."""
    peer = _peer(obs)
    streamed, plain = obs.usage, peer.usage
    if plain is None:
        raise NotApplicable("the non-stream response carries no usage")
    if streamed is None and not _stream_usage_due(obs):
        raise NotApplicable("the stream did not request usage and the profile does not always send it")
    return streamed, plain


def _stream_usage_due(obs: Observation) -> bool:
    return obs.include_usage or obs.profile.usage.when == "always"


def _missing_stream_usage(obs: Observation) -> Violation:
    why = "include_usage was requested" if obs.include_usage else \
        f"profile {obs.profile.name} documents usage on every stream"
    return Violation(expected=f"a usage object in the stream as in the non-stream response ({why})",
                     received="no chunk carries usage")


@invariant(
    id="CONSIST-003",
    rule="The stream and the non-stream response report the same prompt_tokens.",
    severity=Severity.SHOULD,
    group="consistency",
    modes={Mode.STREAM},
    requires={"paired"},  # judged on a stream scenario observed with its non-stream twin
    sources=[_USAGE, _SEED002_BOTH],
)
def same_prompt_tokens(obs: Observation) -> Iterator[Violation]:
    """The same prompt costs the same in both modes; a difference means one mode mis-counts (or bills for
    something else)."""
    streamed, plain = _usages(obs)
    if streamed is None:
        yield _missing_stream_usage(obs)
        return
    a, b = streamed.get("prompt_tokens"), plain.get("prompt_tokens")
    if not is_int(a) or not is_int(b):
        raise NotApplicable("prompt_tokens is not an integer in both modes")
    if a != b:
        yield Violation(expected="the same prompt_tokens in both modes", received=f"stream {a}, non-stream {b}")


def _key_paths(usage: dict[str, Any]) -> set[str]:
    paths = set()
    for key, value in usage.items():
        paths.add(key)
        if isinstance(value, dict):
            paths.update(f"{key}.{sub}" for sub in value)
    return paths


@invariant(
    id="CONSIST-004",
    rule="The stream and the non-stream usage objects have the same keys.",
    severity=Severity.SHOULD,
    group="consistency",
    modes={Mode.STREAM},
    requires={"paired"},  # judged on a stream scenario observed with its non-stream twin
    sources=[_USAGE, Source("seed-002", "responses.200 usage (required: prompt_cache_hit_tokens, ...)")],
)
def same_usage_keys(obs: Observation) -> Iterator[Violation]:
    """Accounting fields (cache hits, reasoning tokens) exist in both modes or in neither; one level of nested
    details is compared too."""
    streamed, plain = _usages(obs)
    if streamed is None:
        yield _missing_stream_usage(obs)
        return
    a, b = _key_paths(streamed), _key_paths(plain)
    if a != b:
        only_stream, only_plain = sorted(a - b), sorted(b - a)
        yield Violation(expected="the same usage keys in both modes",
                        received=f"only in stream: {only_stream or 'none'}; only in non-stream: {only_plain or 'none'}")


def _first_difference(a: str, b: str) -> str:
    pos = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return f"first difference at character {pos}: stream {clip(a[pos:pos + 30])}, non-stream {clip(b[pos:pos + 30])}"


@invariant(
    id="CONSIST-005",
    rule="With temperature 0 and a seed, the streamed content and reasoning equal the non-stream message.",
    severity=Severity.SHOULD,
    group="consistency",
    modes={Mode.STREAM},
    requires={"deterministic"},
    stochastic=True,
    sources=[_SEED, Source("openai-openapi", "#/components/schemas/CreateChatCompletionRequest temperature")],
)
def deterministic_outputs_equal(obs: Observation) -> Iterator[Violation]:
    """Determinism is best effort, so this is judged over repetitions; the evidence shows the first differing
    characters of each mode."""
    peer = _peer(obs)
    field = obs.profile.reasoning_field
    for index, streamed, plain in _common_choices(obs, peer):
        pairs = (("content", content_text(streamed), content_text(plain)),
                 (field, streamed.reasoning.get(field, ""), plain.reasoning.get(field, "")))
        for name, a, b in pairs:
            if a != b:
                yield Violation(expected=f"choice {index}: the same {name} in both modes",
                                received=f"{len(a)} vs {len(b)} characters; {_first_difference(a, b)}")
