"""The canonical component schemas (JSON Schema 2020-12, as OpenAPI 3.1 uses it).

The request side is as strict as the sources agree on (so negative cases mean something); the
response side accepts every legitimate dialect (null content, role on the first delta only,
either reasoning field name, usage absent/null/object, extra fields). Choices where the sources
disagree are listed in `_choices.py`.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = [
    "ERROR_STATUSES",
    "canonical_schemas",
    "error_responses",
    "ref",
    "schema_closure",
    "sse_media",
]

Schema = dict[str, Any]

# DeepSeek error codes (contract-invariants 2.1, "Error codes"): every document declares these.
ERROR_STATUSES: dict[str, str] = {
    "400": "Invalid Format: the request body is malformed.",
    "401": "Authentication Fails: the API key is missing or wrong.",
    "402": "Insufficient Balance.",
    "422": "Invalid Parameters: a parameter is out of range or of the wrong type.",
    "429": "Rate Limit Reached.",
    "500": "Server Error.",
    "503": "Server Overloaded.",
}


def ref(name: str) -> Schema:
    """A `$ref` to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def _message_schemas() -> dict[str, Schema]:
    name = {"type": "string", "description": "An optional participant name."}
    return {
        "ChatCompletionMessage": {
            "description": "One input message; the role decides which fields apply.",
            "oneOf": [
                ref("SystemMessage"),
                ref("UserMessage"),
                ref("AssistantMessage"),
                ref("ToolMessage"),
            ],
        },
        "SystemMessage": {
            "type": "object",
            "required": ["role", "content"],
            "properties": {"role": {"const": "system"}, "content": {"type": "string"}, "name": name},
        },
        "UserMessage": {
            "type": "object",
            "required": ["role", "content"],
            "properties": {"role": {"const": "user"}, "content": {"type": "string"}, "name": name},
        },
        "AssistantMessage": {
            "type": "object",
            "description": "A previous assistant turn: text content, tool calls, or both.",
            "required": ["role"],
            "properties": {
                "role": {"const": "assistant"},
                "content": {"type": ["string", "null"]},
                "name": name,
                "tool_calls": {"type": "array", "minItems": 1, "items": ref("ToolCall")},
            },
            # content may be null only when the turn made tool calls
            "anyOf": [
                {"required": ["content"], "properties": {"content": {"type": "string"}}},
                {"required": ["tool_calls"]},
            ],
        },
        "ToolMessage": {
            "type": "object",
            "description": "The result of a tool call, answering the assistant's tool_calls[].id.",
            "required": ["role", "content", "tool_call_id"],
            "properties": {
                "role": {"const": "tool"},
                "content": {"type": "string"},
                "tool_call_id": {"type": "string", "minLength": 1},
            },
        },
    }


def _tool_schemas() -> dict[str, Schema]:
    return {
        "ChatCompletionTool": {
            "type": "object",
            "required": ["type", "function"],
            "properties": {"type": {"const": "function"}, "function": ref("FunctionObject")},
        },
        "FunctionObject": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "pattern": "^[a-zA-Z0-9_-]{1,64}$"},
                "description": {"type": "string"},
                "parameters": {
                    "type": "object",
                    "description": "The function's parameters as a JSON Schema object.",
                },
                "strict": {"type": "boolean"},
            },
        },
        "ChatCompletionToolChoice": {
            "description": "none, auto, required, or a named function.",
            "anyOf": [
                {"type": "string", "enum": ["none", "auto", "required"]},
                ref("NamedToolChoice"),
            ],
        },
        "NamedToolChoice": {
            "type": "object",
            "required": ["type", "function"],
            "properties": {
                "type": {"const": "function"},
                "function": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {"name": {"type": "string", "minLength": 1}},
                },
            },
        },
        "ToolCall": {
            "type": "object",
            "description": "A complete tool call (request history and non-stream responses).",
            "required": ["id", "type", "function"],
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "type": {"const": "function"},
                "function": {
                    "type": "object",
                    "required": ["name", "arguments"],
                    "properties": {
                        "name": {"type": "string"},
                        "arguments": {"type": "string", "description": "JSON text; may be invalid JSON."},
                    },
                },
            },
        },
    }


