"""request_problems: what makes a body invalid for a profile, one readable line per problem."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.cases import repair_positive, request_problems
from conformance.providers import load_profile

OK: dict[str, Any] = {"model": "deepseek-chat", "messages": [{"role": "user", "content": "Say hello in five words."}],
                      "max_tokens": 8}


def test_a_documented_valid_body_has_no_problem() -> None:
    assert request_problems(OK, load_profile("canonical")) == []
    assert request_problems({**OK, "stream": True, "stream_options": {"include_usage": True},
                             "logprobs": True, "top_logprobs": 3, "temperature": None}, load_profile("canonical")) == []


@pytest.mark.parametrize(("patch", "expected"), [
    ({"temperature": 5}, "temperature: 5 (maximum 2)"),
    ({"max_tokens": 0}, "max_tokens: 0 (minimum 1)"),
    ({"messages": []}, "messages: [] (minItems 1)"),
    ({"stream": "yes"}, 'stream: "yes" (type boolean | null)'),
    ({"thinking": {"type": "sometimes"}}, 'thinking.type: "sometimes" (enum "enabled", "disabled", "auto")'),
    ({"response_format": {"type": "xml"}}, 'response_format.type: "xml" (enum "text", "json_object")'),
    ({"tools": [{"type": "function"}]}, "tools.0.function: missing (required)"),
    ({"top_logprobs": 3}, "top_logprobs: 3 (top_logprobs requires logprobs: true)"),
    ({"stream_options": {"include_usage": True}},
     'stream_options: {"include_usage":true} (stream_options may only be set when stream is true)'),
])
def test_problem_lines_say_where_what_and_why(patch: dict[str, Any], expected: str) -> None:
    assert expected in request_problems({**OK, **patch}, load_profile("canonical"))


def test_missing_fields_and_non_objects() -> None:
    profile = load_profile("canonical")
    assert sorted(request_problems({"max_tokens": 8}, profile)) == ["messages: missing (required)",
                                                                     "model: missing (required)"]
    assert request_problems([1, 2], profile) == ["(body): [1,2] (type object)"]
    assert request_problems(None, profile) == ["(body): null (type object)"]


def test_profile_limits_and_dialects_apply() -> None:
    # ark documents max_tokens up to 32768, below the canonical 65536.
    assert request_problems({**OK, "max_tokens": 40000}, load_profile("ark")) == [
        "max_tokens: 40000 (profile ark documents [1, 32768])"]
    assert request_problems({**OK, "max_tokens": 40000}, load_profile("canonical")) == []
    # reseller-budget documents stream_options without a stream as ignored, not refused.
    lonely = {**OK, "stream": False, "stream_options": {"include_usage": True}}
    assert request_problems(lonely, load_profile("reseller-budget")) == []
    assert request_problems(lonely, load_profile("canonical"))
    # A value breaking both the schema and a limit is reported once, by the schema.
    assert request_problems({**OK, "temperature": 7}, load_profile("canonical")) == ["temperature: 7 (maximum 2)"]


def test_repair_positive_applies_the_cross_field_rules() -> None:
    profile = load_profile("canonical")
    drawn = {**OK, "model": "other", "max_tokens": 5000.0, "stream": False, "stream_options": {"include_usage": True},
             "top_logprobs": 2, "thinking": {"type": "disabled", "budget_tokens": 256}, "tool_choice": "required"}
    fixed = repair_positive(drawn, profile, 8)
    assert fixed["model"] == "deepseek-chat" and fixed["max_tokens"] == 8
    assert fixed["logprobs"] is True and "stream_options" not in fixed and "tool_choice" not in fixed
    assert fixed["thinking"] == {"type": "disabled"}
    assert request_problems(fixed, profile) == []
    thinking = repair_positive({**OK, "thinking": {"type": "enabled", "budget_tokens": 512.0}, "logprobs": True,
                                "tools": [{"type": "function", "function": {"name": "get_weather"}}]}, profile, 8)
    assert thinking["thinking"] == {"type": "enabled", "budget_tokens": 512}
    assert isinstance(thinking["thinking"]["budget_tokens"], int)
    assert "logprobs" not in thinking and "tools" not in thinking
    # Fields a negative case mutated are kept as drawn.
    kept = repair_positive({**OK, "max_tokens": -3, "stream": "x", "stream_options": {}}, profile, 8,
                           keep=frozenset({"max_tokens", "stream_options"}))
    assert kept["max_tokens"] == -3 and kept["stream_options"] == {}
    assert drawn["thinking"] == {"type": "disabled", "budget_tokens": 256}  # the input is not mutated
