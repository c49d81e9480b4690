"""Seed 002: apidog export of DeepSeek's own API reference (server api.deepseek.com, path /chat/completions)."""

from __future__ import annotations

from typing import Any

from ._components import ref
from ._fixes import Fix, Relocation
from ._pointer import ABSENT, pointer, resolve
from ._vendor_common import (
    CHUNK,
    REQUEST,
    RESPONSE,
    V31_MAX_OUTPUT,
    body_required_fix,
    error_fixes,
    messages_min_items_fix,
    nullable_ref,
    nullable_type,
    op,
    prop,
    relocations,
    request_dependencies,
    streaming_fix,
    version_fix,
)

__all__ = ["deepseek_fixes"]

_PATH = "/chat/completions"
_STREAMING = op(_PATH, "responses", "x-200:Streaming")
_SEED = "seed-002"
_RANGES = "seed-004 (an OpenAPI file for the same API) states this range"


def _bound(name: str, keyword: str, value: float, cite: str = _RANGES, *, assumption: bool = False) -> Fix:
    return Fix(
        prop(REQUEST, name) + "/" + keyword,
        value,
        "constraint",
        f"The document states no bound; {keyword} {value} keeps generated values inside the canonical contract.",
        cite=cite,
        assumption=assumption,
    )


def _request_fixes() -> list[Fix]:
    empty_oneof = "A oneOf of identical empty objects: every value matches all of them, so oneOf rejects everything."
    return [
        Fix(
            prop(REQUEST, "messages") + "/items",
            ref("ChatCompletionMessage"),
            "empty-oneof",
            "messages.items is a oneOf of three identical empty objects, so every non-empty messages array is "
            "invalid and only [] validates (schemathesis-baseline 2.2). The three variants' shapes were lost in "
            "the export; the canonical system/user/assistant/tool messages stand in (DeepSeek documents function "
            "calling, hence tool messages).",
            cite="canonical; deepseek-docs guides/function_calling",
            assumption=True,
        ),
        messages_min_items_fix(),
        Fix(
            prop(REQUEST, "model") + "/minLength",
            1,
            "constraint",
            "An empty model id names no model.",
            cite="canonical",
            assumption=True,
        ),
        *nullable_type(_SEED, "frequency_penalty", "number", was="integer"),
        _bound("frequency_penalty", "minimum", -2),
        _bound("frequency_penalty", "maximum", 2),
        *nullable_type(_SEED, "max_tokens", "integer"),
        _bound("max_tokens", "minimum", 1),
        _bound(
            "max_tokens",
            "maximum",
            V31_MAX_OUTPUT,
            "deepseek-docs quick_start/pricing (V3.1 MAXIMUM 64K)",
            assumption=True,
        ),
        *nullable_type(_SEED, "presence_penalty", "number"),
        _bound("presence_penalty", "minimum", -2),
        _bound("presence_penalty", "maximum", 2),
        Fix(
            prop(REQUEST, "response_format") + "/type",
            ["object", "null"],
            "nullable",
            "OpenAPI 3.1 has no `nullable`; the null goes into the type array.",
            cite=_SEED,
        ),
        Fix(
            prop(REQUEST, "response_format") + "/nullable",
            ABSENT,
            "nullable",
            "OpenAPI 3.1 has no `nullable`.",
            cite=_SEED,
        ),
        Fix(
            prop(REQUEST, "response_format", "type") + "/enum",
            ["text", "json_object"],
            "constraint",
            "The example sends type text; DeepSeek's JSON Output guide adds json_object. No other value exists.",
            cite="deepseek-docs guides/json_mode",
        ),
        Fix(
            prop(REQUEST, "stop"),
            {
                "type": ["string", "array", "null"],
                "description": "A stop sequence, or up to 16 of them.",
                "items": {"type": "string"},
                "maxItems": 16,
            },
            "empty-oneof",
            f"{empty_oneof} stop is a string or an array of strings (null in the document's examples).",
            cite="openai-openapi CreateChatCompletionRequest.stop; canonical",
        ),
        *nullable_type(_SEED, "stream", "boolean"),
        Fix(
            prop(REQUEST, "stream_options"),
            {"anyOf": [ref("StreamOptions"), {"type": "null"}]},
            "nullable",
            "Empty `properties` and 3.0 `nullable`: the one documented option, include_usage, was lost.",
            cite="canonical (seeds 000/001 document include_usage)",
        ),
        *nullable_type(_SEED, "temperature", "number"),
        _bound("temperature", "minimum", 0),
        _bound("temperature", "maximum", 2),
        *nullable_type(_SEED, "top_p", "number", was="integer"),
        Fix(
            prop(REQUEST, "top_p") + "/exclusiveMinimum",
            0,
            "constraint",
            "A nucleus of probability mass 0 is empty; vLLM validates top_p in (0, 1].",
            cite="canonical",
        ),
        _bound("top_p", "maximum", 1),
        Fix(
            prop(REQUEST, "tools"),
            {"anyOf": [{"type": "array", "maxItems": 128, "items": ref("ChatCompletionTool")}, {"type": "null"}]},
            "null-type",
            "type 'null' is not an OpenAPI 3.0 type and lets tools be only null; tools is an array of function "
            "tools (DeepSeek documents function calling).",
            cite="deepseek-docs guides/function_calling; canonical",
        ),
        Fix(
            prop(REQUEST, "tool_choice"),
            nullable_ref("ChatCompletionToolChoice"),
            "empty-oneof",
            f"{empty_oneof} The document's own examples send tool_choice: none, a string.",
            cite="openai-openapi ChatCompletionToolChoiceOption; canonical",
        ),
        *nullable_type(_SEED, "logprobs", "boolean"),
        *nullable_type(_SEED, "top_logprobs", "integer"),
        _bound("top_logprobs", "minimum", 0),
        _bound("top_logprobs", "maximum", 20),
        Fix(
            REQUEST + "/allOf",
            request_dependencies(top_logprobs=True),
            "dependency",
            "stream_options needs stream: true and top_logprobs needs logprobs: true; the document states neither.",
            cite="seed-000 stream_options; seed-004 top_logprobs ('Requires logprobs to be true')",
        ),
    ]


