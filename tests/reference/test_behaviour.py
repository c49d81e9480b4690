"""Tools, JSON mode, stop, max_tokens, logprobs and determinism, streamed and not."""

from __future__ import annotations

import json
from typing import Any

import httpx
import jsonschema
import pytest

from conformance.reference import ReferenceServer

from ._client import BASIC, WEATHER, WEATHER2, WEATHER_TOOL, Got, body_for, call, normalized

CHAT = "/v1/chat/completions"


def _post(server: ReferenceServer, client: httpx.Client, body: dict[str, Any], profile: str = "canonical") -> Got:
    got = call(client, server.url_for(profile=profile) + CHAT, body)
    assert got.status == 200, got.body[:300]
    return got


def _assemble_tools(got: Got) -> dict[int, dict[str, Any]]:
    """Tool calls put back together by index, checking the delta rules on the way."""
    calls: dict[int, dict[str, Any]] = {}
    for delta in got.deltas:
        for item in delta.get("tool_calls") or []:
            index = item["index"]
            assert isinstance(index, int)
            fn = item.get("function", {})
            assert isinstance(fn.get("arguments", ""), str)
            if index not in calls:  # the first delta of a call carries id, type and the full name
                assert item["id"] and item["type"] == "function" and fn["name"] == "get_weather"
                calls[index] = {"id": item["id"], "name": fn["name"], "arguments": fn.get("arguments", "")}
            else:
                assert "id" not in item and "name" not in fn
                calls[index]["arguments"] += fn.get("arguments", "")
    return calls


NAMED = {"type": "function", "function": {"name": "get_weather"}}


@pytest.mark.parametrize("choice", [None, "auto", "required", NAMED])
def test_streamed_tool_call_is_well_formed(server: ReferenceServer, client: httpx.Client, choice: Any) -> None:
    body = body_for(prompt=WEATHER, stream=True, usage=True, tools=[WEATHER_TOOL])
    if choice is not None:
        body["tool_choice"] = choice
    got = _post(server, client, body)
    calls = _assemble_tools(got)
    assert list(calls) == [0]
    args = json.loads(calls[0]["arguments"])
    jsonschema.validate(args, WEATHER_TOOL["function"]["parameters"])
    assert args == {"location": "Hangzhou"}
    assert got.finish_reasons == ["tool_calls"]
    assert got.text() == "" and not any(isinstance(d.get("content"), str) for d in got.deltas)
    assert got.deltas[0]["role"] == "assistant"
    fragments = [d for d in got.deltas if d.get("tool_calls") and "id" not in d["tool_calls"][0]]
    assert len(fragments) > 1  # arguments arrive in pieces
    assert got.usages[-1]["completion_tokens"] == len(got.deltas) - 1  # every delta but the finish is a token


def test_nonstream_tool_call_matches_the_stream(server: ReferenceServer, client: httpx.Client) -> None:
    body = body_for(prompt=WEATHER, tools=[WEATHER_TOOL])
    message = _post(server, client, body).json()["choices"][0]
    assert message["finish_reason"] == "tool_calls"
    assert message["message"]["content"] is None
    call_ = message["message"]["tool_calls"][0]
    assert call_["type"] == "function" and call_["function"]["name"] == "get_weather"
    assert json.loads(call_["function"]["arguments"]) == {"location": "Hangzhou"}


def test_parallel_tool_calls(server: ReferenceServer, client: httpx.Client) -> None:
    got = _post(server, client, body_for(prompt=WEATHER2, stream=True, tools=[WEATHER_TOOL]))
    calls = _assemble_tools(got)
    assert sorted(calls) == [0, 1]
    assert calls[0]["id"] != calls[1]["id"]
    assert [json.loads(c["arguments"])["location"] for c in calls.values()] == ["Hangzhou", "Paris"]
    single = _post(server, client, body_for(prompt=WEATHER2, tools=[WEATHER_TOOL], parallel_tool_calls=False))
    assert len(single.json()["choices"][0]["message"]["tool_calls"]) == 1