def _request_schemas() -> dict[str, Schema]:
    number = "number"
    return {
        "ChatCompletionRequest": {
            "type": "object",
            "description": "POST body of a chat completion. Unknown extra fields are allowed.",
            "required": ["model", "messages"],
            "properties": {
                "model": {"type": "string", "minLength": 1, "examples": ["deepseek-chat", "deepseek-reasoner"]},
                "messages": {"type": "array", "minItems": 1, "items": ref("ChatCompletionMessage")},
                "thinking": ref("ThinkingConfig"),
                "temperature": {"type": [number, "null"], "minimum": 0, "maximum": 2, "default": 1},
                "top_p": {"type": [number, "null"], "exclusiveMinimum": 0, "maximum": 1, "default": 1},
                "frequency_penalty": {"type": [number, "null"], "minimum": -2, "maximum": 2, "default": 0},
                "presence_penalty": {"type": [number, "null"], "minimum": -2, "maximum": 2, "default": 0},
                "max_tokens": {"type": ["integer", "null"], "minimum": 1, "maximum": 65536},
                "stop": {
                    "type": ["string", "array", "null"],
                    "description": "A stop sequence, or up to 16 of them.",
                    "items": {"type": "string"},
                    "maxItems": 16,
                },
                "stream": {"type": ["boolean", "null"], "default": False},
                "stream_options": _nullable(ref("StreamOptions")),
                "tools": _nullable({"type": "array", "maxItems": 128, "items": ref("ChatCompletionTool")}),
                "tool_choice": _nullable(ref("ChatCompletionToolChoice")),
                "response_format": _nullable(ref("ResponseFormat")),
                "logprobs": {"type": ["boolean", "null"], "default": False},
                "top_logprobs": {"type": ["integer", "null"], "minimum": 0, "maximum": 20},
            },
            "allOf": [
                {
                    "description": "stream_options may only be set when stream is true.",
                    "if": {"required": ["stream_options"], "properties": {"stream_options": {"type": "object"}}},
                    "then": {"required": ["stream"], "properties": {"stream": {"const": True}}},
                },
                {
                    "description": "top_logprobs requires logprobs: true.",
                    "if": {"required": ["top_logprobs"], "properties": {"top_logprobs": {"type": "integer"}}},
                    "then": {"required": ["logprobs"], "properties": {"logprobs": {"const": True}}},
                },
            ],
        },
        "ThinkingConfig": {
            "type": "object",
            "description": "Switches deep thinking; budget_tokens caps the reasoning length.",
            "required": ["type"],
            "properties": {
                "type": {"type": "string", "enum": ["enabled", "disabled", "auto"]},
                "budget_tokens": {"type": "integer", "minimum": 128, "maximum": 8192},
            },
        },
        "StreamOptions": {
            "type": "object",
            "properties": {
                "include_usage": {
                    "type": "boolean",
                    "description": "Stream one extra chunk with the usage of the whole request before [DONE].",
                }
            },
        },
        "ResponseFormat": {
            "type": "object",
            "required": ["type"],
            "properties": {"type": {"type": "string", "enum": ["text", "json_object"]}},
        },
    }


def _usage_and_logprob_schemas() -> dict[str, Schema]:
    count = {"type": "integer", "minimum": 0}
    return {
        "CompletionUsage": {
            "type": "object",
            "description": "Token counts. DeepSeek adds cache hit/miss counts; some hosts put reasoning_tokens "
            "at the top level.",
            "required": ["prompt_tokens", "completion_tokens", "total_tokens"],
            "properties": {
                "prompt_tokens": count,
                "completion_tokens": count,
                "total_tokens": count,
                "prompt_cache_hit_tokens": count,
                "prompt_cache_miss_tokens": count,
                "reasoning_tokens": count,
                "completion_tokens_details": _nullable({"type": "object", "properties": {"reasoning_tokens": count}}),
                "prompt_tokens_details": _nullable({"type": "object", "properties": {"cached_tokens": count}}),
            },
        },
        "ChoiceLogprobs": {
            "type": "object",
            "properties": {
                "content": _nullable({"type": "array", "items": ref("TokenLogprob")}),
                "refusal": _nullable({"type": "array", "items": ref("TokenLogprob")}),
            },
        },
        "TokenLogprob": {
            "type": "object",
            "required": ["token", "logprob"],
            "properties": {
                "token": {"type": "string"},
                "logprob": {"type": "number"},
                "bytes": _nullable({"type": "array", "items": {"type": "integer"}}),
                "top_logprobs": {"type": "array", "items": ref("TopLogprob")},
            },
        },
        "TopLogprob": {
            "type": "object",
            "required": ["token", "logprob"],
            "properties": {
                "token": {"type": "string"},
                "logprob": {"type": "number"},
                "bytes": _nullable({"type": "array", "items": {"type": "integer"}}),
            },
        },
    }


