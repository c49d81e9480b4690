"""The curl reproducer replays a case byte for byte without the key; case features come from the body."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from conformance.cases import REDACTED, GeneratedCase, case_features, curl_reproducer
from tests.support.scripted_server import Script, ScriptedServer

SECRET = "sk-conformance-secret-4242"
BODY = {
    "model": "deepseek-chat",
    "messages": [{"role": "user", "content": "It's \"quoted\" — 'single' $HOME `cmd` \\ 你好"}],
    "max_tokens": 7,
    "stream": True,
    "stream_options": {"include_usage": True},
}


def _case(body: object = None, kind: str = "positive", headers: dict[str, str] | None = None) -> GeneratedCase:
    body = BODY if body is None else body
    stream = isinstance(body, dict) and body.get("stream") is True
    return GeneratedCase(id="pos-0001", kind=kind, body=body, headers=headers or {}, description="", stream=stream)


def test_reproducer_keeps_max_tokens_and_names_the_key_variable() -> None:
    command = curl_reproducer(_case(), "http://127.0.0.1:9/v1/chat/completions", "DEEPSEEK_API_KEY")
    assert '"max_tokens": 7' in command
    assert "[Filtered]" not in command
    assert '-H "Authorization: Bearer $DEEPSEEK_API_KEY"' in command
    assert "-X POST http://127.0.0.1:9/v1/chat/completions" in command


def test_reproducer_without_a_variable_redacts_and_drops_secret_headers() -> None:
    case = _case(headers={"Authorization": f"Bearer {SECRET}", "X-Api-Key": SECRET, "X-Trace": "t-1"})
    command = curl_reproducer(case, "http://h/v1/chat/completions", None)
    assert SECRET not in command
    assert f"Authorization: Bearer {REDACTED}" in command
    assert f"X-Api-Key: {REDACTED}" in command
    assert "X-Trace: t-1" in command
    # A name that is not a shell variable name is never interpolated into the command.
    assert "$(" not in curl_reproducer(case, "http://h/x", "$(rm -rf ~)")
    assert "Authorization" not in curl_reproducer(case, "http://h/x", "KEY", auth=False)


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("bash") is None, reason="needs curl and bash")
def test_reproducer_replays_the_exact_request_over_loopback() -> None:
    """Run the command in a real shell against 127.0.0.1: the server receives the case's exact bytes and key."""
    with ScriptedServer() as srv:
        url = srv.add(Script(200, [("Content-Type", "application/json")], writes=[(0.0, b"{}")], framing="length"))
        case = _case(headers={"X-Trace": "t-1"})
        command = curl_reproducer(case, url + "/v1/chat/completions", "CONFORMANCE_TEST_KEY")
        assert SECRET not in command
        env = {**os.environ, "CONFORMANCE_TEST_KEY": SECRET}
        done = subprocess.run(["bash", "-c", command + " --max-time 10"], env=env, capture_output=True, timeout=20,
                              check=False)
        assert done.returncode == 0, done.stderr
        (received,) = srv.requests(url)
    assert received.method == "POST"
    assert received.path.endswith("/v1/chat/completions")
    assert received.body == case.payload()
    assert json.loads(received.body)["max_tokens"] == 7
    assert received.header("Authorization") == f"Bearer {SECRET}"
    assert received.header("Content-Type") == "application/json"
    assert received.header("X-Trace") == "t-1"


@pytest.mark.parametrize(("body", "kind", "expected"), [
    (BODY, "positive", {"generated", "positive", "include_usage"}),
    ({**BODY, "stream_options": {"include_usage": False}}, "positive",
     {"generated", "positive", "usage_not_requested"}),
    ({"model": "m", "messages": [], "stream": True}, "positive", {"generated", "positive", "usage_not_requested"}),
    ({"model": "m", "messages": [], "stream": False}, "positive", {"generated", "positive", "stream_false"}),
    ({"model": "m", "messages": []}, "positive", {"generated", "positive", "stream_omitted"}),
    ({"model": "m", "messages": [], "stream": None}, "positive", {"generated", "positive", "stream_omitted"}),
    (BODY, "negative", {"generated", "negative"}),
    ([1, 2], "negative", {"generated", "negative"}),
])
def test_case_features(body: object, kind: str, expected: set[str]) -> None:
    assert case_features(_case(body, kind)) == frozenset(expected)


def test_payload_is_utf8_json_without_nan() -> None:
    assert json.loads(_case().payload().decode("utf-8")) == BODY
    with pytest.raises(ValueError):
        _case({"temperature": float("nan")}).payload()
