"""The official openai SDK talks to the reference provider and parses every response."""

from __future__ import annotations

import json
from collections.abc import Iterator

import openai
import pytest

from conformance.providers import load_profile
from conformance.reference import ReferenceServer

from ._client import KEY, REASONING, WEATHER, WEATHER2, WEATHER_TOOL


@pytest.fixture(scope="module")
def sdk(server: ReferenceServer) -> Iterator[openai.OpenAI]:
    client = openai.OpenAI(base_url=server.base_url + "/v1", api_key=KEY, max_retries=0, timeout=10)
    yield client
    client.close()


def test_nonstream(sdk: openai.OpenAI) -> None:
    completion = sdk.chat.completions.create(model="deepseek-chat", max_tokens=32,
                                             messages=[{"role": "user", "content": "Say hello in five words."}])
    assert completion.object == "chat.completion"
    assert completion.choices[0].message.content == "Hello there, how are you?"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens


def test_stream_with_usage(sdk: openai.OpenAI) -> None:
    stream = sdk.chat.completions.create(model="deepseek-chat", max_tokens=32, stream=True,
                                         stream_options={"include_usage": True},
                                         messages=[{"role": "user", "content": "Say hello in five words."}])
    text, finish, usage = "", None, None
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
            assert chunk.choices == []
        for choice in chunk.choices:
            text += choice.delta.content or ""
            finish = choice.finish_reason or finish
    assert text == "Hello there, how are you?"
    assert finish == "stop"
    assert usage is not None and usage.completion_tokens == 7


def test_stream_helper_assembles_tool_calls(sdk: openai.OpenAI) -> None:
    with sdk.chat.completions.stream(model="deepseek-chat", max_tokens=64, tools=[WEATHER_TOOL],  # type: ignore[list-item]
                                     messages=[{"role": "user", "content": WEATHER2}]) as stream:
        for _ in stream:
            pass
        final = stream.get_final_completion()
    message = final.choices[0].message
    assert final.choices[0].finish_reason == "tool_calls"
    assert message.role == "assistant"
    assert [json.loads(c.function.arguments) for c in message.tool_calls or []] == [{"location": "Hangzhou"},
                                                                                   {"location": "Paris"}]


def test_nonstream_tool_call(sdk: openai.OpenAI) -> None:
    completion = sdk.chat.completions.create(model="deepseek-chat", max_tokens=64, tools=[WEATHER_TOOL],  # type: ignore[list-item]
                                             messages=[{"role": "user", "content": WEATHER}])
    calls = completion.choices[0].message.tool_calls or []
    assert len(calls) == 1 and calls[0].function.name == "get_weather"


def test_reasoning_is_reachable_through_the_sdk(sdk: openai.OpenAI) -> None:
    completion = sdk.chat.completions.create(model="deepseek-chat", max_tokens=96,
                                             messages=[{"role": "user", "content": REASONING}],
                                             extra_body={"thinking": {"type": "enabled"}})
    message = completion.choices[0].message
    assert message.content == "17*23 = 391."
    assert "391" in (message.model_extra or {}).get("reasoning_content", "")


@pytest.mark.parametrize("profile", ["deepseek-official", "vllm", "reseller-budget", "ark"])
def test_other_dialects_stream_through_the_sdk(server: ReferenceServer, profile: str) -> None:
    prof = load_profile(profile)
    base = server.url_for(profile=profile) + prof.path.removesuffix("/chat/completions")
    with openai.OpenAI(base_url=base, api_key=KEY, max_retries=0, timeout=10) as client:
        stream = client.chat.completions.create(model=prof.default_model, max_tokens=32, stream=True,
                                                stream_options={"include_usage": True},
                                                messages=[{"role": "user", "content": "Say hello in five words."}])
        chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices).endswith("how are you?")
    assert [c.usage for c in chunks if c.usage][-1].total_tokens > 0


def test_errors_raise_the_right_sdk_exceptions(server: ReferenceServer, sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as bad:
        sdk.chat.completions.create(model="deepseek-chat", temperature=5,
                                    messages=[{"role": "user", "content": "hi"}])
    assert "temperature" in bad.value.message
    with openai.OpenAI(base_url=server.base_url + "/v1", api_key="sk-wrong", max_retries=0, timeout=10) as wrong, \
            pytest.raises(openai.AuthenticationError):
        wrong.chat.completions.create(model="deepseek-chat", messages=[{"role": "user", "content": "hi"}])


def test_in_band_error_event_raises_in_the_sdk(server: ReferenceServer) -> None:
    with openai.OpenAI(base_url=server.url_for(fault="error-event-midstream") + "/v1", api_key=KEY, max_retries=0,
                       timeout=10) as client, pytest.raises(openai.APIError, match="upstream model error"):
        for _ in client.chat.completions.create(model="deepseek-chat", stream=True,
                                                messages=[{"role": "user", "content": "Say hello in five words."}]):
            pass
