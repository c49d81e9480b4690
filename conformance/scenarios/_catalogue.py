"""The request scenarios: each builds one small, cheap request for a profile and names its features.

An invariant runs against a scenario when the scenario's mode, expectation and features match the
invariant's declaration, so the invariants a scenario feeds are derived, not listed twice. Every
request pins `max_tokens` low so a full run against a paid vendor costs cents.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..invariants._model import Expect, Invariant, Mode
from ..providers._profile import Profile, deep_merge

__all__ = ["PROMPTS", "SCENARIOS", "RequestSpec", "Scenario", "scenario_by_id"]

MAX_TOKENS = 32  # default completion cap of every scenario
THINKING_MAX_TOKENS = 96  # room for a short chain of thought before the answer

PROMPTS = {
    "basic": "Say hello in five words.",
    "long": "Write a 500-word essay about the sea.",
    "count": "Count from 1 to 20, separated by commas.",
    "weather": "What's the weather in Hangzhou?",
    "weather2": "What's the weather in Hangzhou and in Paris?",
    "json_system": "Reply with a JSON object only.",
    "json_user": "Give me a json object with keys name and age.",
    "reasoning": "What is 17*23? Think step by step.",
}

WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather for a city.",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string", "description": "City name"}},
            "required": ["location"],
        },
    },
}


@dataclass(frozen=True, slots=True)
class RequestSpec:
    """What to send. The engine adds the profile path, auth and Content-Type."""

    body: dict[str, Any] | None
    raw_body: bytes | None = None  # sent verbatim instead of `body` (malformed JSON)
    headers: dict[str, str] = field(default_factory=dict)
    auth: str = "valid"  # valid | missing | wrong

    def payload(self) -> bytes:
        import json

        if self.raw_body is not None:
            return self.raw_body
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8")


Builder = Callable[[Profile], RequestSpec]


@dataclass(frozen=True, slots=True)
class Scenario:
    """A named request with the features it exercises."""

    id: str
    description: str
    mode: Mode
    features: frozenset[str]
    build: Builder
    expect: Expect | Callable[[Profile], Expect] = Expect.SUCCESS
    error_kind: str | None = None  # profile.statuses key for error scenarios
    needs: frozenset[str] = frozenset()  # profile features it needs; skipped otherwise
    needs_thinking: str | None = None  # on | off | auto | invalid: the profile must document that switch
    peer: str | None = None  # another scenario observed alongside (stream vs non-stream pairs)
    repeatable: bool = False  # repeated under --repeat N (model behaviour, judged over k tries)
    quick: bool = False  # part of the --quick smoke subset

    def expect_for(self, profile: Profile) -> Expect:
        return self.expect(profile) if callable(self.expect) else self.expect

    def skip_reason(self, profile: Profile) -> str | None:
        """Why this scenario does not apply to a profile, or None when it does."""
        missing = sorted(f for f in self.needs if not profile.has(f))
        if missing:
            return f"profile {profile.name} does not document {', '.join(missing)}"
        if self.needs_thinking and profile.thinking_patch(self.needs_thinking) is None:
            return f"profile {profile.name} documents no thinking switch for {self.needs_thinking!r}"
        if self.error_kind == "auth" and not profile.auth_required:
            return f"profile {profile.name} documents no API key"
        return None

    def feeds(self, inv: Invariant, profile: Profile) -> bool:
        """Whether an invariant judges this scenario's observations."""
        return (
            self.mode in inv.modes
            and self.expect_for(profile) is inv.expect
            and inv.requires <= self.features
            and (inv.profiles is None or profile.name in inv.profiles)
        )


def _base(profile: Profile, content: str = PROMPTS["basic"], **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": profile.default_model,
        "messages": [{"role": "user", "content": content}],
        "max_tokens": MAX_TOKENS,
    }
    body.update(extra)
    return body


def _stream(body: dict[str, Any], usage: bool | None = True) -> dict[str, Any]:
    body["stream"] = True
    if usage is not None:
        body["stream_options"] = {"include_usage": usage}
    return body


def _thinking(profile: Profile, state: str, body: dict[str, Any]) -> dict[str, Any]:
    return deep_merge(body, profile.thinking_patch(state))


def _spec(fn: Callable[[Profile], dict[str, Any]], **kw: Any) -> Builder:
    return lambda p: RequestSpec(body=fn(p), **kw)


def _tools(choice: Any, prompt: str = PROMPTS["weather"]) -> Callable[[Profile], dict[str, Any]]:
    def build(p: Profile) -> dict[str, Any]:
        body = _base(p, prompt, tools=[WEATHER_TOOL])
        if choice is not None:
            body["tool_choice"] = choice
        body["max_tokens"] = 64
        return body

    return build


