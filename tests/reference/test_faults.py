"""Each fault changes the bytes in the documented way (one test per fault), and the catalogue is sound."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from conformance.providers import load_profile, profile_names
from conformance.reference import FAULTS, ReferenceServer

from ._client import BASIC, KEY, REASONING, WEATHER, WEATHER2, WEATHER_TOOL, Got, body_for, call

# The invariant ids of the team plan (a fault may only name these).
PLAN_IDS = (
    {f"FRAME-{i:03}" for i in range(1, 10)} | {f"SCHEMA-{i:03}" for i in range(1, 15)}
    | {f"ORDER-{i:03}" for i in range(1, 11)} | {f"USAGE-{i:03}" for i in range(1, 10)}
    | {f"TERM-{i:03}" for i in range(1, 5)} | {f"HEAD-{i:03}" for i in range(1, 7)}
    | {f"REASON-{i:03}" for i in range(1, 12)} | {f"TOOL-{i:03}" for i in range(1, 13)}
    | {f"JSON-{i:03}" for i in range(1, 4)} | {f"LOGPROB-{i:03}" for i in range(1, 8)}
    | {f"LIMIT-{i:03}" for i in range(1, 5)} | {f"ERROR-{i:03}" for i in range(1, 10)}
    | {f"CONSIST-{i:03}" for i in range(1, 6)} | {f"SDK-{i:03}" for i in range(1, 4)}
    | {f"CASE-{i:03}" for i in range(1, 6)}
)

JSON_MESSAGES = [{"role": "system", "content": "Reply with a JSON object only."},
                 {"role": "user", "content": "Give me a json object with keys name and age."}]
TOOL_RESULT_MESSAGES = [
    {"role": "user", "content": WEATHER},
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "call_0", "type": "function", "function": {"name": "get_weather", "arguments": '{"location": "x"}'}}]},
    {"role": "tool", "tool_call_id": "call_0", "content": '{"temperature_c": 24}'},
]

# Request kinds: (profile, body, extra headers, auth: valid | missing | wrong)
REQUESTS: dict[str, tuple[str, dict[str, Any], dict[str, str], str]] = {
    "stream": ("canonical", body_for(stream=True, usage=True), {}, "valid"),
    "stream-plain": ("canonical", body_for(stream=True), {}, "valid"),
    "nonstream": ("canonical", body_for(), {}, "valid"),
    "accept-sse": ("canonical", body_for(), {"Accept": "text/event-stream"}, "valid"),
    "official-stream": ("deepseek-official", body_for("deepseek-official", stream=True), {}, "valid"),
    "thinking": ("canonical", body_for(prompt=REASONING, max_tokens=96, thinking={"type": "enabled"}), {}, "valid"),
    "thinking-stream": ("canonical", body_for(prompt=REASONING, max_tokens=96, stream=True, usage=True,
                                              thinking={"type": "enabled"}), {}, "valid"),
    "thinking-off": ("canonical", body_for(prompt=REASONING, thinking={"type": "disabled"}), {}, "valid"),
    "tools-stream": ("canonical", body_for(prompt=WEATHER, stream=True, tools=[WEATHER_TOOL]), {}, "valid"),
    "tools": ("canonical", body_for(prompt=WEATHER, tools=[WEATHER_TOOL]), {}, "valid"),
    "parallel": ("canonical", body_for(prompt=WEATHER2, tools=[WEATHER_TOOL]), {}, "valid"),
    "tool-none-stream": ("canonical", body_for(prompt=WEATHER, stream=True, tools=[WEATHER_TOOL],
                                               tool_choice="none"), {}, "valid"),
    "tool-result": ("canonical", body_for(messages=TOOL_RESULT_MESSAGES, tools=[WEATHER_TOOL]), {}, "valid"),
    "json": ("canonical", body_for(messages=JSON_MESSAGES, response_format={"type": "json_object"}), {}, "valid"),
    "length": ("canonical", body_for(prompt="Write a 500-word essay about the sea.", max_tokens=5), {}, "valid"),
    "stop": ("canonical", body_for(prompt="Count from 1 to 20, separated by commas.", stop=["7"]), {}, "valid"),
    "logprobs": ("canonical", body_for(logprobs=True, top_logprobs=3), {}, "valid"),
    "logprobs-stream": ("canonical", body_for(logprobs=True, top_logprobs=3, stream=True), {}, "valid"),
    "invalid": ("canonical", body_for(temperature=5), {}, "valid"),
    "invalid-stream": ("canonical", body_for(temperature=5, stream=True), {}, "valid"),
    "wrong-key": ("canonical", body_for(), {}, "wrong"),
    "missing-key": ("canonical", body_for(), {}, "missing"),
    "extra-field": ("canonical", body_for(x_conformance_probe=1), {}, "valid"),
}


@dataclass(frozen=True)
class Expectation:
    request: str
    check: Callable[[Got, Got], Any]  # (faulty, clean) -> truthy when the fault shows as documented
    headers: tuple[tuple[str, str], ...] = ()


def _first_delta(g: Got) -> dict[str, Any]:
    return g.deltas[0]


def _tool_items(g: Got) -> list[dict[str, Any]]:
    return [item for d in g.deltas for item in d.get("tool_calls") or []]


def _message(g: Got) -> dict[str, Any]:
    return g.json()["choices"][0]["message"]


def _entries(g: Got) -> list[dict[str, Any]]:
    return g.json()["choices"][0]["logprobs"]["content"]


def _arguments(g: Got) -> list[str]:
    return [c["function"]["arguments"] for c in _message(g)["tool_calls"]]


def _streamed_usage_kinds(g: Got) -> list[str]:
    return ["dict" if isinstance(c.get("usage"), dict) else "null" if "usage" in c else "absent" for c in g.chunks]


EXPECTED: dict[str, Expectation] = {
    "no-done": Expectation("stream", lambda f, c: c.data[-1] == "[DONE]" and "[DONE]" not in f.data
                           and f.chunks == f.chunks and len(f.chunks) == len(c.chunks)),
    "data-after-done": Expectation("stream", lambda f, c: f.data.index("[DONE]") == len(f.data) - 2),
    "quoted-done": Expectation("stream", lambda f, c: f.data[-1] == '"[DONE]"' and "[DONE]" not in f.data),
    "keepalive-as-data": Expectation("stream", lambda f, c: f.data[1] == ": keep-alive"),
    "empty-data-event": Expectation("stream", lambda f, c: f.data[1] == "" and len(f.data) == len(c.data) + 1),
    "glued-events": Expectation("stream", lambda f, c: f.data[1].count('"object"') == 2
                                and _raises(lambda: json.loads(f.data[1]))),
    "stream-content-type-plain": Expectation("stream", lambda f, c: f.headers["content-type"].startswith(
        "text/plain") and f.data[-1] == "[DONE]"),
    "stream-content-type-json": Expectation("stream", lambda f, c: f.headers["content-type"] == "application/json"
                                            and f.data[-1] == "[DONE]"),
    "content-length-stream": Expectation("stream", lambda f, c: int(f.headers["content-length"]) == len(f.body)
                                         and "transfer-encoding" not in f.headers),
    "accept-forces-sse": Expectation("accept-sse", lambda f, c: f.headers["content-type"].startswith(
        "text/event-stream") and f.data[-1] == "[DONE]" and c.json()["object"] == "chat.completion"),
    "cr-line-endings": Expectation("stream", lambda f, c: f.decoded.facts.line_endings.keys() == {"CR"}
                                   and f.data == _with_ids(f.data, c.data)),
    "data-without-space": Expectation("stream", lambda f, c: f.decoded.facts.data_lines_without_space
                                      == len(f.data) and b"data: " not in f.body),
    "event-type": Expectation("stream", lambda f, c: {e.event for e in f.decoded.events} == {"delta"}),
    "id-blank-comment": Expectation("stream", lambda f, c: f.decoded.facts.empty_blocks_after_id == 1
                                    and f.decoded.events[-1].id != ""),
    "invalid-utf8": Expectation("stream", lambda f, c: f.decoded.facts.invalid_utf8_lines == 1
                                and _raises(lambda: f.body.decode("utf-8"))),
    "truncate-mid-event": Expectation("stream", lambda f, c: f.transport_error is not None
                                      and f.decoded.facts.unterminated_tail and len(f.body) < len(c.body)),
    "stall": Expectation("stream", lambda f, c: max(b - a for a, b in zip(f.read_times, f.read_times[1:],
                                                                          strict=False)) >= 0.25,
                         headers=(("X-Conformance-Stall-S", "0.3"),)),
    "huge-event": Expectation("stream", lambda f, c: 290_000 <= max(len(d) for d in f.data) <= 300_000
                              and f.data[-1] == "[DONE]", headers=(("X-Conformance-Event-Bytes", "300000"),)),
    "error-event-midstream": Expectation("stream", lambda f, c: sum("error" in ch for ch in f.chunks) == 1
                                         and f.data[-1] == "[DONE]"),
    "error-event-shapeless": Expectation("stream", lambda f, c: [ch for ch in f.chunks if ch.get("object") == "error"]
                                         and not any("error" in ch for ch in f.chunks)),
    "id-changes": Expectation("stream", lambda f, c: len({ch["id"] for ch in f.chunks}) == len(f.chunks) > 1),
    "empty-id": Expectation("stream", lambda f, c: {ch["id"] for ch in f.chunks} == {""}),
    "created-changes": Expectation("stream", lambda f, c: len({ch["created"] for ch in f.chunks}) > 1),
    "created-milliseconds": Expectation("nonstream", lambda f, c: f.json()["created"] > 10**12 > c.json()["created"]),
    "model-changes": Expectation("stream", lambda f, c: len({ch["model"] for ch in f.chunks}) == 2),
    "wrong-object": Expectation("stream", lambda f, c: {ch["object"] for ch in f.chunks} == {"chat.completion"}),
    "no-role": Expectation("stream", lambda f, c: not any("role" in d for d in f.deltas) and c.deltas[0]["role"]),
    "role-repeated": Expectation("stream", lambda f, c: all(d.get("role") == "assistant" for d in f.deltas)),
    "wrong-role": Expectation("stream", lambda f, c: _first_delta(f)["role"] == "model"),
    "delta-null-on-finish": Expectation("stream", lambda f, c: any(ch["choices"] and ch["choices"][0]["delta"] is None
                                                                   for ch in f.chunks)),
    "finish-key-omitted": Expectation("stream", lambda f, c: sum("finish_reason" not in ch["choices"][0]
                                                                 for ch in f.chunks if ch["choices"])
                                      == len(f.chunks) - 2),
    "finish-missing": Expectation("stream", lambda f, c: f.finish_reasons == [] and c.finish_reasons == ["stop"]),
    "finish-twice": Expectation("stream", lambda f, c: f.finish_reasons == ["stop", "stop"]),
    "finish-invalid": Expectation("nonstream", lambda f, c: f.json()["choices"][0]["finish_reason"] == "eos"),
    "empty-choices-mid-stream": Expectation("stream", lambda f, c: f.chunks[1]["choices"] == []
                                            and f.chunks[1]["usage"] is None),
    "fingerprint-missing": Expectation("official-stream", lambda f, c: all("system_fingerprint" in ch
                                                                           for ch in c.chunks)
                                       and not any("system_fingerprint" in ch for ch in f.chunks)),
    "usage-with-choices": Expectation("stream", lambda f, c: len(f.usages) == 1 and f.chunks[-1]["choices"]
                                      and f.chunks[-1]["choices"][0]["finish_reason"] == "stop"
                                      and c.chunks[-1]["choices"] == []),
    "usage-missing": Expectation("stream", lambda f, c: f.usages == [] and len(c.usages) == 1),
    "usage-every-chunk": Expectation("stream", lambda f, c: set(_streamed_usage_kinds(f)) == {"dict"}
                                     and f.usages[0]["completion_tokens"] == 1
                                     and f.usages[-1] == c.usages[-1]),
    "usage-unrequested": Expectation("stream-plain", lambda f, c: len(f.usages) == 1 and c.usages == []),
    "usage-key-absent": Expectation("stream", lambda f, c: _streamed_usage_kinds(f).count("absent")
                                    == len(f.chunks) - 1),
    "usage-wrong-total": Expectation("nonstream", lambda f, c: (u := f.json()["usage"])["total_tokens"]
                                     == u["prompt_tokens"] + u["completion_tokens"] + 1),
    "cache-mismatch": Expectation("nonstream", lambda f, c: (u := f.json()["usage"])["prompt_cache_hit_tokens"]
                                  + u["prompt_cache_miss_tokens"] == u["prompt_tokens"] + 1),
    "reasoning-tokens-elsewhere": Expectation("thinking", lambda f, c: f.json()["usage"]["reasoning_tokens"]
                                              == c.json()["usage"]["completion_tokens_details"]["reasoning_tokens"]
                                              and "completion_tokens_details" not in f.json()["usage"]),
    "reasoning-when-disabled": Expectation("thinking-off", lambda f, c: _message(f).get("reasoning_content")
                                           and "reasoning_content" not in _message(c)),
    "thinking-ignored": Expectation("thinking", lambda f, c: "reasoning_content" not in _message(f)
                                    and _message(c)["reasoning_content"]),
    "think-in-content": Expectation("thinking", lambda f, c: _message(f)["content"].startswith("<think>")
                                    and "</think>17*23 = 391." in _message(f)["content"]
                                    and "reasoning_content" not in _message(f)),
    "reasoning-after-content": Expectation("thinking-stream", lambda f, c: _order(f) == "cr" and _order(c) == "rc"
                                           and f.deltas[0].get("role") == "assistant"),
    "reasoning-wrong-field": Expectation("thinking", lambda f, c: _message(f)["reasoning"]
                                         == _message(c)["reasoning_content"]),
    "tool-no-index": Expectation("tools-stream", lambda f, c: _tool_items(f)
                                 and not any("index" in i for i in _tool_items(f))),
    "tool-args-invalid-json": Expectation("tools", lambda f, c: _raises(lambda: json.loads(_arguments(f)[0]))
                                          and _arguments(f)[0] + "}" == _arguments(c)[0]),
    "tool-args-object": Expectation("tools", lambda f, c: _message(f)["tool_calls"][0]["function"]["arguments"]
                                    == {"location": "Hangzhou"}),
    "tool-finish-stop": Expectation("tools", lambda f, c: f.json()["choices"][0]["finish_reason"] == "stop"
                                    and _message(f)["tool_calls"]),
    "tool-name-fragmented": Expectation("tools-stream", lambda f, c: [i["function"]["name"] for i in _tool_items(f)
                                                                     if "name" in i.get("function", {})]
                                        == ["get_w", "eather"]),
    "tool-empty-array": Expectation("tool-none-stream", lambda f, c: all(d.get("tool_calls") == [] for d in f.deltas)),
    "tool-markup-in-content": Expectation("tools", lambda f, c: "<｜tool▁calls▁begin｜>" in _message(f)["content"]
                                          and "tool_calls" not in _message(f)),
    "tool-duplicate-ids": Expectation("parallel", lambda f, c: len({t["id"] for t in _message(f)["tool_calls"]}) == 1
                                      and len({t["id"] for t in _message(c)["tool_calls"]}) == 2),
    "tool-choice-none-ignored": Expectation("tool-none-stream", lambda f, c: _tool_items(f) and not _tool_items(c)),
    "tool-result-rejected": Expectation("tool-result", lambda f, c: f.status == 400 and c.status == 200),
    "json-fenced": Expectation("json", lambda f, c: _message(f)["content"]
                               == f"```json\n{_message(c)['content']}\n```"),
    "json-prose": Expectation("json", lambda f, c: _message(f)["content"].startswith("Here is the JSON: {")),
    "max-tokens-ignored": Expectation("length", lambda f, c: f.json()["usage"]["completion_tokens"] > 5
                                      and f.json()["choices"][0]["finish_reason"] == "stop"),
    "length-reported-as-stop": Expectation("length", lambda f, c: f.json()["choices"][0]["finish_reason"] == "stop"
                                           and f.json()["usage"]["completion_tokens"] == 5),
    "stop-ignored": Expectation("stop", lambda f, c: "7" in _message(f)["content"]
                                and "7" not in _message(c)["content"]),
    "logprobs-missing-in-stream": Expectation("logprobs-stream", lambda f, c: all(ch["choices"][0]["logprobs"] is None
                                                                                  for ch in f.chunks)),
    "logprob-positive": Expectation("logprobs", lambda f, c: all(e["logprob"] > 0 for e in _entries(f))),
    "top-logprobs-unsorted": Expectation("logprobs", lambda f, c: all(
        [t["logprob"] for t in e["top_logprobs"]] == sorted(t["logprob"] for t in e["top_logprobs"])
        for e in _entries(f))),
    "logprob-bytes-wrong": Expectation("logprobs", lambda f, c: all(e["bytes"] != list(e["token"].encode())
                                                                    for e in _entries(f))),
    "logprobs-unrequested": Expectation("nonstream", lambda f, c: f.json()["choices"][0]["logprobs"]["content"]
                                        and c.json()["choices"][0]["logprobs"] is None),
    "invalid-accepted": Expectation("invalid", lambda f, c: f.status == 200 and c.status == 400),
    "invalid-500": Expectation("invalid", lambda f, c: f.status == 500 and f.json()["error"]["message"]),
    "error-envelope-wrong": Expectation("invalid", lambda f, c: f.status == 400 and "error" not in f.json()
                                        and f.json()["object"] == "error"),
    "wrong-key-accepted": Expectation("wrong-key", lambda f, c: f.status == 200 and c.status == 401),
    "missing-key-accepted": Expectation("missing-key", lambda f, c: f.status == 200 and c.status == 401),
    "validation-error-200-stream": Expectation("invalid-stream", lambda f, c: f.status == 200 and c.status == 400
                                               and list(f.chunks[0]) == ["error"] and "[DONE]" not in f.data),
    "extra-field-500": Expectation("extra-field", lambda f, c: f.status == 500 and c.status == 200),
}


def _raises(fn: Callable[[], Any]) -> bool:
    try:
        fn()
    except ValueError:
        return True
    return False


def _with_ids(faulty: list[str], clean: list[str]) -> list[str]:
    """The clean stream's data with the faulty one's volatile id/created (to compare event contents)."""
    out = []
    for f, c in zip(faulty, clean, strict=True):
        if c == "[DONE]":
            out.append(c)
            continue
        fj, cj = json.loads(f), json.loads(c)
        cj["id"], cj["created"] = fj["id"], fj["created"]
        out.append(json.dumps(cj, ensure_ascii=False))
    return out


def _order(g: Got) -> str:
    """'rc' when all reasoning precedes content, 'cr' when all content precedes reasoning."""
    kinds = "".join("r" if d.get("reasoning_content") else "c" if d.get("content") else "" for d in g.deltas)
    return "".join(k for i, k in enumerate(kinds) if i == 0 or kinds[i - 1] != k)


def _send(server: ReferenceServer, client: httpx.Client, kind: str, fault: str | None,
          extra_headers: tuple[tuple[str, str], ...] = ()) -> Got:
    profile, body, headers, auth = REQUESTS[kind]
    hdrs = {**headers, **dict(extra_headers)}
    if auth == "wrong":
        hdrs["Authorization"] = "Bearer sk-wrong"
    url = server.url_for(profile=profile, fault=fault) + load_profile(profile).path
    if auth == "missing":
        with httpx.Client(timeout=10) as anon:
            return call(anon, url, body, headers=hdrs)
    return call(client, url, body, headers=hdrs)


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_fault_changes_the_bytes_as_documented(server: ReferenceServer, client: httpx.Client, name: str) -> None:
    expectation = EXPECTED[name]
    clean = _send(server, client, expectation.request, None, expectation.headers)
    faulty = _send(server, client, expectation.request, name, expectation.headers)
    assert expectation.check(faulty, clean), (name, faulty.status, faulty.body[:600])


TRIGGERED = sorted(f for f, fault in FAULTS.items() if fault.scenario_hint.split("+")[0] != "error"
                   and "+" in fault.scenario_hint)


@pytest.mark.parametrize("name", TRIGGERED)
def test_a_fault_leaves_requests_without_its_trigger_alone(server: ReferenceServer, client: httpx.Client,
                                                          name: str) -> None:
    """A request that carries none of the fault's trigger features is answered exactly as without it."""
    mode, *features = FAULTS[name].scenario_hint.split("+")
    kind = "nonstream" if mode == "stream" else "stream" if mode == "nonstream" else "stream-plain"
    if kind == "stream-plain" and "usage_not_requested" in features:
        kind = "stream"
    clean = _send(server, client, kind, None)
    faulty = _send(server, client, kind, name)
    assert faulty.status == clean.status == 200
    assert _normal(faulty) == _normal(clean)


