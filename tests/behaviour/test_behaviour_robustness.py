"""Behaviour checks judge hostile bodies without crashing: they yield violations or raise NotApplicable only."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conformance.capture import EndReason, Exchange, Read, RecordedRequest
from conformance.invariants import (  # noqa: F401
    Expect,
    Invariant,
    Mode,
    NotApplicable,
    Observation,
    ScenarioInfo,
    consistency,
    errors,
    json_mode,
    limits,
    logprobs,
    reasoning,
    registry,
    sdk,
    tools,
)
from conformance.providers import load_profile

PREFIXES = ("REASON-", "TOOL-", "JSON-", "LOGPROB-", "LIMIT-", "ERROR-", "CONSIST-", "SDK-")
MINE = [inv for inv in registry if inv.id.startswith(PREFIXES)]
REQUEST: dict[str, Any] = {
    "model": "deepseek-chat", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5, "stop": ["7"],
    "logprobs": True, "top_logprobs": 3, "tools": [{"type": "function", "function": {"name": "f", "parameters": {
        "type": "object"}}}, {"type": "function"}, "junk"], "tool_choice": {"type": "function", "function": {}},
    "thinking": {"type": "enabled", "budget_tokens": "lots"}, "stream_options": {"include_usage": True},
}
ALL_FEATURES = frozenset(f for inv in MINE for f in inv.requires)

HOSTILE_CHUNKS: list[Any] = [
    {"choices": {"0": {}}},
    {"choices": [None, 3, "x", {"index": [0], "delta": None}]},
    {"choices": [{"index": 0, "delta": {"role": 5, "content": 7, "reasoning_content": ["a"], "reasoning": {}}}]},
    {"choices": [{"index": 0, "delta": {"tool_calls": {"index": 0}}}]},
    {"choices": [{"index": 0, "delta": {"tool_calls": [None, {"index": [1], "function": "f"},
                                                        {"index": 0, "id": 3, "function": {"name": ["n"],
                                                                                          "arguments": 5}}]}}]},
    {"choices": [{"index": 0, "delta": {"content": "x"}, "logprobs": {"content": [None, {"logprob": "a",
                                                                                         "bytes": [300, "x"],
                                                                                         "top_logprobs": "t"}]}}]},
    {"choices": [{"index": True, "delta": {}, "finish_reason": ["stop"]}], "usage": "lots"},
    {"choices": [], "usage": {"completion_tokens": "5", "completion_tokens_details": [],
                              "reasoning_tokens": {"n": 1}, "prompt_tokens": None}},
    {"error": "boom"}, {"object": "error"}, {"error": {"message": 5}}, ["list"], "string", 42, None,
]
HOSTILE_BODIES: list[Any] = [
    {"choices": {"0": {}}}, {"choices": [None, {"index": [0], "message": None}]},
    {"choices": [{"index": 0, "message": {"role": None, "content": ["a"], "tool_calls": {"a": 1},
                                          "reasoning_content": 5}, "finish_reason": 3, "logprobs": []}],
     "usage": {"completion_tokens": True}},
    {"choices": [{"index": 0, "message": {"tool_calls": [None, {"function": None}, {"id": ["x"]}]},
                  "logprobs": {"content": "x"}}]},
    {"error": None}, {"error": {"message": None}}, [], "text", None,
]


def _exchange(body: bytes, content_type: str, status: int = 200) -> Exchange:
    return Exchange(request=RecordedRequest("POST", "http://x.invalid/v1/chat/completions", (), b"{}"),
                    started_at="2025-09-01T00:00:00Z", status=status, headers=(("Content-Type", content_type),),
                    reads=(Read(1, body),), end=EndReason.EOF)


def _bodies() -> list[tuple[str, Mode, bytes, str]]:
    stream = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in HOSTILE_CHUNKS)
    out = [("hostile-stream", Mode.STREAM, stream + b"data: [DONE]\n\n", "text/event-stream"),
           ("garbage-stream", Mode.STREAM, b"data: {\n\ndata: \xff\xfe\n\nevent: x\n", "text/event-stream"),
           ("empty", Mode.STREAM, b"", "text/event-stream")]
    out += [(f"hostile-body-{n}", Mode.NONSTREAM, json.dumps(b).encode(), "application/json")
            for n, b in enumerate(HOSTILE_BODIES)]
    out.append(("not-json", Mode.NONSTREAM, b"<html>oops</html>", "text/html"))
    return out


def _observation(mode: Mode, expect: Expect, body: bytes, ctype: str, status: int, profile: str) -> Observation:
    def one(m: Mode) -> Observation:
        scenario = ScenarioInfo(id="hostile", mode=m, expect=expect, features=ALL_FEATURES, request=REQUEST,
                                error_kind="invalid_param" if expect is Expect.ERROR else None)
        return Observation(scenario=scenario, exchange=_exchange(body, ctype, status), profile=load_profile(profile))

    obs = one(mode)
    obs.peers = {"nonstream": one(Mode.NONSTREAM), "stream": one(Mode.STREAM)}
    return obs


CASES = [(name, mode, body, ctype) for name, mode, body, ctype in _bodies()]


@pytest.mark.parametrize(("name", "mode", "body", "ctype"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("status", [200, 400, 500])
@pytest.mark.parametrize("profile", ["canonical", "reseller-budget"])
def test_checks_never_crash(name: str, mode: Mode, body: bytes, ctype: str, status: int, profile: str) -> None:
    crashed: list[str] = []
    for inv in MINE:
        if mode not in inv.modes:
            continue
        obs = _observation(mode, inv.expect, body, ctype, status, profile)
        crashed.extend(_run(inv, obs))
    assert not crashed, "\n".join(crashed)


def _run(inv: Invariant, obs: Observation) -> list[str]:
    try:
        for violation in inv.check(obs):
            violation.render()
    except NotApplicable:
        pass
    except Exception as exc:  # the point of the test: report every crash, not just the first
        return [f"{inv.id}: {type(exc).__name__}: {exc}"]
    return []