def _tool_result(p: Profile) -> dict[str, Any]:
    return _base(
        p,
        PROMPTS["weather"],
        tools=[WEATHER_TOOL],
        messages=[
            {"role": "user", "content": PROMPTS["weather"]},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_0",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"location": "Hangzhou"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_0", "content": '{"temperature_c": 24, "sky": "clear"}'},
        ],
    )


def _json(p: Profile) -> dict[str, Any]:
    return _base(
        p,
        response_format={"type": "json_object"},
        messages=[
            {"role": "system", "content": PROMPTS["json_system"]},
            {"role": "user", "content": PROMPTS["json_user"]},
        ],
        max_tokens=64,
    )


def _stream_options_expect(profile: Profile) -> Expect:
    return Expect.ERROR if profile.stream_options_without_stream == "reject" else Expect.SUCCESS


def _pair(
    stream_id: str,
    nonstream_id: str,
    description: str,
    features: set[str],
    body: Callable[[Profile], dict[str, Any]],
    *,
    needs: frozenset[str] | set[str] = frozenset(),
    needs_thinking: str | None = None,
    repeatable: bool = False,
    quick: bool = False,
    usage: bool | None = True,
) -> list[Scenario]:
    """A stream scenario and its non-stream twin; the stream one observes the other as a peer."""
    feats = frozenset(features | {"paired"})
    return [
        Scenario(
            stream_id,
            f"{description} (streamed)",
            Mode.STREAM,
            feats | ({"include_usage"} if usage else {"usage_not_requested"}),
            _spec(lambda p: _stream(body(p), usage)),
            needs=frozenset(needs),
            needs_thinking=needs_thinking,
            peer=nonstream_id,
            repeatable=repeatable,
            quick=quick,
        ),
        Scenario(
            nonstream_id,
            f"{description} (non-stream)",
            Mode.NONSTREAM,
            feats | {"stream_false"},
            _spec(lambda p: {**body(p), "stream": False}),
            needs=frozenset(needs),
            needs_thinking=needs_thinking,
            repeatable=repeatable,
            quick=quick,
        ),
    ]


def _invalid(p: Profile, **patch: Any) -> dict[str, Any]:
    return deep_merge(_base(p), patch)


