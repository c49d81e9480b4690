"""Provider profiles: a vendor dialect as data.

A profile says how one family of endpoints documents the contract: where usage sits in a stream,
which field carries reasoning, how thinking is switched, which statuses errors use. Checks read
these facts instead of naming vendors, and the reference provider emulates a profile from the
same data. Profiles live in `conformance/providers/profiles/<name>.yaml`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

__all__ = ["Profile", "ProfileError", "ThinkingControl", "UsageDialect", "deep_merge", "load_profile", "profile_names"]

_PROFILE_PACKAGE = "conformance.providers.profiles"


class ProfileError(ValueError):
    """A profile file is missing or malformed."""


@dataclass(frozen=True, slots=True)
class ThinkingControl:
    """How thinking is switched: each of `on`/`off`/`auto` is a patch deep-merged into the request."""

    style: str  # thinking_type | model_switch | template_kwargs | none
    on: dict[str, Any] | None = None
    off: dict[str, Any] | None = None
    auto: dict[str, Any] | None = None
    invalid: dict[str, Any] | None = None  # a patch the provider documents as invalid (expects 4xx)
    default_on: bool | None = None  # None: the documents do not settle it
    budget_field: str | None = None  # dotted path of a thinking budget, e.g. thinking.budget_tokens
    budget_min: int | None = None
    budget_max: int | None = None


@dataclass(frozen=True, slots=True)
class UsageDialect:
    """Where token usage appears."""

    placement: str = "separate_chunk"  # separate_chunk (choices: []) | final_chunk (rides on the finish chunk)
    when: str = "include_usage"  # include_usage | always (the last chunk carries usage regardless)
    null_on_other_chunks: bool = True  # with include_usage, other chunks carry "usage": null
    reasoning_tokens: str | None = "completion_tokens_details.reasoning_tokens"  # dotted path in usage
    cache_fields: bool = False  # prompt_cache_hit_tokens + prompt_cache_miss_tokens == prompt_tokens
    in_nonstream: bool = True  # non-stream responses carry usage


@dataclass(frozen=True, slots=True)
class Profile:
    """One documented dialect of the contract."""

    name: str
    description: str
    sources: tuple[str, ...]
    path: str  # the chat completions path under the base URL, e.g. /v1/chat/completions
    spec: str  # the normalized document (specs/normalized/<spec>.yaml) that describes this dialect
    models: dict[str, str]  # role -> model id: chat (default), reasoner (if any)
    reasoning_field: str  # reasoning_content | reasoning
    thinking: ThinkingControl
    usage: UsageDialect
    line_ending: str = "LF"  # LF | CRLF: the framing the vendor documents
    role_on_every_delta: bool = False
    finish_reasons: tuple[str, ...] = ("stop", "length", "tool_calls", "content_filter", "function_call")
    system_fingerprint: bool = False  # documented as always present
    features: frozenset[str] = frozenset()  # tools, json_mode, logprobs, stop, thinking, budget, tool_result
    auth_required: bool = True
    limits: dict[str, tuple[float, float]] = field(default_factory=dict)  # parameter -> [min, max] accepted
    statuses: dict[str, tuple[int, ...]] = field(default_factory=dict)  # error kind -> accepted statuses
    stream_options_without_stream: str = "reject"  # reject (4xx) | ignore (200)
    expectations: dict[str, dict[str, str]] = field(default_factory=dict)  # invariant id -> {status, reason}

    @property
    def default_model(self) -> str:
        return self.models["chat"]

    def status_for(self, kind: str) -> tuple[int, ...]:
        """Accepted statuses for an error kind (bad_json, invalid_param, auth, unknown_model, ...)."""
        return self.statuses.get(kind, self.statuses.get("invalid_param", (400, 422)))

    def has(self, feature: str) -> bool:
        return feature in self.features

    def thinking_patch(self, state: str) -> dict[str, Any] | None:
        """The request patch that puts thinking in `state` (on, off, auto, invalid), or None if undocumented."""
        return {"on": self.thinking.on, "off": self.thinking.off, "auto": self.thinking.auto,
                "invalid": self.thinking.invalid}[state]

    def reasoning_tokens_of(self, usage: Any) -> Any:
        """The reasoning token count at this profile's documented path in a usage object (None if absent)."""
        if not self.usage.reasoning_tokens:
            return None
        node = usage
        for part in self.usage.reasoning_tokens.split("."):
            if not isinstance(node, dict):
                return None
            node = node.get(part)
        return node


