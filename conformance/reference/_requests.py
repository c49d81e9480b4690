"""Request validation against the contract, and a lenient reading of the request for generation.

`validate` rejects what the canonical contract (`ChatCompletionRequest` in
specs/normalized/canonical.yaml) rejects, narrowed by the profile's documented limits, thinking
switch and statuses, and names the kind of problem so the profile picks the status. `interpret`
never fails: the `invalid-accepted` fault generates an answer from whatever arrived.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from typing import Any

import jsonschema
import jsonschema_rs

from ..providers._profile import Profile
from ..specs import component_schema
from ._errors import ApiError

__all__ = ["KNOWN_FIELDS", "ChatRequest", "interpret", "matches_patch", "message_text", "thinking_paths", "validate"]

_ROLES = ("system", "user", "assistant", "tool")
# Parameter -> the range used when the profile documents none (the canonical contract's).
_DEFAULT_LIMITS: dict[str, tuple[float, float]] = {
    "temperature": (0, 2), "top_p": (0, 1), "frequency_penalty": (-2, 2), "presence_penalty": (-2, 2),
    "max_tokens": (1, 65536), "top_logprobs": (0, 20),
}
# Fields the contract or the OpenAI wire format knows; anything else is an "extra" field.
KNOWN_FIELDS = frozenset({
    "model", "messages", "stream", "stream_options", "temperature", "top_p", "frequency_penalty",
    "presence_penalty", "max_tokens", "max_completion_tokens", "stop", "logprobs", "top_logprobs",
    "response_format", "tools", "tool_choice", "parallel_tool_calls", "thinking", "seed", "user", "n",
    "logit_bias", "chat_template_kwargs", "metadata", "store", "service_tier", "reasoning_effort",
})


@cache
def _request_schema() -> dict[str, Any]:
    return component_schema("ChatCompletionRequest")


@cache
def _fast_validator() -> Any:
    return jsonschema_rs.validator_for(_request_schema())


@cache
def _detail_validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(_request_schema())


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _dig(body: Any, dotted: str) -> tuple[bool, Any]:
    """(found, value) at a dotted path; found is False when any step is missing."""
    node = body
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def matches_patch(body: Any, patch: dict[str, Any]) -> bool:
    """Whether the request carries every leaf of a thinking patch (a None leaf means absent)."""
    if not isinstance(body, dict):
        return False
    for key, want in patch.items():
        if want is None:
            if key in body:
                return False
        elif isinstance(want, dict):
            if not matches_patch(body.get(key), want):
                return False
        elif key not in body or not _same(body[key], want):
            return False
    return True


def _leaves(patch: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in patch.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out += _leaves(value, path + ".")
        elif value is not None:
            out.append((path, value))
    return out


def thinking_paths(profile: Profile) -> dict[str, list[Any]]:
    """Dotted request path -> the values the profile's thinking switch documents there (the model
    name excepted: an unknown model is its own error)."""
    paths: dict[str, list[Any]] = {}
    for patch in (profile.thinking.on, profile.thinking.off, profile.thinking.auto):
        for path, value in _leaves(patch or {}):
            if path != "model":
                paths.setdefault(path, []).append(value)
    return paths


def _check_range(body: dict[str, Any], name: str, profile: Profile, *, integer: bool = False) -> None:
    value = body.get(name)
    if value is None:
        return
    if not (_is_int(value) if integer else _is_number(value)):
        kind = "an integer" if integer else "a number"
        raise ApiError("invalid_param", f"{name} must be {kind}, got {json.dumps(value)}", param=name)
    low, high = profile.limits.get(name, _DEFAULT_LIMITS[name])
    if not low <= value <= high:
        raise ApiError("invalid_param", f"{name} must be between {low:g} and {high:g}, got {value}", param=name)


def _check_thinking(body: dict[str, Any], profile: Profile) -> None:
    for path, allowed in thinking_paths(profile).items():
        parts = path.split(".")
        node: Any = body
        for depth, part in enumerate(parts):
            if not isinstance(node, dict):
                where = ".".join(parts[:depth])
                raise ApiError("unknown_thinking", f"{where} must be an object", param=where)
            if part not in node:
                break
            node = node[part]
        else:
            if not any(_same(node, a) for a in allowed):
                choices = ", ".join(json.dumps(a) for a in allowed)
                raise ApiError("unknown_thinking", f"{path} must be one of {choices}, got {json.dumps(node)}",
                               param=path)
    field = profile.thinking.budget_field
    if field:
        found, budget = _dig(body, field)
        if found and budget is not None:
            low, high = profile.thinking.budget_min or 0, profile.thinking.budget_max or 2**31
            if not _is_int(budget) or not low <= budget <= high:
                raise ApiError("invalid_param", f"{field} must be an integer between {low} and {high}", param=field)


def _classify(error: jsonschema.ValidationError, body: dict[str, Any]) -> ApiError:
    path = [str(p) for p in error.absolute_path]
    param = ".".join(path) or None
    message = f"{param + ': ' if param else ''}{error.message}"
    if path and path[0] == "messages":
        if error.validator == "minItems" and len(path) == 1:
            return ApiError("empty_messages", "messages must not be empty", param="messages")
        if len(path) >= 2 and path[1].isdigit():
            msg = body["messages"][int(path[1])]
            if isinstance(msg, dict) and msg.get("role") not in _ROLES:
                return ApiError("bad_role", f"messages[{path[1]}].role must be one of {', '.join(_ROLES)}",
                                param=f"messages.{path[1]}.role")
    if path and path[0] == "thinking":
        return ApiError("unknown_thinking", message, param=param)
    return ApiError("invalid_param", message, param=param)


def validate(body: Any, profile: Profile) -> None:
    """Raise ApiError for the first problem found; return when the request is valid for the profile."""
    if not isinstance(body, dict):
        raise ApiError("invalid_param", "the request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ApiError("invalid_param", "model is required and must be a non-empty string", param="model")
    if model not in profile.models.values():
        known = ", ".join(sorted(set(profile.models.values())))
        raise ApiError("unknown_model", f"Model Not Exist: {model!r} (available: {known})", param="model")
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise ApiError("invalid_param", "messages is required and must be an array", param="messages")
    if not messages:
        raise ApiError("empty_messages", "messages must not be empty", param="messages")
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict):
            raise ApiError("invalid_param", f"messages[{i}] must be an object", param=f"messages.{i}")
        if msg.get("role") not in _ROLES:
            raise ApiError("bad_role", f"messages[{i}].role must be one of {', '.join(_ROLES)}, "
                           f"got {json.dumps(msg.get('role'))}", param=f"messages.{i}.role")
    _check_thinking(body, profile)
    top = body.get("top_logprobs")
    if top is not None:
        if not _is_int(top):
            raise ApiError("invalid_param", "top_logprobs must be an integer", param="top_logprobs")
        low, high = profile.limits.get("top_logprobs", _DEFAULT_LIMITS["top_logprobs"])
        if top > high:
            raise ApiError("top_logprobs_over_max", f"top_logprobs must be at most {high:g}", param="top_logprobs")
        if top < low:
            raise ApiError("invalid_param", f"top_logprobs must be at least {low:g}", param="top_logprobs")
        if body.get("logprobs") is not True:
            raise ApiError("top_logprobs_without_logprobs", "top_logprobs requires logprobs: true",
                           param="top_logprobs")
    checked = body
    if body.get("stream_options") is not None and body.get("stream") is not True:
        if profile.stream_options_without_stream == "reject":
            raise ApiError("stream_options_without_stream", "stream_options can only be set when stream is true",
                           param="stream_options")
        checked = {k: v for k, v in body.items() if k != "stream_options"}  # documented as ignored
    for name in ("temperature", "top_p", "frequency_penalty", "presence_penalty"):
        _check_range(body, name, profile)
    _check_range(body, "max_tokens", profile, integer=True)
    _check_tools(body)
    if not _fast_validator().is_valid(checked):
        error = jsonschema.exceptions.best_match(_detail_validator().iter_errors(checked))
        if error is not None:
            raise _classify(error, body)


def _check_tools(body: dict[str, Any]) -> None:
    tools = body.get("tools")
    choice = body.get("tool_choice")
    names = {t["function"].get("name") for t in tools or []
             if isinstance(t, dict) and isinstance(t.get("function"), dict)}
    if isinstance(choice, dict):
        fn = choice.get("function")
        name = fn.get("name") if isinstance(fn, dict) else None
        if name not in names:
            raise ApiError("invalid_param", f"tool_choice names {json.dumps(name)}, which is not in tools",
                           param="tool_choice")
    elif choice in ("required",) and not names:
        raise ApiError("invalid_param", "tool_choice required needs at least one tool", param="tool_choice")


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """What generation needs from a request, read leniently (invalid values fall back to defaults)."""

    body: dict[str, Any]
    model: str
    stream: bool
    include_usage: bool
    messages: tuple[dict[str, Any], ...]
    thinking: bool
    reasoning_budget: int | None
    tools: tuple[dict[str, Any], ...]  # the `function` objects
    tool_choice: str  # none | auto | required | named
    tool_name: str | None  # for a named tool_choice
    parallel_tool_calls: bool
    json_mode: bool
    stop: tuple[str, ...]
    max_tokens: int | None
    logprobs_top: int | None  # None: logprobs not requested; else top_logprobs (0 when absent)
    digest: str  # a stable hash of the body: seeds ids that must be deterministic

    @property
    def prompt(self) -> str:
        """The last user message's text ("" when there is none)."""
        for msg in reversed(self.messages):
            if msg.get("role") == "user":
                return message_text(msg)
        return ""

    @property
    def last_role(self) -> str:
        return str(self.messages[-1].get("role")) if self.messages else ""


