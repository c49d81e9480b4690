"""Seed 004: an OpenAPI 3.1 file (api-evangelist's deepseek-chat-completion-api-openapi.yml) for api.deepseek.com."""

from __future__ import annotations

from ._canonical import bearer_scheme
from ._components import ref
from ._fixes import Fix, Relocation
from ._pointer import ABSENT
from ._vendor_common import (
    REQUEST,
    RESPONSE,
    error_fixes,
    messages_min_items_fix,
    nullable_ref,
    nullable_type,
    prop,
    relocations,
    request_dependencies,
    streaming_fix,
)

__all__ = ["evangelist_fixes"]

_PATH = "/chat/completions"
_SEED = "seed-004"
_COMPATIBLE = "seed-004 info: 'Compatible with the OpenAI Chat Completions request and response shapes.'"


def _replace_nullable(name: str, schema: dict[str, object], category: str, reason: str, cite: str) -> Fix:
    return Fix(prop(REQUEST, name), schema, category, reason + " (Also drops 3.0 `nullable`.)", cite=cite)


def _request_fixes() -> list[Fix]:
    return [
        messages_min_items_fix(),
        *nullable_type(_SEED, "frequency_penalty", "number"),
        *nullable_type(_SEED, "max_tokens", "integer"),
        *nullable_type(_SEED, "presence_penalty", "number"),
        *nullable_type(_SEED, "response_format", "object"),
        Fix(
            prop(REQUEST, "response_format", "type") + "/enum",
            ["text", "json_object"],
            "constraint",
            "'The format of the response, e.g., text.' DeepSeek's JSON Output guide adds json_object.",
            cite="deepseek-docs guides/json_mode",
        ),
        Fix(
            prop(REQUEST, "response_format") + "/required",
            ["type"],
            "constraint",
            "A response_format without type selects no format; seed 002 (the same API) marks type required.",
            cite="seed-002 response_format.required",
            assumption=True,
        ),
        _replace_nullable(
            "stop",
            {
                "type": ["string", "array", "null"],
                "description": "Sequence where the model stops generating tokens.",
                "items": {"type": "string"},
                "maxItems": 16,
            },
            "underspecified",
            "Typed object; a stop value is a string or an array of up to 16 strings.",
            "openai-openapi CreateChatCompletionRequest.stop; canonical",
        ),
        *nullable_type(_SEED, "stream", "boolean"),
        _replace_nullable(
            "stream_options",
            {**nullable_ref("StreamOptions"), "description": "Options for streaming responses."},
            "underspecified",
            "A bare object; the one option is include_usage.",
            "canonical (seeds 000/001 document include_usage)",
        ),
        *nullable_type(_SEED, "temperature", "number"),
        Fix(
            prop(REQUEST, "temperature") + "/minimum",
            0,
            "constraint",
            "Only a maximum (2) is given, so -1 validates; sampling temperature is 0-2.",
            cite="seed-000 temperature ('between 0 and 2')",
        ),
        *nullable_type(_SEED, "top_p", "number"),
        Fix(
            prop(REQUEST, "top_p") + "/exclusiveMinimum",
            0,
            "constraint",
            "Only a maximum (1) is given; a nucleus of probability mass 0 is empty (vLLM validates (0, 1]).",
            cite="canonical",
        ),
        Fix(
            prop(REQUEST, "tools") + "/type",
            ["array", "null"],
            "nullable",
            "OpenAPI 3.1 has no `nullable`.",
            cite=_SEED,
        ),
        Fix(prop(REQUEST, "tools") + "/nullable", ABSENT, "nullable", "OpenAPI 3.1 has no `nullable`.", cite=_SEED),
        Fix(
            prop(REQUEST, "tools") + "/items",
            ref("ChatCompletionTool"),
            "underspecified",
            "Items are bare objects; a tool is {type: function, function: {name, description, parameters}}.",
            cite=_COMPATIBLE,
        ),
        Fix(
            prop(REQUEST, "tools") + "/maxItems",
            128,
            "constraint",
            "No bound is given, so 129 tools validate; the canonical contract (the OpenAI shape the document "
            "says it follows) caps tools at 128.",
            cite="openai-openapi CreateChatCompletionRequest.tools ('A max of 128 functions'); canonical",
            assumption=True,
        ),
        _replace_nullable(
            "tool_choice",
            {**nullable_ref("ChatCompletionToolChoice"), "description": "Configuration for tool selection."},
            "underspecified",
            "Typed object, yet tool_choice is usually the string none, auto or required.",
            "openai-openapi ChatCompletionToolChoiceOption; " + _COMPATIBLE,
        ),
        *nullable_type(_SEED, "logprobs", "boolean"),
        *nullable_type(_SEED, "top_logprobs", "integer"),
        Fix(
            prop(REQUEST, "top_logprobs") + "/minimum",
            0,
            "constraint",
            "Only a maximum (20) is given; a count is never negative.",
            cite="openai-openapi top_logprobs 0-20",
        ),
        Fix(
            REQUEST + "/allOf",
            request_dependencies(top_logprobs=True),
            "dependency",
            "top_logprobs 'Requires logprobs to be true' (its description); stream_options needs stream: true.",
            cite="seed-004 top_logprobs description; seed-000 stream_options",
        ),
    ]


def _response_fixes() -> list[Fix]:
    return [
        Fix(
            prop(RESPONSE, "choices") + "/items",
            ref("ChatCompletionChoice"),
            "underspecified",
            "choices.items is a bare object; the canonical (OpenAI-shaped) choice stands in.",
            cite=_COMPATIBLE,
        ),
        Fix(
            prop(RESPONSE, "usage"),
            ref("CompletionUsage"),
            "underspecified",
            "usage is a bare object; the canonical usage object stands in.",
            cite=_COMPATIBLE,
        ),
    ]


def _security_fixes() -> list[Fix]:
    reason = (
        "The document describes no authentication, yet api.deepseek.com answers keyless requests with 401; "
        "seed 002 documents a bearer scheme for the same server."
    )
    return [
        Fix(
            "/components/securitySchemes",
            {"bearer": bearer_scheme()},
            "security",
            reason,
            cite="seed-002 components/securitySchemes",
            assumption=True,
        ),
        Fix("/security", [{"bearer": []}], "security", reason, cite="seed-002 security", assumption=True),
    ]


def evangelist_fixes() -> tuple[list[Relocation], list[Fix]]:
    """Relocations and fixes for seed 004."""
    fixes = [
        *_request_fixes(),
        *_response_fixes(),
        streaming_fix(
            _PATH,
            "stream is documented ('Whether to stream responses as they are generated') but only application/json "
            "is declared; DeepSeek streams text/event-stream chunks ended by data: [DONE].",
            assumption=True,
        ),
        *_security_fixes(),
        *error_fixes(_PATH),
    ]
    return relocations(_PATH), fixes
