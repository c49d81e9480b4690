"""Thinking and reasoning: the toggle works, reasoning sits in the profile's field, never leaks into content."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._behaviour_helpers import (
    REASONING_FIELDS,
    THINK_TAGS,
    accepted_problem,
    clip,
    content_text,
    describe_status,
    dotted_get,
    first_event_with,
    is_int,
    iter_choice_deltas,
    judged_choices,
    nonstream_message,
    other_reasoning_fields,
    require_response,
)
from ._model import Expect, Mode, NotApplicable, Severity, Source, Violation
from ._observation import Observation
from ._registry import invariant

__all__: list[str] = []  # checks register themselves; nothing to import from here

_SEED000_THINKING = Source(
    "seed-000", "requestBody.thinking.type",
    "enabled: Enabled by default; forces deep reasoning to be turned on. "
    "disabled: Forces deep reasoning to be turned off.",
)
_SEED002_MESSAGE = Source("seed-002", "responses.200 choices[].message.reasoning_content (required)")
_DS_REASONER = Source("deepseek-docs", "zh-cn/guides/reasoning_model: reasoning_content beside content")
_DS_PRICING = Source("deepseek-docs", "quick_start/pricing (V3.1): deepseek-chat non-thinking, reasoner thinking")
_OPENAI_DELTA = Source("openai-openapi", "#/components/schemas/ChatCompletionStreamResponseDelta (L31819)",
                       "content: string|null")


def _has_reasoning_delta(obs: Observation) -> bool:
    return any(
        isinstance(delta.get(name), str) and delta[name] for _, _, delta in iter_choice_deltas(obs)
        for name in REASONING_FIELDS
    )


@invariant(
    id="REASON-001",
    rule="With thinking on, the choice carries non-empty reasoning in the profile's reasoning field.",
    severity=Severity.MUST,
    group="reasoning",
    requires={"thinking_on"},
    stochastic=True,
    sources=[_SEED000_THINKING, _SEED002_MESSAGE, _DS_REASONER, _DS_PRICING],
)
def reasoning_present_when_thinking_on(obs: Observation) -> Iterator[Violation]:
    """Thinking switched on (in the profile's own style) must produce a chain of thought, in the field the
    profile documents (`reasoning_content` or `reasoning`). A toggle dropped by a gateway shows up here."""
    field = obs.profile.reasoning_field
    for index, acc in judged_choices(obs).items():
        if acc.reasoning.get(field, "").strip():
            continue
        others = [name for name, text in acc.reasoning.items() if name != field and text.strip()]
        state = "empty" if field in acc.reasoning else "absent"
        extra = f"; reasoning arrived in `{others[0]}` instead" if others else ""
        if "</think>" in content_text(acc):
            extra += "; content contains </think> (reasoning leaked into content)"
        yield Violation(
            expected=f"non-empty `{field}` in choice {index} (profile {obs.profile.name}: reasoning_field {field})",
            received=f"`{field}` {state}{extra}",
        )


@invariant(
    id="REASON-002",
    rule="With thinking off, no reasoning field is non-empty and the content holds no </think>.",
    severity=Severity.MUST,
    group="reasoning",
    requires={"thinking_off"},
    stochastic=True,
    sources=[_SEED000_THINKING, _DS_PRICING],
)
def no_reasoning_when_thinking_off(obs: Observation) -> Iterator[Violation]:
    """Thinking switched off must really be off: a gateway that drops `disabled` leaves the model thinking."""
    for index, acc in judged_choices(obs).items():
        for name, text in acc.reasoning.items():
            if text.strip():
                yield Violation(
                    expected=f"no reasoning in choice {index} with thinking off "
                             f"(profile {obs.profile.name}: thinking style {obs.profile.thinking.style})",
                    received=f"`{name}` carries {len(text)} characters: {clip(text)}",
                )
        if "</think>" in content_text(acc):
            yield Violation(
                expected=f"content of choice {index} without </think> with thinking off",
                received=f"content contains </think>: {clip(acc.content)}",
                event_index=first_event_with(obs, index, "content", "</think>"),
            )


@invariant(
    id="REASON-003",
    rule="Reasoning never leaks into content as <think> or </think> tags.",
    severity=Severity.MUST,
    group="reasoning",
    sources=[_DS_REASONER, _SEED002_MESSAGE],
)
def no_think_tags_in_content(obs: Observation) -> Iterator[Violation]:
    """A server without a reasoning parser passes the model's raw `...</think>answer` text through as content;
    clients then show the chain of thought as the answer."""
    for index, acc in judged_choices(obs).items():
        content = content_text(acc)
        for tag in THINK_TAGS:
            if tag in content:
                pos = content.index(tag)
                yield Violation(
                    expected=f"content of choice {index} without {tag} (reasoning belongs in "
                             f"`{obs.profile.reasoning_field}`)",
                    received=f"{tag} at character {pos}: {clip(content[max(0, pos - 40):pos + 40])}",
                    event_index=first_event_with(obs, index, "content", tag),
                )


@invariant(
    id="REASON-004",
    rule="Reasoning sits in the profile's reasoning field and never in the other reasoning field.",
    severity=Severity.MUST,
    group="reasoning",
    sources=[_SEED002_MESSAGE, _DS_REASONER],
)
def reasoning_in_profile_field(obs: Observation) -> Iterator[Violation]:
    """`reasoning_content` vs `reasoning` is a profile fact; text in the other field is lost by clients that
    read the documented one (vLLM's 2025 rename broke exactly this)."""
    require_response(obs)
    others = other_reasoning_fields(obs)
    expected_field = obs.profile.reasoning_field
    if obs.scenario.mode is Mode.NONSTREAM:
        body = obs.body_object or {}
        for choice in body.get("choices") or []:
            msg = nonstream_message(choice)
            for name in others:
                value = msg.get(name) if msg else None
                if isinstance(value, str) and value:
                    yield Violation(
                        expected=f"reasoning only in message.{expected_field} (profile {obs.profile.name})",
                        received=f"message.{name} carries {len(value)} characters: {clip(value)}",
                    )
        return
    seen: dict[tuple[Any, str], int] = {}
    first: dict[tuple[Any, str], int] = {}
    for event_index, index, delta in iter_choice_deltas(obs):
        for name in others:
            value = delta.get(name)
            if isinstance(value, str) and value:
                key = (index, name)
                seen[key] = seen.get(key, 0) + 1
                first.setdefault(key, event_index)
    for (index, name), count in seen.items():
        yield Violation(
            expected=f"reasoning deltas only in `{expected_field}` (profile {obs.profile.name})",
            received=f"{count} delta(s) of choice {index} carry `{name}`",
            event_index=first[(index, name)],
        )


@invariant(
    id="REASON-005",
    rule="All reasoning deltas of a choice precede its first content delta.",
    severity=Severity.SHOULD,
    group="reasoning",
    modes={Mode.STREAM},
    sources=[_DS_REASONER, _OPENAI_DELTA],
)
def reasoning_precedes_content(obs: Observation) -> Iterator[Violation]:
    """The model thinks, then answers: interleaved reasoning after the answer started confuses clients that
    close the "thinking" panel on the first content token."""
    require_response(obs)
    if not _has_reasoning_delta(obs):
        raise NotApplicable("no reasoning delta in the stream")
    first_content: dict[Any, int] = {}
    late: dict[Any, list[int]] = {}
    for event_index, index, delta in iter_choice_deltas(obs):
        reasoning = any(isinstance(delta.get(n), str) and delta[n] for n in REASONING_FIELDS)
        if reasoning and index in first_content:
            late.setdefault(index, []).append(event_index)
        content = delta.get("content")
        if isinstance(content, str) and content:
            first_content.setdefault(index, event_index)
    for index, events in late.items():
        yield Violation(
            expected=f"no reasoning delta after the first content delta of choice {index}",
            received=f"{len(events)} reasoning delta(s) after content began at event #{first_content[index]}",
            event_index=events[0],
        )


@invariant(
    id="REASON-006",
    rule="Reasoning tokens are reported at the profile's usage path and do not exceed completion_tokens.",
    severity=Severity.SHOULD,
    group="reasoning",
    requires={"thinking_on"},
    sources=[
        Source("seed-002", "responses.200 usage.completion_tokens_details.reasoning_tokens (required)"),
        Source("seed-003", "Response Example usage.reasoning_tokens"),
        Source("openai-openapi", "#/components/schemas/CompletionUsage (L32211) completion_tokens_details"),
    ],
)
def reasoning_tokens_reported(obs: Observation) -> Iterator[Violation]:
    """Billing and budget tooling read the reasoning token count where the profile documents it
    (`completion_tokens_details.reasoning_tokens` in OpenAI's schema, top-level `reasoning_tokens` for some
    resellers); with thinking on it is positive, and it is part of completion_tokens, so it cannot exceed it."""
    require_response(obs)
    path = obs.profile.usage.reasoning_tokens
    if not path:
        raise NotApplicable(f"profile {obs.profile.name} documents no reasoning token count")
    usage = obs.usage
    if usage is None:
        raise NotApplicable("no usage object in the response (the USAGE group reports that)")
    value = obs.profile.reasoning_tokens_of(usage)
    where = f"usage.{path} (profile {obs.profile.name})"
    if value is None:
        elsewhere = [p for p in ("completion_tokens_details.reasoning_tokens", "reasoning_tokens")
                     if p != path and dotted_get(usage, p) is not None]
        hint = f"; a count sits at usage.{elsewhere[0]} instead" if elsewhere else ""
        yield Violation(expected=f"an integer at {where}", received=f"absent{hint}")
        return
    if not is_int(value) or value < 0:
        yield Violation(expected=f"a non-negative integer at {where}", received=clip(value))
        return
    completion = usage.get("completion_tokens")
    if is_int(completion) and value > completion:
        yield Violation(expected=f"{where} <= completion_tokens ({completion})", received=f"{value}")
    if value == 0:
        produced = any(text.strip() for acc in obs.assembled.values() for text in acc.reasoning.values())
        yield Violation(expected=f"{where} > 0 with thinking on",
                        received="0" + (" although reasoning was returned" if produced else ""))


@invariant(
    id="REASON-007",
    rule="A request with an unknown thinking type is rejected with a 4xx status.",
    severity=Severity.MUST,
    group="reasoning",
    requires={"unknown_thinking"},
    expect=Expect.ERROR,
    sources=[
        _SEED000_THINKING,
        Source("deepseek-docs", "quick_start/error_codes: 400 Invalid Format, 422 Invalid Parameters"),
    ],
)
def unknown_thinking_rejected(obs: Observation) -> Iterator[Violation]:
    """`thinking.type` has documented values only; an unknown one must be refused, not silently treated as
    some default (the caller would never learn that the switch was ignored) and not crash the server."""
    status = obs.exchange.status
    if status is not None and 400 <= status < 500:
        return
    sent = dotted_get(obs.request, "thinking.type")
    yield Violation(expected=f"a 4xx for thinking.type {sent!r} (documented: enabled, disabled, auto)",
                    received=describe_status(status))


@invariant(
    id="REASON-008",
    rule="Reasoning tokens stay within the requested thinking budget where the profile documents a budget.",
    severity=Severity.MUST,
    group="reasoning",
    requires={"thinking_budget"},
    sources=[Source("seed-003", "Thinking Configuration: budget_tokens",
                    "budget_tokensintegerMaximum tokens for thinking (128-8192)")],
)
def reasoning_within_budget(obs: Observation) -> Iterator[Violation]:
    """A documented `budget_tokens` is a maximum for thinking; the count is read at the profile's reasoning
    token path (gateways that strip the budget let the model think unbounded)."""
    field = obs.profile.thinking.budget_field
    if not field:
        raise NotApplicable(f"profile {obs.profile.name} documents no thinking budget")
    budget = dotted_get(obs.request, field)
    if not is_int(budget):
        raise NotApplicable(f"the request sets no integer {field}")
    require_response(obs)
    usage = obs.usage
    if usage is None:
        raise NotApplicable("no usage object: the reasoning token count is unknown")
    value = obs.profile.reasoning_tokens_of(usage)
    if not is_int(value):
        raise NotApplicable(f"no integer reasoning token count at usage.{obs.profile.usage.reasoning_tokens}")
    if value > budget:
        yield Violation(
            expected=f"reasoning tokens <= {field} {budget} (profile {obs.profile.name})",
            received=f"usage.{obs.profile.usage.reasoning_tokens} = {value}",
        )


@invariant(
    id="REASON-009",
    rule="A request with thinking auto is accepted and answered where the profile documents auto.",
    severity=Severity.SHOULD,
    group="reasoning",
    requires={"thinking_auto"},
    sources=[Source("seed-000", "requestBody.thinking.type",
                    "auto: The model automatically decides whether to use deep reasoning.")],
)
def thinking_auto_accepted(obs: Observation) -> Iterator[Violation]:
    """Where `thinking.type: auto` is documented, the provider answers it like any valid request."""
    if obs.profile.thinking.auto is None:
        raise NotApplicable(f"profile {obs.profile.name} does not document thinking auto")
    problem = accepted_problem(obs)
    if problem:
        yield Violation(expected=f"HTTP 200 with a completion for thinking auto (profile {obs.profile.name})",
                        received=problem)


@invariant(
    id="REASON-010",
    rule="With thinking on, the content is non-empty unless the choice finished with length or tool_calls.",
    severity=Severity.SHOULD,
    group="reasoning",
    requires={"thinking_on"},
    sources=[_DS_REASONER, Source("deepseek-docs", "zh-cn/guides/reasoning_model: content is the final answer")],
)
def content_present_when_thinking_on(obs: Observation) -> Iterator[Violation]:
    """Thinking is followed by an answer; an empty answer with everything in the reasoning field means the
    server mis-split the output (or cannot switch thinking off at all)."""
    for index, acc in judged_choices(obs).items():
        if acc.finish_reason == "length" or acc.tool_calls:
            continue
        if content_text(acc).strip():
            continue
        reasoning = sum(len(t) for t in acc.reasoning.values())
        yield Violation(
            expected=f"non-empty content in choice {index} (finish_reason {acc.finish_reason!r})",
            received=f"content {clip(acc.content)} with {reasoning} characters of reasoning",
        )


@invariant(
    id="REASON-011",
    rule="A delta that carries reasoning carries null, absent or empty content.",
    severity=Severity.SHOULD,
    group="reasoning",
    modes={Mode.STREAM},
    sources=[_OPENAI_DELTA, _DS_REASONER],
)
def no_content_in_reasoning_deltas(obs: Observation) -> Iterator[Violation]:
    """While the model reasons, the answer field stays empty (DeepSeek sends `content: null` next to
    `reasoning_content`); both in one delta means the split is ambiguous for clients."""
    require_response(obs)
    if not _has_reasoning_delta(obs):
        raise NotApplicable("no reasoning delta in the stream")
    for event_index, index, delta in iter_choice_deltas(obs):
        names = [n for n in REASONING_FIELDS if isinstance(delta.get(n), str) and delta[n]]
        content = delta.get("content")
        if names and isinstance(content, str) and content:
            yield Violation(
                expected=f"content null, absent or \"\" beside `{names[0]}` in choice {index}",
                received=f"content {clip(content)}",
                event_index=event_index,
            )