def _build_catalogue() -> list[Scenario]:
    S, N = Mode.STREAM, Mode.NONSTREAM
    err = Expect.ERROR
    sc: list[Scenario] = [
        Scenario(
            "stream-basic",
            "A basic stream, no stream_options",
            S,
            frozenset({"usage_not_requested"}),
            _spec(lambda p: _stream(_base(p), None)),
            quick=True,
        ),
        Scenario(
            "stream-usage",
            "A stream with stream_options.include_usage true",
            S,
            frozenset({"include_usage"}),
            _spec(lambda p: _stream(_base(p), True)),
            quick=True,
        ),
        Scenario(
            "stream-usage-false",
            "A stream with stream_options.include_usage false",
            S,
            frozenset({"usage_not_requested"}),
            _spec(lambda p: _stream(_base(p), False)),
        ),
        Scenario(
            "nonstream-false",
            "A non-stream request with stream: false",
            N,
            frozenset({"stream_false"}),
            _spec(lambda p: _base(p, stream=False)),
            quick=True,
        ),
        Scenario(
            "nonstream-omitted",
            "A non-stream request with stream omitted",
            N,
            frozenset({"stream_omitted"}),
            _spec(lambda p: _base(p)),
        ),
        Scenario(
            "stream-accept-json",
            "stream: true sent with Accept: application/json, as the openai SDK does",
            S,
            frozenset({"include_usage", "accept_json"}),
            lambda p: RequestSpec(body=_stream(_base(p), True), headers={"Accept": "application/json"}),
        ),
        Scenario(
            "nonstream-accept-sse",
            "stream omitted but Accept: text/event-stream",
            N,
            frozenset({"accept_sse", "stream_omitted"}),
            lambda p: RequestSpec(body=_base(p), headers={"Accept": "text/event-stream"}),
        ),
        Scenario(
            "nonstream-extra-field",
            "A request with an unknown extra field",
            N,
            frozenset({"extra_field", "stream_false"}),
            _spec(lambda p: _base(p, stream=False, x_conformance_probe=1)),
        ),
    ]
    sc += _pair(
        "stream-thinking-on",
        "nonstream-thinking-on",
        "Thinking switched on",
        {"thinking_on"},
        lambda p: _thinking(p, "on", _base(p, PROMPTS["reasoning"], max_tokens=THINKING_MAX_TOKENS)),
        needs={"thinking"},
        needs_thinking="on",
        repeatable=True,
        quick=True,
    )
    sc += _pair(
        "stream-thinking-off",
        "nonstream-thinking-off",
        "Thinking switched off",
        {"thinking_off"},
        lambda p: _thinking(p, "off", _base(p, PROMPTS["reasoning"])),
        needs={"thinking"},
        needs_thinking="off",
        repeatable=True,
    )
    sc += [
        Scenario(
            "stream-thinking-auto",
            "thinking auto",
            S,
            frozenset({"thinking_auto", "include_usage"}),
            _spec(
                lambda p: _stream(_thinking(p, "auto", _base(p, PROMPTS["reasoning"], max_tokens=THINKING_MAX_TOKENS)))
            ),
            needs=frozenset({"thinking"}),
            needs_thinking="auto",
        ),
        Scenario(
            "stream-thinking-budget",
            "thinking on with a small budget_tokens",
            S,
            frozenset({"thinking_on", "thinking_budget", "include_usage"}),
            _spec(lambda p: _stream(_budget(p))),
            needs=frozenset({"thinking", "budget"}),
            needs_thinking="on",
        ),
        Scenario(
            "error-thinking-unknown",
            "thinking with an undocumented type",
            N,
            frozenset({"unknown_thinking", "stream_false"}),
            _spec(lambda p: _thinking(p, "invalid", _base(p, stream=False))),
            expect=err,
            error_kind="invalid_param",
            needs=frozenset({"thinking"}),
            needs_thinking="invalid",
        ),
    ]
    sc += _pair(
        "stream-tools",
        "nonstream-tools",
        "A tool offered with tool_choice auto",
        {"tools", "tool_choice_auto"},
        _tools("auto"),
        needs={"tools"},
        repeatable=True,
        quick=True,
    )
    sc += [
        Scenario(
            "stream-tools-required",
            "tool_choice required",
            S,
            frozenset({"tools", "tool_choice_required", "include_usage"}),
            _spec(lambda p: _stream(_tools("required")(p))),
            needs=frozenset({"tools"}),
            repeatable=True,
        ),
        Scenario(
            "stream-tools-none",
            "tool_choice none",
            S,
            frozenset({"tools", "tool_choice_none", "include_usage"}),
            _spec(lambda p: _stream(_tools("none")(p))),
            needs=frozenset({"tools"}),
            repeatable=True,
        ),
        Scenario(
            "stream-tools-named",
            "tool_choice naming get_weather",
            S,
            frozenset({"tools", "tool_choice_named", "include_usage"}),
            _spec(lambda p: _stream(_tools({"type": "function", "function": {"name": "get_weather"}})(p))),
            needs=frozenset({"tools"}),
            repeatable=True,
        ),
        Scenario(
            "stream-tools-parallel",
            "A prompt that needs two tool calls",
            S,
            frozenset({"tools", "tool_choice_auto", "parallel_tools", "include_usage"}),
            _spec(lambda p: _stream(_tools("auto", PROMPTS["weather2"])(p))),
            needs=frozenset({"tools"}),
            repeatable=True,
        ),
        Scenario(
            "nonstream-tool-result",
            "A follow-up turn carrying a tool result",
            N,
            frozenset({"tools", "tool_result", "stream_false"}),
            _spec(lambda p: {**_tool_result(p), "stream": False}),
            needs=frozenset({"tools", "tool_result"}),
        ),
    ]
    sc += _pair(
        "stream-json",
        "nonstream-json",
        "response_format json_object",
        {"json_mode"},
        _json,
        needs={"json_mode"},
        repeatable=True,
    )
    sc += [
        Scenario(
            "nonstream-format-text",
            "response_format text",
            N,
            frozenset({"response_format_text", "stream_false"}),
            _spec(lambda p: _base(p, stream=False, response_format={"type": "text"})),
            needs=frozenset({"json_mode"}),
        ),
    ]
    sc += _pair(
        "stream-logprobs",
        "nonstream-logprobs",
        "logprobs with top_logprobs 3",
        {"logprobs"},
        lambda p: _base(p, logprobs=True, top_logprobs=3, max_tokens=8),
        needs={"logprobs"},
    )
    sc += _pair(
        "stream-length",
        "nonstream-length",
        "A long answer capped by max_tokens 5",
        {"max_tokens_cap"},
        lambda p: _base(p, PROMPTS["long"], max_tokens=5),
        quick=True,
    )
    sc += _pair(
        "stream-stop",
        "nonstream-stop",
        "A stop sequence",
        {"stop"},
        lambda p: _base(p, PROMPTS["count"], stop=["7"], max_tokens=64),
        needs={"stop"},
    )
    sc += _pair(
        "stream-deterministic",
        "nonstream-deterministic",
        "temperature 0 with a seed",
        {"deterministic"},
        lambda p: _base(p, temperature=0, seed=7),
        repeatable=True,
    )
    sc += [
        Scenario(
            "error-missing-key",
            "No Authorization header",
            N,
            frozenset({"missing_key", "stream_false"}),
            lambda p: RequestSpec(body=_base(p, stream=False), auth="missing"),
            expect=err,
            error_kind="auth",
            quick=True,
        ),
        Scenario(
            "error-wrong-key",
            "A wrong API key",
            S,
            frozenset({"wrong_key", "include_usage"}),
            lambda p: RequestSpec(body=_stream(_base(p)), auth="wrong"),
            expect=err,
            error_kind="auth",
        ),
        Scenario(
            "error-bad-json",
            "A malformed JSON body",
            N,
            frozenset({"bad_json"}),
            lambda p: RequestSpec(body=None, raw_body=b'{"model": "x", "messages": [{"role": "user"'),
            expect=err,
            error_kind="bad_json",
            quick=True,
        ),
        Scenario(
            "error-invalid-temperature-stream",
            "temperature 5 with stream: true",
            S,
            frozenset({"invalid_param", "include_usage"}),
            _spec(lambda p: _stream(_invalid(p, temperature=5))),
            expect=err,
            error_kind="invalid_param",
            quick=True,
        ),
        Scenario(
            "error-invalid-max-tokens",
            "max_tokens -1",
            N,
            frozenset({"invalid_param", "stream_false"}),
            _spec(lambda p: _invalid(p, stream=False, max_tokens=-1)),
            expect=err,
            error_kind="invalid_param",
        ),
        Scenario(
            "error-wrong-type",
            "temperature sent as a string",
            N,
            frozenset({"invalid_param", "stream_false"}),
            _spec(lambda p: _invalid(p, stream=False, temperature="hot")),
            expect=err,
            error_kind="invalid_param",
        ),
        Scenario(
            "error-empty-messages",
            "An empty messages array",
            S,
            frozenset({"empty_messages", "include_usage"}),
            _spec(lambda p: _stream(_invalid(p, messages=[]))),
            expect=err,
            error_kind="invalid_param",
        ),
        Scenario(
            "error-bad-role",
            "A message with an unknown role",
            N,
            frozenset({"bad_role", "stream_false"}),
            _spec(lambda p: _invalid(p, stream=False, messages=[{"role": "wizard", "content": "hi"}])),
            expect=err,
            error_kind="invalid_param",
        ),
        Scenario(
            "error-unknown-model",
            "A model id that does not exist",
            S,
            frozenset({"unknown_model", "include_usage"}),
            _spec(lambda p: _stream(_invalid(p, model="no-such-model-conformance"))),
            expect=err,
            error_kind="unknown_model",
        ),
        Scenario(
            "error-top-logprobs-alone",
            "top_logprobs without logprobs",
            N,
            frozenset({"top_logprobs_without_logprobs", "stream_false"}),
            _spec(lambda p: _invalid(p, stream=False, top_logprobs=3)),
            expect=err,
            error_kind="invalid_param",
            needs=frozenset({"logprobs"}),
        ),
        Scenario(
            "error-top-logprobs-21",
            "top_logprobs above 20",
            N,
            frozenset({"top_logprobs_over_max", "stream_false"}),
            _spec(lambda p: _invalid(p, stream=False, logprobs=True, top_logprobs=21)),
            expect=err,
            error_kind="invalid_param",
            needs=frozenset({"logprobs"}),
        ),
        Scenario(
            "stream-options-without-stream",
            "stream_options with stream false",
            N,
            frozenset({"stream_options_without_stream", "stream_false"}),
            _spec(lambda p: _base(p, stream=False, stream_options={"include_usage": True})),
            expect=_stream_options_expect,
            error_kind="invalid_param",
        ),
    ]
    return sc


def _budget(p: Profile) -> dict[str, Any]:
    body = _thinking(p, "on", _base(p, PROMPTS["reasoning"], max_tokens=THINKING_MAX_TOKENS))
    if p.thinking.budget_field:
        node = body
        parts = p.thinking.budget_field.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = max(p.thinking.budget_min or 0, 128)
    return body


SCENARIOS: tuple[Scenario, ...] = tuple(_build_catalogue())


def scenario_by_id(scenario_id: str) -> Scenario:
    for sc in SCENARIOS:
        if sc.id == scenario_id:
            return sc
    raise KeyError(f"unknown scenario {scenario_id!r}")
