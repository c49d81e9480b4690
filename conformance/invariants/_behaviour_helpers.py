"""Pure helpers shared by the behaviour groups (reasoning, tools, JSON, logprobs, limits, errors, consistency, sdk).

Everything here reads an `Observation` and returns plain values, or raises `NotApplicable` when the
observation cannot be judged (no 200 response, not an event stream, no choices).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeGuard

from ._model import Mode, NotApplicable
from ._observation import REASONING_FIELDS, AssembledChoice, Observation

__all__ = [
    "REASONING_FIELDS",
    "THINK_TAGS",
    "TOOL_MARKUP",
    "accepted_problem",
    "as_object",
    "choice_key",
    "clip",
    "completion_tokens",
    "content_text",
    "describe_status",
    "dotted_get",
    "error_envelope_problem",
    "error_like_payloads",
    "first_event_with",
    "is_int",
    "is_number",
    "iter_choice_deltas",
    "iter_logprob_entries",
    "judged_choices",
    "max_tokens_of",
    "nonstream_message",
    "other_reasoning_fields",
    "require_response",
    "stop_sequences",
    "thinking_state",
]

THINK_TAGS = ("<think>", "</think>")
# Markers of DeepSeek V3/V3.1 tool-call tokens and of other templates' tool-call tags that a server
# without the right tool parser passes through as text (vLLM PR #23454, SGLang PR #9446).
TOOL_MARKUP = (
    "<｜tool▁calls▁begin｜>",
    "<｜tool▁call▁begin｜>",
    "<｜tool▁sep｜>",
    "<｜tool▁call▁end｜>",
    "<｜tool▁calls▁end｜>",
    "<|tool▁calls▁begin|>",
    "<|tool_calls_begin|>",
    "<|tool_call_begin|>",
    "｜DSML｜",
    "<tool_call>",
    "</tool_call>",
)


def clip(value: Any, limit: int = 80) -> str:
    """A short repr for evidence text."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_int(value: Any) -> TypeGuard[int]:
    """A JSON integer (bool is not one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> TypeGuard[int | float]:
    """A JSON number (bool is not one)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def as_object(value: Any) -> dict[str, Any]:
    """The value when it is a JSON object, else an empty dict (for reading optional nested fields)."""
    return value if isinstance(value, dict) else {}


def dotted_get(data: Any, path: str) -> Any:
    """The value at a dotted path in nested dicts, or None when any step is missing."""
    node = data
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def describe_status(status: int | None) -> str:
    """An HTTP status with what its class means for a request the provider should reject."""
    if status is None:
        return "no response"
    if 200 <= status < 300:
        return f"HTTP {status} (2xx: the invalid request was silently accepted)"
    if status >= 500:
        return f"HTTP {status} (5xx: a server error instead of a client error)"
    if 400 <= status < 500:
        return f"HTTP {status}"
    return f"HTTP {status} (neither 2xx, 4xx nor 5xx)"


def require_response(obs: Observation) -> None:
    """NotApplicable unless the response is a 200 that carries a completion (the shape checks' precondition)."""
    if obs.exchange.status != 200:
        raise NotApplicable(f"HTTP {obs.exchange.status}: no completion to judge (HEAD-006 reports the status)")
    if obs.scenario.mode is Mode.STREAM:
        if not obs.is_event_stream:
            raise NotApplicable(f"the body is not an event stream (Content-Type {obs.exchange.header('content-type')})")
        if not obs.content_chunks:
            raise NotApplicable("the stream carries no chunk")
    elif obs.body_object is None:
        raise NotApplicable("the body is not a JSON object")


def judged_choices(obs: Observation) -> dict[Any, AssembledChoice]:
    """The assembled choices of a 200 completion; NotApplicable when there are none."""
    require_response(obs)
    choices = obs.assembled
    if not choices:
        raise NotApplicable("the response carries no choice")
    return choices


def choice_key(index: Any) -> Any:
    """A choice index usable as a dict key, matching `Observation.assembled` (repr for non-int/str values)."""
    return index if isinstance(index, int | str) else repr(index)


def content_text(acc: AssembledChoice) -> str:
    """The assembled content when it is a string ("" otherwise: a non-string content is the schema group's)."""
    return acc.content if isinstance(acc.content, str) else ""


def iter_choice_deltas(obs: Observation) -> Iterator[tuple[int, Any, dict[str, Any]]]:
    """(event index, choice key, delta) for every object delta of every content chunk."""
    for event_index, chunk in obs.content_chunks:
        choices = chunk.get("choices")
        if not isinstance(choices, list):
            continue
        for choice in choices:
            if isinstance(choice, dict) and isinstance(choice.get("delta"), dict):
                yield event_index, choice_key(choice.get("index")), choice["delta"]


