"""Every invalid request kind gets a 4xx JSON envelope from the profile's status list, never 2xx/5xx;
documented-valid requests are accepted."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from conformance.providers import deep_merge, load_profile, profile_names
from conformance.reference import ReferenceServer

from ._client import body_for, call

# (label, error kind naming the profile statuses entry, patch merged into a basic request)
INVALID: list[tuple[str, str, dict[str, Any]]] = [
    ("temperature-too-high", "invalid_param", {"temperature": 5}),
    ("temperature-string", "invalid_param", {"temperature": "hot"}),
    ("temperature-bool", "invalid_param", {"temperature": True}),
    ("max-tokens-negative", "invalid_param", {"max_tokens": -1}),
    ("max-tokens-float", "invalid_param", {"max_tokens": 1.5}),
    ("max-tokens-string", "invalid_param", {"max_tokens": "10"}),
    ("top-p-too-high", "invalid_param", {"top_p": 1.5}),
    ("penalty-too-low", "invalid_param", {"frequency_penalty": -3}),
    ("presence-penalty-high", "invalid_param", {"presence_penalty": 2.5}),
    ("stream-not-bool", "invalid_param", {"stream": "yes"}),
    ("messages-not-array", "invalid_param", {"messages": "hi"}),
    ("empty-messages", "empty_messages", {"messages": []}),
    ("bad-role", "bad_role", {"messages": [{"role": "wizard", "content": "hi"}]}),
    ("message-not-object", "invalid_param", {"messages": ["hi"]}),
    ("user-without-content", "invalid_param", {"messages": [{"role": "user"}]}),
    ("tool-without-call-id", "invalid_param", {"messages": [{"role": "tool", "content": "x"}]}),
    ("unknown-model", "unknown_model", {"model": "no-such-model"}),
    ("model-missing", "invalid_param", {"model": None}),
    ("top-logprobs-alone", "top_logprobs_without_logprobs", {"top_logprobs": 3}),
    ("top-logprobs-21", "top_logprobs_over_max", {"logprobs": True, "top_logprobs": 21}),
    ("top-logprobs-negative", "invalid_param", {"logprobs": True, "top_logprobs": -1}),
    ("response-format-unknown", "invalid_param", {"response_format": {"type": "yaml"}}),
    ("stop-too-many", "invalid_param", {"stop": [str(i) for i in range(17)]}),
    ("tools-not-array", "invalid_param", {"tools": {"type": "function"}}),
    ("tool-name-invalid", "invalid_param", {"tools": [{"type": "function", "function": {"name": "bad name!"}}]}),
    ("tool-choice-unknown-name", "invalid_param",
     {"tools": [{"type": "function", "function": {"name": "f"}}],
      "tool_choice": {"type": "function", "function": {"name": "g"}}}),
    ("tool-choice-bad-string", "invalid_param", {"tool_choice": "sometimes"}),
    ("stream-options-not-object", "invalid_param", {"stream": True, "stream_options": "yes"}),
]


def _post(server: ReferenceServer, client: httpx.Client, profile: str, body: Any) -> Any:
    return call(client, server.url_for(profile=profile) + load_profile(profile).path, body)


@pytest.mark.parametrize("profile", profile_names())
@pytest.mark.parametrize(("label", "kind", "patch"), INVALID, ids=[i[0] for i in INVALID])
def test_invalid_requests_get_a_4xx_envelope(server: ReferenceServer, client: httpx.Client, profile: str,
                                             label: str, kind: str, patch: dict[str, Any]) -> None:
    for stream in (False, True):
        got = _post(server, client, profile, deep_merge(body_for(profile, stream=stream), patch))
        assert got.status in load_profile(profile).status_for(kind), (label, stream, got.status, got.body[:200])
        assert got.headers["content-type"] == "application/json"
        err = got.json()["error"]
        assert isinstance(err["message"], str) and err["message"]
        assert {"type", "param", "code"} <= set(err)


@pytest.mark.parametrize("profile", [p for p in profile_names() if load_profile(p).thinking.invalid])
def test_unknown_thinking_type_is_rejected(server: ReferenceServer, client: httpx.Client, profile: str) -> None:
    prof = load_profile(profile)
    got = _post(server, client, profile, deep_merge(body_for(profile), prof.thinking.invalid))
    assert got.status in prof.status_for("unknown_thinking")
    assert got.json()["error"]["param"] == "thinking.type"


def test_thinking_auto_is_rejected_where_undocumented(server: ReferenceServer, client: httpx.Client) -> None:
    # reseller-budget documents enabled/disabled only (seed 003); canonical documents auto too.
    auto = body_for("reseller-budget", thinking={"type": "auto"})
    assert _post(server, client, "reseller-budget", auto).status == 400
    assert _post(server, client, "canonical", body_for(thinking={"type": "auto"})).status == 200


def test_template_kwargs_thinking_must_be_boolean(server: ReferenceServer, client: httpx.Client) -> None:
    got = _post(server, client, "vllm", body_for("vllm", chat_template_kwargs={"thinking": "yes"}))
    assert got.status == 400


@pytest.mark.parametrize("budget", [127, 8193, "128"])
def test_budget_out_of_range(server: ReferenceServer, client: httpx.Client, budget: Any) -> None:
    for profile in ("canonical", "reseller-budget"):
        body = body_for(profile, thinking={"type": "enabled", "budget_tokens": budget})
        assert _post(server, client, profile, body).status == 400


def test_profile_limits_narrow_the_contract(server: ReferenceServer, client: httpx.Client) -> None:
    body = body_for("deepseek-official", max_tokens=8193)
    assert _post(server, client, "deepseek-official", body).status in (400, 422)  # seed 004: 1-8192
    assert _post(server, client, "canonical", body_for(max_tokens=8193)).status == 200


def test_unknown_model_status_follows_the_profile(server: ReferenceServer, client: httpx.Client) -> None:
    assert _post(server, client, "vllm", body_for("vllm", model="nope")).status == 404
    assert _post(server, client, "canonical", body_for(model="nope")).status == 400


def test_stream_options_without_stream_per_profile(server: ReferenceServer, client: httpx.Client) -> None:
    patch = {"stream": False, "stream_options": {"include_usage": True}}
    rejected = _post(server, client, "canonical", body_for(**patch))
    ignored = _post(server, client, "reseller-budget", body_for("reseller-budget", **patch))
    assert rejected.status == 400
    assert rejected.json()["error"]["param"] == "stream_options"
    assert ignored.status == 200
    assert ignored.json()["object"] == "chat.completion"


VALID: list[tuple[str, dict[str, Any]]] = [
    ("floats", {"temperature": 0.7, "top_p": 0.9, "frequency_penalty": 0.5, "presence_penalty": -0.5}),
    ("nulls", {"temperature": None, "stop": None, "tools": None, "response_format": None, "stream_options": None}),
    ("extra-field", {"x_conformance_probe": 1}),
    ("seed-and-user", {"seed": 7, "user": "u1", "temperature": 0}),
    ("stop-string", {"stop": "7"}),
    ("format-text", {"response_format": {"type": "text"}}),
    ("logprobs", {"logprobs": True, "top_logprobs": 20}),
    ("max-tokens-1", {"max_tokens": 1}),
    ("system-and-assistant", {"messages": [{"role": "system", "content": "Be brief."},
                                           {"role": "user", "content": "Hi"},
                                           {"role": "assistant", "content": "Hello!"},
                                           {"role": "user", "content": "Say hello in five words."}]}),
    ("tool-choice-none-without-tools", {"tool_choice": "none"}),
]


@pytest.mark.parametrize("profile", profile_names())
@pytest.mark.parametrize(("label", "patch"), VALID, ids=[v[0] for v in VALID])
def test_valid_requests_are_accepted(server: ReferenceServer, client: httpx.Client, profile: str, label: str,
                                     patch: dict[str, Any]) -> None:
    got = _post(server, client, profile, {**body_for(profile), **patch})
    assert got.status == 200, got.body[:300]
    assert got.json()["choices"][0]["finish_reason"] in ("stop", "length")
