"""Building blocks shared by the per-vendor fix lists."""

from __future__ import annotations

from typing import Any

from ._components import canonical_schemas, error_responses, ref, sse_media
from ._fixes import Fix, Relocation
from ._pointer import ABSENT, pointer

__all__ = [
    "CHUNK",
    "REQUEST",
    "RESPONSE",
    "V31_MAX_OUTPUT",
    "body_required_fix",
    "error_fixes",
    "header_parameter_fixes",
    "nullable_ref",
    "nullable_type",
    "op",
    "prop",
    "relocations",
    "request_dependencies",
    "streaming_fix",
    "version_fix",
]

REQUEST = "/components/schemas/ChatCompletionRequest"
RESPONSE = "/components/schemas/ChatCompletion"
CHUNK = "/components/schemas/ChatCompletionChunk"
# The largest DeepSeek V3.1 output (deepseek-reasoner, 64K; contract-invariants 2.1): the canonical bound.
V31_MAX_OUTPUT = 65536


def op(path: str, *tokens: str | int) -> str:
    """A pointer inside the POST operation of `path`."""
    return pointer("paths", path, "post", *tokens)


def prop(base: str, *names: str) -> str:
    """A pointer to nested properties: prop(REQUEST, "thinking", "type")."""
    return base + "".join(pointer("properties", name) for name in names)


def relocations(path: str, *, chunk_source: str | None = None) -> list[Relocation]:
    """Move the inline request / 200 JSON schemas (and a chunk schema, if any) into components."""
    moved = [
        Relocation(op(path, "requestBody", "content", "application/json", "schema"), "ChatCompletionRequest"),
        Relocation(op(path, "responses", "200", "content", "application/json", "schema"), "ChatCompletion"),
    ]
    if chunk_source is not None:
        moved.append(Relocation(chunk_source, "ChatCompletionChunk"))
    return moved


def body_required_fix(path: str, cite: str) -> Fix:
    """Mark the request body required (without it, generators send body-less requests)."""
    return Fix(
        op(path, "requestBody", "required"),
        True,
        "constraint",
        "requestBody.required defaults to false, so tools generate requests with no body; a chat completion "
        "without a body is not a request (model and messages are required).",
        cite=cite,
    )


def messages_min_items_fix() -> Fix:
    """`messages` gets `minItems: 1`: no source bounds it, and an empty list passes every raw document."""
    return Fix(
        prop(REQUEST, "messages") + "/minItems",
        1,
        "constraint",
        "An empty conversation has nothing to answer; every provider rejects messages: [] "
        "(schemathesis-baseline 2.2: ST202 on every raw spec).",
        cite="canonical",
        assumption=True,
    )


def max_tokens_bound_fixes() -> list[Fix]:
    """`max_tokens` between 1 and the largest V3.1 output, for documents that state neither bound."""
    return [
        Fix(
            prop(REQUEST, "max_tokens") + "/minimum",
            1,
            "constraint",
            "A completion of at most 0 tokens is not a request; providers reject max_tokens < 1.",
            cite="seed-004 max_tokens minimum 1",
            assumption=True,
        ),
        Fix(
            prop(REQUEST, "max_tokens") + "/maximum",
            V31_MAX_OUTPUT,
            "constraint",
            "The document states no upper bound; the canonical bound (64K, the largest V3.1 output) applies.",
            cite="deepseek-docs quick_start/pricing (V3.1: deepseek-reasoner MAXIMUM 64K)",
            assumption=True,
        ),
    ]


def version_fix() -> Fix:
    return Fix(
        "/openapi",
        "3.1.0",
        "openapi-version",
        "Normalized documents are OpenAPI 3.1 (JSON Schema 2020-12: type arrays instead of nullable).",
    )


def header_parameter_fixes(path: str, parameters: list[dict[str, Any]], source: str) -> list[Fix]:
    """Remove Content-Type/Accept/Authorization (and doc-tool) header parameters."""
    reasons = {
        "content-type": "OpenAPI: a header parameter named Content-Type SHALL be ignored; the requestBody media "
        "type says it. schemathesis still acts on it.",
        "accept": "OpenAPI: a header parameter named Accept SHALL be ignored. Marked required with example "
        "application/json, it contradicts text/event-stream answers to stream: true; schemathesis reported "
        "ST203 on it (schemathesis-baseline 2.2).",
        "authorization": "OpenAPI: a header parameter named Authorization SHALL be ignored; the bearer security "
        "scheme states auth (this one also said it was optional).",
        "x-forwarded-host": "Leaked from the documentation tool's proxy (example localhost:5173); not part of the API.",
    }
    fixes = []
    for index, parameter in enumerate(parameters):
        name = str(parameter.get("name", "")).lower()
        if parameter.get("in") == "header" and name in reasons:
            category = "doc-tool-leakage" if name == "x-forwarded-host" else "header-parameter"
            fixes.append(Fix(op(path, "parameters", index), ABSENT, category, reasons[name], cite=source))
    return fixes


def request_dependencies(*, top_logprobs: bool) -> list[dict[str, Any]]:
    """The canonical cross-field rules, for the fields this vendor documents."""
    rules = canonical_schemas()["ChatCompletionRequest"]["allOf"]
    return [rule for rule in rules if top_logprobs or "top_logprobs" not in rule["description"]]


def streaming_fix(
    path: str, reason: str, *, assumption: bool, source_pointer: str | None = None, extra: dict[str, Any] | None = None
) -> Fix:
    """Declare the text/event-stream 200 response (one event = a chunk or [DONE]); `extra` adds media keys."""
    return Fix(
        op(path, "responses", "200", "content", "text/event-stream"),
        {**sse_media(), **(extra or {})},
        "pseudo-status" if source_pointer else "streaming",
        reason,
        cite="schemathesis-baseline 5 (SSE with a normalized spec)",
        assumption=assumption,
        source_pointer=source_pointer,
    )


def error_fixes(path: str) -> list[Fix]:
    """Declare DeepSeek's error statuses with the {"error": {...}} envelope."""
    return [
        Fix(
            op(path, "responses", status),
            response,
            "error-responses",
            "The document declares no error responses, so every rejection is an undocumented status. "
            "DeepSeek's error codes and the observed envelope apply.",
            cite="deepseek-docs quick_start/error_codes; contract-invariants 2.1 (Error codes)",
            assumption=True,
        )
        for status, response in error_responses().items()
    ]


def nullable_ref(name: str) -> dict[str, Any]:
    """`{anyOf: [$ref name, null]}`."""
    return {"anyOf": [ref(name), {"type": "null"}]}


def nullable_type(cite: str, name: str, json_type: str, *, was: str | None = None) -> list[Fix]:
    """Request property `name`: `type: X, nullable: true` (3.0) -> `type: [X, null]`; `was` names a wrong type."""
    reason = "OpenAPI 3.1 has no `nullable` (strict 2020-12 tools reject null); the null goes into the type array."
    category = "nullable"
    if was is not None:
        reason = f"Typed {was}, but the parameter takes floats such as 0.5 and 0.9. " + reason
        category = "integer-number"
    return [
        Fix(prop(REQUEST, name) + "/type", [json_type, "null"], category, reason, cite=cite),
        Fix(prop(REQUEST, name) + "/nullable", ABSENT, "nullable", reason, cite=cite),
    ]