def test_tool_choice_none_answers_in_text(server: ReferenceServer, client: httpx.Client) -> None:
    got = _post(server, client, body_for(prompt=WEATHER, stream=True, tools=[WEATHER_TOOL], tool_choice="none"))
    assert not any("tool_calls" in d for d in got.deltas)
    assert "Hangzhou" in got.text()
    assert got.finish_reasons == ["stop"]


def test_arguments_follow_the_schema(server: ReferenceServer, client: httpx.Client) -> None:
    params = {"type": "object", "required": ["city", "unit", "days", "detail", "tags"],
              "properties": {"city": {"type": "string"}, "unit": {"enum": ["celsius", "fahrenheit"]},
                             "days": {"type": "integer", "minimum": 1}, "detail": {"type": "boolean"},
                             "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                             "optional": {"type": "string"}}}
    tool = {"type": "function", "function": {"name": "forecast", "parameters": params}}
    body = _post(server, client, body_for(prompt="Forecast in Lisbon please", tools=[tool])).json()
    args = json.loads(body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"])
    jsonschema.validate(args, params)
    assert args["city"] == "Lisbon" and args["unit"] == "celsius" and args["days"] == 1


def test_tool_result_turn_gets_a_text_answer(server: ReferenceServer, client: httpx.Client) -> None:
    messages = [
        {"role": "user", "content": WEATHER},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_0", "type": "function",
             "function": {"name": "get_weather", "arguments": '{"location": "Hangzhou"}'}}]},
        {"role": "tool", "tool_call_id": "call_0", "content": '{"temperature_c": 24, "sky": "clear"}'},
    ]
    choice = _post(server, client, body_for(messages=messages, tools=[WEATHER_TOOL])).json()["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert "tool_calls" not in choice["message"]
    assert "24" in choice["message"]["content"] and "clear" in choice["message"]["content"]


JSON_MESSAGES = [{"role": "system", "content": "Reply with a JSON object only."},
                 {"role": "user", "content": "Give me a json object with keys name and age."}]


@pytest.mark.parametrize("prompt_messages", [JSON_MESSAGES, [{"role": "user", "content": BASIC}]])
def test_json_mode_returns_a_bare_object(server: ReferenceServer, client: httpx.Client,
                                         prompt_messages: list[dict[str, str]]) -> None:
    body = body_for(messages=prompt_messages, response_format={"type": "json_object"})
    content = _post(server, client, body).json()["choices"][0]["message"]["content"]
    assert content.startswith("{") and content.endswith("}")
    assert isinstance(json.loads(content), dict)
    streamed = _post(server, client, {**body, "stream": True})
    assert streamed.text() == content


def test_json_prompt_answer(server: ReferenceServer, client: httpx.Client) -> None:
    body = body_for(messages=JSON_MESSAGES, response_format={"type": "json_object"})
    assert json.loads(_post(server, client, body).json()["choices"][0]["message"]["content"]) == {"name": "Ada",
                                                                                                 "age": 36}


@pytest.mark.parametrize("stop", ["7", ["7"], ["xyz", "7"]])
def test_stop_cuts_before_the_sequence(server: ReferenceServer, client: httpx.Client, stop: Any) -> None:
    body = body_for(prompt="Count from 1 to 20, separated by commas.", stop=stop)
    choice = _post(server, client, body).json()["choices"][0]
    assert choice["message"]["content"] == "1, 2, 3, 4, 5, 6, "
    assert choice["finish_reason"] == "stop"
    streamed = _post(server, client, {**body, "stream": True})
    assert streamed.text() == "1, 2, 3, 4, 5, 6, "
    assert streamed.finish_reasons == ["stop"]
    free = _post(server, client, body_for(prompt="Count from 1 to 20, separated by commas.")).json()
    assert free["choices"][0]["message"]["content"].endswith("19, 20")


@pytest.mark.parametrize("stream", [False, True])
def test_max_tokens_caps_with_length(server: ReferenceServer, client: httpx.Client, stream: bool) -> None:
    body = body_for(prompt="Write a 500-word essay about the sea.", max_tokens=5, stream=stream, usage=True if stream
                    else None)
    got = _post(server, client, body)
    if stream:
        assert got.finish_reasons == ["length"]
        assert len([d for d in got.deltas if d.get("content")]) == 5
        usage = got.usages[-1]
    else:
        assert got.json()["choices"][0]["finish_reason"] == "length"
        usage = got.json()["usage"]
    assert usage["completion_tokens"] == 5


def _check_entries(entries: list[dict[str, Any]], top: int) -> None:
    for entry in entries:
        assert entry["logprob"] <= 0
        assert entry["bytes"] == list(entry["token"].encode("utf-8"))
        tops = entry["top_logprobs"]
        assert len(tops) == top
        assert [t["logprob"] for t in tops] == sorted((t["logprob"] for t in tops), reverse=True)
        assert all(t["bytes"] == list(t["token"].encode("utf-8")) and t["logprob"] <= 0 for t in tops)
        if top:
            assert tops[0]["token"] == entry["token"]


@pytest.mark.parametrize("top", [0, 3, 20])
def test_logprobs_shapes(server: ReferenceServer, client: httpx.Client, top: int) -> None:
    body = body_for(logprobs=True, top_logprobs=top)
    choice = _post(server, client, body).json()["choices"][0]
    entries = choice["logprobs"]["content"]
    assert "".join(e["token"] for e in entries) == choice["message"]["content"]
    _check_entries(entries, top)
    streamed = _post(server, client, {**body, "stream": True})
    stream_entries = []
    for chunk in streamed.chunks:
        for ch in chunk["choices"]:
            if ch["delta"].get("content"):
                assert len(ch["logprobs"]["content"]) == 1  # every content chunk carries its token's logprob
            if ch.get("logprobs"):
                stream_entries += ch["logprobs"]["content"]
    assert stream_entries == entries


def test_logprobs_absent_unless_requested(server: ReferenceServer, client: httpx.Client) -> None:
    assert _post(server, client, body_for()).json()["choices"][0]["logprobs"] is None
    assert all(c["choices"][0]["logprobs"] is None for c in _post(server, client, body_for(stream=True)).chunks)
    entries = _post(server, client, body_for(logprobs=True)).json()["choices"][0]["logprobs"]["content"]
    assert entries and all(e["top_logprobs"] == [] for e in entries)


@pytest.mark.parametrize("stream", [False, True])
def test_same_request_same_bytes(server: ReferenceServer, client: httpx.Client, stream: bool) -> None:
    body = body_for(prompt=WEATHER2, stream=stream, tools=[WEATHER_TOOL], temperature=0, seed=7)
    first, second = _post(server, client, body), _post(server, client, body)
    assert normalized(first.body) == normalized(second.body)
    assert first.body != second.body  # only the response id (and maybe created) differ


def test_stream_and_nonstream_agree(server: ReferenceServer, client: httpx.Client) -> None:
    body = body_for(temperature=0, seed=7)
    message = _post(server, client, body).json()
    streamed = _post(server, client, {**body, "stream": True, "stream_options": {"include_usage": True}})
    assert streamed.text() == message["choices"][0]["message"]["content"]
    assert streamed.finish_reasons == [message["choices"][0]["finish_reason"]]
    assert streamed.usages[-1] == message["usage"]


def test_accept_header_never_selects_the_mode(server: ReferenceServer, client: httpx.Client) -> None:
    sse_accept = call(client, server.base_url + CHAT, body_for(), headers={"Accept": "text/event-stream"})
    assert sse_accept.headers["content-type"] == "application/json"
    assert sse_accept.json()["object"] == "chat.completion"
    json_accept = call(client, server.base_url + CHAT, body_for(stream=True), headers={"Accept": "application/json"})
    assert json_accept.headers["content-type"].startswith("text/event-stream")
    assert json_accept.data[-1] == "[DONE]"