def _normal(g: Got) -> list[Any]:
    if g.headers["content-type"].startswith("text/event-stream"):
        items = [json.loads(d) if d != "[DONE]" else d for d in g.data]
    else:
        items = [g.json()]
    for item in items:
        if isinstance(item, dict):
            item.pop("id", None)
            item.pop("created", None)
    return items


def test_every_fault_has_a_documented_expectation() -> None:
    assert set(EXPECTED) == set(FAULTS)


def test_catalogue_is_sound() -> None:
    assert len(FAULTS) >= 32
    for fault in FAULTS.values():
        assert fault.catches and set(fault.catches) <= PLAN_IDS, (fault.name, set(fault.catches) - PLAN_IDS)
        assert len(set(fault.catches)) == len(fault.catches), fault.name
        assert fault.description.endswith((".", ")")), fault.name
        assert fault.scenario_hint.split("+")[0] in {"stream", "nonstream", "any", "error"}, fault.name
        assert any(fault.applies_to(load_profile(p)) for p in profile_names()), fault.name
    assert not FAULTS["usage-with-choices"].applies_to(load_profile("deepseek-official"))
    assert not FAULTS["fingerprint-missing"].applies_to(load_profile("canonical"))
    assert not FAULTS["tool-no-index"].applies_to(load_profile("ark"))


