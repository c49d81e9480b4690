"""Every normalized document: valid OpenAPI 3.1, loads in schemathesis, streams and errors declared, no noise."""

from __future__ import annotations

import re
from typing import Any

import jsonschema_rs
import pytest
import schemathesis
from openapi_spec_validator import validate

from conformance.specs import DOCUMENT_NAMES, component_schema

NAMES = list(DOCUMENT_NAMES)
ERROR_STATUSES = ["400", "401", "402", "422", "429", "500", "503"]
NOISE = re.compile(r"^x-(apifox|apidog|run-in-|prose)")


def _operation(document: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    (path, item), *rest = document["paths"].items()
    assert rest == []
    return path, item["post"]


def _keys(node: Any) -> list[str]:
    if isinstance(node, dict):
        return list(node) + [key for child in node.values() for key in _keys(child)]
    if isinstance(node, list):
        return [key for child in node for key in _keys(child)]
    return []


@pytest.mark.parametrize("name", NAMES)
def test_document_is_valid_openapi_31(name: str, documents: dict[str, dict[str, Any]]) -> None:
    document = documents[name]
    assert document["openapi"] == "3.1.0"
    validate(document)  # openapi-spec-validator; raises on the first error


@pytest.mark.parametrize("name", NAMES)
def test_document_loads_in_schemathesis(name: str, documents: dict[str, dict[str, Any]]) -> None:
    schema = schemathesis.openapi.from_dict(documents[name])
    path, _ = _operation(documents[name])
    operation = schema[path]["POST"]
    assert operation.label == f"POST {path}"


@pytest.mark.parametrize("name", NAMES)
def test_document_has_no_generator_noise_or_30_keywords(name: str, documents: dict[str, dict[str, Any]]) -> None:
    keys = _keys(documents[name])
    assert [key for key in keys if NOISE.match(key)] == []
    assert "nullable" not in keys
    assert not any(str(key).startswith("x-200") for key in keys)


@pytest.mark.parametrize("name", NAMES)
def test_200_declares_json_and_event_stream(name: str, documents: dict[str, dict[str, Any]]) -> None:
    _, operation = _operation(documents[name])
    content = operation["responses"]["200"]["content"]
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/ChatCompletion"}
    assert content["text/event-stream"]["schema"] == {"$ref": "#/components/schemas/ChatCompletionStreamEvent"}
    event = documents[name]["components"]["schemas"]["ChatCompletionStreamEvent"]["properties"]["data"]
    assert event["if"] == {"const": "[DONE]"}
    assert event["else"]["contentSchema"] == {"$ref": "#/components/schemas/ChatCompletionChunk"}


@pytest.mark.parametrize("name", NAMES)
def test_errors_are_declared_with_the_envelope(name: str, documents: dict[str, dict[str, Any]]) -> None:
    _, operation = _operation(documents[name])
    assert sorted(status for status in operation["responses"] if status != "200") == ERROR_STATUSES
    for status in ERROR_STATUSES:
        media = operation["responses"][status]["content"]["application/json"]
        assert media["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}


@pytest.mark.parametrize("name", NAMES)
def test_request_body_is_required_and_auth_is_bearer(name: str, documents: dict[str, dict[str, Any]]) -> None:
    document = documents[name]
    _, operation = _operation(document)
    assert operation["requestBody"]["required"] is True
    assert "parameters" not in operation or operation["parameters"] == []
    assert document["components"]["securitySchemes"]["bearer"]["type"] == "http"
    assert document["security"] == [{"bearer": []}]
    assert operation.get("security", document["security"]) == [{"bearer": []}]


@pytest.mark.parametrize("name", NAMES)
def test_every_request_example_is_valid(name: str, documents: dict[str, dict[str, Any]]) -> None:
    _, operation = _operation(documents[name])
    media = operation["requestBody"]["content"]["application/json"]
    examples = ([media["example"]] if "example" in media else []) + [
        item["value"] for item in media.get("examples", {}).values()
    ]
    own = jsonschema_rs.validator_for(component_schema("ChatCompletionRequest", name))
    canonical = jsonschema_rs.validator_for(component_schema("ChatCompletionRequest"))
    for example in examples:
        assert own.is_valid(example), example
        assert canonical.is_valid(example), example
    if name in ("canonical", "deepseek", "chainhub", "kkiai", "example-reseller"):
        assert examples, "this document's source has request examples"


@pytest.mark.parametrize("name", NAMES)
def test_every_response_example_is_valid(name: str, documents: dict[str, dict[str, Any]]) -> None:
    _, operation = _operation(documents[name])
    media = operation["responses"]["200"]["content"]["application/json"]
    if "example" not in media:
        return
    example = media["example"]
    assert jsonschema_rs.validator_for(component_schema("ChatCompletion", name)).is_valid(example)
    canonical = jsonschema_rs.validator_for(component_schema("ChatCompletion"))
    if "model" in example:
        assert canonical.is_valid(example)
    else:  # seed 001's example omits model, which canonical requires (CHOICES.yaml: response-required)
        assert [error.message for error in canonical.iter_errors(example)] == ['"model" is a required property']


def test_vendor_facts_are_kept(documents: dict[str, dict[str, Any]]) -> None:
    """Paths, servers, model ids and ranges stay the vendor's own after repair."""
    facts = {
        "chainhub": ("/v1/chat/completions", "https://api.chainhub.tech"),
        "kkiai": ("/v1/chat/completions", "https://www.kkiai.com"),
        "deepseek": ("/chat/completions", "https://api.deepseek.com"),
        "example-reseller": ("/v1/chat/completions", "https://api.example.com"),
        "api-evangelist": ("/chat/completions", "https://api.deepseek.com"),
    }
    for name, (path, server) in facts.items():
        assert _operation(documents[name])[0] == path
        assert documents[name]["servers"][0]["url"] == server
    request = documents["api-evangelist"]["components"]["schemas"]["ChatCompletionRequest"]["properties"]
    assert request["model"]["enum"] == ["deepseek-chat", "deepseek-reasoner"]
    assert (request["max_tokens"]["minimum"], request["max_tokens"]["maximum"]) == (1, 8192)
    reseller = documents["example-reseller"]["components"]["schemas"]["ChatCompletionRequest"]["properties"]
    assert reseller["thinking"]["properties"]["type"]["enum"] == ["enabled", "disabled"]
    budget = reseller["thinking"]["properties"]["budget_tokens"]
    assert (budget["minimum"], budget["maximum"]) == (128, 8192)
    chainhub = documents["chainhub"]["components"]["schemas"]["ChatCompletionRequest"]["properties"]
    assert chainhub["thinking"]["properties"]["type"]["enum"] == ["enabled", "disabled", "auto"]
    # messages without a tool role (004, 000/001) keep it, though tool_calls/tool_call_id are now typed
    for name in ("api-evangelist", "chainhub", "kkiai"):
        items = documents[name]["components"]["schemas"]["ChatCompletionRequest"]["properties"]["messages"]["items"]
        assert items["properties"]["role"]["enum"] == ["system", "user", "assistant"]
        assert set(items["properties"]) == {"role", "content"}
    # fields a vendor does not document stay out of `properties` (conformance/cases generates only those)
    for name, absent in (("deepseek", "thinking"), ("api-evangelist", "thinking"), ("chainhub", "top_p"),
                         ("example-reseller", "stream_options")):  # fmt: skip
        assert absent not in documents[name]["components"]["schemas"]["ChatCompletionRequest"]["properties"]
    assert "budget_tokens" not in chainhub["thinking"]["properties"]
