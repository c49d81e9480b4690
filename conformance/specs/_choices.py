"""Where the five documents disagree: the canonical choice, why, and what each source says.

A source locator is either a JSON pointer into the seed's OpenAPI document (the normalizer turns
it into `file:line`; a test checks that it resolves) or `L<n>` lines of a prose seed.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CHOICES", "Choice", "Cite"]

_REQ = {
    "000": "/paths/~1v1~1chat~1completions/post/requestBody/content/application~1json/schema/properties",
    "002": "/paths/~1chat~1completions/post/requestBody/content/application~1json/schema/properties",
    "004": "/paths/~1chat~1completions/post/requestBody/content/application~1json/schema/properties",
}
_RESP = {
    "000": "/paths/~1v1~1chat~1completions/post/responses/200/content/application~1json/schema",
    "002": "/paths/~1chat~1completions/post/responses/200/content/application~1json/schema",
    "004": "/paths/~1chat~1completions/post/responses/200/content/application~1json/schema",
}
_CHUNK_002 = "/paths/~1chat~1completions/post/responses/x-200:Streaming/content/application~1json/schema"
_R = "/components/schemas/ChatCompletionRequest/properties"


@dataclass(frozen=True, slots=True)
class Cite:
    """What one source says: `doc` is a SOURCE_DOCS key, `locator` a pointer (seeds) or `L<n>` (prose)."""

    doc: str
    locator: str
    says: str


@dataclass(frozen=True, slots=True)
class Choice:
    """One decision of the canonical contract."""

    id: str
    pointer: str  # where canonical.yaml states it
    choice: str
    reason: str
    sources: tuple[Cite, ...]


CHOICES: tuple[Choice, ...] = (
    Choice(
        "path",
        "/paths/~1v1~1chat~1completions",
        "/v1/chat/completions",
        "DeepSeek serves both https://api.deepseek.com and https://api.deepseek.com/v1 ('the v1 here has NO "
        "relationship with the model's version'); three of five sources use /v1. A provider's profile sets its path.",
        (
            Cite("seed-000", "/paths/~1v1~1chat~1completions", "/v1/chat/completions"),
            Cite("seed-001", "L5", "POST https://www.kkiai.com/v1/chat/completions"),
            Cite("seed-002", "/paths/~1chat~1completions", "/chat/completions"),
            Cite("seed-003", "L10", "https://api.example.com/v1/chat/completions"),
            Cite("seed-004", "/paths/~1chat~1completions", "/chat/completions"),
        ),
    ),
    Choice(
        "model",
        f"{_R}/model",
        "string, minLength 1, no enum",
        "Model ids differ by host (Ark-style versioned ids, DeepSeek aliases, deepseek-coder); an enum would reject "
        "legitimate hosts. Ids are profile data (models).",
        (
            Cite(
                "seed-000",
                "/paths/~1v1~1chat~1completions/post/requestBody/content/application~1json/example/model",
                "example deepseek-v3-1-250821",
            ),
            Cite("seed-001", "L42", "example deepseek-v3-1-250821"),
            Cite("seed-003", "L40", "'Use deepseek-chat or deepseek-reasoner'; L111-L113 also list deepseek-coder"),
            Cite("seed-004", f"{_REQ['004']}/model/enum", "enum [deepseek-chat, deepseek-reasoner]"),
        ),
    ),
    Choice(
        "temperature",
        f"{_R}/temperature",
        "number or null, 0..2, default 1",
        "Integer typing is an export defect (the text says 'between 0 and 2' with 0.8/0.2 as examples; seed 001's "
        "example sends 1.0). The range is stated by 000/001/003 and bounded above by 004; null comes from 002/004.",
        (
            Cite("seed-000", f"{_REQ['000']}/temperature/type", "integer, 'between 0 and 2'"),
            Cite("seed-001", "L31", "integer, 'between 0 and 2'; L54 example 1.0"),
            Cite("seed-002", f"{_REQ['002']}/temperature", "number, nullable, no range"),
            Cite("seed-003", "L48-L51", "number, default 1, 'between 0 and 2'"),
            Cite("seed-004", f"{_REQ['004']}/temperature/maximum", "number, nullable, maximum 2, default 1"),
        ),
    ),
    Choice(
        "top_p",
        f"{_R}/top_p",
        "number or null, exclusiveMinimum 0, maximum 1, default 1",
        "002 types it integer (export defect: 0.9 is rejected); 004 gives maximum 1 only. The lower bound is "
        "exclusive because a nucleus of mass 0 is empty and vLLM validates (0, 1]; the OpenAI schema allows 0.",
        (
            Cite("seed-002", f"{_REQ['002']}/top_p/type", "integer, nullable"),
            Cite("seed-004", f"{_REQ['004']}/top_p/maximum", "number, nullable, maximum 1, default 1"),
            Cite("openai-openapi", "CreateChatCompletionRequest.top_p", "minimum 0, maximum 1"),
        ),
    ),
    Choice(
        "penalties",
        f"{_R}/frequency_penalty",
        "frequency_penalty and presence_penalty: number or null, -2..2, default 0",
        "004 states the range; 002 types frequency_penalty integer (export defect).",
        (
            Cite("seed-002", f"{_REQ['002']}/frequency_penalty/type", "frequency_penalty integer"),
            Cite("seed-004", f"{_REQ['004']}/frequency_penalty", "number, -2..2, default 0"),
        ),
    ),
    Choice(
        "max_tokens",
        f"{_R}/max_tokens",
        "integer or null, 1..65536, no default",
        "004's 1..8192 (default 4096) is the pre-V3.1 / deepseek-chat limit; V3.1's deepseek-reasoner allows 64K "
        "output. Per-model limits are profile data (limits.max_tokens).",
        (
            Cite("seed-000", f"{_REQ['000']}/max_tokens", "integer, no bounds"),
            Cite("seed-004", f"{_REQ['004']}/max_tokens/maximum", "minimum 1, maximum 8192, default 4096"),
            Cite("deepseek-docs", "quick_start/pricing", "V3.1: deepseek-chat max 8K, deepseek-reasoner max 64K"),
        ),
    ),
    Choice(
        "thinking",
        "/components/schemas/ThinkingConfig",
        "{type: enabled | disabled | auto (required), budget_tokens: integer 128..8192}",
        "The union of what the sources name: auto comes from 000/001, budget_tokens from 003 only. DeepSeek's own "
        "documents (002/004) have no thinking field: V3.1 switches thinking by model name. Whether thinking is on by "
        "default is unsettled (000 says enabled by default) and is profile data (thinking.default_on).",
        (
            Cite(
                "seed-000",
                f"{_REQ['000']}/thinking/properties/type/description",
                "enabled (by default) | disabled | auto",
            ),
            Cite("seed-001", "L36", "same as 000"),
            Cite("seed-003", "L106-L107", "type enabled or disabled; budget_tokens 128-8192"),
            Cite("seed-002", _REQ["002"], "no thinking field"),
            Cite("seed-004", _REQ["004"], "no thinking field"),
        ),
    ),
    Choice(
        "messages",
        "/components/schemas/ChatCompletionMessage",
        "minItems 1; oneOf system | user | assistant (string content, or tool_calls with content null) | tool "
        "(tool_call_id)",
        "No source has minItems, yet every provider rejects messages: []. 004's role enum lacks tool and 000/001 "
        "give none; the tool role is needed for the function calling 002/004 document (tools, tool_choice).",
        (
            Cite("seed-000", f"{_REQ['000']}/messages/items", "role string, content string, both required"),
            Cite("seed-002", f"{_REQ['002']}/messages/items/oneOf", "oneOf of three empty objects (lost in export)"),
            Cite("seed-004", f"{_REQ['004']}/messages/items/properties/role/enum", "system, user, assistant"),
        ),
    ),
    Choice(
        "stop",
        f"{_R}/stop",
        "string, array of up to 16 strings, or null",
        "002's oneOf of two identical objects and 004's `type: object` are export defects; the OpenAI contract and "
        "DeepSeek's API reference take a string or up to 16 strings.",
        (
            Cite("seed-002", f"{_REQ['002']}/stop/oneOf", "oneOf of two identical nullable objects"),
            Cite("seed-004", f"{_REQ['004']}/stop/type", "type object, nullable"),
        ),
    ),
    Choice(
        "tools",
        f"{_R}/tools",
        "array (max 128) of {type: function, function: {name, description, parameters, strict}} or null; "
        "tool_choice none | auto | required | {type: function, function: {name}} or null",
        "002 types tools 'null' and tool_choice as a oneOf of empty objects; 004 uses bare objects. The OpenAI "
        "shapes are what DeepSeek's function-calling guide uses.",
        (
            Cite("seed-002", f"{_REQ['002']}/tools/type", "'null'"),
            Cite("seed-002", f"{_REQ['002']}/tool_choice/oneOf", "oneOf of two empty objects"),
            Cite("seed-004", f"{_REQ['004']}/tools/items", "bare object"),
            Cite("seed-004", f"{_REQ['004']}/tool_choice/type", "object"),
        ),
    ),
    Choice(
        "response_format",
        "/components/schemas/ResponseFormat",
        "{type: text | json_object} or null",
        "002/004 give type as a free string; DeepSeek's JSON Output guide documents json_object, the examples text.",
        (
            Cite("seed-002", f"{_REQ['002']}/response_format/properties/type", "string, required"),
            Cite("seed-004", f"{_REQ['004']}/response_format/properties/type/description", "'e.g., text'"),
        ),
    ),
    Choice(
        "logprobs",
        f"{_R}/top_logprobs",
        "logprobs boolean or null; top_logprobs integer 0..20 or null, and only with logprobs: true",
        "004 states maximum 20 and 'Requires logprobs to be true'; the minimum 0 is the OpenAI bound.",
        (
            Cite("seed-004", f"{_REQ['004']}/top_logprobs/description", "maximum 20; requires logprobs"),
            Cite("seed-002", f"{_REQ['002']}/top_logprobs", "integer, nullable, no bounds"),
        ),
    ),
    Choice(
        "stream_options",
        f"{_R}/stream_options",
        "{include_usage: boolean} or null, and only with stream: true",
        "000/001: 'can only be set when the stream parameter is true'. Where the usage chunk goes differs (000/001: a "
        "separate chunk with empty choices; 002's example: on the finish chunk) and is profile data "
        "(usage.placement); the chunk schema accepts both.",
        (
            Cite("seed-000", f"{_REQ['000']}/stream_options/description", "only with stream: true"),
            Cite("seed-001", "L33-L34", "same, and the usage chunk has empty choices"),
            Cite("seed-002", f"{_REQ['002']}/stream_options/properties", "empty properties"),
        ),
    ),
    Choice(
        "response-required",
        "/components/schemas/ChatCompletion/required",
        "id, object, created, model, choices (usage and system_fingerprint optional)",
        "model is required by 002/004 and OpenAI and present in 003's example; 000/001 omit it from their schema "
        "(under-specification, not a dialect). system_fingerprint is required by 002/004 but absent from the "
        "001/003 examples: its presence is profile data (SCHEMA-012). usage is required by 000/001/002, not 004: "
        "its presence is profile data (USAGE-009).",
        (
            Cite("seed-000", f"{_RESP['000']}/required", "id, object, created, choices, usage"),
            Cite(
                "seed-002", f"{_RESP['002']}/required", "id, choices, created, model, object, usage, system_fingerprint"
            ),
            Cite("seed-004", f"{_RESP['004']}/required", "id, choices, created, model, system_fingerprint, object"),
        ),
    ),
    Choice(
        "reasoning-field",
        "/components/schemas/ChatCompletionChunkDelta/properties",
        "both reasoning_content and reasoning are accepted (string or null), in messages and deltas",
        "002/003 use reasoning_content; vLLM (after 2025-10) and OpenRouter use reasoning. Which one a provider uses "
        "is profile data (reasoning_field), judged by REASON-004.",
        (
            Cite(
                "seed-002",
                f"{_RESP['002']}/properties/choices/items/properties/message/properties/reasoning_content",
                "message.reasoning_content",
            ),
            Cite("seed-003", "L90", "message.reasoning_content"),
        ),
    ),
    Choice(
        "reasoning-tokens",
        "/components/schemas/CompletionUsage/properties",
        "completion_tokens_details.reasoning_tokens and a top-level reasoning_tokens are both accepted",
        "002 (and OpenAI) nest it; 003's example puts it at the top of usage. The path a provider uses is profile "
        "data (usage.reasoning_tokens).",
        (
            Cite(
                "seed-002",
                f"{_RESP['002']}/properties/usage/properties/completion_tokens_details",
                "completion_tokens_details.reasoning_tokens",
            ),
            Cite("seed-003", "L98", "usage.reasoning_tokens"),
        ),
    ),
    Choice(
        "chunk-leniency",
        "/components/schemas/ChatCompletionChunkDelta",
        "no delta field is required; role is assistant or null; content and reasoning fields null or string; usage "
        "null, absent or an object; finish_reason null or any string",
        "002's chunk schema required content and role on every delta and typed finish_reason/usage as null; its own "
        "example contradicts all of these. Role repetition and finish_reason values are profile data "
        "(role_on_every_delta, finish_reasons), judged by ORDER-005 and SCHEMA-006.",
        (
            Cite("seed-002", f"{_CHUNK_002}/properties/choices/items/properties/delta/required", "content, role"),
            Cite("seed-002", f"{_CHUNK_002}/properties/choices/items/properties/finish_reason/type", "'null'"),
            Cite("seed-002", f"{_CHUNK_002}/properties/usage/type", "'null'"),
        ),
    ),
    Choice(
        "logprob-type",
        "/components/schemas/TokenLogprob/properties/logprob",
        "number",
        "002 types logprob integer (export defect); log probabilities are floats.",
        (
            Cite(
                "seed-002",
                f"{_RESP['002']}/properties/choices/items/properties/logprobs/properties/content/items/"
                "properties/logprob/type",
                "integer",
            ),
        ),
    ),
    Choice(
        "extra-fields",
        "/components/schemas/ChatCompletionRequest",
        "additionalProperties is never false, in requests and responses",
        "Providers add fields (reasoning_content, prompt_cache_*) and clients send vendor fields (thinking); no source "
        "closes an object.",
        (Cite("openai-openapi", "CreateChatCompletionRequest", "objects are open"),),
    ),
    Choice(
        "errors",
        "/paths/~1v1~1chat~1completions/post/responses/400",
        "400, 401, 402, 422, 429, 500, 503, each with {error: {message (required), type, param, code}}",
        "No seed documents errors. The statuses are DeepSeek's error-code table; the envelope is the one DeepSeek and "
        "OpenAI return.",
        (Cite("deepseek-docs", "quick_start/error_codes", "400/401/402/422/429/500/503"),),
    ),
    Choice(
        "auth",
        "/components/securitySchemes/bearer",
        "http bearer, required",
        "000/001/003 document Authorization: Bearer; 002's scheme is malformed (type bearer) and its operation says "
        "security: []; 004 documents none. Real hosts require a key (auth_required is profile data).",
        (
            Cite("seed-000", "/components/securitySchemes/bearer", "http bearer"),
            Cite("seed-002", "/components/securitySchemes/bearer/type", "bearer (invalid)"),
            Cite("seed-003", "L32-L33", "'All requests require a Bearer token'"),
            Cite("seed-004", "/paths", "no security"),
        ),
    ),
)
