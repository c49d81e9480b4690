"""The documents cases are generated from: a profile's normalized document aimed at the provider,
and a narrowed copy of it that only allows cheap, sensible, documented-valid bodies.

Generation never sends the document's whole parameter space verbatim: unconstrained strings
(model ids, prompts) would be rejected for reasons unrelated to the contract, and an unbounded
`max_tokens` would cost money. The narrowed request schema pins those to profile data and keeps
every other documented field (thinking, tools, response_format, logprobs, stop, penalties,
stream) drawn from the document's own schema, clipped to the profile's limits.
"""

from __future__ import annotations

import copy
from typing import Any

from ..providers._profile import Profile
from ..scenarios import PROMPTS, WEATHER_TOOL

__all__ = [
    "CHAT_PATH_SUFFIX",
    "FIELD_ORDER",
    "MESSAGE_SETS",
    "generation_document",
    "generation_request_schema",
    "provider_document",
    "request_properties",
]

CHAT_PATH_SUFFIX = "/chat/completions"
_JSON = "application/json"

# Prompts a positive case may send: the suite's standard prompts, which real models answer briefly
# and the reference provider recognises. Each set is valid under the canonical message schema.
MESSAGE_SETS: tuple[list[dict[str, str]], ...] = (
    [{"role": "user", "content": PROMPTS["basic"]}],
    [{"role": "system", "content": "You are a concise assistant."}, {"role": "user", "content": PROMPTS["basic"]}],
    [{"role": "user", "content": PROMPTS["count"]}],
    [{"role": "user", "content": PROMPTS["basic"]}, {"role": "assistant", "content": "Hello there, nice to meet you!"},
     {"role": "user", "content": PROMPTS["basic"]}],
)
WEATHER_MESSAGES = [{"role": "user", "content": PROMPTS["weather"]}]
JSON_MESSAGES = [{"role": "system", "content": PROMPTS["json_system"]},
                 {"role": "user", "content": PROMPTS["json_user"]}]
STOP_SEQUENCES = ("7", "END", "\n\n")

# Fields a generated body may carry. Others a document lists (n, user, logit_bias, ...) stay out:
# they multiply the cost or change the response shape without exercising more of the contract.
FIELD_ORDER = ("model", "messages", "max_tokens", "stream", "stream_options", "temperature", "top_p",
           "frequency_penalty", "presence_penalty", "stop", "logprobs", "top_logprobs", "response_format",
           "tools", "tool_choice", "thinking", "chat_template_kwargs", "seed")
_THINKING_FIELDS = frozenset({"thinking", "chat_template_kwargs"})  # drawn from the profile's switch, not the document
# Profile feature that must be documented before a field is generated.
_FIELD_FEATURE = {"stop": "stop", "logprobs": "logprobs", "top_logprobs": "logprobs", "response_format": "json_mode",
                  "tools": "tools", "tool_choice": "tools"}