def _response_schemas() -> dict[str, Schema]:
    text = {"type": ["string", "null"]}
    return {
        "ChatCompletion": {
            "type": "object",
            "description": "A non-stream response (object chat.completion).",
            "required": ["id", "object", "created", "model", "choices"],
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "object": {"const": "chat.completion"},
                "created": {"type": "integer", "minimum": 0, "description": "Unix seconds."},
                "model": {"type": "string"},
                "system_fingerprint": text,
                "choices": {"type": "array", "items": ref("ChatCompletionChoice")},
                "usage": _nullable(ref("CompletionUsage")),
            },
        },
        "ChatCompletionChoice": {
            "type": "object",
            "required": ["index", "message", "finish_reason"],
            "properties": {
                "index": {"type": "integer", "minimum": 0},
                "message": ref("ChatCompletionResponseMessage"),
                "finish_reason": {"type": "string"},
                "logprobs": _nullable(ref("ChoiceLogprobs")),
            },
        },
        "ChatCompletionResponseMessage": {
            "type": "object",
            "required": ["role"],
            "properties": {
                "role": {"const": "assistant"},
                "content": text,
                "reasoning_content": text,
                "reasoning": text,
                "refusal": text,
                "tool_calls": _nullable({"type": "array", "items": ref("ToolCall")}),
            },
        },
        "ChatCompletionChunk": {
            "type": "object",
            "description": "One streamed chunk (object chat.completion.chunk).",
            "required": ["id", "object", "created", "model", "choices"],
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "object": {"const": "chat.completion.chunk"},
                "created": {"type": "integer", "minimum": 0, "description": "Unix seconds."},
                "model": {"type": "string"},
                "system_fingerprint": text,
                "choices": {"type": "array", "items": ref("ChatCompletionChunkChoice")},
                "usage": _nullable(ref("CompletionUsage")),
            },
        },
        "ChatCompletionChunkChoice": {
            "type": "object",
            "required": ["index", "delta", "finish_reason"],
            "properties": {
                "index": {"type": "integer", "minimum": 0},
                "delta": ref("ChatCompletionChunkDelta"),
                "finish_reason": text,
                "logprobs": _nullable(ref("ChoiceLogprobs")),
            },
        },
        "ChatCompletionChunkDelta": {
            "type": "object",
            "description": "Only the first delta of a choice needs role; every field may be absent.",
            "properties": {
                "role": {"type": ["string", "null"], "enum": ["assistant", None]},
                "content": text,
                "reasoning_content": text,
                "reasoning": text,
                "refusal": text,
                "tool_calls": _nullable({"type": "array", "items": ref("ToolCallDelta")}),
            },
        },
        "ToolCallDelta": {
            "type": "object",
            "description": "A fragment of a tool call; index ties the fragments together.",
            "required": ["index"],
            "properties": {
                "index": {"type": "integer", "minimum": 0},
                "id": text,
                "type": {"type": ["string", "null"], "enum": ["function", None]},
                "function": {
                    "type": "object",
                    "properties": {"name": text, "arguments": {"type": "string"}},
                },
            },
        },
        "ChatCompletionStreamEvent": {
            "type": "object",
            "description": "One server-sent event: a JSON chunk, or the literal [DONE] terminal.",
            "required": ["data"],
            "properties": {
                "data": {
                    "type": "string",
                    "if": {"const": "[DONE]"},
                    "else": {
                        "contentMediaType": "application/json",
                        "contentSchema": ref("ChatCompletionChunk"),
                    },
                }
            },
        },
        "ErrorResponse": {
            "type": "object",
            "description": 'The error envelope: {"error": {"message", "type", "param", "code"}}.',
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["message"],
                    "properties": {
                        "message": {"type": "string"},
                        "type": text,
                        "param": text,
                        "code": {"type": ["string", "integer", "null"]},
                    },
                }
            },
        },
    }


def canonical_schemas() -> dict[str, Schema]:
    """A fresh copy of every canonical component schema, by name."""
    schemas: dict[str, Schema] = {}
    for part in (_request_schemas, _message_schemas, _tool_schemas, _usage_and_logprob_schemas, _response_schemas):
        schemas.update(part())
    return copy.deepcopy(schemas)


def _refs(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        target = value.get("$ref")
        if isinstance(target, str) and target.startswith("#/components/schemas/"):
            found.add(target.rsplit("/", 1)[1])
        for child in value.values():
            found |= _refs(child)
    elif isinstance(value, list):
        for child in value:
            found |= _refs(child)
    return found


def schema_closure(schemas: dict[str, Schema], names: list[str]) -> list[str]:
    """`names` plus every component they reference, transitively, sorted."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        if name not in schemas:
            raise KeyError(f"component schema {name!r} is referenced but not defined")
        seen.add(name)
        todo.extend(_refs(schemas[name]) - seen)
    return sorted(seen)


def sse_media() -> dict[str, Any]:
    """The `text/event-stream` media type object: one event per `schema` (OpenAPI 3.1 style)."""
    return {"schema": ref("ChatCompletionStreamEvent")}


def error_responses() -> dict[str, Any]:
    """The 4xx/5xx responses every document declares, each with the ErrorResponse envelope."""
    return {
        status: {
            "description": text,
            "content": {"application/json": {"schema": ref("ErrorResponse")}},
        }
        for status, text in ERROR_STATUSES.items()
    }
