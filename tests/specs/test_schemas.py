"""conformance.specs public API and the canonical component schemas: strict requests, lenient responses."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import pytest

from conformance.specs import DOCUMENT_NAMES, component_schema, document_path, load_document

COMPONENTS = ["ChatCompletionRequest", "ChatCompletion", "ChatCompletionChunk", "ErrorResponse"]


@pytest.mark.parametrize("document", list(DOCUMENT_NAMES))
@pytest.mark.parametrize("component", COMPONENTS)
def test_component_schema_is_self_contained(document: str, component: str) -> None:
    schema = component_schema(component, document)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "#/components/" not in repr(schema)
    jsonschema_rs.validator_for(schema)
    jsonschema.Draft202012Validator.check_schema(schema)


def test_document_lookup() -> None:
    assert document_path("canonical").name == "canonical.yaml"
    assert document_path("deepseek.yaml") == document_path("deepseek")
    assert load_document("deepseek")["servers"][0]["url"] == "https://api.deepseek.com"
    with pytest.raises(KeyError):
        document_path("openai")
    with pytest.raises(KeyError):
        component_schema("NoSuchComponent")


def test_load_document_returns_a_private_copy() -> None:
    first = load_document("canonical")
    first["paths"].clear()
    assert load_document("canonical")["paths"]


REQUEST = component_schema("ChatCompletionRequest")
BASE: dict[str, Any] = {"model": "deepseek-chat", "messages": [{"role": "user", "content": "hi"}]}


def _valid(schema: dict[str, Any], instance: Any) -> bool:
    return bool(jsonschema_rs.validator_for(schema).is_valid(instance))


@pytest.mark.parametrize(
    "patch",
    [
        {},
        {"temperature": 0.7, "top_p": 0.9, "frequency_penalty": -1.5, "presence_penalty": 2, "max_tokens": 5},
        {"temperature": None, "top_p": None, "stop": None, "tools": None, "tool_choice": None},
        {"stop": "END"},
        {"stop": ["a", "b"]},
        {"thinking": {"type": "auto"}},
        {"thinking": {"type": "enabled", "budget_tokens": 2048}},
        {"stream": True, "stream_options": {"include_usage": True}},
        {"stream": False, "stream_options": None},
        {"logprobs": True, "top_logprobs": 20},
        {"response_format": {"type": "json_object"}},
        {"tool_choice": {"type": "function", "function": {"name": "get_weather"}}},
        {"tools": [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]},
        {"model": "deepseek-v3-1-250821", "extra_vendor_field": {"anything": 1}},
        {
            "messages": [
                {"role": "system", "content": "s"},
                {"role": "user", "content": "u"},
                {"role": "assistant", "content": None, "tool_calls": [
                    {"id": "c0", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "c0", "content": "r"},
            ]
        },
    ],
)  # fmt: skip
def test_canonical_request_accepts(patch: dict[str, Any]) -> None:
    assert _valid(REQUEST, {**BASE, **patch})


@pytest.mark.parametrize(
    "patch",
    [
        {"messages": []},
        {"model": ""},
        {"messages": [{"role": "robot", "content": "x"}]},
        {"messages": [{"role": "tool", "content": "x"}]},  # no tool_call_id
        {"messages": [{"role": "assistant", "content": None}]},  # null content without tool_calls
        {"temperature": 2.5},
        {"top_p": 0},
        {"frequency_penalty": 3},
        {"max_tokens": 0},
        {"stop": ["s"] * 17},
        {"thinking": {"type": "sometimes"}},
        {"thinking": {"type": "enabled", "budget_tokens": 64}},
        {"thinking": {}},
        {"top_logprobs": 21, "logprobs": True},
        {"top_logprobs": 3},  # without logprobs
        {"stream_options": {"include_usage": True}},  # without stream
        {"response_format": {"type": "xml"}},
        {"tool_choice": "sometimes"},
    ],
)
def test_canonical_request_rejects(patch: dict[str, Any]) -> None:
    assert not _valid(REQUEST, {**BASE, **patch})


CHUNK = component_schema("ChatCompletionChunk")
FIRST: dict[str, Any] = {
    "id": "chatcmpl-1",
    "object": "chat.completion.chunk",
    "created": 1718345013,
    "model": "deepseek-chat",
    "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}],
}


def _chunk(**changes: Any) -> dict[str, Any]:
    chunk = copy.deepcopy(FIRST)
    choice_changes = changes.pop("choice", None)
    chunk.update(changes)
    if choice_changes is not None:
        chunk["choices"][0].update(choice_changes)
    return chunk


@pytest.mark.parametrize(
    "chunk",
    [
        _chunk(),
        _chunk(choice={"delta": {"content": "Hello"}}),  # role only on the first delta
        _chunk(choice={"delta": {"content": None, "reasoning_content": "hm"}}),
        _chunk(choice={"delta": {"reasoning": "hm"}}),  # the other reasoning field name
        _chunk(choice={"delta": {"content": "", "role": None}, "finish_reason": "stop"}),  # seed 002's last chunk
        _chunk(choice={"finish_reason": "insufficient_system_resource"}),
        _chunk(usage=None, system_fingerprint="fp_a49d71b8a1"),
        _chunk(choices=[], usage={"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}),
        _chunk(usage={"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3, "prompt_cache_hit_tokens": 0,
                      "prompt_cache_miss_tokens": 1, "completion_tokens_details": {"reasoning_tokens": 1}}),
        _chunk(choice={"delta": {"tool_calls": [{"index": 0, "id": "c", "type": "function",
                                                 "function": {"name": "f", "arguments": ""}}]}}),
        _chunk(choice={"delta": {"tool_calls": [{"index": 0, "function": {"arguments": "{\"a\""}}]}}),
        _chunk(choice={"logprobs": {"content": [{"token": "a", "logprob": -0.25, "bytes": [97], "top_logprobs": []}]}}),
        _chunk(vendor_extra={"x": 1}),
    ],
)  # fmt: skip
def test_canonical_chunk_accepts_legitimate_dialects(chunk: dict[str, Any]) -> None:
    assert _valid(CHUNK, chunk)


@pytest.mark.parametrize(
    "chunk",
    [
        _chunk(object="chat.completion"),
        _chunk(id=""),
        _chunk(created="yesterday"),
        _chunk(choice={"delta": {"content": 12345}}),
        _chunk(choice={"delta": {"role": "user"}}),
        _chunk(choice={"delta": {"tool_calls": [{"id": "c"}]}}),  # no index
        _chunk(choice={"delta": {"tool_calls": [{"index": 0, "function": {"arguments": {"a": 1}}}]}}),
        _chunk(usage={"prompt_tokens": 1}),
        _chunk(choice={"logprobs": {"content": [{"token": "a", "logprob": "low"}]}}),
    ],
)
def test_canonical_chunk_rejects(chunk: dict[str, Any]) -> None:
    assert not _valid(CHUNK, chunk)


def test_canonical_completion_accepts_dialects_and_rejects_breakage() -> None:
    schema = component_schema("ChatCompletion")
    body: dict[str, Any] = {
        "id": "930c60df",
        "object": "chat.completion",
        "created": 1705651092,
        "model": "deepseek-reasoner",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": None, "reasoning_content": "r", "tool_calls": [
                    {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
                "finish_reason": "tool_calls",
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 15, "completion_tokens": 250, "reasoning_tokens": 180, "total_tokens": 265},
        "system_fingerprint": "fp",
    }  # fmt: skip
    assert _valid(schema, body)
    assert _valid(schema, {key: value for key, value in body.items() if key != "usage"})
    assert not _valid(schema, {**body, "object": "chat.completion.chunk"})
    assert not _valid(
        schema, {**body, "choices": [{"index": 0, "message": {"content": "no role"}, "finish_reason": "stop"}]}
    )


def test_error_envelope() -> None:
    schema = component_schema("ErrorResponse")
    assert _valid(schema, {"error": {"message": "bad", "type": "invalid_request_error", "param": None, "code": None}})
    assert _valid(schema, {"error": {"message": "bad", "code": 400}})
    assert not _valid(schema, {"error": {"type": "invalid_request_error"}})
    assert not _valid(schema, {"message": "bad"})


def test_document_path_falls_back_to_the_wheel_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside a checkout (no specs/sources next to the package) the wheel's conformance/_specs copy is used."""
    from conformance.specs import _paths

    package = tmp_path / "site-packages" / "conformance"
    wheel_copy = package / "_specs" / "normalized"
    wheel_copy.mkdir(parents=True)
    (wheel_copy / "canonical.yaml").write_text("openapi: 3.1.0\n")
    monkeypatch.setattr(_paths, "_PACKAGE_DIR", package)
    assert _paths.repo_specs_root() is None
    assert document_path("canonical") == wheel_copy / "canonical.yaml"
    (wheel_copy / "canonical.yaml").unlink()
    with pytest.raises(_paths.SpecsNotFoundError):
        document_path("canonical")
