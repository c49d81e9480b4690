"""The canonical document: the merged DeepSeek V3.1 contract (specs/normalized/canonical.yaml)."""

from __future__ import annotations

from typing import Any

from ._components import canonical_schemas, error_responses, ref, sse_media

__all__ = ["CANONICAL_PATH", "CANONICAL_SERVER", "bearer_scheme", "build_canonical", "chat_operation"]

CANONICAL_PATH = "/v1/chat/completions"
CANONICAL_SERVER = "https://api.deepseek.com"


def bearer_scheme() -> dict[str, Any]:
    """The one auth style every source describes: `Authorization: Bearer <key>`."""
    return {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <API key>."}


def _examples() -> dict[str, Any]:
    user = {"role": "user", "content": "Say hello in five words."}
    return {
        "basic": {"summary": "Non-stream", "value": {"model": "deepseek-chat", "messages": [user]}},
        "stream_usage": {
            "summary": "Stream with a usage chunk",
            "value": {
                "model": "deepseek-chat",
                "messages": [user],
                "stream": True,
                "stream_options": {"include_usage": True},
            },
        },
        "thinking": {
            "summary": "Thinking with a budget",
            "value": {
                "model": "deepseek-reasoner",
                "messages": [{"role": "user", "content": "What is 17*23? Think step by step."}],
                "thinking": {"type": "enabled", "budget_tokens": 2048},
                "max_tokens": 4096,
            },
        },
        "tool_result": {
            "summary": "A follow-up turn with a tool result",
            "value": {
                "model": "deepseek-chat",
                "messages": [
                    {"role": "user", "content": "What's the weather in Hangzhou?"},
                    {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "call_0",
                                "type": "function",
                                "function": {"name": "get_weather", "arguments": '{"location": "Hangzhou"}'},
                            }
                        ],
                    },
                    {"role": "tool", "tool_call_id": "call_0", "content": "24 degrees, sunny"},
                ],
                "tools": [
                    {
                        "type": "function",
                        "function": {
                            "name": "get_weather",
                            "parameters": {
                                "type": "object",
                                "properties": {"location": {"type": "string"}},
                                "required": ["location"],
                            },
                        },
                    }
                ],
                "tool_choice": "auto",
            },
        },
    }


def chat_operation(
    *, summary: str, request_schema: dict[str, Any], examples: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The POST operation shared by every normalized document: JSON or SSE 200, enveloped errors."""
    media: dict[str, Any] = {"schema": request_schema}
    if examples:
        media["examples"] = examples
    return {
        "operationId": "createChatCompletion",
        "summary": summary,
        "requestBody": {"required": True, "content": {"application/json": media}},
        "responses": {
            "200": {
                "description": "A chat.completion object, or with stream: true a text/event-stream of "
                "chat.completion.chunk events ended by data: [DONE].",
                "content": {"application/json": {"schema": ref("ChatCompletion")}, "text/event-stream": sse_media()},
            },
            **error_responses(),
        },
    }


def build_canonical() -> dict[str, Any]:
    """The canonical OpenAPI 3.1 document as a dict."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "DeepSeek V3.1 Chat Completions (canonical contract)",
            "version": "1.0.0",
            "description": "The merged contract of the five vendor documents in specs/sources. "
            "Where they disagree, specs/normalized/CHOICES.yaml records the choice and the reason.",
        },
        "servers": [
            {
                "url": CANONICAL_SERVER,
                "description": "DeepSeek also serves the same API under https://api.deepseek.com/v1.",
            }
        ],
        "security": [{"bearer": []}],
        "paths": {
            CANONICAL_PATH: {
                "post": chat_operation(
                    summary="Create a chat completion",
                    request_schema=ref("ChatCompletionRequest"),
                    examples=_examples(),
                )
            }
        },
        "components": {"schemas": canonical_schemas(), "securitySchemes": {"bearer": bearer_scheme()}},
    }