def first_event_with(obs: Observation, choice: Any, field: str, needle: str) -> int | None:
    """The stream event whose delta completes the first occurrence of `needle` in one choice's `field`."""
    text = ""
    for event_index, index, delta in iter_choice_deltas(obs):
        value = delta.get(field)
        if index == choice and isinstance(value, str):
            text += value
            if needle in text:
                return event_index
    return None


def nonstream_message(choice: Any) -> dict[str, Any] | None:
    """The message object of a non-stream choice, or None."""
    if isinstance(choice, dict) and isinstance(choice.get("message"), dict):
        msg: dict[str, Any] = choice["message"]
        return msg
    return None


def other_reasoning_fields(obs: Observation) -> tuple[str, ...]:
    """Reasoning field names other than the profile's own."""
    return tuple(name for name in REASONING_FIELDS if name != obs.profile.reasoning_field)


def thinking_state(obs: Observation) -> str | None:
    """on | off | auto from the scenario features, or None."""
    for state in ("on", "off", "auto"):
        if f"thinking_{state}" in obs.scenario.features:
            return state
    return None


def completion_tokens(obs: Observation) -> int | None:
    """usage.completion_tokens when it is an integer."""
    usage = obs.usage
    value = usage.get("completion_tokens") if usage else None
    return value if is_int(value) else None


def max_tokens_of(request: dict[str, Any]) -> tuple[str, int] | None:
    """The tightest output cap the request set: (parameter name, value)."""
    caps = [(name, request[name]) for name in ("max_tokens", "max_completion_tokens") if is_int(request.get(name))]
    return min(caps, key=lambda c: int(c[1])) if caps else None


def stop_sequences(request: dict[str, Any]) -> list[str]:
    """The request's stop sequences as a list of non-empty strings."""
    stop = request.get("stop")
    if isinstance(stop, str):
        return [stop] if stop else []
    if isinstance(stop, list):
        return [s for s in stop if isinstance(s, str) and s]
    return []


def iter_logprob_entries(obs: Observation) -> Iterator[tuple[int | None, dict[str, Any] | Any]]:
    """(event index or None for a body, token logprob entry) for every logprobs.content entry."""
    if obs.scenario.mode is Mode.STREAM:
        for event_index, chunk in obs.content_chunks:
            for choice in chunk.get("choices") or []:
                lp = choice.get("logprobs") if isinstance(choice, dict) else None
                if isinstance(lp, dict) and isinstance(lp.get("content"), list):
                    for entry in lp["content"]:
                        yield event_index, entry
        return
    body = obs.body_object or {}
    for choice in body.get("choices") or []:
        lp = choice.get("logprobs") if isinstance(choice, dict) else None
        if isinstance(lp, dict) and isinstance(lp.get("content"), list):
            for entry in lp["content"]:
                yield None, entry


def error_like_payloads(obs: Observation) -> Iterator[tuple[int, dict[str, Any]]]:
    """JSON events that look like an error report: a truthy `error`, `object: error`, or a bare message/code."""
    for payload in obs.payloads:
        if payload.kind == "done":
            break
        value = payload.value
        if payload.kind != "json" or not isinstance(value, dict):
            continue
        bare = "choices" not in value and any(k in value for k in ("message", "code", "detail"))
        if value.get("error") or value.get("object") == "error" or bare:
            yield payload.event_index, value


def error_envelope_problem(body: Any) -> str | None:
    """Why a parsed body is not {"error": {"message": <non-empty string>, ...}} (None when it is)."""
    if not isinstance(body, dict):
        return f"the body is {type(body).__name__}, not a JSON object"
    error = body.get("error")
    if not isinstance(error, dict):
        keys = ", ".join(sorted(body)) or "none"
        return f"no `error` object (error is {clip(error)}; top-level keys: {keys})"
    message = error.get("message")
    if not isinstance(message, str) or not message.strip():
        return f"error.message is {clip(message)}, not a non-empty string"
    return None


def accepted_problem(obs: Observation) -> str | None:
    """Why a documented-valid request was not accepted and answered with a completion (None when it was)."""
    status = obs.exchange.status
    if status != 200:
        detail = ""
        body = obs.body_object
        if body is not None and isinstance(body.get("error"), dict):
            detail = f": {clip(body['error'].get('message'), 120)}"
        return f"HTTP {status}{detail}"
    if obs.scenario.mode is Mode.STREAM:
        if not obs.is_event_stream:
            return f"HTTP 200 but Content-Type {obs.exchange.header('content-type')!r}, not an event stream"
        if not obs.content_chunks:
            return "HTTP 200 but the stream carries no completion chunk"
        return None
    body = obs.body_object
    if body is None:
        return "HTTP 200 but the body is not a JSON object"
    if not isinstance(body.get("choices"), list) or not body["choices"]:
        return "HTTP 200 but the body has no choices"
    return None