def _response_fixes() -> list[Fix]:
    choice = prop(RESPONSE, "choices") + "/items/properties"
    message = choice + "/message"
    logprob_item = choice + "/logprobs/properties/content/items/properties"
    return [
        Fix(
            message + "/required",
            ["content", "role"],
            "required-relaxed",
            "reasoning_content and tool_calls were required in every message, yet they exist only in thinking "
            "mode / tool-call replies, and the document's own example omits both.",
            cite="seed-002 responses/200 example",
        ),
        Fix(
            message + "/properties/content/type",
            ["string", "null"],
            "dialect",
            "content is null when the reply is tool calls only.",
            cite="openai-openapi ChatCompletionResponseMessage",
        ),
        Fix(
            message + "/properties/reasoning_content/type",
            ["string", "null"],
            "dialect",
            "reasoning_content is null outside thinking mode.",
            cite="contract-invariants 2.1",
        ),
        Fix(
            choice + "/logprobs/type",
            ["object", "null"],
            "dialect",
            "logprobs is null unless requested (a real DeepSeek answer failed the object type).",
            cite="schemathesis-baseline 2.4",
        ),
        Fix(
            logprob_item + "/logprob/type",
            "number",
            "integer-number",
            "Log probabilities are floats (-0.25 failed the integer type).",
            cite="openai-openapi ChatCompletionTokenLogprob",
        ),
        Fix(
            logprob_item + "/top_logprobs/items/properties/logprob/type",
            "number",
            "integer-number",
            "Log probabilities are floats.",
            cite="openai-openapi ChatCompletionTokenLogprob",
        ),
        Fix(
            prop(RESPONSE, "usage") + "/required",
            [
                "completion_tokens",
                "prompt_tokens",
                "total_tokens",
                "prompt_cache_hit_tokens",
                "prompt_cache_miss_tokens",
            ],
            "required-relaxed",
            "completion_tokens_details (reasoning_tokens) was required in every usage, yet only thinking-mode "
            "answers carry reasoning tokens; the document's own examples omit it.",
            cite="seed-002 responses/200 example; x-200:Streaming example",
        ),
        Fix(
            op(_PATH, "responses", "200", "content", "application/json", "example"),
            ABSENT,
            "invalid-example",
            "The example (2024-01) predates fields the schema requires: it has no system_fingerprint and no "
            "prompt_cache_hit_tokens/prompt_cache_miss_tokens, so it fails its own schema.",
            cite=_SEED,
        ),
    ]


