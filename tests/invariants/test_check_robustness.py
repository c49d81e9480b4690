"""Stream-structure checks never raise on garbage: they report violations or NotApplicable."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest

from conformance.capture import Read
from conformance.invariants import Expect, Mode, NotApplicable, Observation, ScenarioInfo, Violation, registry
from conformance.providers import load_profile
from tests.invariants.fixture_runner import build_exchange, default_request, ensure_registered

ensure_registered()
STREAM_GROUPS = ("framing", "schema", "ordering", "usage", "termination", "headers")
INVARIANTS = [inv for inv in registry if inv.group in STREAM_GROUPS]

_GARBAGE_CHUNKS: list[Any] = [
    {"choices": "x", "usage": "x", "id": [], "created": {}, "model": None, "object": 5},
    {"choices": [1, None, "a", {"index": None, "delta": "x", "finish_reason": 5, "logprobs": [1]}]},
    {"choices": [{"index": "0", "delta": {"role": 5, "content": {}, "tool_calls": "x", "reasoning_content": 3},
                  "finish_reason": [], "logprobs": {"content": 7, "refusal": "r"}}], "usage": []},
    {"choices": [{"index": 0, "delta": {"tool_calls": 5, "content": 3}, "finish_reason": "stop"}]},
    {"choices": [{"index": 2**70, "delta": {"tool_calls": [None, {"index": "a", "function": "f"}]},
                  "finish_reason": {"a": 1}}]},
    {"choices": [], "usage": {"prompt_tokens": "a", "completion_tokens": None, "total_tokens": [],
                              "prompt_cache_hit_tokens": 1.5, "completion_tokens_details": "x"}},
    {"choices": [], "usage": {"prompt_tokens": True, "completion_tokens": 1, "total_tokens": 2,
                              "prompt_cache_hit_tokens": True, "prompt_cache_miss_tokens": None}},
    {"error": "boom"},
    {"error": {"message": None}},
    {"system_fingerprint": {}, "choices": [{"index": -1, "delta": {}, "finish_reason": "stop"}]},
    [],
    "text",
    17,
    None,
]

STREAM_BODIES: list[bytes] = [
    b"",
    b"\xff\xfe\x00garbage",
    b"data: [DONE]\n\n",
    b"data:\n\ndata: [DONE]\n\ndata: [DONE]",
    b": only a comment\n\n",
    b"event: x\nid: 1\nretry: q\ndata: {\n\n: c\n\n",
    b"".join(f"data: {json.dumps(c)}\n\n".encode() for c in _GARBAGE_CHUNKS) + b"data: [DONE]\n\n",
    b"data: " + json.dumps({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}).encode(),
]

BODIES: list[bytes] = [
    b"",
    b"not json",
    b"[]",
    b'"x"',
    b"null",
    *(json.dumps(c).encode() for c in _GARBAGE_CHUNKS),
    json.dumps({"choices": None, "usage": [], "object": 1}).encode(),
    json.dumps({"choices": [{"message": "x", "finish_reason": 3, "index": True}],
                "usage": {"total_tokens": "9"}}).encode(),
    json.dumps({"choices": [{"message": {"role": None, "content": 5, "tool_calls": 7}}], "n": "2"}).encode(),
]

CONTENT_TYPES = ["text/event-stream", "application/json", None]
STATUSES = [200, 400, 500]


@cache
def _observations(inv_mode: Mode, expect: Expect, requires: frozenset[str]) -> list[Observation]:
    out = []
    bodies = STREAM_BODIES + BODIES
    for body in bodies:
        for ctype in CONTENT_TYPES:
            for status in STATUSES:
                request = default_request("canonical", inv_mode, requires)
                request["n"] = "two"  # a garbage request field as well
                headers = [("Content-Type", ctype)] if ctype else []
                reads = [Read(t_ns=(i + 1) * 1000, data=body[i:i + 7]) for i in range(0, len(body), 7)]
                exchange = build_exchange(request=request, features=requires, status=status, headers=headers,
                                          reads=reads)
                scenario = ScenarioInfo(id="garbage", mode=inv_mode, expect=expect, features=requires,
                                        request=request, error_kind="invalid_param" if expect is Expect.ERROR else None)
                for profile in ("canonical", "deepseek-official"):
                    out.append(Observation(scenario=scenario, exchange=exchange, profile=load_profile(profile)))
    return out


@pytest.mark.parametrize("inv_id", [inv.id for inv in INVARIANTS])
def test_check_survives_garbage(inv_id: str) -> None:
    """Any exception other than NotApplicable fails the test (some rules only ever skip garbage; that is fine)."""
    inv = registry[inv_id]
    for mode in sorted(inv.modes):
        for obs in _observations(Mode(mode), inv.expect, inv.requires):
            try:
                found = list(inv.check(obs))
            except NotApplicable:
                continue
            assert all(isinstance(v, Violation) for v in found)
            for v in found:
                assert isinstance(v.expected, str) and isinstance(v.received, str) and v.expected and v.received
                assert v.event_index is None or isinstance(v.event_index, int)