def deep_merge(base: dict[str, Any], patch: dict[str, Any] | None) -> dict[str, Any]:
    """A copy of `base` with `patch` merged in; nested dicts merge, a None value deletes the key."""
    out = copy.deepcopy(base)
    for key, value in (patch or {}).items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _req(data: dict[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise ProfileError(f"{where}: missing required field {key!r}")
    return data[key]


def profile_from_dict(data: dict[str, Any], where: str = "<profile>") -> Profile:
    """Build and validate a profile from parsed YAML."""
    if not isinstance(data, dict):
        raise ProfileError(f"{where}: a profile is a mapping")
    known = set(Profile.__slots__)
    unknown = set(data) - known
    if unknown:
        raise ProfileError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    thinking = ThinkingControl(**_req(data, "thinking", where))
    if thinking.style not in {"thinking_type", "model_switch", "template_kwargs", "none"}:
        raise ProfileError(f"{where}: thinking.style {thinking.style!r} is not one of thinking_type, model_switch, "
                           "template_kwargs, none")
    usage = UsageDialect(**data.get("usage", {}))
    if usage.placement not in {"separate_chunk", "final_chunk"} or usage.when not in {"include_usage", "always"}:
        raise ProfileError(f"{where}: usage.placement/usage.when has an unknown value")
    models = _req(data, "models", where)
    if "chat" not in models:
        raise ProfileError(f"{where}: models needs a 'chat' entry (the default model)")
    if data.get("line_ending", "LF") not in {"LF", "CRLF"}:
        raise ProfileError(f"{where}: line_ending must be LF or CRLF")
    return Profile(
        name=_req(data, "name", where),
        description=_req(data, "description", where),
        sources=tuple(data.get("sources", ())),
        path=_req(data, "path", where),
        spec=_req(data, "spec", where),
        models=dict(models),
        reasoning_field=_req(data, "reasoning_field", where),
        thinking=thinking,
        usage=usage,
        line_ending=data.get("line_ending", "LF"),
        role_on_every_delta=bool(data.get("role_on_every_delta", False)),
        finish_reasons=tuple(data.get("finish_reasons", Profile.__dataclass_fields__["finish_reasons"].default)),
        system_fingerprint=bool(data.get("system_fingerprint", False)),
        features=frozenset(data.get("features", ())),
        auth_required=bool(data.get("auth_required", True)),
        limits={k: (float(v[0]), float(v[1])) for k, v in data.get("limits", {}).items()},
        statuses={k: tuple(int(s) for s in v) for k, v in data.get("statuses", {}).items()},
        stream_options_without_stream=data.get("stream_options_without_stream", "reject"),
        expectations=dict(data.get("expectations", {})),
    )


def profile_names() -> list[str]:
    """Names of the profiles shipped with the suite."""
    files = resources.files(_PROFILE_PACKAGE)
    return sorted(p.name[:-5] for p in files.iterdir() if p.name.endswith(".yaml"))


@cache
def load_profile(name: str) -> Profile:
    """Load a shipped profile by name."""
    if name not in profile_names():
        raise ProfileError(f"unknown profile {name!r}; known: {', '.join(profile_names())}")
    text = (resources.files(_PROFILE_PACKAGE) / f"{name}.yaml").read_text("utf-8")
    return profile_from_dict(yaml.safe_load(text), where=f"profile {name}")