def _chunk_fixes() -> list[Fix]:
    choice = prop(CHUNK, "choices") + "/items/properties"
    return [
        Fix(
            choice + "/delta/required",
            ABSENT,
            "required-relaxed",
            "delta required content and role, yet the document's own final chunk sends role: null, and role "
            "belongs only on the first delta (reasoning deltas carry content: null).",
            cite="seed-002 x-200:Streaming example (last chunk)",
        ),
        Fix(
            choice + "/delta/properties/content/type",
            ["string", "null"],
            "dialect",
            "Reasoning and tool-call deltas carry content: null.",
            cite="contract-invariants 2.1",
        ),
        Fix(
            choice + "/delta/properties/role/type",
            ["string", "null"],
            "dialect",
            "The document's own final chunk sends role: null.",
            cite="seed-002 x-200:Streaming example",
        ),
        Fix(
            choice + "/finish_reason/type",
            ["string", "null"],
            "null-type",
            "type 'null' is not an OpenAPI 3.0 type, and the final chunk's finish_reason is 'stop'.",
            cite="seed-002 x-200:Streaming example",
        ),
        Fix(
            choice + "/logprobs",
            nullable_ref("ChoiceLogprobs"),
            "null-type",
            "type 'null' is not an OpenAPI 3.0 type; logprobs is null or a logprobs object.",
            cite="openai-openapi CreateChatCompletionStreamResponse",
        ),
        Fix(
            prop(CHUNK, "usage"),
            nullable_ref("CompletionUsage"),
            "null-type",
            "type 'null' is not an OpenAPI 3.0 type, and the final chunk carries a usage object.",
            cite="seed-002 x-200:Streaming example",
        ),
        Fix(
            CHUNK + "/required",
            ["id", "choices", "created", "model", "system_fingerprint", "object"],
            "required-relaxed",
            "usage was required on every chunk; the document's own example omits it after the first chunk.",
            cite="seed-002 x-200:Streaming example",
        ),
    ]


def _security_fixes() -> list[Fix]:
    return [
        Fix(
            "/components/securitySchemes/bearer/type",
            "http",
            "security",
            "`type: bearer` matches no security scheme type; a bearer token is `type: http, scheme: bearer`.",
            cite="OpenAPI 3.1 Security Scheme Object",
        ),
        Fix(
            "/security/0/x-apidog",
            ABSENT,
            "security",
            "A vendor object inside a Security Requirement (openapi-spec-validator: 'is not of type array').",
            cite=_SEED,
        ),
        Fix(
            op(_PATH, "security"),
            ABSENT,
            "security",
            "`security: []` on the operation documents auth as not required, while the global requirement's own "
            "x-apidog block says required: true and DeepSeek rejects keyless requests with 401.",
            cite="seed-002 security/0/x-apidog/required; deepseek-docs error_codes (401)",
        ),
    ]


def deepseek_fixes(raw_document: dict[str, Any]) -> tuple[list[Relocation], list[Fix]]:
    """Relocations and fixes for seed 002."""
    chunk_source = _STREAMING + pointer("content", "application/json", "schema")
    fixes = [
        version_fix(),
        body_required_fix(_PATH, _SEED),
        *_request_fixes(),
        *_response_fixes(),
        *_chunk_fixes(),
        streaming_fix(
            _PATH,
            "The stream was filed under the key x-200:Streaming, a vendor extension no tool treats as a status, "
            "with media type application/json. It is the 200 response's text/event-stream; its chunk schema is "
            "ChatCompletionChunk. The raw SSE text the export filed as its application/json example (events "
            "separated by CRLF CRLF, role on every delta) is kept verbatim as x-sse-example, not as an `example`, "
            "because the schema describes one event.",
            assumption=False,
            source_pointer=_STREAMING,
            extra={
                "x-sse-example": resolve(raw_document, _STREAMING + pointer("content", "application/json", "example"))
            },
        ),
        *_security_fixes(),
        *error_fixes(_PATH),
    ]
    return relocations(_PATH, chunk_source=chunk_source), fixes