def _chat_operation(document: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    for path, item in (document.get("paths") or {}).items():
        if path.rstrip("/").endswith(CHAT_PATH_SUFFIX) and isinstance(item, dict) and "post" in item:
            return path, item["post"]
    raise ValueError(f"the document has no POST operation on a path ending in {CHAT_PATH_SUFFIX}")


def provider_document(profile: Profile, base_url: str | None = None) -> dict[str, Any]:
    """The profile's normalized document with its chat operation moved to `profile.path`.

    The vendor documents disagree on the path prefix (`/v1/chat/completions` vs `/chat/completions`);
    the profile says which one the provider serves. With `base_url`, `servers` points at it, so
    base URL + path is the provider's endpoint.
    """
    from ..specs import load_document  # deferred: the specs package reads YAML on first use

    document = load_document(profile.spec)
    _, operation = _chat_operation(document)
    document["paths"] = {profile.path: {"post": operation}}
    if base_url is not None:
        document["servers"] = [{"url": base_url.rstrip("/")}]
    return document


def _resolve(document: dict[str, Any], schema: Any) -> Any:
    seen = 0
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and seen < 32:
        node: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema, seen = node, seen + 1
    return schema


def request_properties(document: dict[str, Any]) -> dict[str, Any]:
    """The top-level properties of the chat operation's JSON request body (allOf members merged)."""
    _, operation = _chat_operation(document)
    schema = _resolve(document, operation["requestBody"]["content"][_JSON]["schema"])
    props: dict[str, Any] = {}
    for part in [schema, *(_resolve(document, s) for s in schema.get("allOf", []))]:
        if isinstance(part, dict):
            props.update(part.get("properties") or {})
    return props


def _clip(schema: Any, low: float | None, high: float | None) -> Any:
    """The schema with its numeric range narrowed to [low, high]."""
    if low is None and high is None:
        return schema
    if isinstance(schema, dict) and not ({"anyOf", "oneOf", "allOf", "$ref"} & set(schema)):
        out = dict(schema)
        if low is not None:
            out["minimum"] = max(low, out.get("minimum", low))
        if high is not None:
            out["maximum"] = min(high, out.get("maximum", high))
        return out
    bound: dict[str, Any] = {}
    if low is not None:
        bound["minimum"] = low
    if high is not None:
        bound["maximum"] = high
    return {"allOf": [schema, bound]}


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _thinking_schema(profile: Profile, props: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The field that switches thinking and the values it may take, from the profile's patches."""
    control = profile.thinking
    if not profile.has("thinking") or control.style in {"none", "model_switch"}:
        return None  # a model switch would change the model, which generated cases keep fixed
    patches = [p for p in (control.on, control.off, control.auto) if p]
    keys = {k for p in patches for k in p}
    if len(keys) != 1:
        return None
    (key,) = keys
    values = [p[key] for p in patches]
    budget = control.budget_field
    if (key == "thinking" and key in props and all(isinstance(v, dict) and set(v) == {"type"} for v in values)):
        properties: dict[str, Any] = {"type": {"enum": [v["type"] for v in values]}}
        if budget and budget.startswith("thinking.") and profile.has("budget"):
            low = control.budget_min if control.budget_min is not None else 1
            high = control.budget_max if control.budget_max is not None else max(low, 8192)
            properties[budget.removeprefix("thinking.")] = {"type": "integer", "minimum": low, "maximum": high}
        return key, {"type": "object", "required": ["type"], "properties": properties, "additionalProperties": False}
    return key, {"enum": values}


def generation_request_schema(profile: Profile, document: dict[str, Any], max_tokens: int) -> dict[str, Any]:
    """The narrowed request schema a positive body is drawn from (see the module docstring)."""
    props = request_properties(document)
    limits = profile.limits
    low_tokens = max(1, int(limits.get("max_tokens", (1, max_tokens))[0]))
    high_tokens = min(max_tokens, int(limits.get("max_tokens", (1, max_tokens))[1]))
    if high_tokens < low_tokens:
        raise ValueError(f"max_tokens {max_tokens} is below the profile's minimum {low_tokens}")
    overrides: dict[str, Any] = {
        "model": {"const": profile.default_model},
        "messages": {"enum": [list(m) for m in MESSAGE_SETS]},
        "max_tokens": {"type": "integer", "minimum": low_tokens, "maximum": high_tokens},
        "stream": {"type": "boolean"},
        "stream_options": {"type": "object", "required": ["include_usage"],
                           "properties": {"include_usage": {"type": "boolean"}}, "additionalProperties": False},
        "stop": {"anyOf": [{"enum": list(STOP_SEQUENCES)},
                           {"type": "array", "items": {"enum": list(STOP_SEQUENCES)}, "minItems": 1, "maxItems": 3,
                            "uniqueItems": True}]},
        "tools": {"const": [WEATHER_TOOL]},
        "tool_choice": {"enum": ["auto", "none", "required",
                                 {"type": "function", "function": {"name": "get_weather"}}]},
        "response_format": {"type": "object", "required": ["type"],
                            "properties": {"type": {"enum": ["text", "json_object"]}}, "additionalProperties": False},
        "seed": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
    }
    out: dict[str, Any] = {}
    for name in FIELD_ORDER:
        feature = _FIELD_FEATURE.get(name)
        if name in _THINKING_FIELDS or name not in props or (feature is not None and not profile.has(feature)):
            continue
        if name in overrides:
            out[name] = overrides[name]
        else:
            low, high = limits.get(name, (None, None))
            out[name] = _clip(copy.deepcopy(props[name]), None if low is None else _number(low),
                              None if high is None else _number(high))
    thinking = _thinking_schema(profile, props)
    if thinking is not None:
        out[thinking[0]] = thinking[1]
    required = [name for name in ("model", "messages", "max_tokens") if name in out]
    return {"type": "object", "properties": out, "required": required, "additionalProperties": False}


def generation_document(profile: Profile, max_tokens: int) -> dict[str, Any]:
    """The provider document with the narrowed request schema and nothing else to generate.

    Header parameters and security are dropped (the engine sends auth and Content-Type; a case
    only varies the body), and so are request examples (they name other models and large limits).
    """
    document = provider_document(profile)
    operation = document["paths"][profile.path]["post"]
    schema = generation_request_schema(profile, document, max_tokens)
    operation.pop("parameters", None)
    operation.pop("security", None)
    document.pop("security", None)
    operation["requestBody"] = {"required": True, "content": {_JSON: {"schema": schema}}}
    return document