def test_server_wide_fault_and_key() -> None:
    with ReferenceServer(api_key=KEY, fault="no-done", profile="deepseek-official") as srv, \
            httpx.Client(timeout=10, headers={"Authorization": f"Bearer {KEY}"}) as c:
        got = call(c, srv.base_url + "/chat/completions", body_for("deepseek-official", BASIC, stream=True))
    assert got.status == 200 and "[DONE]" not in got.data
    assert b"\r\n" in got.body


def test_invalid_accepted_copes_with_every_invalid_kind(server: ReferenceServer, client: httpx.Client) -> None:
    """Generation reads garbage leniently: with validation skipped, nothing turns into a 500."""
    from conformance.providers import deep_merge

    from .test_validation import INVALID

    url = server.url_for(fault="invalid-accepted") + "/v1/chat/completions"
    for label, _kind, patch in INVALID:
        for stream in (False, True):
            got = call(client, url, deep_merge(body_for(stream=stream), patch))
            assert got.status == 200, (label, stream, got.body[:300])


HOSTILE_TOOLS: list[dict[str, Any]] = [
    {"type": "function", "function": {"name": "no_params"}},
    {"type": "function", "function": {"name": "refs", "parameters": {
        "type": "object", "required": ["a"], "properties": {"a": {"$ref": "#/$defs/x"}}, "$defs": {"x": {}}}}},
    {"type": "function", "function": {"name": "deep", "parameters": {
        "type": "object", "required": ["a"], "properties": {"a": {
            "type": "object", "required": ["b"], "properties": {"b": {
                "anyOf": [{"type": "array", "minItems": 2, "items": {"type": "integer", "exclusiveMinimum": 3}},
                          {"type": "null"}]}}}}}}},
    {"type": "function", "function": {"name": "odd", "parameters": {
        "type": ["null", "object"], "required": ["s", "n", "k"],
        "properties": {"s": {"type": "string", "minLength": 12}, "n": {"type": "number", "minimum": 0.5},
                       "k": {"const": 3}}}}},
]


@pytest.mark.parametrize("tool", HOSTILE_TOOLS, ids=[t["function"]["name"] for t in HOSTILE_TOOLS])
def test_unusual_tool_schemas_still_get_valid_arguments(server: ReferenceServer, client: httpx.Client,
                                                        tool: dict[str, Any]) -> None:
    import jsonschema

    got = call(client, server.base_url + "/v1/chat/completions", body_for(prompt="Use the tool.", tools=[tool],
                                                                           tool_choice="required"))
    assert got.status == 200, got.body[:300]
    args = json.loads(got.json()["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"])
    assert isinstance(args, dict)
    params = tool["function"].get("parameters")
    if params and "$ref" not in json.dumps(params):
        jsonschema.validate(args, params)
