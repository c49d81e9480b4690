"""schemathesis against the normalized documents: positive cases are canonical-valid; SSE bodies are validated.

Hypothesis (>= 6.131) mixes literals harvested from the imported project modules into its draws, so what
a seed yields would depend on what else the process imported (an xdist worker imports more): every run
here goes through `_without_local_constants`, the same guard case generation uses.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup

from conformance.cases._generate import _without_local_constants
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

    with _without_local_constants():
        collect()
    assert len(bodies) >= 5
    for body in bodies:
        assert isinstance(body, dict)
        assert body["messages"], "messages is never empty"
        assert {message["role"] for message in body["messages"]} <= ROLES
        errors = [f"{error.instance_path}: {error.message}" for error in CANONICAL_REQUEST.iter_errors(body)]
        assert errors == [], f"{name} generated a body the canonical request schema rejects"


def _canonical_keys() -> tuple[list[str], list[str]]:
    """The properties canonical declares for a request, and for a message (any role)."""
    schemas = load_document("canonical")["components"]["schemas"]
    variants = [ref["$ref"].rsplit("/", 1)[1] for ref in schemas["ChatCompletionMessage"]["oneOf"]]
    message = sorted({key for variant in variants for key in schemas[variant]["properties"]})
    return sorted(schemas["ChatCompletionRequest"]["properties"]), message


REQUEST_KEYS, MESSAGE_KEYS = _canonical_keys()
VENDORS = [name for name, seed in DOCUMENT_NAMES.items() if seed is not None]
# Simple values of every JSON type, some in and some out of the canonical ranges.
SAMPLES: list[Any] = [None, True, 5, -1, 0.5, 129, "", "x", [], [{}], ["x"], {}, {"type": "x"}]
JSON_VALUES = st.sampled_from(SAMPLES) | st.recursive(
    st.none() | st.booleans() | st.integers(-3, 300) | st.floats(-3, 3) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=5,
)


def _patched(body: dict[str, Any], request: dict[str, Any], messages: list[dict[str, Any]]) -> dict[str, Any]:
    """`body` with `request` merged in, and the i-th message with `messages[i]` merged in."""
    out = {**body, **request}
    if "messages" not in request and isinstance(body.get("messages"), list):
        out["messages"] = [{**m, **patch} for m, patch in zip(body["messages"], messages, strict=False)]
        out["messages"] += body["messages"][len(messages) :]
    return out


def _slipped(name: str, bodies: list[dict[str, Any]]) -> tuple[list[str], int]:
    """The bodies the vendor document accepts and the canonical request schema rejects; how many it accepts."""
    own = jsonschema_rs.validator_for(component_schema("ChatCompletionRequest", name))
    accepted = [body for body in bodies if own.is_valid(body)]
    slipped = [json.dumps(body)[:160] for body in accepted if not CANONICAL_REQUEST.is_valid(body)]
    return slipped, len(accepted)


@pytest.mark.parametrize("name", VENDORS)
def test_no_canonical_key_is_left_open(name: str) -> None:
    """Every canonical request key, and every canonical message key under every role, set to each sample
    value: whatever the vendor document accepts, canonical accepts. Exhaustive, so no luck is involved."""
    base = {"model": "deepseek-chat", "messages": [{"role": "user", "content": "hi"}]}
    bodies = [_patched(base, {key: value}, []) for key in REQUEST_KEYS for value in SAMPLES]
    for role in ("system", "user", "assistant", "tool"):
        message = {"role": role, "content": "hi", **({"tool_call_id": "c0"} if role == "tool" else {})}
        bodies += [
            {**base, "messages": [{**message, key: value}]}
            for key in MESSAGE_KEYS
            if key not in {"role"}
            for value in SAMPLES
        ]
    slipped, accepted = _slipped(name, bodies)
    assert slipped == [], f"{name} accepts bodies the canonical request schema rejects"
    assert accepted > 10, "the vendor document accepts the base body and some patched ones"


@pytest.mark.parametrize("name", VENDORS)
def test_canonical_keys_with_any_value_never_slip_through(name: str) -> None:
    """The same with schemathesis' own positive bodies as the base and Hypothesis choosing the keys and
    values (arbitrary JSON): the patched bodies the vendor document accepts are canonical-valid."""
    _, operation = _operation(name)
    bodies: list[dict[str, Any]] = []

    @seed(20250821)
    @settings(
        max_examples=60,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        st.dictionaries(st.sampled_from(REQUEST_KEYS), JSON_VALUES, min_size=1, max_size=2),
        st.lists(st.dictionaries(st.sampled_from(MESSAGE_KEYS), JSON_VALUES, max_size=2), min_size=1, max_size=3),
    )
    def collect(case: Any, request: dict[str, Any], messages: list[dict[str, Any]]) -> None:
        assert isinstance(case.body, dict)
        bodies.append(_patched(case.body, request, messages))

    with _without_local_constants():
        collect()
    slipped, accepted = _slipped(name, bodies)
    assert slipped == [], f"{name} accepts bodies the canonical request schema rejects"
    assert accepted > 0, "some patched bodies stay valid under the vendor document (the check is not vacuous)"


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