def message_text(msg: dict[str, Any]) -> str:
    """A message's content as text (content parts joined)."""
    content = msg.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _thinking_on(body: dict[str, Any], profile: Profile, prompt: str) -> bool:
    t = profile.thinking
    if t.style == "none":
        return False
    for state, patch in (("off", t.off), ("on", t.on), ("auto", t.auto)):
        if patch and matches_patch(body, patch):
            if state == "auto":
                # The reference "decides" by the prompt: reasoning when it is asked to think.
                return "think" in prompt.lower() or "step by step" in prompt.lower()
            return state == "on"
    if t.default_on is None:
        return bool(profile.models.get("reasoner")) and body.get("model") == profile.models.get("reasoner")
    return t.default_on


def interpret(body: Any, profile: Profile) -> ChatRequest:
    """Read a request for generation; never raises."""
    if not isinstance(body, dict):
        body = {}
    messages = tuple(m for m in body.get("messages") or [] if isinstance(m, dict)) \
        if isinstance(body.get("messages"), list) else ()
    stream = body.get("stream") is True
    opts = body.get("stream_options")
    include_usage = stream and isinstance(opts, dict) and opts.get("include_usage") is True
    tools = tuple(t["function"] for t in body.get("tools") or [] if isinstance(t, dict)
                  and isinstance(t.get("function"), dict) and isinstance(t["function"].get("name"), str)) \
        if isinstance(body.get("tools"), list) else ()
    raw_choice = body.get("tool_choice")
    tool_name = None
    if isinstance(raw_choice, dict) and isinstance(raw_choice.get("function"), dict):
        tool_choice, tool_name = "named", str(raw_choice["function"].get("name"))
    elif raw_choice in ("none", "auto", "required"):
        tool_choice = str(raw_choice)
    else:
        tool_choice = "auto" if tools else "none"
    fmt = body.get("response_format")
    stop_raw = body.get("stop")
    stop = (stop_raw,) if isinstance(stop_raw, str) else tuple(s for s in stop_raw if isinstance(s, str)) \
        if isinstance(stop_raw, list) else ()
    max_tokens = body.get("max_tokens")
    if not (_is_int(max_tokens) and max_tokens >= 1):
        alt = body.get("max_completion_tokens")
        max_tokens = alt if _is_int(alt) and alt >= 1 else None
    logprobs_top = None
    if body.get("logprobs") is True:
        top = body.get("top_logprobs")
        logprobs_top = min(max(top, 0), 20) if _is_int(top) else 0
    budget = None
    if profile.thinking.budget_field:
        found, value = _dig(body, profile.thinking.budget_field)
        budget = value if found and _is_int(value) and value >= 0 else None
    model = body.get("model")
    req_messages = tuple(messages)
    prompt = next((message_text(m) for m in reversed(req_messages) if m.get("role") == "user"), "")
    return ChatRequest(
        body=body,
        model=model if isinstance(model, str) and model else profile.default_model,
        stream=stream,
        include_usage=include_usage,
        messages=req_messages,
        thinking=_thinking_on(body, profile, prompt),
        reasoning_budget=budget,
        tools=tools,
        tool_choice=tool_choice,
        tool_name=tool_name,
        parallel_tool_calls=body.get("parallel_tool_calls") is not False,
        json_mode=isinstance(fmt, dict) and fmt.get("type") == "json_object",
        stop=tuple(s for s in stop if s),
        max_tokens=max_tokens,
        logprobs_top=logprobs_top,
        digest=hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode("utf-8")).hexdigest(),
    )
