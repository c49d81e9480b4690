"""schemathesis against the normalized documents: positive cases are canonical-valid; SSE bodies are validated."""

from __future__ import annotations

import json
from typing import Any

import httpx
import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup

from conformance.specs import DOCUMENT_NAMES, component_schema, load_document
from tests.support.scripted_server import Script, ScriptedServer

CANONICAL_REQUEST = jsonschema_rs.validator_for(component_schema("ChatCompletionRequest"))
ROLES = {"system", "user", "assistant", "tool"}


def _operation(name: str) -> tuple[str, Any]:
    document = load_document(name)
    path = next(iter(document["paths"]))
    schema = schemathesis.openapi.from_dict(document)
    schema.config.generation.update(modes=[GenerationMode.POSITIVE], max_examples=10, database="none")
    schema.config.phases.update(phases=["fuzzing"])
    return path, schema[path]["POST"]


@pytest.mark.parametrize("name", list(DOCUMENT_NAMES))
def test_positive_cases_are_valid_canonical_requests(name: str) -> None:
    _, operation = _operation(name)
    bodies: list[Any] = []

    @seed(20250821)
    @settings(
        max_examples=10,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    def collect(case: Any) -> None:
        bodies.append(case.body)

    collect()
    assert len(bodies) >= 5
    for body in bodies:
        assert isinstance(body, dict)
        assert body["messages"], "messages is never empty"
        assert {message["role"] for message in body["messages"]} <= ROLES
        errors = [f"{error.instance_path}: {error.message}" for error in CANONICAL_REQUEST.iter_errors(body)]
        assert errors == [], f"{name} generated a body the canonical request schema rejects"


def _sse(*chunks: dict[str, Any]) -> bytes:
    return b"".join(b"data: " + json.dumps(chunk).encode() + b"\n\n" for chunk in chunks) + b"data: [DONE]\n\n"


_CHUNK = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m", "system_fingerprint": "fp"}
GOOD = _sse(
    {**_CHUNK, "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hi"}, "finish_reason": None}]},
    {**_CHUNK, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
     "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}},
)  # fmt: skip
BAD = _sse({**_CHUNK, "choices": [{"index": 0, "delta": {"content": 12345}, "finish_reason": None}]})


@pytest.mark.parametrize("name", list(DOCUMENT_NAMES))
def test_event_stream_bodies_are_validated_event_by_event(name: str) -> None:
    """Over real loopback HTTP: a good stream passes schemathesis's schema check, a wrong-typed chunk fails it."""
    path, operation = _operation(name)
    case = operation.Case(body={"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True})
    headers = [("Content-Type", "text/event-stream")]
    with ScriptedServer() as server, httpx.Client(timeout=5.0) as client:
        good_url = server.add(Script(200, headers, writes=[(0.0, GOOD)]))
        bad_url = server.add(Script(200, headers, writes=[(0.0, BAD)]))
        good = client.post(good_url + path, json=case.body)
        bad = client.post(bad_url + path, json=case.body)
    case.validate_response(good, checks=[schemathesis.checks.response_schema_conformance])
    with pytest.raises(FailureGroup, match="SSE event violates schema"):
        case.validate_response(bad, checks=[schemathesis.checks.response_schema_conformance])
