"""The SDK replay: captured bytes (served over real loopback HTTP and captured) replayed through the openai SDK.

The replay serves recorded bytes from memory by design; these tests also run the live SDK against the
same scripted server over 127.0.0.1 and require the replay to reach the same outcome.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from conformance.capture import Bounds, EndReason, Exchange, capture
from conformance.invariants import Expect, Mode, NotApplicable, Observation, ScenarioInfo
from conformance.providers import load_profile
from conformance.sdk import SdkUnavailable, replay_nonstream, replay_stream, sdk_available
from tests.support.scripted_server import Script, ScriptedServer

openai = pytest.importorskip("openai")
httpx2 = pytest.importorskip("httpx2")

SSE = [("Content-Type", "text/event-stream")]
JSON = [("Content-Type", "application/json")]
REQUEST: dict[str, Any] = {"model": "deepseek-chat", "messages": [{"role": "user", "content": "Say hello."}],
                           "stream": True}
BOUNDS = Bounds(connect_s=5, ttfb_s=5, idle_s=5, total_s=10)


def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> dict[str, Any]:
    c = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1756000000, "model": "deepseek-chat",
         "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
    return c


def events(*items: Any, done: bool = True) -> list[bytes]:
    out = [b"data: " + (i.encode() if isinstance(i, str) else json.dumps(i).encode()) + b"\n\n" for i in items]
    return out + ([b"data: [DONE]\n\n"] if done else [])


CLEAN = events(chunk({"role": "assistant", "content": ""}), chunk({"content": "Hello"}), chunk({"content": " there"}),
               chunk({}, "stop"))
ROLE_EVERY = events(chunk({"role": "assistant", "content": "Hello"}), chunk({"role": "assistant", "content": " there"}),
                    chunk({"role": "assistant"}, "stop"))
NO_INDEX = events(
    chunk({"role": "assistant", "tool_calls": [{"id": "call_0", "type": "function",
                                                 "function": {"name": "get_weather", "arguments": ""}}]}),
    chunk({"tool_calls": [{"function": {"arguments": '{"location": "Hangzhou"}'}}]}),
    chunk({}, "tool_calls"))
NON_JSON = events(chunk({"role": "assistant", "content": "Hello"}), ": keep-alive", chunk({}, "stop"))
REASONING = events(chunk({"role": "assistant", "content": None, "reasoning_content": "340+51"}),
                   chunk({"content": "391"}), chunk({}, "stop"))


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as srv:
        yield srv


def captured(server: ScriptedServer, writes: list[bytes], *, status: int = 200, headers: Any = SSE,
             framing: str = "chunked", bounds: Bounds = BOUNDS,
             request: dict[str, Any] | None = None) -> Exchange:
    """Serve the bytes over 127.0.0.1 and capture them with the real capture function."""
    url = server.add(Script(status, headers, writes=[(0.0, w) for w in writes], framing=framing))  # type: ignore[arg-type]
    with httpx.Client() as client:
        return capture(client, method="POST", url=url + "/v1/chat/completions",
                       headers={"Content-Type": "application/json"},
                       body=json.dumps(request or REQUEST).encode(), bounds=bounds)


def observation(exchange: Exchange, mode: Mode = Mode.STREAM) -> Observation:
    scenario = ScenarioInfo(id="t", mode=mode, expect=Expect.SUCCESS, features=frozenset(), request=REQUEST)
    return Observation(scenario=scenario, exchange=exchange, profile=load_profile("canonical"))


def test_clean_stream_matches_wire_assembly(server: ScriptedServer) -> None:
    exchange = captured(server, CLEAN)
    report = replay_stream(exchange, REQUEST)
    wire = observation(exchange).assembled[0]
    assert report.raw.error_type is None and report.raw.chunks == 4
    assert report.helper is not None and report.helper.error_type is None and report.helper.chunks == 4
    helper = report.helper.choice(0)
    assert helper is not None
    assert (helper.role, helper.content, helper.finish_reason) == (wire.role, wire.content, wire.finish_reason)
    assert helper.content == "Hello there"
    raw = report.raw.choice(0)
    assert raw is not None and raw.content == "Hello there"


def test_reasoning_field_survives_the_helper(server: ScriptedServer) -> None:
    report = replay_stream(captured(server, REASONING), REQUEST)
    assert report.helper is not None
    choice = report.helper.choice(0)
    assert choice is not None and choice.reasoning == {"reasoning_content": "340+51"} and choice.content == "391"


def test_role_on_every_delta_is_concatenated_by_the_helper(server: ScriptedServer) -> None:
    report = replay_stream(captured(server, ROLE_EVERY), REQUEST)
    assert report.raw.error_type is None
    assert report.helper is not None and report.helper.error_type is None
    helper = report.helper.choice(0)
    raw = report.raw.choice(0)
    assert helper is not None and helper.role == "assistantassistantassistant"
    assert raw is not None and raw.role == "assistant"


def test_missing_tool_index_makes_the_helper_raise(server: ScriptedServer) -> None:
    report = replay_stream(captured(server, NO_INDEX), REQUEST)
    assert report.raw.error_type is None and report.raw.chunks == 3
    assert report.helper is not None
    assert report.helper.error_type in {"TypeError", "RuntimeError"}, report.helper.describe_error()


def test_non_json_data_event_makes_create_raise(server: ScriptedServer) -> None:
    report = replay_stream(captured(server, NON_JSON), REQUEST)
    assert report.raw.error_type == "JSONDecodeError"
    assert report.raw.chunks == 1


def test_cut_chunked_body_replays_as_connection_error(server: ScriptedServer) -> None:
    # A chunked body announced but never terminated: the capture ends with a transport error.
    head = [("Content-Type", "text/event-stream"), ("Transfer-Encoding", "chunked")]
    first = CLEAN[0]
    broken = [f"{len(first):x}\r\n".encode() + first + b"\r\n", b"ff\r\ndata: {\"partial"]
    exchange = captured(server, broken, headers=head, framing="close")
    assert exchange.end is EndReason.TRANSPORT_ERROR, exchange.end_detail
    report = replay_stream(exchange, REQUEST)
    assert report.raw.error_type == "APIConnectionError"
    assert "RemoteProtocolError" in str(report.raw.error_message)
    assert report.raw.chunks == 1


def test_idle_timeout_replays_as_timeout(server: ScriptedServer) -> None:
    url = server.add(Script(200, SSE, writes=[(0.0, CLEAN[0]), (1.0, CLEAN[1])]))
    with httpx.Client() as client:
        exchange = capture(client, method="POST", url=url + "/v1/chat/completions",
                           headers={"Content-Type": "application/json"}, body=json.dumps(REQUEST).encode(),
                           bounds=Bounds(connect_s=5, ttfb_s=5, idle_s=0.3, total_s=5))
    assert exchange.end is EndReason.IDLE_TIMEOUT, exchange.end_detail
    report = replay_stream(exchange, REQUEST)
    assert report.raw.error_type == "APITimeoutError"


def test_nonstream_sse_body_is_returned_as_text(server: ScriptedServer) -> None:
    exchange = captured(server, CLEAN, request={**REQUEST, "stream": False})
    report = replay_nonstream(exchange, REQUEST)
    assert report.raw.error_type is None
    assert report.raw.result_type == "str"
    assert report.raw.choices == ()


def test_nonstream_body_keeps_choices_and_reasoning(server: ScriptedServer) -> None:
    body = {"id": "x", "object": "chat.completion", "created": 1, "model": "deepseek-chat",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "391",
                                                 "reasoning_content": "340+51"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}}
    exchange = captured(server, [b"\n\n" + json.dumps(body).encode()], headers=JSON)
    report = replay_nonstream(exchange, REQUEST)
    assert report.raw.result_type == "ChatCompletion"
    choice = report.raw.choice(0)
    assert choice is not None and choice.content == "391" and choice.reasoning == {"reasoning_content": "340+51"}
    assert report.raw.usage == body["usage"]


def test_nonstream_error_status_raises_the_sdk_status_error(server: ScriptedServer) -> None:
    exchange = captured(server, [b'{"error": {"message": "bad key", "type": "authentication_error"}}'],
                        status=401, headers=JSON)
    report = replay_nonstream(exchange, REQUEST)
    assert report.raw.error_type == "AuthenticationError"
    assert "bad key" in str(report.raw.error_message)


def test_replay_tolerates_a_request_without_model_or_messages(server: ScriptedServer) -> None:
    report = replay_stream(captured(server, CLEAN), {"garbage": True})
    assert report.raw.error_type is None and report.raw.chunks == 4


# -- the replay reaches the same outcome as the live SDK over real HTTP ---------------------------------------


@dataclass(frozen=True)
class LiveOutcome:
    """What the live SDK did: create(stream=True)'s exception and chunk count, the helper's exception or message."""

    create_error: str | None
    create_chunks: int
    helper_error: str | None
    helper_message: tuple[Any, Any] | None


def _live(url: str) -> LiveOutcome:
    """Run the SDK for real against the scripted URL: create(stream=True), then the .stream() helper."""
    http_client = httpx2.Client(timeout=5.0)
    client = openai.OpenAI(base_url=url + "/v1", api_key="sk-test", http_client=http_client, max_retries=0)
    args = {"model": REQUEST["model"], "messages": REQUEST["messages"]}
    create_error = helper_error = None
    helper_message = None
    chunks = 0
    try:
        try:
            for _ in client.chat.completions.create(stream=True, **args):
                chunks += 1
        except Exception as exc:
            create_error = type(exc).__name__
        try:
            with client.chat.completions.stream(**args) as stream:
                msg = stream.get_final_completion().choices[0].message
            helper_message = (msg.role, msg.content)
        except Exception as exc:
            helper_error = type(exc).__name__
    finally:
        http_client.close()
    return LiveOutcome(create_error, chunks, helper_error, helper_message)


@pytest.mark.parametrize("name", ["CLEAN", "ROLE_EVERY", "NO_INDEX", "NON_JSON", "REASONING"])
def test_replay_agrees_with_the_live_sdk(server: ScriptedServer, name: str) -> None:
    writes = globals()[name]
    url = server.add(Script(200, SSE, writes=[(0.0, w) for w in writes]))
    live = _live(url)
    report = replay_stream(captured(server, writes), REQUEST)
    assert (report.raw.error_type, report.raw.chunks) == (live.create_error, live.create_chunks)
    assert report.helper is not None
    assert report.helper.error_type == live.helper_error
    if live.helper_error is None:
        choice = report.helper.choice(0)
        assert choice is not None and (choice.role, choice.content) == live.helper_message


# -- without the SDK --------------------------------------------------------------------------------------------


def test_missing_sdk_makes_the_sdk_checks_not_applicable(server: ScriptedServer, monkeypatch: Any) -> None:
    from conformance.invariants import sdk as sdk_checks
    from conformance.sdk import _replay

    exchange = captured(server, CLEAN)
    real_import = importlib.import_module

    def no_openai(name: str, *args: Any) -> Any:
        if name.split(".")[0] == "openai":
            raise ImportError("No module named 'openai'")
        return real_import(name, *args)

    monkeypatch.setattr(_replay.importlib, "import_module", no_openai)
    assert not sdk_available()
    with pytest.raises(SdkUnavailable):
        replay_stream(exchange, REQUEST)
    with pytest.raises(NotApplicable, match="openai package not installed"):
        list(sdk_checks.sdk_consumes_stream(observation(exchange)))


def test_sdk_warnings_are_recorded_not_printed(server: ScriptedServer, recwarn: Any) -> None:
    """Arguments sent as an object make pydantic warn while the SDK serialises: kept as evidence, not leaked."""
    bad = events(chunk({"role": "assistant", "tool_calls": [{"index": 0, "id": "call_0", "type": "function",
                                                              "function": {"name": "get_weather",
                                                                           "arguments": {"location": "Hangzhou"}}}]}),
                 chunk({}, "tool_calls"))
    report = replay_stream(captured(server, bad), REQUEST)
    assert report.helper is not None and report.helper.error_type is None
    call = report.helper.choices[0].tool_calls[0]
    assert call.arguments == {"location": "Hangzhou"}
    assert any("Expected `str`" in w for w in report.warnings), report.warnings
    assert len(recwarn) == 0
